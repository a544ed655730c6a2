package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.run.FieldTimes;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.RunFolder;
import org.diffusion4j.run.TrainRun;
import org.diffusion4j.run.Training;
import org.diffusion4j.run.TrainingState;
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

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ModelSource source;

    @Option(names = "--resume", paramLabel = "RUN", description = "continue an interrupted or checkpointed run: its folder (the --out it had)"
            + " or its RUN.resume folder of training states; bit-identical to an uninterrupted run on the same engine")
    Path resume;

    @Option(names = "--engine", paramLabel = "E", description = "auto, cuda, cpu or reference (default: the config's, auto for presets)")
    String engine;

    @Option(names = "--precision", paramLabel = "P", description = "the layer GEMMs on the cuda engine: fp32, tf32x3 or tf32 (tensor cores)"
            + " (default: the config's network.precision, fp32 for presets)")
    String precision;

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

    @Option(names = "--no-figures", description = "write no PNG or GIF (the metrics, samples and checkpoints only)")
    boolean noFigures;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        RunConfig c;
        TrainingState from = null;
        Path target;
        if (resume != null) {
            if (source != null || steps != null || seed != null || batchSize != null || particles != null || out != null || precision != null) {
                throw new IllegalArgumentException("--resume: takes no --preset, --config, --steps, --seed, --batch-size, --particles, --precision"
                        + " or --out (the state's config is continued as it was)");
            }
            String name = resume.toAbsolutePath().normalize().getFileName().toString();
            Path states = name.endsWith(".resume") ? resume : RunFiles.stateFolder(resume);
            target = name.endsWith(".resume") ? resume.resolveSibling(name.substring(0, name.length() - ".resume".length())) : resume;
            List<Path> files = Training.states(states);
            if (files.isEmpty()) {
                throw new IllegalArgumentException("--resume: no training state in " + states + "; a run writes one every"
                        + " training.checkpoint_every steps and when it is interrupted");
            }
            from = TrainingState.read(files.get(files.size() - 1));
            c = from.config();
            if (engine != null) {
                c = c.withEngine(engine);
            }
        } else {
            if (source == null) {
                throw new IllegalArgumentException("train: give --preset NAME, --config FILE or --resume RUN");
            }
            c = source.load();
            if (source.preset != null) {
                c = c.withParticles(PRESET_PARTICLES);
            }
            c = overrides(c, engine, steps, seed, batchSize, particles).withPrecision(precision, "--precision");
            target = out != null ? out : defaultFolder(c.name());
        }
        double[] times = fieldTimes == null ? null : FieldTimes.parse("--field-times", fieldTimes, c.process());
        RunFolder.checkTarget(target, overwrite); // refused before anything starts
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "diffusion4j-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (Engine e = Engines.create(c.engine(), spec.commandLine().getErr()::println)) {
            c = c.withEngine(e.name());
            log.printf("train: %s on the %s engine, %d network(s) x %d steps, then %d particles x %d steps of %s%s%n", c.name(), e.name(),
                    c.networks().size(), c.training().steps(), c.sampling().particles(), c.sampling().steps(), c.sampling().sampler().name(),
                    from == null ? "" : String.format(", continuing %s at step %d", from.role(), from.step()));
            log.flush();
            TrainRun.Result result = TrainRun.run(e, c, target, overwrite, times, from, stop::get, !noFigures, ConsoleReporter.of(spec));
            report(log, result.folder(), result, !noFigures);
            return 0;
        } catch (Training.Stopped s) {
            PrintWriter err = spec.commandLine().getErr();
            Path cwd = Path.of("").toAbsolutePath();
            Path state = s.state().toAbsolutePath();
            err.printf("diffusion4j: interrupted after step %d of %s; training state written to %s%n", s.step(), s.role(),
                    state.startsWith(cwd) ? cwd.relativize(state) : state);
            err.printf("resume with: %s train --resume %s%n", Main.invocation(), target);
            err.flush();
            return INTERRUPTED;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running and returns now
            }
        }
    }

    /** Exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT, the shell's convention). */
    static final int INTERRUPTED = 130;

    /** Longest wait of the shutdown hook for training to write its state and the command to end. */
    static final int STOP_WAIT_SECONDS = 120;

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

    static void report(PrintWriter log, Path folder, TrainRun.Result result, boolean figures) {
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
        if (figures) {
            log.printf("figures: samples.png, loss.png, score-field-t*.png, histograms.png, forward-kl.png, forward.gif, reverse.gif%n");
        }
        log.flush();
    }

    static Path defaultFolder(String name) {
        return Path.of("runs", name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
}
