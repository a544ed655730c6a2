package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.Presets;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.diffusion4j.model.Checkpoint;
import org.diffusion4j.plot.Plots;
import org.diffusion4j.run.Sampling;
import org.diffusion4j.testing.TinyConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** train, sample, forward and eval end to end on tiny configs with the reference engine, and their refusals. */
class CommandsTest {

    /** DDPM on the ring, T = 20, a 16-wide network: a few seconds on the reference engine. */
    static final String TINY = TinyConfigs.ddpmRing("tiny", "reference", 30, "ddpm-posterior", 200);

    /** Document 002's pair of networks in miniature, conditioned on nothing. */
    static final String TINY_FLOW = """
            name = "tiny-flow"
            engine = "reference"
            [data]
            name = "gmm11"
            size = 300
            [process]
            kind = "gaussian-path"
            steps = 10
            [[network]]
            role = "flow"
            objective = "flow-matching"
            activation = "silu"
            time = { kind = "raw", scale = 1.0 }
            body = { kind = "plain", hidden = [8] }
            [[network]]
            role = "score"
            objective = "score-matching"
            activation = "silu"
            time = { kind = "raw", scale = 1.0 }
            body = { kind = "plain", hidden = [8] }
            [optimizer]
            kind = "adam"
            lr = 1e-3
            [training]
            batch_size = 16
            steps = 5
            [sampling]
            sampler = "langevin-flow"
            steps = 10
            particles = 60
            """;

    record Result(int code, String out, String err) {
    }

