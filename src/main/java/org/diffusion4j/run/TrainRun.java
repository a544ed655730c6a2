package org.diffusion4j.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.metrics.KozachenkoLeonenko;
import org.diffusion4j.metrics.PriorGap;

/**
 * What {@code train} and {@code demo} do: estimate the prior gap (warning when it is large), train every network of a
 * config, sample the model, measure the samples and write a complete run folder.
 *
 * <pre>{@code
 * RunConfig c = RunConfig.fromPreset(Presets.byName("ddpm-ring"), 42).withTrainingSteps(2000);
 * try (Engine e = Engines.create("cpu")) {
 *     TrainRun.Result r = TrainRun.run(e, c, Path.of("runs/ring"), false, Reporter.SILENT);
 *     double sw = (double) r.metrics().get("sliced_wasserstein");
 * }
 * }</pre>
 */
public final class TrainRun {

    private TrainRun() {
    }

    /**
     * A finished run: where it is, the training result, the samples and the metrics of metrics.json, with the
     * conditional metrics also apart.
     */
    public record Result(Path folder, Training.Result training, Samples samples, Map<String, Object> metrics,
                         Evaluation.Conditional conditional) {
    }

    /**
     * Trains, samples and writes a complete run folder at {@code target} (refused when it exists, unless
     * {@code overwrite}); the config's engine field is set to the engine used.
     *
     * @param fieldTimes times of the score-field figures, or null for {@link FieldTimes#defaults}
     */
    public static Result run(Engine engine, RunConfig c, Path target, boolean overwrite, double[] fieldTimes, Reporter reporter) {
        return run(engine, c, target, overwrite, fieldTimes, null, null, reporter);
    }

    /**
     * As {@link #run(Engine, RunConfig, Path, boolean, double[], Reporter)}, with training states in
     * {@link RunFiles#stateFolder} of the target (every {@code training.checkpoint_every} steps, and when {@code stop}
     * turns true, after which {@link Training.Stopped} is thrown), continuing from {@code resume} when given. After a
     * complete run the states move into the run folder's {@code checkpoints/} (with checkpoint_every), or are deleted.
     */
    public static Result run(Engine engine, RunConfig c, Path target, boolean overwrite, double[] fieldTimes, TrainingState resume,
                             BooleanSupplier stop, Reporter reporter) {
        return run(engine, c, target, overwrite, fieldTimes, resume, stop, true, reporter);
    }

    /** As {@link #run(Engine, RunConfig, Path, boolean, double[], TrainingState, BooleanSupplier, Reporter)}, without figures unless {@code figures}. */
    public static Result run(Engine engine, RunConfig c, Path target, boolean overwrite, double[] fieldTimes, TrainingState resume,
                             BooleanSupplier stop, boolean figures, Reporter reporter) {
        Path states = RunFiles.stateFolder(target);
        if (resume == null && !Training.states(states).isEmpty()) {
            if (!overwrite) {
                throw new IllegalArgumentException("--out: " + states + " holds the training states of an unfinished run; continue it with"
                        + " train --resume " + target + ", or pass --overwrite to start over");
            }
            deleteFolder(states);
        }
        Training.Options options = new Training.Options(states, resume, stop == null ? () -> false : stop);
        try (RunFolder folder = RunFolder.create(target, overwrite)) {
            Result r = write(engine, c.withEngine(engine.name()), folder, fieldTimes, options, figures, reporter);
            keepStates(states, folder, c.training().checkpointEvery() > 0);
            folder.commit();
            deleteFolder(states);
            return new Result(folder.target(), r.training(), r.samples(), r.metrics(), r.conditional());
        }
    }

    /** As {@link #run(Engine, RunConfig, Path, boolean, double[], Reporter)} with the default field times. */
    public static Result run(Engine engine, RunConfig c, Path target, boolean overwrite, Reporter reporter) {
        return run(engine, c, target, overwrite, null, reporter);
    }

