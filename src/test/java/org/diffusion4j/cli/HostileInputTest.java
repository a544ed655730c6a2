package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.TINY;
import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.refused;
import static org.diffusion4j.cli.CommandsTest.run;
import static org.diffusion4j.cli.CommandsTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.model.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and huge sizes through the command line: each is refused with exit code 2 and one line on stderr naming the
 * field or file, or (a BOM, 19-digit integers) accepted; nothing is written. Items 6, 7, 9, 10 and 11 of the failure
 * corpus.
 */
class HostileInputTest {

    /** TINY with another hidden layer list. */
    static String tinyWithHidden(String hidden) {
        return TINY.replace("hidden = [16, 16]", "hidden = " + hidden);
    }

    /** The names in a folder, sorted: what a refusal must leave as it was. */
    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void parameterCountsPastAnIntAreRefusedNamingTheBody(@TempDir Path dir) throws IOException {
        // [46341, 46341] with TINY's 6 inputs (x, y and a table of dim 4): 6*46341 + 46341 + 46341^2 + 46341 + 2*46341 + 2
        // weights and biases, plus the 20 x 4 time table: 2147951773, just past 2^31 - 1 (the int count wrapped to -2146...)
        Path config = write(dir, "wide.toml", tinyWithHidden("[46341, 46341]"));
        List<String> before = listing(dir);
        refused(List.of("wide.toml", "network[0].body", "2147951773 parameters", "2147483639"), "train", "--config", config, "--out",
                dir.resolve("run"));
        assertEquals(before, listing(dir));
        // [65536, 65536]: 2^32 + ... wraps to a small int without checked arithmetic
        refused(List.of("network[0].body", "parameters, more than"), "train", "--config", write(dir, "w2.toml", tinyWithHidden("[65536, 65536]")),
                "--out", dir.resolve("run"));
    }

