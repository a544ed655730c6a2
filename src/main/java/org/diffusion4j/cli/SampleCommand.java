package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.metrics.PriorGap;
import org.diffusion4j.model.Condition;
import org.diffusion4j.run.Evaluation;
import org.diffusion4j.run.Model;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.Sampling;
import org.diffusion4j.sampler.Prior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j sample}: draws particles from a trained model, given its run folder or one of its checkpoints.
 * A checkpoint carries the resolved config in its metadata; a model of two networks (flow and score) finds the other
 * checkpoint beside it. Every checkpoint must hold exactly the network its config describes.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample a trained model from its run folder or checkpoint; write .npy or .csv.")
final class SampleCommand implements Callable<Integer> {

    static final class From {
        @Option(names = "--run", paramLabel = "DIR", required = true, description = "a run folder written by train or demo")
        Path run;

        @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "a .safetensors checkpoint written by train or demo")
        Path checkpoint;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    From from;

    @Option(names = "--sampler", paramLabel = "NAME", description = "ddpm, ddpm-posterior, ddim, dpm-solver++, dpm-solver++-sde, reverse-sde, pf-euler, pf-heun, langevin-flow or "
            + "annealed-langevin (default: the config's)")
    String sampler;

    @Option(names = "--eta", paramLabel = "ETA", description = "ddim's noise in [0, 1]: 0 deterministic, 1 the ancestral posterior (default: the config's, else 0)")
    Double eta;

    @Option(names = "--spacing", paramLabel = "S", description = "ddpm step indices for fewer steps than T: uniform, trailing or quadratic "
            + "(diffusers' leading, trailing; DDIM's quad) (default: the config's)")
    String spacing;

    @Option(names = "--prior", paramLabel = "P", description = "standard, stationary or moment-matched (default: the config's)")
    String prior;

    @Option(names = "--steps", paramLabel = "N", description = "sampler updates (default: the config's for its sampler, else the process's)")
    Integer steps;

    @Option(names = "--particles", paramLabel = "N", description = "particles (default: the config's)")
    Integer particles;

    @Option(names = "--seed", paramLabel = "S", description = "sampling seed (default: the config's)")
    Long seed;

    @Option(names = "--engine", paramLabel = "E", description = "auto, cuda, cpu or reference (default: the config's)")
    String engine;

    @Option(names = "--precision", paramLabel = "P", description = "the layer GEMMs on the cuda engine: fp32, tf32x3 or tf32 (tensor cores)"
            + " (default: the run's network.precision, fp32 for a checkpoint alone)")
    String precision;

    @Option(names = "--label", paramLabel = "K", description = "sample every particle with class K (one-hot or label-embedding models)")
    Integer label;

    @Option(names = "--value", paramLabel = "R", description = "sample every particle with value R (continuously conditioned models)")
    Double value;

    @Option(names = "--guidance", paramLabel = "W", description = "classifier-free guidance weight: eps_uncond + W (eps_cond - eps_uncond); "
            + "1 is the conditional model, 0 the unconditional one (default: the config's)")
    Double guidance;

    @Option(names = "--weights", paramLabel = "W", description = "raw or ema: the optimizer's weights or their EMA (default: ema where the run"
            + " kept one, else raw)")
    String weights;