    /** The training states of a finished run, moved into its checkpoints/ folder when kept. */
    private static void keepStates(Path states, RunFolder folder, boolean keep) {
        if (!keep) {
            return;
        }
        try {
            List<Path> files = Training.states(states);
            if (!files.isEmpty()) {
                Path into = Files.createDirectories(folder.file("checkpoints"));
                for (Path f : files) {
                    Files.copy(f, into.resolve(f.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the training states: " + e.getMessage(), e);
        }
    }

    private static void deleteFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: the run is complete; a leftover state folder is only disk space
        }
    }

    /** Trains, samples and writes everything into an open (staging) run folder, which the caller commits. */
    public static Result write(Engine e, RunConfig c, RunFolder run, double[] fieldTimes, Reporter reporter) {
        return write(e, c, run, fieldTimes, Training.Options.NONE, true, reporter);
    }

    /**
     * As {@link #write(Engine, RunConfig, RunFolder, double[], Reporter)} with training options (states, stop, resume),
     * and without any figure (PNG, GIF) unless {@code figures}.
     */
    public static Result write(Engine e, RunConfig c, RunFolder run, double[] fieldTimes, Training.Options options, boolean figures,
                               Reporter reporter) {
        MemoryCheck.require(e, c, true, RunFigures.recordEvery(c.sampling().steps(), c.sampling().particles()));
        Sampling.check(e, c);
        PriorGap.Gap gap = priorGap(c, reporter);
        Training.Result trained = Training.train(e, c, options, reporter);
        Training.stopIfAsked(trained, e.name(), options);
        long t0 = System.nanoTime();
        Samples samples = Sampling.sample(e, trained.model(), figures ? RunFigures.recordEvery(c.sampling().steps(), c.sampling().particles())
                : c.sampling().steps(), null, reporter);
        double sampleSeconds = (System.nanoTime() - t0) / 1e9;
        Training.stopIfAsked(trained, e.name(), options);
        double[] times = fieldTimes != null ? fieldTimes : FieldTimes.defaults(c.process());
        long stages = 2 + (figures ? RunFigures.figureCount(times) : 0);
        try (Reporter.Task post = reporter.start("post-process", "stages", stages)) {
            post.note("metrics");
            post.update(0, stages);
            Evaluation.Conditional conditional = Evaluation.conditional(c.data().dataset(), samples.xy(),
                    Sampling.conditions(c, c.sampling().particles(), c.sampling().seed()), c.sampling().seed());
            Map<String, Object> metrics = metrics(c, e.name(), trained, samples, sampleSeconds, gap, conditional);
            post.note(figures ? "checkpoints, samples, samples.png, loss.png" : "checkpoints, samples");
            post.update(1, stages);
            RunFiles.writeRun(run, trained, samples, metrics, figures);
            if (figures) {
                RunFigures.write(run::file, e, c, trained.model().parameters(), samples, times, post, 2, stages);
            } else {
                post.note("done");
                post.update(stages, stages);
            }
            return new Result(run.target(), trained, samples, metrics, conditional);
        }
    }

    /**
     * The KL between the forward marginal where sampling starts and the sampler's prior; a gap above
     * {@link PriorGap#WARN_NATS} is reported in one line.
     */
    public static PriorGap.Gap priorGap(RunConfig c, Reporter reporter) {
        PriorGap.Gap gap = Sampling.priorGap(c);
        if (gap.large()) {
            reporter.warn(PriorGap.warning(c.process(), c.data().dataset().name(), gap));
        }
        return gap;
    }

    /** The metrics of a finished run, in the order they appear in metrics.json. */
    static Map<String, Object> metrics(RunConfig c, String engine, Training.Result trained, Samples samples, double sampleSeconds,
                                       PriorGap.Gap gap, Evaluation.Conditional conditional) {
        long t0 = System.nanoTime();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("engine", engine);
        m.put("training_steps", c.training().steps());
        m.put("batch_size", c.training().batchSize());
        for (Map.Entry<String, double[]> e : trained.losses().entrySet()) {
            m.put("final_loss_" + e.getKey(), Training.finalLoss(e.getValue()));
        }
        m.put("sampler", c.sampling().sampler().name());
        m.put("sampling_steps", c.sampling().steps());
        m.put("prior", c.sampling().priorOf(c.process()).configName());
        m.put("particles", c.sampling().particles());
        Map<String, Object> d = Evaluation.distances(c.data().dataset(), samples.xy(), c.sampling().seed());
        d.remove("kl_to_standard_normal");
        m.putAll(d);
        m.putAll(conditional.asMap());
        m.put("prior_gap_kl", gap.kl());
        m.put("kl_prior_draw_to_standard_normal", KozachenkoLeonenko.klToStandardNormal(Points.of(samples.frames().get(0))));
        m.put("train_seconds", trained.seconds());
        m.put("sample_seconds", sampleSeconds);
        m.put("metrics_seconds", (System.nanoTime() - t0) / 1e9);
        return m;
    }
}
