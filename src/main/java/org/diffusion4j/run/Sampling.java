package org.diffusion4j.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.metrics.PriorGap;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.ValueFeatures;
import org.diffusion4j.sampler.GaussianPrior;

/**
 * Sampling a trained model with its config's sampler, and the conditions of conditional models.
 *
 * <p>Conditions of conditional models are, unless one is fixed, the labels or values of fresh data drawn with
 * {@code sampling.seed + CONDITION_SALT}: sampling follows the data's distribution of conditions.
 */
public final class Sampling {

    /** Seed offset of the conditions drawn for conditional sampling. */
    public static final long CONDITION_SALT = 0x2545F4914F6CDD1DL;

    private Sampling() {
    }

    /**
     * Runs the model's sampler (its config's sampling section) on an engine, keeping every {@code recordEvery}-th
     * state as a frame (the first is the prior draw; {@code steps} keeps the prior draw and the end).
     *
     * @param fixed the condition of every particle, or null for the conditions of fresh data (conditional models)
     */
    public static Samples sample(Engine engine, Model model, int recordEvery, Condition fixed, Reporter reporter) {
        if (fixed != null && fixed.values() != null) {
            requireFiniteFeatures(model, fixed.values()[0]);
        }
        RunConfig c = model.config();
        MemoryCheck.require(engine, c, false, recordEvery);
        RunConfig.Sampling s = c.sampling();
        SamplingSetup setup = setup(c, model.parameters(), recordEvery, fixed);
        try (Reporter.Task progress = reporter.start("sample " + s.sampler().name(), "particle-steps", (long) s.particles() * s.steps())) {
            return engine.sample(setup, progress);
        }
    }

    /** The sampling run of a config's sampling section with the given network parameters. */
    private static SamplingSetup setup(RunConfig c, List<float[]> params, int recordEvery, Condition fixed) {
        RunConfig.Sampling s = c.sampling();
        ScoreSource source = source(c, params, s.particles(), s.seed(), fixed);
        return new SamplingSetup(c.process(), s.sampler(), source, s.particles(), s.steps(), s.seed(), recordEvery, s.spacing(), prior(c));
    }

    /**
     * Refuses, in one line, a config whose sampling the engine does not run (the cuda engine's kernels: see
     * {@link Engine#checkSampling}), before a model is trained for it. The setup is built with zero weights of the
     * config's networks: what an engine refuses depends on the sampler, the prediction types and the prior only.
     */
    public static void check(Engine engine, RunConfig c) {
        List<float[]> zeros = c.networks().stream().map(n -> new float[ParameterLayout.of(n.spec()).size()]).toList();
        engine.checkSampling(setup(c, zeros, c.sampling().steps(), null));
    }

    /** Where the config's sampler starts: the first time of its grid. */
    public static double startTime(RunConfig c) {
        RunConfig.Sampling s = c.sampling();
        return SamplingPlan.startTime(c.process(), s.sampler(), s.steps(), s.spacing());
    }

    /** The config's prior at its sampler's start time, moment-matched to the training data where it says. */
    public static GaussianPrior prior(RunConfig c) {
        Points data = c.data().points();
        return GaussianPrior.of(c.sampling().priorOf(c.process()), c.process(), startTime(c), data.xy());
    }

    /** The gap between the marginal where the config's sampler starts and the prior it draws (data drawn with the data seed). */
    public static PriorGap.Gap priorGap(RunConfig c) {
        return PriorGap.estimate(c.process(), startTime(c), prior(c), c.data().dataset(), c.data().seed());
    }

    /** As {@link #sample(Engine, Model, int, Condition, Reporter)}, keeping the prior draw and the end. */
    public static Samples sample(Engine engine, Model model, Reporter reporter) {
        return sample(engine, model, model.config().sampling().steps(), null, reporter);
    }

    /** The score source of trained networks, with per-particle conditions where the model is conditional. */
    public static ScoreSource source(RunConfig c, List<float[]> params, int particles, long seed) {
        return source(c, params, particles, seed, null);
    }

    /**
     * The score source of trained networks: conditional networks take {@code fixed} for every particle when given, else
     * the labels or values of fresh data drawn with {@code seed + CONDITION_SALT}, and the config's guidance weight.
     */
    public static ScoreSource source(RunConfig c, List<float[]> params, int particles, long seed, Condition fixed) {
        List<ScoreSource.Network> nets = new ArrayList<>();
        for (int i = 0; i < c.networks().size(); i++) {
            Preset.Net n = c.networks().get(i);
            boolean conditional = n.spec().isConditional();
            Condition condition = conditional && fixed != null ? expand(fixed, particles) : condition(c, n.spec().conditioning(), particles, seed);
            nets.add(new ScoreSource.Network(n.spec(), params.get(i), n.objective().parameterization(), condition,
                    conditional ? c.sampling().guidance() : 1.0));
        }
        if (nets.size() == 1) {
            return nets.get(0);
        }
        Preset.Net flow = c.flowNetwork();
        int f = c.networks().indexOf(flow);
        return new ScoreSource.FlowAndScore(nets.get(f), nets.get(1 - f));
    }