    @Option(names = "--out", paramLabel = "FILE", description = "FILE.npy or FILE.csv (default: samples-<sampler>-<steps>-seed<seed>.npy beside the model)")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing output file")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        ConsoleReporter reporter = ConsoleReporter.of(spec);
        RunFiles.Weights w = weights(weights);
        Path dir;
        Model model;
        if (from.run != null) {
            dir = from.run;
            model = Model.load(dir, w);
        } else {
            dir = from.checkpoint.toAbsolutePath().getParent();
            model = Model.fromCheckpoint(from.checkpoint, w);
        }
        RunConfig c = model.config();
        c = withSampling(c, sampler, steps, particles, seed);
        c = withSamplerOptions(c, eta, spacing, prior);
        if (engine != null) {
            c = c.withEngine(engine);
        }
        c = c.withPrecision(precision, "--precision");
        if (value != null && Double.isFinite(value)) {
            Sampling.requireFiniteFeatures(model, value);
        }
        Condition fixed = Sampling.fixedCondition(c, label, value, reporter);
        if (guidance != null) {
            c = c.withGuidance(guidance);
        }
        RunConfig.Sampling s = c.sampling();
        Path target = out != null ? out : dir.resolve(String.format(Locale.ROOT, "samples-%s-%d-seed%d.npy", s.sampler().name(), s.steps(), s.seed()));
        String expected = RunFiles.checkSamplesTarget("--out", target, overwrite);
        try (Engine e = Engines.create(c.engine(), spec.commandLine().getErr()::println)) {
            log.printf("sample: %s, %d particles x %d steps of %s on the %s engine, %s prior%n", c.name(), s.particles(), s.steps(),
                    s.sampler().name(), e.name(), s.priorOf(c.process()).configName());
            PriorGap.Gap gap = Sampling.priorGap(c);
            log.printf(Locale.ROOT, "prior: %s, KL %.3f nats from the marginal where sampling starts (t = %s)%n", gap.prior().describe(), gap.kl(),
                    gap.time());
            if (gap.large()) {
                reporter.warn(PriorGap.warning(c.process(), c.data().dataset().name(), gap));
            }
            log.flush();
            long t0 = System.nanoTime();
            Samples samples = Sampling.sample(e, model.withConfig(c), s.steps(), fixed, reporter);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Condition used = fixed != null ? Sampling.expand(fixed, s.particles()) : Sampling.conditions(c, s.particles(), s.seed());
            Points points = Points.of(samples.xy());
            boolean csv = target.getFileName().toString().endsWith(".csv");
            RunFiles.writeSamples("--out", target, csv ? Sampling.withConditions(samples.xy(), used) : points, expected);
            Integer ofLabel = fixed != null && fixed.labels() != null ? fixed.labels()[0] : null;
            Map<String, Object> d = Evaluation.distances(c.data().dataset(), samples.xy(), s.seed(), ofLabel);
            log.printf("wrote %s (%d points, %.1f s)%n", target, points.size(), seconds);
            log.printf("sliced Wasserstein to fresh data%s: %.4f (data to data: %.4f)%n", ofLabel == null ? "" : " of label " + ofLabel,
                    (double) d.get("sliced_wasserstein"), (double) d.get("sliced_wasserstein_data_to_data"));
            for (Map.Entry<String, Double> entry : Evaluation.conditional(c.data().dataset(), samples.xy(), used, s.seed()).values().entrySet()) {
                log.printf(Locale.ROOT, "%s: %.4f%n", entry.getKey().replace('_', ' '), entry.getValue());
            }
            log.flush();
        }
        return 0;
    }

    /** The weights of --weights: raw, ema, or (not given) the EMA where the run has one. */
    static RunFiles.Weights weights(String name) {
        if (name == null) {
            return RunFiles.Weights.AUTO;
        }
        switch (name) {
            case "raw":
                return RunFiles.Weights.RAW;
            case "ema":
                return RunFiles.Weights.EMA;
            default:
                throw new IllegalArgumentException("--weights: must be raw or ema, got '" + name + "'");
        }
    }

    /** The config with the sampling options applied (a changed sampler starts from its defaults). */
    static RunConfig withSampling(RunConfig c, String samplerName, Integer steps, Integer particles, Long seed) {
        RunConfig.Sampling s = c.sampling();
        SamplerSpec spec = s.sampler();
        int n = s.steps();
        if (samplerName != null && !samplerName.equals(spec.name())) {
            spec = SamplerSpec.byName(samplerName);
            n = RunConfig.defaultSteps(spec, c.process());
        }
        if (steps != null) {
            if (steps < 1) {
                throw new IllegalArgumentException("--steps: must be an integer in [1, " + ConfigToml.MAX_SAMPLING_STEPS + "], got " + steps);
            }
            spec = spec.withSteps(c.process(), steps, "--steps");
            n = steps;
        }
        if (seed != null && seed < 0) {
            throw new IllegalArgumentException("--seed: must be an integer in [0, " + Long.MAX_VALUE + "], got " + seed);
        }
        RunConfig out = c.withSampling(s.withSampler(spec, n).withSeed(seed != null ? seed : s.seed()));
        return particles != null ? out.withParticles(particles) : out;
    }

    /** The config with ddim's eta, the ddpm spacing and the prior applied where given (refused in one line where they do not apply). */
    static RunConfig withSamplerOptions(RunConfig c, Double eta, String spacing, String prior) {
        RunConfig.Sampling s = c.sampling();
        if (eta != null) {
            if (!(s.sampler() instanceof SamplerSpec.Ddim)) {
                throw new IllegalArgumentException("--eta: applies to the ddim sampler, not " + s.sampler().name());
            }
            if (!(eta >= 0 && eta <= 1)) {
                throw new IllegalArgumentException("--eta: must be a number in [0, 1], got " + eta);
            }
            s = s.withSampler(new SamplerSpec.Ddim(eta), s.steps());
        }
        if (spacing != null) {
            s = s.withSpacing(Spacing.byName(spacing));
        }
        if (prior != null) {
            s = s.withPrior(Prior.byName(prior));
        }
        return c.withSampling(s);
    }
}
