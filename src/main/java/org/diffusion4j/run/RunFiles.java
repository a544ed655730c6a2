package org.diffusion4j.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.AtomicFiles;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.model.Checkpoint;
import org.diffusion4j.model.NetworkSpecJson;
import org.diffusion4j.plot.Plots;

/**
 * The files of a run folder: config.toml, one checkpoint per network (with the resolved config and the network's role
 * in its metadata), samples.npy / .csv, loss.csv, metrics.json, samples.png and loss.png. The remaining figures are
 * {@link RunFigures}'.
 */
public final class RunFiles {

    public static final String CONFIG_FILE = "config.toml";
    /** Checkpoint metadata key of the resolved config (TOML). */
    public static final String CONFIG_KEY = "config";
    /** Checkpoint metadata key of the network's role. */
    public static final String ROLE_KEY = "role";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunFiles() {
    }

    /** The config.toml of a run folder, refused in one line naming {@code option} when the folder is not a run. */
    public static RunConfig readRunConfig(String option, Path dir) {
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

    /** The resolved config a checkpoint carries in its metadata, refused in one line when it carries none. */
    public static RunConfig checkpointConfig(Path checkpoint) {
        Checkpoint ckpt = Checkpoint.read(checkpoint);
        String toml = ckpt.metadata().get(CONFIG_KEY);
        if (toml == null) {
            throw new IllegalArgumentException("--checkpoint: " + checkpoint + " carries no config in its metadata; sample with --run");
        }
        return ConfigToml.parse(toml);
    }

    /** The parameters of every network of the config, each from its checkpoint in dir, refused if its network differs. */
    public static List<float[]> loadParameters(RunConfig c, Path dir) {
        List<float[]> params = new ArrayList<>();
        for (int i = 0; i < c.networks().size(); i++) {
            Preset.Net net = c.networks().get(i);
            Path file = dir.resolve(c.checkpointName(net));
            Checkpoint ckpt = Checkpoint.read(file);
            if (!ckpt.spec().equals(net.spec())) {
                throw new IllegalArgumentException("checkpoint " + file + ": its network does not match the config's network[" + i + "] ("
                        + net.role() + "): " + NetworkSpecJson.toJson(ckpt.spec()) + " vs "
                        + NetworkSpecJson.toJson(net.spec()));
            }
            String role = ckpt.metadata().get(ROLE_KEY);
            if (role != null && !role.equals(net.role())) {
                throw new IllegalArgumentException("checkpoint " + file + ": holds the '" + role + "' network, the config expects '" + net.role() + "'");
            }
            params.add(ckpt.parameters());
        }
        return params;
    }

    /** A network's checkpoint with the resolved config in its metadata, so that it can be sampled on its own. */
    public static Checkpoint checkpoint(RunConfig c, Preset.Net net, float[] params) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(CONFIG_KEY, ConfigToml.write(c));
        meta.put(ROLE_KEY, net.role());
        meta.put("objective", net.objective().name());
        meta.put("process", c.process().name());
        meta.put("training_steps", Integer.toString(c.training().steps()));
        return new Checkpoint(net.spec(), params, meta);
    }

    /** Writes the run's files (all but {@link RunFigures}') into a (staging) folder. */
    public static void writeRun(RunFolder run, Training.Result trained, Samples samples, Map<String, Object> metrics) {
        RunConfig c = trained.config();
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
            Points data = Sampling.fresh(Datasets.byName(c.data().name()), Math.min(samples.size(), Plots.MAX_SCATTER),
                    c.sampling().seed() + Evaluation.EVAL_SALT);
            Plots.scatter(run.file("samples.png"), c.name() + ": data vs samples (" + c.sampling().sampler().name() + ")",
                    data.xy(), samples.xy());
            Plots.lossCurve(run.file("loss.png"), trained.losses());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run: " + e.getMessage(), e);
        }
    }

    /** loss.csv: {@code step,loss_<role>...}, one row per optimizer step. */
    public static void writeLoss(Path file, Map<String, double[]> losses) throws IOException {
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

    /** A value as indented JSON (metrics maps, bench documents). */
    public static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
