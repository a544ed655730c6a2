package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --precision on train, demo, sample and bench: written to the run's config, overridden when sampling, refused in one line when unknown. */
class PrecisionOptionTest {

    @Test
    void anUnknownPrecisionIsRefusedInOneLineBeforeAnyWork(@TempDir Path tmp) {
        for (String command : new String[] {"train", "demo"}) {
            Path out = tmp.resolve(command);
            CommandsTest.Result r = command.equals("train")
                    ? CommandsTest.run("train", "--preset", "ddpm-ring", "--engine", "cpu", "--steps", 1, "--precision", "fp16", "--out", out)
                    : CommandsTest.run("demo", "--engine", "cpu", "--steps", 1, "--precision", "fp16", "--out", out);
            assertEquals(Main.BAD_INPUT, r.code(), r.err());
            assertEquals("diffusion4j: --precision: unknown precision 'fp16', allowed: fp32, tf32x3, tf32", r.err().strip());
            assertFalse(Files.exists(out), command + " wrote nothing");
        }
        CommandsTest.Result bench = CommandsTest.run("bench", "--engines", "cpu", "--preset", "ddpm-ring", "--precision", "fp16");
        assertEquals(Main.BAD_INPUT, bench.code(), bench.err());
        assertEquals("diffusion4j: --precision: unknown precision 'fp16', allowed: fp32, tf32x3, tf32", bench.err().strip());
    }

    @Test
    void trainWritesThePrecisionAndSampleOverridesIt(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        CommandsTest.ok("train", "--preset", "ddpm-ring", "--engine", "cpu", "--steps", 2, "--particles", 20, "--precision", "tf32", "--no-figures",
                "--out", run);
        assertTrue(Files.readString(run.resolve("config.toml")).contains("precision = \"tf32\""));
        CommandsTest.ok("sample", "--run", run, "--engine", "cpu", "--precision", "tf32x3", "--particles", 20, "--out", tmp.resolve("s.npy"));
        assertTrue(Files.isRegularFile(tmp.resolve("s.npy")));
        CommandsTest.Result bad = CommandsTest.run("sample", "--run", run, "--precision", "bf16", "--out", tmp.resolve("t.npy"));
        assertEquals(Main.BAD_INPUT, bad.code());
        assertEquals("diffusion4j: --precision: unknown precision 'bf16', allowed: fp32, tf32x3, tf32", bad.err().strip());
    }
}