    @Test
    void aNetworkThatCannotFitTheHeapIsRefusedBeforeTraining(@TempDir Path dir) throws IOException {
        // 30000 x 30000: 9.0e8 parameters, inside the float buffer's limit; the reference engine keeps 56 bytes of each
        // (double parameters, gradient, two Adam moments, per-pass weights, and float copies): about 47 GiB, past any test JVM's heap
        Path config = write(dir, "big.toml", tinyWithHidden("[30000, 30000]"));
        List<String> before = listing(dir);
        long t0 = System.nanoTime();
        CommandsTest.Result r = refused(List.of("network[0].body", "heap", "on the reference engine", "-Xmx", "GiB"), "train", "--config", config,
                "--out", dir.resolve("run"));
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "refused before allocating: " + r.err());
        assertEquals(before, listing(dir), "no run folder and no staging folder");
    }

    @Test
    void aLatin1CsvIsRefusedNamingFileLineAndByte(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("latin1.csv");
        Files.write(csv, "x,y\n1.0,2.0\ncaf\u00e9,1\n".getBytes(StandardCharsets.ISO_8859_1));
        refused(List.of("latin1.csv", "not UTF-8", "0xE9", "line 3, column 4"), "eval", csv, "--dataset", "ring");
    }

    @Test
    void aConfigWithAByteOrderMarkIsRead(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("bom.toml");
        Files.write(config, ("\uFEFF" + TINY).getBytes(StandardCharsets.UTF_8));
        ok("train", "--config", config, "--steps", "2", "--out", dir.resolve("run"));
        assertTrue(Files.isRegularFile(dir.resolve("run/model.safetensors")));
    }

    @Test
    void aConfigNotInUtf8IsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("latin1.toml");
        Files.write(config, TINY.replace("name = \"tiny\"", "name = \"caf\u00e9\"").getBytes(StandardCharsets.ISO_8859_1));
        refused(List.of("--config", "latin1.toml", "not UTF-8", "0xE9", "line 1, column 12"), "train", "--config", config, "--out",
                dir.resolve("run"));
    }

    @Test
    void fieldTimesThatAreNotFiniteAreRefusedNamingTheOption(@TempDir Path dir) throws IOException {
        Path config = write(dir, "tiny.toml", TINY);
        for (String bad : new String[] {"NaN", "Infinity", "3,-Infinity"}) {
            refused(List.of("--field-times", "not a finite number", "allowed: step indices 0 to 19"), "train", "--config", config,
                    "--field-times", bad, "--out", dir.resolve("run"));
        }
    }

    @Test
    void nineteenDigitIntegersAreQuotedAndReadWhole(@TempDir Path dir) throws IOException {
        Path config = write(dir, "steps.toml", TINY.replace("steps = 30", "steps = 9223372036854775807"));
        refused(List.of("steps.toml", "training.steps", "got 9223372036854775807"), "train", "--config", config, "--out", dir.resolve("run"));
        // Jackson's TOML lexer reads 1000000000000000000 as 0; the seed must be the value written
        RunConfig c = ConfigToml.parse(TINY.replace("seed = 3\n[sampling]", "seed = 1000000000000000000\n[sampling]")
                .replace("seed = 4", "seed = 9223372036854775807"));
        assertEquals(1_000_000_000_000_000_000L, c.training().seed());
        assertEquals(Long.MAX_VALUE, c.sampling().seed());
        refused(List.of("training.steps", "must be an integer", "got -9223372036854775807"), "train", "--config",
                write(dir, "neg.toml", TINY.replace("steps = 30", "steps = -9223372036854775807")), "--out", dir.resolve("run"));
    }

    @Test
    void aCheckpointWithAGarbageConfigIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY), "--steps", "2", "--out", run);
        Checkpoint good = Checkpoint.read(run.resolve("model.safetensors"));
        Map<String, String> meta = new java.util.TreeMap<>(good.metadata());
        meta.put(org.diffusion4j.run.RunFiles.CONFIG_KEY, "[[[ not toml");
        Path bad = dir.resolve("garbage.safetensors");
        new Checkpoint(good.spec(), good.parameters(), meta).write(bad);
        refused(List.of("--checkpoint", "garbage.safetensors", "config stored in its metadata", "not valid TOML"), "sample", "--checkpoint", bad,
                "--out", dir.resolve("s.npy"));
        assertTrue(Files.notExists(dir.resolve("s.npy")));
    }

    @Test
    void nonFiniteWeightsAreRefusedWhenLoadedNamingFileAndTensor(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY), "--steps", "2", "--out", run);
        Checkpoint good = Checkpoint.read(run.resolve("model.safetensors"));
        float[] p = good.parameters();
        int at = good.layout().tensor("layers.1.weight").offset() + 16 + 3; // row 1, column 3 of a [16, 16] weight
        p[at] = Float.NaN;
        new Checkpoint(good.spec(), p, good.metadata()).write(run.resolve("model.safetensors"));
        byte[] samplesBefore = Files.readAllBytes(run.resolve("samples.npy"));
        refused(List.of("model.safetensors", "tensor 'layers.1.weight'", "NaN at [1, 3]", "finite"), "sample", "--run", run, "--out",
                dir.resolve("s.npy"));
        refused(List.of("model.safetensors", "layers.1.weight"), "sample", "--checkpoint", run.resolve("model.safetensors"), "--out",
                dir.resolve("s.npy"));
        assertTrue(Files.notExists(dir.resolve("s.npy")));
        assertArrayEquals(samplesBefore, Files.readAllBytes(run.resolve("samples.npy")));
    }

    @Test
    void aValueBeyondFloatRangeIsRefusedBeforeSampling(@TempDir Path dir) throws IOException {
        String radius = TINY.replace("name = \"ring\"", "name = \"ring-radius\"")
                .replace("time = { kind = \"table\", steps = 20, dim = 4 }", "time = { kind = \"table\", steps = 20, dim = 4 }\nconditioning = { kind = \"continuous\", dim = 4 }");
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "radius.toml", radius), "--steps", "2", "--out", run);
        refused(List.of("--value", "1.0E308", "float range"), "sample", "--run", run, "--value", "1e308", "--out", dir.resolve("s.npy"));
        refused(List.of("--value", "finite"), "sample", "--run", run, "--value", "NaN", "--out", dir.resolve("s.npy"));
        assertTrue(Files.notExists(dir.resolve("s.npy")));
    }

    @Test
    void evalOfPointsTooLargeToMeasureIsRefusedWithTheReason(@TempDir Path dir) throws IOException {
        StringBuilder b = new StringBuilder("x,y\n");
        for (int i = 0; i < 50; i++) {
            b.append(i == 7 ? "1e300" : "0.5").append(',').append(i).append('\n');
        }
        Path csv = write(dir, "huge.csv", b.toString());
        refused(List.of("huge.csv", "point 7", "1.0E300", "overflow"), "eval", csv, "--dataset", "ring");
        // at 1e99 every metric is finite: squared distances of 4e198 summed over 10^4 points stay far below 1.8e308
        Path large = write(dir, "large.csv", b.toString().replace("1e300", "1e99"));
        CommandsTest.Result r = ok("eval", large, "--dataset", "ring", "--json");
        assertTrue(!r.out().contains("Infinity") && !r.out().contains("NaN"), r.out());
    }

    @Test
    void metricsOfARunLeaveOutPointsTooLargeToMeasure() {
        double[] xy = new double[2 * 40];
        for (int i = 0; i < 40; i++) {
            xy[2 * i] = Math.cos(i) * 3;
            xy[2 * i + 1] = Math.sin(i) * 3;
        }
        xy[10] = 1e300;
        xy[21] = Double.NaN;
        Map<String, Object> m = org.diffusion4j.run.Evaluation.distances("ring", xy, 5);
        assertEquals(1, m.get("out_of_range_samples"));
        assertEquals(1, m.get("non_finite_samples"));
        assertEquals(38, m.get("metric_points"));
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (e.getValue() instanceof Double d) {
                assertTrue(Double.isFinite(d), e.getKey() + " = " + d);
            }
        }
    }

    @Test
    void autoWithoutAGpuFallsBackToCpuWithoutAWord(@TempDir Path dir) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.diffusion4j.engine.cuda.CudaProbe.probe().absent(), "a CUDA driver and GPU are present");
        Path config = write(dir, "auto.toml", TINY.replace("engine = \"reference\"", "engine = \"auto\""));
        CommandsTest.Result r = run("train", "--config", config, "--steps", "2", "--particles", "50", "--out", dir.resolve("run"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().lines().allMatch(l -> CommandsTest.PROGRESS.matcher(l).matches()), "only progress on stderr, no warning: " + r.err());
        assertTrue(r.out().contains("on the cpu engine"), r.out());
    }
}
