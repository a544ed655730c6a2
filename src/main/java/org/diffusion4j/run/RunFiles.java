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
import org.diffusion4j.data.Outputs;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Checkpoint;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.NetworkSpecJson;
import org.diffusion4j.model.TimeEmbedding;
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
    /** Checkpoint metadata key of which weights a checkpoint holds: raw or ema. */
    public static final String WEIGHTS_KEY = "weights";
    /** Checkpoint metadata key of the other network's checkpoint file (two-network models), beside it, of the same weights. */
    public static final String PARTNER_KEY = "partner";

    /** Which weights a model is loaded with. */
    public enum Weights {
        /** The optimizer's weights. */
        RAW,
        /** The EMA of the weights (training.ema_decay); refused when the run has none. */
        EMA,
        /** The EMA where the run has one, else the raw weights. */
        AUTO
    }

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
        return checkpointConfig(checkpoint, Checkpoint.read(checkpoint));
    }

    static RunConfig checkpointConfig(Path checkpoint, Checkpoint ckpt) {
        String toml = ckpt.metadata().get(CONFIG_KEY);
        if (toml == null) {
            throw new IllegalArgumentException("--checkpoint: " + checkpoint + " carries no config in its metadata; sample with --run");
        }
        try {
            return ConfigToml.parse(toml);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--checkpoint: " + checkpoint + ": the config stored in its metadata is not valid: " + e.getMessage(), e);
        }
    }

    /** The parameters of every network of the config (EMA weights where the run has them), each from its checkpoint in dir. */
    public static List<float[]> loadParameters(RunConfig c, Path dir) {
        return loadParameters(c, dir, Weights.AUTO);
    }

    /** The checkpoint file of the EMA weights beside a network's checkpoint: {@code model.safetensors -> model.ema.safetensors}. */
    public static String emaName(String checkpointName) {
        return checkpointName.replaceFirst("\\.safetensors$", "") + ".ema.safetensors";
    }

    /** Whether dir holds the EMA checkpoints of every network of the config. */
    public static boolean hasEma(RunConfig c, Path dir) {
        return c.networks().stream().allMatch(n -> Files.isRegularFile(dir.resolve(emaName(c.checkpointName(n)))));
    }

    /**
     * The parameters of every network of the config, each from its checkpoint in dir (or its EMA checkpoint), refused if
     * its network differs from the config's.
     */
    public static List<float[]> loadParameters(RunConfig c, Path dir, Weights weights) {
        boolean ema = switch (weights) {
            case RAW -> false;
            case EMA -> {
                if (!hasEma(c, dir)) {
                    throw new IllegalArgumentException("--weights: ema, but " + dir + " has no EMA weights (" + emaName(c.checkpointName(c.networks().get(0)))
                            + "); train with [training] ema_decay");
                }
                yield true;
            }
            case AUTO -> hasEma(c, dir);
        };
        List<float[]> params = new ArrayList<>();
        for (int i = 0; i < c.networks().size(); i++) {
            Preset.Net net = c.networks().get(i);
            Path file = dir.resolve(ema ? emaName(c.checkpointName(net)) : c.checkpointName(net));
            params.add(checked(c, i, file, Checkpoint.read(file)));
        }
        return params;
    }

    /**
     * The parameters of every network of a checkpoint's config: the named checkpoint's own weights for its network
     * (whatever the file is called, raw or EMA as it holds; {@code weights} RAW or EMA must agree with it), and for a
     * two-network model the partner's, from the file its metadata names ({@link #PARTNER_KEY}) beside it.
     */
    public static List<float[]> checkpointParameters(RunConfig c, Path checkpoint, Checkpoint ckpt, Weights weights) {
        String holds = ckpt.metadata().getOrDefault(WEIGHTS_KEY, "raw");
        if (weights == Weights.RAW && holds.equals("ema") || weights == Weights.EMA && !holds.equals("ema")) {
            throw new IllegalArgumentException("--weights: " + weights.name().toLowerCase(java.util.Locale.ROOT) + ", but --checkpoint " + checkpoint
                    + " holds the " + holds + " weights; name the checkpoint of the weights to sample (" + (holds.equals("ema") ? "without" : "with")
                    + " .ema before .safetensors)");
        }
        String role = ckpt.metadata().get(ROLE_KEY);
        boolean single = c.networks().size() == 1;
        if (!single && c.networks().stream().noneMatch(n -> n.role().equals(role))) {
            throw new IllegalArgumentException("--checkpoint: " + checkpoint + ": its role " + (role == null ? "is missing" : "'" + role + "'")
                    + "; the config's networks are " + c.networks().stream().map(Preset.Net::role).toList());
        }
        Path dir = checkpoint.toAbsolutePath().getParent();
        List<float[]> params = new ArrayList<>();
        for (int i = 0; i < c.networks().size(); i++) {
            Preset.Net net = c.networks().get(i);
            if (single || net.role().equals(role)) {
                params.add(checked(c, i, checkpoint, ckpt));
                continue;
            }
            String partner = ckpt.metadata().getOrDefault(PARTNER_KEY, holds.equals("ema") ? emaName(c.checkpointName(net)) : c.checkpointName(net));
            Path name = Path.of(partner).getFileName();
            if (name == null || !name.toString().equals(partner) || partner.equals("..")) {
                throw new IllegalArgumentException("--checkpoint: " + checkpoint + ": its partner '" + partner + "' is not a file name beside it");
            }
            Path file = dir.resolve(partner);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--checkpoint: " + checkpoint + " names its partner, the " + net.role() + " network, as " + partner
                        + ", which is not beside it (" + file + ")");
            }
            params.add(checked(c, i, file, Checkpoint.read(file)));
        }
        return params;
    }

    /** A checkpoint's parameters as network i of the config, refused in one line if its network or role differs. */
    private static float[] checked(RunConfig c, int i, Path file, Checkpoint ckpt) {
        Preset.Net net = c.networks().get(i);
        if (!ckpt.spec().sameModel(net.spec())) {
            throw new IllegalArgumentException("checkpoint " + file + ": its network does not match the config's network[" + i + "] ("
                    + net.role() + "): " + NetworkSpecJson.toJson(ckpt.spec()) + " vs " + NetworkSpecJson.toJson(net.spec()));
        }
        String role = ckpt.metadata().get(ROLE_KEY);
        if (role != null && !role.equals(net.role())) {
            throw new IllegalArgumentException("checkpoint " + file + ": holds the '" + role + "' network, the config expects '" + net.role() + "'");
        }
        return ckpt.parameters();
    }

    /** The folder of a run's training states while it trains: {@code <target>.resume} beside the run folder. */
    public static Path stateFolder(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".resume");
    }

    /** Checkpoint metadata key of the layout facts a PyTorch user needs ({@link #layoutFacts}). */
    public static final String LAYOUT_KEY = "layout";

    /**
     * What the tensor names of a network do not say, for loading it elsewhere (bench/peer/load_checkpoint.py loads it
     * into the PyTorch module of bench/peer/pytorch_presets.py): the input order, the time features, the body's
     * structure and the head.
     */
    public static String layoutFacts(NetworkSpec spec) {
        List<String> f = new ArrayList<>();
        boolean plain = spec.body() instanceof Body.Plain;
        f.add("inputs: x, y" + (plain && !(spec.time() instanceof TimeEmbedding.None) ? ", the time features" : "")
                + (spec.conditioning() instanceof Conditioning.OneHot ? ", the one-hot label"
                : spec.conditioning() instanceof Conditioning.Continuous ? ", cond_mlp(value) (cond_mlp.0, act, cond_mlp.1)" : "")
                + ", concatenated in this order");
        if (spec.time() instanceof TimeEmbedding.Table t) {
            f.add("time: the learned table time.table [" + t.steps() + ", " + t.dim() + "] indexed by the integer step (an nn.Embedding"
                    + " would name it weight)");
        } else if (spec.time() instanceof TimeEmbedding.Sinusoidal s) {
            f.add("time: " + s.dim() + " sinusoidal features interleaved sin(t f_0), cos(t f_0), sin(t f_1), cos(t f_1), ...,"
                    + " f_i = 10000^(-2 i / " + s.dim() + ")");
        } else if (spec.time() instanceof TimeEmbedding.Raw r) {
            f.add("time: one feature, " + r.scale() + " t");
        }
        if (spec.conditioning() instanceof Conditioning.LabelEmbedding) {
            f.add("label: the row label.table[label] added " + (plain ? "to the first linear layer's output, before the activation"
                    : "to the input projection"));
        }
        if (plain) {
            f.add("body: layers.0 .. layers.n Linear with " + spec.activation().configName() + " between; the last is the head (2 outputs)");
        } else {
            f.add("body: h = input(features); h += time_mlp(time) (time_mlp.0, act, time_mlp.1); blocks pre-norm residual:"
                    + " h = h + blocks.i.1(act(blocks.i.0(blocks.i.norm(h)))) (LayerNorm eps 1e-5); head: output.1(act(output.0(output.norm(h))))"
                    + " to 2 outputs; act = " + spec.activation().configName());
        }
        f.add("null condition (classifier-free guidance): label -1 (zero one-hot, no table row), value NaN (zero cond_mlp output)");
        return String.join("; ", f);
    }

    /** A network's checkpoint with the resolved config in its metadata, so that it can be sampled on its own. */
    public static Checkpoint checkpoint(RunConfig c, Preset.Net net, float[] params) {
        return checkpoint(c, net, params, "raw");
    }

    /** As {@link #checkpoint(RunConfig, Preset.Net, float[])}, saying which weights it holds ("raw" or "ema"). */
    public static Checkpoint checkpoint(RunConfig c, Preset.Net net, float[] params, String weights) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(CONFIG_KEY, ConfigToml.write(c));
        meta.put(ROLE_KEY, net.role());
        for (Preset.Net other : c.networks()) {
            if (other != net) {
                meta.put(PARTNER_KEY, weights.equals("ema") ? emaName(c.checkpointName(other)) : c.checkpointName(other));
            }
        }
        meta.put("objective", net.objective().name());
        meta.put("process", c.process().name());
        meta.put("training_steps", Integer.toString(c.training().steps()));
        meta.put(WEIGHTS_KEY, weights);
        meta.put("output", net.objective().parameterization().name().toLowerCase(java.util.Locale.ROOT));
        meta.put(LAYOUT_KEY, layoutFacts(net.spec()));
        return new Checkpoint(net.spec(), params, meta);
    }

    /** Writes the run's files (all but {@link RunFigures}') into a (staging) folder. */
    public static void writeRun(RunFolder run, Training.Result trained, Samples samples, Map<String, Object> metrics) {
        writeRun(run, trained, samples, metrics, true);
    }

    /** As {@link #writeRun(RunFolder, Training.Result, Samples, Map)}, without samples.png and loss.png unless {@code figures}. */
    public static void writeRun(RunFolder run, Training.Result trained, Samples samples, Map<String, Object> metrics, boolean figures) {
        RunConfig c = trained.config();
        try {
            Files.writeString(run.file(CONFIG_FILE), ConfigToml.write(c), StandardCharsets.UTF_8);
            for (int i = 0; i < c.networks().size(); i++) {
                Preset.Net n = c.networks().get(i);
                checkpoint(c, n, trained.parameters().get(i)).write(run.file(c.checkpointName(n)));
                if (trained.hasEma()) {
                    checkpoint(c, n, trained.ema().get(i), "ema").write(run.file(emaName(c.checkpointName(n))));
                }
            }
            Points generated = Points.of(samples.xy());
            PointsNpy.write(run.file("samples.npy"), generated, PointsNpy.Dtype.FLOAT64);
            // the CSV carries each sample's label or value beside x, y (conditional models)
            PointsCsv.write(run.file("samples.csv"), Sampling.withConditions(samples.xy(),
                    Sampling.conditions(c, c.sampling().particles(), c.sampling().seed())));
            writeLoss(run.file("loss.csv"), trained.losses());
            Files.writeString(run.file("metrics.json"), JSON.writeValueAsString(metrics), StandardCharsets.UTF_8);
            if (!figures) {
                return;
            }
            Points data = Sampling.fresh(c.data().dataset(), Math.min(samples.size(), Plots.MAX_SCATTER),
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

    /**
     * Checks the target of a samples file ({@code option} names it): it must end in .npy or .csv; when it exists,
     * {@code overwrite} must be given and it must read as points (a samples file), as nothing else may be replaced.
     * Returns its {@link Outputs#identity} (null when absent), for {@link #writeSamples}.
     */
    public static String checkSamplesTarget(String option, Path target, boolean overwrite) {
        String name = target.getFileName() == null ? "" : target.getFileName().toString();
        if (!name.endsWith(".npy") && !name.endsWith(".csv")) {
            throw new IllegalArgumentException(option + ": must end in .npy or .csv, got '" + target + "'");
        }
        if (!Files.exists(target)) {
            return null;
        }
        if (!overwrite) {
            throw new IllegalArgumentException(option + ": " + target + " already exists; choose another file or pass --overwrite");
        }
        try {
            if (name.endsWith(".npy")) {
                PointsNpy.read(target);
            } else {
                PointsCsv.read(target);
            }
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException(option + ": " + target + " is not a samples file (" + e.getMessage().lines().findFirst().orElse("")
                    + "); --overwrite replaces only points files, choose another file");
        }
        return Outputs.identity(target);
    }

    /**
     * Writes samples to a .npy (float64) or .csv file in one piece, replacing the file only if it is still the one
     * {@code expected} ({@link #checkSamplesTarget}); a run that lost the file to another says so ({@link Outputs.LostRace}).
     */
    public static void writeSamples(String option, Path target, Points points, String expected) {
        try {
            AtomicFiles.placeOutput(target, expected, option, temp -> {
                if (target.getFileName().toString().endsWith(".npy")) {
                    PointsNpy.write(temp, points, PointsNpy.Dtype.FLOAT64);
                } else {
                    PointsCsv.write(temp, points);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(option + ": cannot write " + target + ": " + e.getMessage(), e);
        }
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