    static Result run(Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] a = Stream.of(args).map(String::valueOf).toArray(String[]::new);
        int code = Main.run(a, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * Exit code 0 and no error on stderr, which holds only progress lines and warnings: stdout holds the results and
     * never a progress line.
     */
    static Result ok(Object... args) {
        Result r = run(args);
        assertEquals(0, r.code(), r.err());
        for (String line : r.err().lines().toList()) {
            assertTrue(PROGRESS.matcher(line).matches() || line.startsWith("warning: "), "not progress or a warning on stderr: " + line);
        }
        assertTrue(r.out().lines().noneMatch(l -> PROGRESS.matcher(l).matches()), "progress on stdout: " + r.out());
        return r;
    }

    /** A plain progress line: {@code task NN%  done/total unit[, note]} (tasks name samplers such as dpm-solver++). */
    static final java.util.regex.Pattern PROGRESS = java.util.regex.Pattern.compile("[a-z][\\w +-]* +\\d{1,3}%  \\d+/\\d+ [a-z-]+(, .*)?");

    /** Exit code 2 and exactly one line on stderr, starting "diffusion4j: ", containing every expected part. */
    static Result refused(List<String> expected, Object... args) {
        Result r = run(args);
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        assertOneLine(r.err());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "expected '" + e + "' in: " + r.err());
        }
        return r;
    }

    static void assertOneLine(String err) {
        assertTrue(err.startsWith("diffusion4j: "), err);
        assertEquals(1, err.strip().lines().count(), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
    }

    static Path write(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    /** A PNG of the plot size with more than a few colours and at least 1% non-white pixels. */
    static void assertPlot(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(Plots.WIDTH, img.getWidth(), png.toString());
        assertEquals(Plots.HEIGHT, img.getHeight(), png.toString());
        Set<Integer> colours = new HashSet<>();
        long inked = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                inked += rgb == 0xFFFFFF ? 0 : 1;
            }
        }
        assertTrue(colours.size() > 10, png + ": " + colours.size() + " colours");
        assertTrue(inked > img.getWidth() * img.getHeight() / 100, png + ": " + inked + " non-white pixels");
    }

    @Test
    void trainSampleForwardEvalEndToEnd(@TempDir Path dir) throws IOException {
        Path config = write(dir, "tiny.toml", TINY);
        Path run = dir.resolve("run");
        Result train = ok("train", "--config", config, "--out", run);
        assertTrue(train.err().contains("train eps 100%  30/30 steps, loss "), train.err());
        assertTrue(train.err().lines().anyMatch(l -> l.startsWith("post-process 100%")), train.err());
        assertTrue(train.out().contains("run folder: " + run.toAbsolutePath()), train.out());
        try (Stream<Path> files = Files.list(run)) {
            assertEquals(Set.of(".diffusion4j", "config.toml", "model.safetensors", "samples.npy", "samples.csv", "loss.csv", "metrics.json",
                    "samples.png", "loss.png", "histograms.png", "score-field-t19.png", "score-field-t9.png", "score-field-t0.png",
                    "forward-kl.csv", "forward-kl.png", "forward.gif", "reverse.gif"),
                    files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
        RunConfig resolved = ConfigToml.read(run.resolve("config.toml"));
        assertEquals(ConfigToml.parse(TINY), resolved);
        Checkpoint ckpt = Checkpoint.read(run.resolve("model.safetensors"));
        ckpt.requireSpec(resolved.networks().get(0).spec());
        assertEquals(resolved, ConfigToml.parse(ckpt.metadata().get("config")));
        Points samples = PointsNpy.read(run.resolve("samples.npy"));
        assertEquals(200, samples.size());
        assertArrayEquals(samples.xy(), PointsCsv.read(run.resolve("samples.csv")).xy(), 1e-12);
        List<String> loss = Files.readAllLines(run.resolve("loss.csv"));
        assertEquals("step,loss_eps", loss.get(0));
        assertEquals(31, loss.size());
        JsonNode metrics = new ObjectMapper().readTree(run.resolve("metrics.json").toFile());
        for (String key : List.of("sliced_wasserstein", "sliced_wasserstein_data_to_data", "mmd", "mmd_data_to_data", "mmd_bandwidth",
                "kl_prior_draw_to_standard_normal", "train_seconds", "sample_seconds", "final_loss_eps")) {
            assertTrue(metrics.get(key).isNumber() && Double.isFinite(metrics.get(key).asDouble()), key + " in " + metrics);
        }
        assertEquals("reference", metrics.get("engine").asText());
        assertEquals(200, metrics.get("metric_points").asInt());
        assertTrue(metrics.get("sliced_wasserstein").asDouble() > 0);
        assertPlot(run.resolve("samples.png"));
        assertPlot(run.resolve("loss.png"));

        // eval of the run folder reproduces the run's metrics (same samples, same fresh data)
        JsonNode eval = new ObjectMapper().readTree(ok("eval", "--run", run, "--json").out());
        assertEquals(metrics.get("sliced_wasserstein").asDouble(), eval.get("sliced_wasserstein").asDouble(), 0.0);
        assertEquals(metrics.get("mmd").asDouble(), eval.get("mmd").asDouble(), 0.0);
        assertTrue(eval.has("kl_to_standard_normal"));
        Result text = ok("eval", run.resolve("samples.csv"), "--dataset", "ring");
        assertTrue(text.out().contains("sliced Wasserstein") && text.out().contains("MMD^2") && text.out().contains("KL to N(0, I)"), text.out());

        // sampling from the folder and from the checkpoint gives the same points; the sampler can be changed
        Path fromRun = dir.resolve("a.npy");
        Path fromCkpt = dir.resolve("b.npy");
        ok("sample", "--run", run, "--particles", 50, "--seed", 9, "--out", fromRun);
        ok("sample", "--checkpoint", run.resolve("model.safetensors"), "--particles", 50, "--seed", 9, "--out", fromCkpt);
        assertArrayEquals(Files.readAllBytes(fromRun), Files.readAllBytes(fromCkpt));
        assertEquals(50, PointsNpy.read(fromRun).size());
        Path csv = dir.resolve("c.csv");
        ok("sample", "--run", run, "--sampler", "pf-heun", "--particles", 30, "--engine", "reference", "--out", csv);
        assertEquals(30, PointsCsv.read(csv).size());
        refused(List.of("--out:", "already exists", "--overwrite"), "sample", "--run", run, "--particles", 5, "--out", csv);
        assertEquals(30, PointsCsv.read(csv).size());
        refused(List.of("--out: must end in .npy or .csv"), "sample", "--run", run, "--out", dir.resolve("x.txt"));
        refused(List.of("sampling.steps: ddpm-posterior samples the ddpm process in exactly process.steps = 20 steps, got 5"), "sample", "--run", run, "--steps", 5,
                "--out", dir.resolve("d.npy"));
        // the few-step samplers on the same ddpm model: any count up to T, a spacing, eta, the prior
        Path ddim = dir.resolve("ddim.npy");
        Result fewSteps = ok("sample", "--run", run, "--sampler", "ddim", "--steps", 5, "--eta", 0.5, "--spacing", "quadratic", "--particles", 40,
                "--out", ddim);
        assertTrue(fewSteps.out().contains("5 steps of ddim"), fewSteps.out());
        assertEquals(40, PointsNpy.read(ddim).size());
        Path dpm = dir.resolve("dpm.npy");
        Result matched = ok("sample", "--run", run, "--sampler", "dpm-solver++", "--steps", 4, "--prior", "moment-matched", "--particles", 40, "--out", dpm);
        assertTrue(matched.out().contains("moment-matched prior"), matched.out());
        assertEquals(40, PointsNpy.read(dpm).size());
        refused(List.of("--eta: must be a number in [0, 1], got 1.5"), "sample", "--run", run, "--sampler", "ddim", "--eta", 1.5, "--out", dir.resolve("e.npy"));
        refused(List.of("--eta: applies to the ddim sampler, not ddpm-posterior"), "sample", "--run", run, "--eta", 0.5, "--out", dir.resolve("e.npy"));
        refused(List.of("sampling.steps: the ddpm process is sampled in at most process.steps = 20 steps, got 21"), "sample", "--run", run,
                "--sampler", "dpm-solver++", "--steps", 21, "--out", dir.resolve("e.npy"));
        refused(List.of("sampling.spacing: unknown spacing 'leading', allowed: uniform, trailing, quadratic"), "sample", "--run", run,
                "--sampler", "ddim", "--spacing", "leading", "--out", dir.resolve("e.npy"));
        refused(List.of("sampling.prior: unknown prior 'data', allowed: standard, stationary, moment-matched"), "sample", "--run", run,
                "--prior", "data", "--out", dir.resolve("e.npy"));

        // forward: the chain of the data, every one of its 20 steps recorded (fewer than FRAMES)
        Path fwd = dir.resolve("fwd");
        Result forward = ok("forward", "--config", config, "--out", fwd);
        assertTrue(forward.out().contains("forward folder: " + fwd.toAbsolutePath()), forward.out());
        List<String> rows = Files.readAllLines(fwd.resolve("forward.csv"));
        assertEquals("frame,time,mean_x,mean_y,std_x,std_y,kl_to_standard_normal,kl_to_prior", rows.get(0));
        assertEquals(22, rows.size());
        for (int f = 0; f <= 20; f++) {
            assertEquals(400, PointsNpy.read(fwd.resolve(String.format("frame-%03d.npy", f))).size());
        }
        assertEquals(-1.0, Double.parseDouble(rows.get(1).split(",")[1]), 0.0, "DDPM's data state is step -1");
        assertEquals(rows.get(21).split(",")[6], rows.get(21).split(",")[7], "the DDPM prior is N(0, I)");
        double klData = Double.parseDouble(rows.get(1).split(",")[6]);
        double klEnd = Double.parseDouble(rows.get(21).split(",")[6]);
        assertTrue(klEnd < klData, "noising brings the data towards N(0, I): " + klData + " -> " + klEnd);
        assertPlot(fwd.resolve("kl.png"));
        assertEquals(ConfigToml.parse(TINY), ConfigToml.read(fwd.resolve("config.toml")));
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"reference", "cpu"})
    void retrainingFromTheRunConfigIsBitIdenticalAndFlagsOverrideTheFile(String engine, @TempDir Path dir) throws IOException {
        Path config = write(dir, "tiny.toml", TINY);
        Path first = dir.resolve("first");
        ok("train", "--config", config, "--steps", 12, "--seed", 5, "--batch-size", 8, "--particles", 40, "--engine", engine, "--out", first);
        RunConfig c = ConfigToml.read(first.resolve("config.toml"));
        assertEquals(12, c.training().steps());
        assertEquals(8, c.training().batchSize());
        assertEquals(5, c.training().seed());
        assertEquals(5, c.data().seed());
        assertEquals(6, c.sampling().seed());
        assertEquals(40, c.sampling().particles());
        assertEquals(engine, c.engine());

        Path second = dir.resolve("second");
        ok("train", "--config", first.resolve("config.toml"), "--out", second);
        for (String f : List.of("samples.npy", "model.safetensors", "loss.csv", "config.toml")) {
            assertArrayEquals(Files.readAllBytes(first.resolve(f)), Files.readAllBytes(second.resolve(f)), f);
        }
        Path other = dir.resolve("other");
        ok("train", "--config", first.resolve("config.toml"), "--seed", 6, "--out", other);
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(first.resolve("samples.npy")), Files.readAllBytes(other.resolve("samples.npy"))),
                "another seed gives other samples");
    }

    @Test
    void aTwoNetworkModelWritesOneCheckpointPerRoleAndSamplesFromEither(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("flow");
        ok("train", "--config", write(dir, "flow.toml", TINY_FLOW), "--out", run);
        assertTrue(Files.exists(run.resolve("flow.safetensors")) && Files.exists(run.resolve("score.safetensors")));
        assertFalse(Files.exists(run.resolve("model.safetensors")));
        assertEquals("step,loss_flow,loss_score", Files.readAllLines(run.resolve("loss.csv")).get(0));
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        ok("sample", "--checkpoint", run.resolve("score.safetensors"), "--sampler", "pf-euler", "--out", a);
        ok("sample", "--checkpoint", run.resolve("flow.safetensors"), "--sampler", "pf-euler", "--out", b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        Files.delete(run.resolve("score.safetensors"));
        refused(List.of("names its partner, the score network, as score.safetensors", "not beside it"), "sample", "--checkpoint",
                run.resolve("flow.safetensors"),
                "--out", dir.resolve("c.npy"));
    }

    @Test
    void aConditionalModelSamplesWithConditionsFromTheData(@TempDir Path dir) throws IOException {
        String onehot = TINY.replace("body = { kind = \"plain\", hidden = [16, 16] }",
                "body = { kind = \"plain\", hidden = [16, 16] }\nconditioning = { kind = \"onehot\", classes = 8 }");
        Path run = dir.resolve("onehot");
        ok("train", "--config", write(dir, "onehot.toml", onehot), "--steps", 3, "--out", run);
        assertEquals(200, PointsNpy.read(run.resolve("samples.npy")).size());
        // shapes draws n points of each shape: conditions and fresh data are thinned to exactly n, both shapes kept
        String shapes = TINY.replace("name = \"ring\"", "name = \"shapes\"").replace("body = { kind = \"plain\", hidden = [16, 16] }",
                "body = { kind = \"plain\", hidden = [16, 16] }\nconditioning = { kind = \"label\", classes = 2 }");
        Path labelled = dir.resolve("shapes");
        ok("train", "--config", write(dir, "shapes.toml", shapes), "--steps", 3, "--particles", 31, "--out", labelled);
        assertEquals(31, PointsNpy.read(labelled.resolve("samples.npy")).size());
        Points fresh = Sampling.fresh(org.diffusion4j.data.Datasets.byName("shapes"), 31, 1);
        assertEquals(31, fresh.size());
        assertEquals(Set.of(0, 1), java.util.Arrays.stream(fresh.labels()).boxed().collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void anExistingFolderIsRefusedUnlessOverwriteAndNothingIsTouched(@TempDir Path dir) throws IOException {
        Path config = write(dir, "tiny.toml", TINY);
        Path target = dir.resolve("taken");
        Files.createDirectories(target);
        Path keep = write(target, "keep.txt", "mine");
        for (String cmd : List.of("train", "forward")) {
            refused(List.of("--out: ", "already exists", "--overwrite"), cmd, "--config", config, "--out", target);
        }
        assertEquals("mine", Files.readString(keep));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(Set.of(config, target), left.collect(java.util.stream.Collectors.toSet()), "no staging folder is left behind");
        }
        try (Stream<Path> inside = Files.list(target)) {
            assertEquals(List.of(keep), inside.toList());
        }
        // --overwrite replaces only a folder the program wrote: the user's folder is refused and left as it is
        refused(List.of("--out: ", "not a folder that diffusion4j wrote"), "train", "--config", config, "--steps", 2, "--particles", 10, "--out",
                target, "--overwrite");
        assertEquals("mine", Files.readString(keep));
        Path run = dir.resolve("run");
        ok("train", "--config", config, "--steps", 2, "--particles", 10, "--out", run);
        ok("train", "--config", config, "--steps", 2, "--particles", 12, "--out", run, "--overwrite");
        assertEquals(12, PointsNpy.read(run.resolve("samples.npy")).size());
    }

    @Test
    void aCheckpointWhoseNetworkDiffersFromTheConfigIsRefused(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY), "--steps", 2, "--particles", 10, "--out", run);
        Path cfg = run.resolve("config.toml");
        String original = Files.readString(cfg);
        Files.writeString(cfg, original.replace("hidden = [16, 16]", "hidden = [16, 8]"));
        refused(List.of("checkpoint ", "model.safetensors", "does not match the config's network[0] (eps)"), "sample", "--run", run,
                "--out", dir.resolve("x.npy"));
        Files.writeString(cfg, original);
        // a checkpoint of another model put in its place
        Path otherRun = dir.resolve("other");
        ok("train", "--config", write(dir, "wide.toml", TINY.replace("hidden = [16, 16]", "hidden = [24]")), "--steps", 2,
                "--particles", 10, "--out", otherRun);
        Files.copy(otherRun.resolve("model.safetensors"), run.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        refused(List.of("does not match the config's network[0]"), "sample", "--run", run, "--out", dir.resolve("y.npy"));
        assertFalse(Files.exists(dir.resolve("x.npy")) || Files.exists(dir.resolve("y.npy")));
    }

    @Test
    void cudaWithoutAGpuSaysWhyInOneLine(@TempDir Path dir) throws IOException {
        assumeFalse(CudaProbe.probe().available(), "a GPU is present");
        Path out = dir.resolve("run");
        Result r = refused(List.of("engine: cuda is unavailable: "), "train", "--config", write(dir, "tiny.toml", TINY), "--engine", "cuda",
                "--out", out);
        assertTrue(r.err().strip().length() > "diffusion4j: engine: cuda is unavailable: ".length() + 5, r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void anUnknownPresetListsTheValidOnes() {
        Result r = refused(List.of("preset: unknown preset 'ddpm-moons', allowed: " + String.join(", ", Presets.names())),
                "train", "--preset", "ddpm-moons");
        assertEquals(9, Presets.names().size());
        refused(List.of("preset: unknown preset"), "forward", "--preset", "nope");
        assertNotEquals("", r.err());
    }

    @Test
    void badInputNeverShowsAStackTrace(@TempDir Path dir) throws IOException {
        Path bad = write(dir, "bad.toml", "[data\nname = 1");
        Path unknown = write(dir, "unknown.toml", TINY.replace("seed = 3\n[process]", "seed = 3\ncolour = 1\n[process]"));
        Path junk = write(dir, "junk.safetensors", "not a checkpoint");
        List<Object[]> cases = List.of(
                new Object[] {"train"},
                new Object[] {"train", "--preset", "ddpm-ring", "--config", bad},
                new Object[] {"train", "--config", dir.resolve("missing.toml")},
                new Object[] {"train", "--config", bad},
                new Object[] {"train", "--config", unknown},
                new Object[] {"train", "--config", unknown, "--steps", "many"},
                new Object[] {"forward", "--config", unknown},
                new Object[] {"sample", "--run", dir.resolve("nowhere")},
                new Object[] {"sample", "--checkpoint", junk},
                new Object[] {"sample", "--checkpoint", dir.resolve("missing.safetensors")},
                new Object[] {"eval"},
                new Object[] {"eval", "--run", dir, "x.npy"},
                new Object[] {"eval", junk, "--dataset", "ring"},
                new Object[] {"eval", dir.resolve("none.npy"), "--dataset", "ring"},
                new Object[] {"eval", junk, "--dataset", "moons"},
                new Object[] {"demo", "--seed", "-1"});
        for (Object[] args : cases) {
            Result r = run(args);
            assertEquals(Main.BAD_INPUT, r.code(), java.util.Arrays.toString(args) + ": " + r.err());
            assertOneLine(r.err());
        }
        assertTrue(run("train", "--config", unknown).err().startsWith("diffusion4j: " + unknown + ": data.colour: unknown key, allowed here: name, size, seed"));
        assertTrue(run("sample", "--run", dir).err().startsWith("diffusion4j: --run: " + dir + " has no config.toml"));
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("train", "sample", "forward", "eval", "demo", "info")) {
            Result r = ok(cmd, "--help");
            assertTrue(r.out().startsWith("Usage: diffusion4j " + cmd), r.out());
        }
        String trainHelp = ok("train", "--help").out().replaceAll("\\s+", " ");
        for (String preset : Presets.names()) {
            assertTrue(trainHelp.contains(preset), preset + " in: " + trainHelp);
        }
        Result top = ok("--help");
        for (String cmd : List.of("train", "sample", "forward", "eval", "demo", "info")) {
            assertTrue(top.out().contains("  " + cmd), top.out());
        }
    }
}
