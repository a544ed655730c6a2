package org.diffusion4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.AtomicFiles;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.metrics.EnergyDistance;
import org.diffusion4j.metrics.KozachenkoLeonenko;
import org.diffusion4j.metrics.Mmd;
import org.diffusion4j.metrics.ModeHistogram;
import org.diffusion4j.metrics.PriorGap;
import org.diffusion4j.metrics.SlicedWasserstein;
import org.diffusion4j.model.Checkpoint;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.plot.Plots;

/**
 * What train, sample, eval and demo share: training every network of a config, sampling it, the metrics, and the
 * files of a run folder.
 *
 * <p>Seeds: the data come from {@code data.seed}; every network trains from {@code training.seed} (initial weights and
 * minibatch stream); the sampler draws from {@code sampling.seed}. Conditions of conditional models are the labels
 * or values of fresh data drawn with {@code sampling.seed + CONDITION_SALT}, and the metrics compare with fresh data
 * drawn with {@code sampling.seed + EVAL_SALT} (and {@code + EVAL_SALT + 1} for the data-to-data baseline).
 */
final class Runs {

    /** Seed offset of the conditions drawn for conditional sampling. */
    static final long CONDITION_SALT = 0x2545F4914F6CDD1DL;
    /** Seed offset of the fresh data the metrics compare with. */
    static final long EVAL_SALT = 0x1000_0000_0000L;
    /** Most sample points that the metrics use (the first ones): MMD is O(n^2). */
    static final int METRIC_POINTS = 10_000;
    static final String CONFIG_FILE = "config.toml";
    static final String CONFIG_KEY = "config";
    static final String ROLE_KEY = "role";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Runs() {
    }