    /** The first label or value of a condition, for n particles. */
    public static Condition expand(Condition one, int n) {
        return one.labels() != null ? Condition.label(one.labels()[0], n) : Condition.value(one.values()[0], n);
    }

    /** The conditions the networks of a config sample with (NONE for an unconditional model). */
    public static Condition conditions(RunConfig c, int particles, long seed) {
        for (Preset.Net n : c.networks()) {
            if (n.spec().isConditional()) {
                return condition(c, n.spec().conditioning(), particles, seed);
            }
        }
        return Condition.NONE;
    }

    private static Condition condition(RunConfig c, Conditioning conditioning, int particles, long seed) {
        if (conditioning instanceof Conditioning.None) {
            return Condition.NONE;
        }
        Points fresh = fresh(c.data().dataset(), particles, seed + CONDITION_SALT);
        return conditioning instanceof Conditioning.Continuous ? Condition.values(fresh.values()) : Condition.labels(fresh.labels());
    }

    /**
     * The condition of a fixed label or value for every particle, checked against the model: a label must be one of
     * the trained classes; a value outside the range of the training data's values is sampled with a one-line
     * warning. Null when neither is given. Errors name the command-line options {@code --label} and {@code --value}.
     */
    public static Condition fixedCondition(RunConfig c, Integer label, Double value, Reporter reporter) {
        if (label == null && value == null) {
            return null;
        }
        if (label != null && value != null) {
            throw new IllegalArgumentException("--label, --value: give one of them, not both");
        }
        Conditioning conditioning = c.networks().stream().map(n -> n.spec().conditioning()).filter(k -> !(k instanceof Conditioning.None))
                .findFirst().orElse(null);
        String option = label != null ? "--label" : "--value";
        if (conditioning == null) {
            throw new IllegalArgumentException(option + ": the model is unconditional; it takes no " + (label != null ? "label" : "value"));
        }
        if (label != null) {
            int classes = conditioning instanceof Conditioning.OneHot o ? o.classes()
                    : conditioning instanceof Conditioning.LabelEmbedding l ? l.classes() : -1;
            if (classes < 0) {
                throw new IllegalArgumentException("--label: the model is conditioned on a value, not a label; use --value");
            }
            int trained = c.data().dataset().classes();
            if (label < 0 || label >= trained) {
                throw new IllegalArgumentException("--label: " + label + " is outside the trained classes 0.." + (trained - 1));
            }
            return Condition.label(label, 1);
        }
        if (!(conditioning instanceof Conditioning.Continuous)) {
            throw new IllegalArgumentException("--value: the model is conditioned on a label, not a value; use --label");
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("--value: must be a finite number, got " + value);
        }
        double[] v = c.data().points().values();
        double lo = Arrays.stream(v).min().orElse(value);
        double hi = Arrays.stream(v).max().orElse(value);
        if (value < lo || value > hi) {
            reporter.warn(String.format(Locale.ROOT, "warning: --value %s is outside the trained range [%.4g, %.4g] of %s; the model extrapolates there",
                    value, lo, hi, c.data().name()));
        }
        return Condition.value(value, 1);
    }

    /** The samples with each particle's label or value beside x, y (plain points for an unconditional model). */
    public static Points withConditions(double[] xy, Condition condition) {
        if (condition == null) {
            return Points.of(xy);
        }
        return Points.of(xy, condition.labels(), condition.values());
    }

    /**
     * Refuses a fixed value that a value-conditioned network of the model embeds beyond float range (see
     * {@link ValueFeatures}): every engine's output would be infinite or NaN.
     */
    public static void requireFiniteFeatures(Model model, double value) {
        List<Preset.Net> nets = model.config().networks();
        for (int i = 0; i < nets.size(); i++) {
            NetworkSpec spec = nets.get(i).spec();
            if (spec.conditioning() instanceof Conditioning.Continuous) {
                String why = ValueFeatures.overflow(spec, model.parameters().get(i), value);
                if (why != null) {
                    throw new IllegalArgumentException("--value: " + value + " cannot be sampled: " + why);
                }
            }
        }
    }

    /**
     * Exactly n fresh points of a dataset: a dataset that draws more than asked (shapes draws n of each shape) is
     * thinned with an even stride, so every part of it stays represented.
     */
    public static Points fresh(Dataset d, int n, long seed) {
        Points p = d.sample(n, seed);
        int m = p.size();
        if (m == n) {
            return p;
        }
        double[] xy = new double[2 * n];
        int[] labels = p.hasLabels() ? new int[n] : null;
        double[] values = p.hasValues() ? new double[n] : null;
        for (int i = 0; i < n; i++) {
            int j = (int) ((long) i * m / n);
            xy[2 * i] = p.x(j);
            xy[2 * i + 1] = p.y(j);
            if (labels != null) {
                labels[i] = p.label(j);
            }
            if (values != null) {
                values[i] = p.value(j);
            }
        }
        return Points.of(xy, labels, values);
    }
}
