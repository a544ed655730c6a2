package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.run.FieldTimes;
import org.diffusion4j.run.RunFolder;
import org.diffusion4j.run.TrainRun;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j train}: trains every network of a preset or config, samples it, and writes a run folder (config.toml,
 * checkpoints, samples, loss, metrics, plots). A preset samples {@link #PRESET_PARTICLES} particles unless
 * --particles says otherwise; a config samples its own count.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train every network of a preset or config, sample it, and write a run folder.")
final class TrainCommand implements Callable<Integer> {

    /** Particles sampled (and compared with fresh data) after training a preset. */
    static final int PRESET_PARTICLES = 10_000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelSource source;

    @Option(names = "--engine", paramLabel = "E", description = "auto, cuda, cpu or reference (default: the config's, auto for presets)")
    String engine;

    @Option(names = "--steps", paramLabel = "N", description = "training steps per network (default: the config's)")
    Integer steps;

    @Option(names = "--seed", paramLabel = "S", description = "seed of data and training; sampling uses seed + 1 (default: the config's, 42 for presets)")
    Long seed;

    @Option(names = "--batch-size", paramLabel = "B", description = "minibatch size (default: the config's)")
    Integer batchSize;

    @Option(names = "--particles", paramLabel = "N", description = "particles to sample (default: " + PRESET_PARTICLES + " for presets, else the config's)")
    Integer particles;

    @Option(names = "--field-times", paramLabel = "T,..", description = "times of the score-field plots, in the process's time "
            + "(default: the noise end, the middle and the data end)")
    String fieldTimes;

    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: runs/<name>-<time>)")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing run folder")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        RunConfig c = source.load();
        if (source.preset != null) {
            c = c.withParticles(PRESET_PARTICLES);
        }
        c = overrides(c, engine, steps, seed, batchSize, particles);
        double[] times = fieldTimes == null ? null : FieldTimes.parse("--field-times", fieldTimes, c.process());
        Path target = out != null ? out : defaultFolder(c.name());
        try (Engine e = Engines.create(c.engine()); RunFolder run = RunFolder.create(target, overwrite)) {
            c = c.withEngine(e.name());
            log.printf("train: %s on the %s engine, %d network(s) x %d steps, then %d particles x %d steps of %s%n", c.name(), e.name(),
                    c.networks().size(), c.training().steps(), c.sampling().particles(), c.sampling().steps(), c.sampling().sampler().name());
            log.flush();
            TrainRun.Result result = TrainRun.write(e, c, run, times, new ConsoleReporter(log));
            run.commit();
            report(log, run.target(), result);
            return 0;
        }
    }

    /** Applies the command-line overrides to a config. */
    static RunConfig overrides(RunConfig c, String engine, Integer steps, Long seed, Integer batchSize, Integer particles) {
        if (engine != null) {
            c = c.withEngine(engine);
        }
        if (seed != null) {
            if (seed < 0 || seed == Long.MAX_VALUE) {
                throw new IllegalArgumentException("--seed: must be an integer in [0, " + (Long.MAX_VALUE - 1) + "] (sampling uses seed + 1), got "
                        + seed);
            }
            c = c.withSeed(seed);
        }
        if (steps != null) {
            c = c.withTrainingSteps(steps);
        }
        if (batchSize != null) {
            c = c.withBatchSize(batchSize);
        }
        if (particles != null) {
            c = c.withParticles(particles);
        }
        return c;
    }

    static void report(PrintWriter log, Path folder, TrainRun.Result result) {
        Map<String, Object> m = result.metrics();
        log.printf("run folder: %s%n", folder);
        log.printf("sliced Wasserstein to fresh data: %.4f (data to data: %.4f)%n", (double) m.get("sliced_wasserstein"),
                (double) m.get("sliced_wasserstein_data_to_data"));
        log.printf("MMD^2 to fresh data: %.3g (data to data: %.3g)%n", (double) m.get("mmd"), (double) m.get("mmd_data_to_data"));
        log.printf("energy distance to fresh data: %.3g (data to data: %.3g)%n", (double) m.get("energy_distance"),
                (double) m.get("energy_distance_data_to_data"));
        if (m.containsKey("mode_counts")) {
            log.printf("modes: %d of %d covered, KL of the mode histogram to uniform %.4f (data: %.4f), %.1f%% in mode%n", (int) m.get("modes_covered"),
                    ((int[]) m.get("mode_counts")).length, (double) m.get("mode_kl_to_uniform"), (double) m.get("mode_kl_to_uniform_data_to_data"),
                    100 * (double) m.get("in_mode_fraction"));
        }
        for (Map.Entry<String, Double> entry : result.conditional().values().entrySet()) {
            log.printf(java.util.Locale.ROOT, "%s: %.4f%n", entry.getKey().replace('_', ' '), entry.getValue());
        }
        log.printf("KL of the prior draw to N(0, I): %.4f; train %.1f s, sample %.1f s%n", (double) m.get("kl_prior_draw_to_standard_normal"),
                (double) m.get("train_seconds"), (double) m.get("sample_seconds"));
        log.printf("figures: samples.png, loss.png, score-field-t*.png, histograms.png, forward-kl.png, forward.gif, reverse.gif%n");
        log.flush();
    }

    static Path defaultFolder(String name) {
        return Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
}