    /** The config.toml of a run folder, refused in one line naming the option when the folder is not a run. */
    static RunConfig readRunConfig(String option, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + ": no such folder " + dir);
        }
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + ": " + dir + " has no " + CONFIG_FILE + "; it is not a run folder");
        }
        try {
            return ConfigToml.read(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parameters and loss history of every network, in config order. */
    record Trained(List<float[]> parameters, Map<String, double[]> losses, double seconds) {
    }

    /** Trains each network of the config in turn, reporting progress. */
    static Trained train(Engine engine, RunConfig c, PrintWriter out) {
        Dataset dataset = Datasets.byName(c.data().name());
        Points data = dataset.sample(c.data().size(), c.data().seed());
        List<float[]> params = new ArrayList<>();
        Map<String, double[]> losses = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        int steps = c.training().steps();
        for (Preset.Net net : c.networks()) {
            TrainingSetup setup = new TrainingSetup(net.spec(), c.process(), net.objective(), c.optimizer(), data,
                    c.training().batchSize(), c.training().seed(), net.spec().isConditional() ? c.training().labelDropout() : 0.0);
            double[] loss = new double[steps];
            try (Trainer trainer = engine.trainer(setup, NetworkInit.initialize(net.spec(), c.training().seed()));
                 ProgressReport progress = ProgressReport.start("train " + net.role(), "steps", steps, out)) {
                for (int k = 0; k < steps; k++) {
                    loss[k] = trainer.step();
                    progress.update(k + 1, steps);
                }
                params.add(trainer.parameters());
            }
            losses.put(net.role(), loss);
            out.printf("trained %s (%s): %d steps, final loss %.5g%n", net.role(), net.objective().name(), steps, finalLoss(loss));
            out.flush();
        }
        return new Trained(params, losses, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean of the last 1% of the losses (at least the last one). */
    static double finalLoss(double[] loss) {
        int k = Math.max(1, loss.length / 100);
        double s = 0;
        for (int i = loss.length - k; i < loss.length; i++) {
            s += loss[i];
        }
        return s / k;
    }

    /** The score source of trained networks, with per-particle conditions where the model is conditional. */
    static ScoreSource source(RunConfig c, List<float[]> params, int particles, long seed) {
        return source(c, params, particles, seed, null);
    }

    /**
     * The score source of trained networks: conditional networks take {@code fixed} for every particle when given, else
     * the labels or values of fresh data drawn with {@code seed + CONDITION_SALT}, and the config's guidance weight.
     */
    static ScoreSource source(RunConfig c, List<float[]> params, int particles, long seed, Condition fixed) {
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
    static Condition expand(Condition one, int n) {
        return one.labels() != null ? Condition.label(one.labels()[0], n) : Condition.value(one.values()[0], n);
    }

    /** The conditions the networks of a config sample with (NONE for an unconditional model). */
    static Condition conditions(RunConfig c, int particles, long seed) {
        for (Preset.Net n : c.networks()) {
            if (n.spec().isConditional()) {
                return condition(c, n.spec().conditioning(), particles, seed);
            }
        }
        return Condition.NONE;
    }

    static Condition condition(RunConfig c, Conditioning conditioning, int particles, long seed) {
        if (conditioning instanceof Conditioning.None) {
            return Condition.NONE;
        }
        Points fresh = fresh(Datasets.byName(c.data().name()), particles, seed + CONDITION_SALT);
        return conditioning instanceof Conditioning.Continuous ? Condition.values(fresh.values()) : Condition.labels(fresh.labels());
    }

    /**
     * Exactly n fresh points of a dataset: a dataset that draws more than asked (shapes draws n of each shape) is
     * thinned with an even stride, so every part of it stays represented.
     */
    static Points fresh(Dataset d, int n, long seed) {
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

    /** Where the config's sampler starts: the first time of its grid. */
    static double startTime(RunConfig c) {
        RunConfig.Sampling s = c.sampling();
        return SamplingPlan.startTime(c.process(), s.sampler(), s.steps(), s.spacing());
    }

    /** The config's prior at its sampler's start time, moment-matched to the training data where it says. */
    static GaussianPrior prior(RunConfig c) {
        Points data = Datasets.byName(c.data().name()).sample(c.data().size(), c.data().seed());
        return GaussianPrior.of(c.sampling().priorOf(c.process()), c.process(), startTime(c), data.xy());
    }

    /** The gap between the marginal where the config's sampler starts and the prior it draws (fresh data). */
    static PriorGap.Gap priorGap(RunConfig c) {
        return PriorGap.estimate(c.process(), startTime(c), prior(c), Datasets.byName(c.data().name()), c.data().seed());
    }

    /** Runs the config's sampler with a progress report, keeping the prior draw and the final state as frames. */
    static Samples sample(Engine engine, RunConfig c, List<float[]> params, PrintWriter out) {
        return sample(engine, c, params, c.sampling().steps(), out);
    }

    /** Runs the config's sampler with a progress report, keeping every recordEvery-th state (the first is the prior draw). */
    static Samples sample(Engine engine, RunConfig c, List<float[]> params, int recordEvery, PrintWriter out) {
        return sample(engine, c, params, recordEvery, null, out);
    }

    /** As {@link #sample(Engine, RunConfig, List, int, PrintWriter)}, every particle with condition {@code fixed} when given. */
    static Samples sample(Engine engine, RunConfig c, List<float[]> params, int recordEvery, Condition fixed, PrintWriter out) {
        RunConfig.Sampling s = c.sampling();
        ScoreSource source = source(c, params, s.particles(), s.seed(), fixed);
        SamplingSetup setup = new SamplingSetup(c.process(), s.sampler(), source, s.particles(), s.steps(), s.seed(), recordEvery, s.spacing(),
                prior(c));
        try (ProgressReport progress = ProgressReport.start("sample " + s.sampler().name(), "particle-steps",
                (long) s.particles() * s.steps(), out)) {
            return engine.sample(setup, progress);
        }
    }

    /**
     * Distances of (the first METRIC_POINTS of) the samples to fresh data, with the data-to-data baselines (a second
     * fresh draw against the first): sliced Wasserstein, MMD^2, energy distance, the k-NN KL(samples || data); the KL
     * of the samples to N(0, I); for mixture data the histogram over the modes and its KL to uniform.
     */
    static Map<String, Object> distances(String dataset, double[] samples, long seed) {
        double[] finite = finitePoints(samples);
        int n = Math.min(finite.length / 2, METRIC_POINTS);
        if (n < KozachenkoLeonenko.DEFAULT_K + 1) {
            throw new IllegalArgumentException("samples: at least " + (KozachenkoLeonenko.DEFAULT_K + 1)
                    + " finite points are needed for the metrics, got " + n);
        }
        double[] xy = Arrays.copyOf(finite, 2 * n);
        Dataset d = Datasets.byName(dataset);
        double[] fresh = fresh(d, n, seed + EVAL_SALT).xy();
        double[] fresh2 = fresh(d, n, seed + EVAL_SALT + 1).xy();
        SlicedWasserstein sw = SlicedWasserstein.standard();
        double h = Mmd.medianBandwidth(xy, fresh);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataset", dataset);
        m.put("metric_points", n);
        m.put("non_finite_samples", (samples.length - finite.length) / 2);
        m.put("sliced_wasserstein", sw.distance(xy, fresh));
        m.put("sliced_wasserstein_data_to_data", sw.distance(fresh2, fresh));
        m.put("mmd", Mmd.squared(xy, fresh, h));
        m.put("mmd_data_to_data", Mmd.squared(fresh2, fresh, h));
        m.put("mmd_bandwidth", h);
        m.put("mmd_estimator", "unbiased U-statistic of MMD^2, RBF kernel, bandwidth = median pairwise distance of samples + data");
        m.put("energy_distance", EnergyDistance.squared(xy, fresh));
        m.put("energy_distance_data_to_data", EnergyDistance.squared(fresh2, fresh));
        m.put("kl_to_data", KozachenkoLeonenko.klBetween(Points.of(xy), Points.of(fresh)));
        m.put("kl_to_data_data_to_data", KozachenkoLeonenko.klBetween(Points.of(fresh2), Points.of(fresh)));
        m.put("kl_to_standard_normal", KozachenkoLeonenko.klToStandardNormal(Points.of(xy)));
        d.mixture().ifPresent(mixture -> {
            ModeHistogram modes = ModeHistogram.of(mixture, xy);
            m.put("mode_counts", modes.counts());
            m.put("modes_covered", modes.modesCovered());
            m.put("mode_kl_to_uniform", modes.klToUniform());
            m.put("mode_kl_to_uniform_data_to_data", ModeHistogram.of(mixture, fresh2).klToUniform());
            m.put("in_mode_fraction", modes.inModeFraction());
        });
        return m;
    }

    /**
     * How well conditional samples follow their conditions (the first METRIC_POINTS, non-finite ones left out):
     * labels on mixture data: the fraction whose nearest mode is the requested one ({@code conditional_accuracy});
     * values: the mean |radius - requested value| ({@code radius_abs_error}); labels on other labelled data (shapes):
     * the sliced Wasserstein distance of each label's samples to fresh data of that label, with its data-to-data
     * baseline. Null conditions (guidance's unconditional samples) are left out. Empty for an unconditional model.
     */
    static Map<String, Object> conditionalMetrics(String dataset, double[] samples, Condition cond, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (cond == null || (cond.labels() == null && cond.values() == null)) {
            return m;
        }
        Dataset d = Datasets.byName(dataset);
        int n = Math.min(samples.length / 2, METRIC_POINTS);
        if (cond.values() != null) {
            double sum = 0;
            int count = 0;
            for (int i = 0; i < n; i++) {
                double v = cond.values()[i];
                double x = samples[2 * i];
                double y = samples[2 * i + 1];
                if (!Double.isNaN(v) && Double.isFinite(x) && Double.isFinite(y)) {
                    sum += Math.abs(Math.hypot(x, y) - v);
                    count++;
                }
            }
            m.put("radius_abs_error", count == 0 ? Double.NaN : sum / count);
            return m;
        }
        int[] labels = cond.labels();
        if (d.mixture().isPresent()) {
            int hits = 0;
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (labels[i] == Condition.NULL_LABEL) {
                    continue;
                }
                count++;
                hits += ModeHistogram.nearestMode(d.mixture().get(), samples[2 * i], samples[2 * i + 1]) == labels[i] ? 1 : 0;
            }
            m.put("conditional_accuracy", count == 0 ? Double.NaN : (double) hits / count);
            return m;
        }
        Points fresh = fresh(d, n, seed + EVAL_SALT);
        Points fresh2 = fresh(d, n, seed + EVAL_SALT + 1);
        SlicedWasserstein sw = SlicedWasserstein.standard();
        for (int k = 0; k < d.classes(); k++) {
            double[] mine = withLabel(samples, labels, n, k, true);
            double[] data = withLabel(fresh.xy(), fresh.labels(), n, k, false);
            double[] data2 = withLabel(fresh2.xy(), fresh2.labels(), n, k, false);
            if (mine.length >= 4 && data.length >= 4) {
                m.put("sliced_wasserstein_label_" + k, sw.distance(mine, data));
                m.put("sliced_wasserstein_label_" + k + "_data_to_data", sw.distance(data2, data));
            }
        }
        return m;
    }

    /** The finite points among the first n whose label is k. */
    private static double[] withLabel(double[] xy, int[] labels, int n, int k, boolean finiteOnly) {
        double[] out = new double[2 * n];
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] == k && (!finiteOnly || Double.isFinite(xy[2 * i]) && Double.isFinite(xy[2 * i + 1]))) {
                out[c++] = xy[2 * i];
                out[c++] = xy[2 * i + 1];
            }
        }
        return Arrays.copyOf(out, c);
    }

    /** The points of xy whose coordinates are both finite (xy itself when all are). */
    static double[] finitePoints(double[] xy) {
        int n = xy.length / 2;
        double[] out = new double[xy.length];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isFinite(xy[2 * i]) && Double.isFinite(xy[2 * i + 1])) {
                out[k++] = xy[2 * i];
                out[k++] = xy[2 * i + 1];
            }
        }
        return k == xy.length ? xy : Arrays.copyOf(out, k);
    }

    /** A network's checkpoint with the resolved config in its metadata, so that it can be sampled on its own. */
    static Checkpoint checkpoint(RunConfig c, Preset.Net net, float[] params) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(CONFIG_KEY, ConfigToml.write(c));
        meta.put(ROLE_KEY, net.role());
        meta.put("objective", net.objective().name());
        meta.put("process", c.process().name());
        meta.put("training_steps", Integer.toString(c.training().steps()));
        return new Checkpoint(net.spec(), params, meta);
    }

    /** Writes the run's files into the (staging) folder. */
    static void writeRun(RunFolder run, RunConfig c, Trained trained, Samples samples, Map<String, Object> metrics) {
        try {
            Files.writeString(run.file(CONFIG_FILE), ConfigToml.write(c), StandardCharsets.UTF_8);
            for (int i = 0; i < c.networks().size(); i++) {
                Preset.Net n = c.networks().get(i);
                checkpoint(c, n, trained.parameters().get(i)).write(run.file(c.checkpointName(n)));
            }
            Points generated = Points.of(samples.xy());
            PointsNpy.write(run.file("samples.npy"), generated, PointsNpy.Dtype.FLOAT64);
            PointsCsv.write(run.file("samples.csv"), generated);
            writeLoss(run.file("loss.csv"), trained.losses());
            Files.writeString(run.file("metrics.json"), JSON.writeValueAsString(metrics), StandardCharsets.UTF_8);
            Points data = fresh(Datasets.byName(c.data().name()), Math.min(samples.size(), Plots.MAX_SCATTER),
                    c.sampling().seed() + EVAL_SALT);
            Plots.scatter(run.file("samples.png"), c.name() + ": data vs samples (" + c.sampling().sampler().name() + ")",
                    data.xy(), samples.xy());
            Plots.lossCurve(run.file("loss.png"), trained.losses());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run: " + e.getMessage(), e);
        }
    }

    private static void writeLoss(Path file, Map<String, double[]> losses) throws IOException {
        StringBuilder b = new StringBuilder("step");
        for (String role : losses.keySet()) {
            b.append(",loss_").append(role);
        }
        b.append('\n');
        int steps = losses.values().iterator().next().length;
        for (int k = 0; k < steps; k++) {
            b.append(k + 1);
            for (double[] l : losses.values()) {
                b.append(',').append(l[k]);
            }
            b.append('\n');
        }
        AtomicFiles.write(file, out -> out.write(b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The metrics of a finished run, in the order they appear in metrics.json. */
    static Map<String, Object> metrics(RunConfig c, String engine, Trained trained, Samples samples, double sampleSeconds,
                                       PriorGap.Gap gap) {
        long t0 = System.nanoTime();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("engine", engine);
        m.put("training_steps", c.training().steps());
        m.put("batch_size", c.training().batchSize());
        for (Map.Entry<String, double[]> e : trained.losses().entrySet()) {
            m.put("final_loss_" + e.getKey(), finalLoss(e.getValue()));
        }
        m.put("sampler", c.sampling().sampler().name());
        m.put("sampling_steps", c.sampling().steps());
        m.put("prior", c.sampling().priorOf(c.process()).configName());
        m.put("particles", c.sampling().particles());
        Map<String, Object> d = distances(c.data().name(), samples.xy(), c.sampling().seed());
        d.remove("kl_to_standard_normal");
        m.putAll(d);
        m.putAll(conditionalMetrics(c.data().name(), samples.xy(), conditions(c, c.sampling().particles(), c.sampling().seed()),
                c.sampling().seed()));
        m.put("prior_gap_kl", gap.kl());
        m.put("kl_prior_draw_to_standard_normal", KozachenkoLeonenko.klToStandardNormal(Points.of(samples.frames().get(0))));
        m.put("train_seconds", trained.seconds());
        m.put("sample_seconds", sampleSeconds);
        m.put("metrics_seconds", (System.nanoTime() - t0) / 1e9);
        return m;
    }
}
