package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.model.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes, one-line errors, info, and a small demo run writing a complete run folder. */
class MainTest {

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void infoListsTheEnginesAndTheLibraries() {
        Result r = run("info");
        assertEquals(0, r.code(), r.err());
        for (String s : List.of("cuda", "cpu", "reference", "gpu:", "kernels:", "JCublas", "JCurand")) {
            assertTrue(r.out().contains(s), "info lacks '" + s + "':\n" + r.out());
        }
        assertTrue(r.out().contains("reference  available"), r.out());
    }

    @Test
    void unknownCommandAndBadOptionsAreOneLineWithExitCode2() {
        for (String[] args : new String[][] {{"bogus"}, {"demo", "--engine"}, {"demo", "--particles", "many"}}) {
            Result r = run(args);
            assertEquals(Main.BAD_INPUT, r.code(), String.join(" ", args));
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("diffusion4j: "), r.err());
        }
    }

    @Test
    void badValuesNameTheOptionAndWriteNothing(@TempDir Path dir) {
        Path target = dir.resolve("run");
        Result engine = run("demo", "--engine", "tpu", "--out", target.toString());
        assertEquals(Main.BAD_INPUT, engine.code());
        assertTrue(engine.err().contains("engine: unknown engine 'tpu', allowed: auto, cuda, cpu, reference"), engine.err());
        // Where cuda is available (a GPU, or the simulated GPU of the tests) this would run the demo: only without it.
        Result cuda = org.diffusion4j.engine.cuda.CudaProbe.probe().available() ? engine
                : run("demo", "--engine", "cuda", "--out", target.toString());
        assertEquals(Main.BAD_INPUT, cuda.code());
        assertTrue(cuda == engine || cuda.err().startsWith("diffusion4j: engine: cuda is unavailable"), cuda.err());
        Result steps = run("demo", "--steps", "0", "--out", target.toString());
        assertEquals(Main.BAD_INPUT, steps.code());
        assertTrue(steps.err().contains("--steps: must be an integer in [1, "), steps.err());
        Result particles = run("demo", "--particles", "-3", "--out", target.toString());
        assertTrue(particles.err().contains("--particles: must be an integer in [1, "), particles.err());
        for (Result r : List.of(engine, cuda, steps, particles)) {
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertFalse(Files.exists(target));
    }

    @Test
    void demoWritesACompleteRunFolderAndRefusesToOverwriteIt(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("demo");
        Result r = run("demo", "--engine", "reference", "--steps", "60", "--particles", "300", "--out", target.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("run folder: " + target.toAbsolutePath()), r.out());
        for (String f : List.of("model.safetensors", "samples.npy", "samples.csv", "loss.csv", "metrics.json", "config.toml", "samples.png", "loss.png")) {
            assertTrue(Files.size(target.resolve(f)) > 0, f);
        }
        Checkpoint ckpt = Checkpoint.read(target.resolve("model.safetensors"));
        ckpt.requireSpec(Presets.byName("ddpm-ring").networks().get(0).spec());
        Points npy = PointsNpy.read(target.resolve("samples.npy"));
        Points csv = PointsCsv.read(target.resolve("samples.csv"));
        assertEquals(300, npy.size());
        assertEquals(300, csv.size());
        JsonNode metrics = new ObjectMapper().readTree(target.resolve("metrics.json").toFile());
        double sw = metrics.get("sliced_wasserstein").asDouble();
        assertTrue(sw > 0 && Double.isFinite(sw), "sliced Wasserstein " + sw);
        List<String> loss = Files.readAllLines(target.resolve("loss.csv"));
        assertEquals(61, loss.size(), "header + one line per step");
        assertEquals("step,loss_eps", loss.get(0));
        assertTrue(r.out().contains("train eps 100%  60/60"), r.out());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(target), left.toList(), "no staging folder is left behind");
        }

        byte[] before = Files.readAllBytes(target.resolve("samples.npy"));
        Result again = run("demo", "--engine", "reference", "--steps", "5", "--particles", "50", "--out", target.toString());
        assertEquals(Main.BAD_INPUT, again.code());
        assertTrue(again.err().contains("already exists") && again.err().contains("--overwrite"), again.err());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(target.resolve("samples.npy"))), "the run was not touched");

        Result replaced = run("demo", "--engine", "reference", "--steps", "5", "--particles", "50", "--out", target.toString(), "--overwrite");
        assertEquals(0, replaced.code(), replaced.err());
        assertEquals(50, PointsNpy.read(target.resolve("samples.npy")).size());
    }
}
