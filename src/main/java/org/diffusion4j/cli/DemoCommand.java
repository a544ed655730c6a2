package org.diffusion4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.metrics.KozachenkoLeonenko;
import org.diffusion4j.metrics.SlicedWasserstein;
import org.diffusion4j.model.Checkpoint;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.NetworkInit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j demo}: trains the default preset (ddpm-ring) on the best engine present, samples it, and writes
 * a run folder with the checkpoint, samples, loss history and metrics.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train the ddpm-ring preset on the best engine present, sample it, and write a run folder.")
final class DemoCommand implements Callable<Integer> {

    /** Training steps on the reference engine when none are given: it is the double-precision oracle, not a fast path. */
    static final int REFERENCE_DEFAULT_STEPS = 2000;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--engine", defaultValue = "auto", description = "auto, cuda, cpu or reference (default: ${DEFAULT-VALUE})")
    String engineName;

    @Option(names = "--out", description = "run folder (default: runs/demo-<time>)")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing run folder")
    boolean overwrite;

    @Option(names = "--steps", description = "training steps (default: the preset's; " + REFERENCE_DEFAULT_STEPS + " on the reference engine)")
    Integer steps;

    @Option(names = "--particles", defaultValue = "2000", description = "particles to sample (default: ${DEFAULT-VALUE})")
    int particles;

    @Option(names = "--seed", defaultValue = "42", description = "seed of data, training and sampling (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        if (steps != null && steps <= 0) {
            throw new IllegalArgumentException("--steps: must be > 0, got " + steps);
        }
        if (particles <= 0) {
            throw new IllegalArgumentException("--particles: must be > 0, got " + particles);
        }
        Preset preset = Presets.byName("ddpm-ring");
        Preset.Net net = preset.networks().get(0);
        Path target = out != null ? out : Path.of("runs", "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try (Engine engine = Engines.create(engineName); RunFolder run = RunFolder.create(target, overwrite)) {
            int trainSteps = steps != null ? steps : engine.name().equals("reference") ? REFERENCE_DEFAULT_STEPS : preset.trainingSteps();
            log.printf("demo: preset %s (document %s) on the %s engine, %d training steps, %d particles%n",
                    preset.name(), preset.document(), engine.name(), trainSteps, particles);
            Dataset dataset = Datasets.byName(preset.dataset());
            Points data = dataset.sample(preset.dataSize(), seed);
            TrainingSetup setup = new TrainingSetup(net.spec(), preset.process(), net.objective(), preset.optimizer(), data,
                    preset.batchSize(), seed);

            long t0 = System.nanoTime();
            StringBuilder lossCsv = new StringBuilder("step,loss\n");
            float[] params;
            double lastLoss = Double.NaN;
            try (Trainer trainer = engine.trainer(setup, NetworkInit.initialize(net.spec(), seed))) {
                int every = Math.max(1, trainSteps / 10);
                double window = 0;
                for (int k = 1; k <= trainSteps; k++) {
                    double loss = trainer.step();
                    lossCsv.append(k).append(',').append(loss).append('\n');
                    window += loss;
                    if (k % every == 0 || k == trainSteps) {
                        int count = k % every == 0 ? every : k % every;
                        lastLoss = window / count;
                        log.printf("train %3d%%  step %d/%d  mean loss %.4f%n", 100L * k / trainSteps, k, trainSteps, lastLoss);
                        log.flush();
                        window = 0;
                    }
                }
                params = trainer.parameters();
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            ScoreSource source = new ScoreSource.Network(net.spec(), params, net.objective().parameterization(), Condition.NONE);
            Samples samples = engine.sample(new SamplingSetup(preset.process(), preset.sampler(), source, particles,
                    preset.samplingSteps(), seed + 1, preset.samplingSteps()));
            double sampleSeconds = (System.nanoTime() - t1) / 1e9;
            log.printf("sample: %d particles x %d steps of %s in %.1f s%n", particles, preset.samplingSteps(), preset.sampler().name(), sampleSeconds);

            Points generated = Points.of(samples.xy());
            Points fresh = dataset.sample(particles, seed + 2);
            Points fresh2 = dataset.sample(particles, seed + 3);
            SlicedWasserstein sw = SlicedWasserstein.standard();
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("preset", preset.name());
            metrics.put("engine", engine.name());
            metrics.put("training_steps", trainSteps);
            metrics.put("final_loss", lastLoss);
            metrics.put("particles", particles);
            metrics.put("sampler", preset.sampler().name());
            metrics.put("sampling_steps", preset.samplingSteps());
            metrics.put("sliced_wasserstein", sw.distance(generated, fresh));
            metrics.put("sliced_wasserstein_data_to_data", sw.distance(fresh2, fresh));
            metrics.put("kl_prior_draw_to_standard_normal", KozachenkoLeonenko.klToStandardNormal(Points.of(samples.frames().get(0))));
            metrics.put("train_seconds", trainSeconds);
            metrics.put("sample_seconds", sampleSeconds);

            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            new Checkpoint(net.spec(), params, Map.of("preset", preset.name(), "objective", net.objective().name(),
                    "process", preset.process().name(), "training_steps", Integer.toString(trainSteps))).write(run.file("checkpoint.safetensors"));
            PointsNpy.write(run.file("samples.npy"), generated, PointsNpy.Dtype.FLOAT32);
            PointsCsv.write(run.file("samples.csv"), generated);
            Files.writeString(run.file("loss.csv"), lossCsv, StandardCharsets.UTF_8);
            Files.writeString(run.file("metrics.json"), json.writeValueAsString(metrics), StandardCharsets.UTF_8);
            Files.writeString(run.file("config.json"), json.writeValueAsString(resolvedConfig(preset, engine.name(), trainSteps)), StandardCharsets.UTF_8);
            run.commit();

            log.printf("run folder: %s%n", run.target());
            log.printf("sliced Wasserstein to fresh data: %.4f (data to data: %.4f)%n",
                    (double) metrics.get("sliced_wasserstein"), (double) metrics.get("sliced_wasserstein_data_to_data"));
            log.flush();
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private Map<String, Object> resolvedConfig(Preset preset, String engine, int trainSteps) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("preset", preset.name());
        c.put("engine", engine);
        c.put("seed", seed);
        c.put("steps", trainSteps);
        c.put("particles", particles);
        return c;
    }
}
