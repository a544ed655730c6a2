package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.model.Checkpoint;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.Training;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C during {@code train}: a JVM of its own gets SIGINT while training; it writes a training state, says how to
 * resume in two lines on stderr and exits with 130; {@code train --resume} then ends where the uninterrupted run ends,
 * bit for bit.
 */
class InterruptTest {

    /** The tiny ring model for 20000 steps on the cpu engine, with a state every 500 steps (to know training has begun). */
    static final String CONFIG = CommandsTest.TINY.replace("engine = \"reference\"", "engine = \"cpu\"")
            .replace("steps = 30\n", "steps = 20000\ncheckpoint_every = 500\nema_decay = 0.99\nlr_schedule = \"cosine\"\nwarmup_steps = 100\n");

    @Test
    void sigintWritesAResumableStateAndResumeEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        Path config = write(dir, "long.toml", CONFIG);
        Path target = dir.resolve("run");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, OutputSafetyTest.NO_RELAUNCH, "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "--config",
                config.toString(), "--out", target.toString()).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile()).start();
        Path states = RunFiles.stateFolder(target);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (Training.states(states).isEmpty() && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "training ended before it could be interrupted: " + Files.readString(dir.resolve("err.txt")));
        new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(dir.resolve("err.txt"));
        assertEquals(TrainCommand.INTERRUPTED, p.exitValue(), err);
        // stderr: progress lines and warnings, then the two lines of the interruption
        List<String> lines = err.lines().filter(l -> !l.isBlank() && !CommandsTest.PROGRESS.matcher(l).matches() && !l.startsWith("warning: "))
                .toList();
        assertEquals(2, lines.size(), err);
        assertTrue(lines.get(0).startsWith("diffusion4j: interrupted after step "), err);
        assertTrue(lines.get(1).startsWith("resume with: ") && lines.get(1).endsWith(" train --resume " + target), err);
        assertFalse(Files.exists(target), "no run folder for an interrupted run");
        List<Path> written = Training.states(states);
        assertFalse(written.isEmpty());

        ok("train", "--resume", target);
        Path whole = dir.resolve("whole");
        ok("train", "--config", config, "--out", whole);
        for (String f : List.of("model.safetensors", "model.ema.safetensors")) {
            assertArrayEquals(Checkpoint.read(whole.resolve(f)).parameters(), Checkpoint.read(target.resolve(f)).parameters(), f);
        }
        assertArrayEquals(Files.readAllBytes(whole.resolve("loss.csv")), Files.readAllBytes(target.resolve("loss.csv")));
        assertArrayEquals(Files.readAllBytes(whole.resolve("samples.npy")), Files.readAllBytes(target.resolve("samples.npy")));
        assertFalse(Files.exists(states));
    }

    @Test
    void resumeWithoutAStateOrWithOtherOptionsIsRefused(@TempDir Path dir) throws IOException {
        CommandsTest.refused(List.of("--resume:", "no training state"), "train", "--resume", dir.resolve("nothing"));
        CommandsTest.refused(List.of("--resume:", "--steps"), "train", "--resume", dir.resolve("nothing"), "--steps", 5);
        CommandsTest.refused(List.of("train:", "--preset", "--resume"), "train");
    }
}
