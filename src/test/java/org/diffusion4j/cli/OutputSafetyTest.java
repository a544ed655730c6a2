package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.TINY;
import static org.diffusion4j.cli.CommandsTest.TINY_FLOW;
import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.refused;
import static org.diffusion4j.cli.CommandsTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.diffusion4j.data.Outputs;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the user has is never lost and the right thing is sampled (items 1 to 5 and 8 of the failure corpus): --overwrite
 * replaces only what the program wrote, a renamed checkpoint samples its own weights, bench and plot do not replace
 * files silently, interrupted runs leave nothing behind, the loser of two runs says so, long work reports its time.
 */
class OutputSafetyTest {

    /** Every leftover name of an interrupted writer: staging folders, temp files, outputs moved aside. */
    static final Pattern LEFTOVER = Pattern.compile("^\\..+\\.(staging|tmp|old)-\\d+-.*$");

    /** Every file under a folder with its bytes, by relative path. */
    static Map<String, byte[]> snapshot(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return files;
    }

    static void assertSameFiles(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            assertArrayEquals(expected.get(k), actual.get(k), k);
        }
    }

    static List<String> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> LEFTOVER.matcher(n).matches()).toList();
        }
    }

    /**
     * The subprocesses run the command in their own JVM, on the CPU engine's scalar kernels (the same bits as the
     * vector ones): the signals the tests send reach the process that does the work, not a launcher of it.
     */
    static final String NO_RELAUNCH = "-Ddiffusion4j.cpu.vector=false";

    /** A {@code java ... Main args} subprocess in {@code dir}, stdout and stderr merged. */
    static Process spawn(Path dir, String... args) throws IOException {
        // C1 and the serial collector: the JVM starts in about half the time, which is most of these short runs
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", NO_RELAUNCH, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    // -------------------------------------------------------------------------------------------- item 1

    @Test
    void anEmptyOutPathIsRefusedAndTheWorkingFolderIsUntouched(@TempDir Path dir) throws Exception {
        Path mine = write(dir, "thesis.txt", "years of work");
        Files.createDirectories(dir.resolve("data"));
        write(dir.resolve("data"), "points.csv", "x,y\n1,2\n");
        Map<String, byte[]> before = snapshot(dir);
        List<Process> runs = new ArrayList<>();
        for (String out : new String[] {"", " ", "."}) {
            runs.add(spawn(dir, "train", "--preset", "ddpm-ring", "--steps", "5", "--out", out, "--overwrite"));
        }
        for (Process p : runs) {
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(Main.BAD_INPUT, p.exitValue(), text);
            CommandsTest.assertOneLine(text);
            assertTrue(text.contains("--out: "), text);
        }
        assertSameFiles(before, snapshot(dir));
        assertEquals("years of work", Files.readString(mine));
    }

    @Test
    void overwriteReplacesOnlyASamplesFileNotTheUsersFile(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY), "--steps", 2, "--out", run);
        Path notes = write(dir, "notes.csv", "my notes, not points\n");
        refused(List.of("--out: ", "notes.csv", "not a samples file"), "sample", "--run", run, "--out", notes, "--overwrite");
        assertEquals("my notes, not points\n", Files.readString(notes));
        Path samples = dir.resolve("s.npy");
        ok("sample", "--run", run, "--particles", 20, "--out", samples);
        ok("sample", "--run", run, "--particles", 30, "--out", samples, "--overwrite");
        assertEquals(30, PointsNpy.read(samples).size());
        assertEquals(List.of(), leftovers(dir));
    }

    // -------------------------------------------------------------------------------------------- item 2

    @Test
    void aRenamedCheckpointSamplesItsOwnWeights(@TempDir Path dir) throws IOException {
        Path mineRun = dir.resolve("mine");
        Path otherRun = dir.resolve("other");
        Path config = write(dir, "tiny.toml", TINY);
        ok("train", "--config", config, "--steps", 5, "--out", mineRun);
        ok("train", "--config", config, "--steps", 5, "--seed", 99, "--out", otherRun);
        Path shared = dir.resolve("shared");
        Files.createDirectories(shared);
        Files.copy(mineRun.resolve("model.safetensors"), shared.resolve("mine.safetensors"));
        Files.copy(otherRun.resolve("model.safetensors"), shared.resolve("model.safetensors")); // another model beside it
        Path fromRun = dir.resolve("a.npy");
        Path fromRenamed = dir.resolve("b.npy");
        ok("sample", "--run", mineRun, "--out", fromRun);
        ok("sample", "--checkpoint", shared.resolve("mine.safetensors"), "--out", fromRenamed);
        assertArrayEquals(Files.readAllBytes(fromRun), Files.readAllBytes(fromRenamed), "the named file's weights are sampled");
        // alone and renamed, a valid checkpoint is sampled
        Path alone = dir.resolve("alone");
        Files.createDirectories(alone);
        Files.copy(mineRun.resolve("model.safetensors"), alone.resolve("renamed.safetensors"));
        Path fromAlone = dir.resolve("c.npy");
        ok("sample", "--checkpoint", alone.resolve("renamed.safetensors"), "--out", fromAlone);
        assertArrayEquals(Files.readAllBytes(fromRun), Files.readAllBytes(fromAlone));
    }

    @Test
    void aNamedEmaCheckpointSamplesTheEmaWeightsAndWeightsMustAgree(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "ema.toml", TINY.replace("[training]\n", "[training]\nema_decay = 0.9\n")), "--steps", 5, "--out", run);
        assertTrue(Files.isRegularFile(run.resolve("model.ema.safetensors")));
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        ok("sample", "--run", run, "--weights", "ema", "--out", a);
        Files.copy(run.resolve("model.ema.safetensors"), dir.resolve("smooth.safetensors"));
        ok("sample", "--checkpoint", dir.resolve("smooth.safetensors"), "--out", b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        refused(List.of("--weights: ema", "model.safetensors", "holds the raw weights"), "sample", "--checkpoint", run.resolve("model.safetensors"),
                "--weights", "ema", "--out", dir.resolve("c.npy"));
    }

    @Test
    void aTwoNetworkCheckpointNamesItsPartner(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("flow");
        ok("train", "--config", write(dir, "flow.toml", TINY_FLOW), "--out", run);
        var flow = org.diffusion4j.model.Checkpoint.read(run.resolve("flow.safetensors"));
        var score = org.diffusion4j.model.Checkpoint.read(run.resolve("score.safetensors"));
        assertEquals("score.safetensors", flow.metadata().get(RunFiles.PARTNER_KEY));
        assertEquals("flow.safetensors", score.metadata().get(RunFiles.PARTNER_KEY));
        // the flow checkpoint renamed: its own weights and its partner from the metadata
        Files.move(run.resolve("flow.safetensors"), run.resolve("my-flow.safetensors"));
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        ok("sample", "--checkpoint", run.resolve("my-flow.safetensors"), "--out", a);
        Files.move(run.resolve("my-flow.safetensors"), run.resolve("flow.safetensors"));
        ok("sample", "--run", run, "--out", b);
        assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(a));
    }

    // -------------------------------------------------------------------------------------------- item 3

    @Test
    void benchAndPlotDoNotReplaceTheUsersFiles(@TempDir Path dir) throws IOException {
        Path user = write(dir, "user.json", "{\"mine\": true}");
        Object[] bench = {"bench", "--preset", "ddpm-ring", "--engines", "cpu", "--particles", 16, "--what", "sample", "--repeats", 1, "--warmup", 0};
        refused(List.of("--out: ", "already exists", "--overwrite"), concat(bench, "--out", user));
        refused(List.of("--out: ", "not a bench result file"), concat(bench, "--out", user, "--overwrite"));
        assertEquals("{\"mine\": true}", Files.readString(user));
        Path result = dir.resolve("bench.json");
        ok(concat(bench, "--out", result));
        ok(concat(bench, "--out", result, "--overwrite"));
        assertTrue(Files.readString(result).contains("\"rows\""));

        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY), "--steps", 2, "--particles", 20, "--out", run);
        Path figs = dir.resolve("figs");
        Files.createDirectories(figs);
        Path keep = write(figs, "samples.png", "my own figure");
        refused(List.of("--out: ", "already exists", "--overwrite"), "plot", "--run", run, "--out", figs);
        refused(List.of("--out: ", "not a folder that diffusion4j wrote"), "plot", "--run", run, "--out", figs, "--overwrite");
        assertEquals("my own figure", Files.readString(keep));
        Path mine = dir.resolve("figs2");
        ok("plot", "--run", run, "--out", mine);
        assertTrue(Files.isRegularFile(mine.resolve("samples.png")) || Files.isRegularFile(mine.resolve("histograms.png")));
        ok("plot", "--run", run, "--out", mine, "--overwrite");
        assertEquals(List.of(), leftovers(dir));
    }

    static Object[] concat(Object[] a, Object... b) {
        Object[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // -------------------------------------------------------------------------------------------- item 5

    @Test
    void ofTwoOverwritingRunsTheLoserSaysSo(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY), "--steps", 2, "--particles", 10, "--out", target);
        RunFolder a = RunFolder.create(target, true);
        RunFolder b = RunFolder.create(target, true);
        Files.writeString(a.file("who"), "a");
        Files.writeString(b.file("who"), "b");
        a.commit();
        a.close();
        Outputs.LostRace lost = assertThrows(Outputs.LostRace.class, b::commit);
        b.close();
        assertTrue(lost.getMessage().startsWith("--out: " + target.toAbsolutePath() + " was replaced by another run while this run was going")
                && lost.getMessage().contains("discarded"), lost.getMessage());
        assertEquals("a", Files.readString(target.resolve("who")), "the winner's output stays");
        assertEquals(List.of(), leftovers(dir));

        // files: two samples runs into one file
        Path file = dir.resolve("s.npy");
        String none = RunFiles.checkSamplesTarget("--out", file, true);
        RunFiles.writeSamples("--out", file, Points.of(new double[] {1, 2}), none);
        Outputs.LostRace lostFile = assertThrows(Outputs.LostRace.class,
                () -> RunFiles.writeSamples("--out", file, Points.of(new double[] {3, 4, 5, 6}), none));
        assertTrue(lostFile.getMessage().contains("appeared while this run was going"), lostFile.getMessage());
        assertEquals(1, PointsNpy.read(file).size());
        String seen = RunFiles.checkSamplesTarget("--out", file, true);
        RunFiles.writeSamples("--out", file, Points.of(new double[] {7, 8, 9, 10}), seen);
        assertThrows(Outputs.LostRace.class, () -> RunFiles.writeSamples("--out", file, Points.of(new double[] {0, 0}), seen));
        assertEquals(2, PointsNpy.read(file).size());
        assertEquals(List.of(), leftovers(dir));
    }

    // -------------------------------------------------------------------------------------------- item 4: the fault test

    /**
     * train killed with SIGINT, SIGTERM and SIGKILL while training and while writing its folder: the target is absent
     * (a new folder) or untouched (--overwrite of the previous run), the previous run is byte-identical, SIGINT and
     * SIGTERM leave no staging folder or temp file, and the next run removes what SIGKILL left.
     */
    @Test
    void interruptedTrainingLeavesNothingHalfWritten(@TempDir Path dir) throws Exception {
        String config = TINY.replace("engine = \"reference\"", "engine = \"cpu\"").replace("steps = 30", "steps = 3000");
        write(dir, "tiny.toml", config);
        Path prev = dir.resolve("prev");
        ok("train", "--config", dir.resolve("tiny.toml"), "--steps", 3, "--particles", 20, "--out", prev);
        Map<String, byte[]> prevFiles = snapshot(prev);
        String[][] points = {{"train eps  50%", "training"}, {"100%  4000/4000", "writing"}};
        String[] signals = {"INT", "TERM", "KILL"};
        // the six runs at once (each is killed before it could put anything in place, so they do not interfere)
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        int k = 0;
        for (String signal : signals) {
            for (String[] point : points) {
                boolean overwrite = k++ % 2 == 0;
                Path target = overwrite ? prev : dir.resolve("new-" + signal + "-" + point[1]);
                Thread t = new Thread(() -> {
                    try {
                        interrupt(dir, target, overwrite, signal, point[0]);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                t.start();
                threads.add(t);
            }
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.get(0).getMessage(), failures.get(0));
        }
        assertSameFiles(prevFiles, snapshot(prev));
        try (Stream<Path> s = Files.list(dir)) {
            // (SIGINT and SIGTERM while training leave a resumable training state in <target>.resume: that is wanted)
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("new-") && !n.endsWith(".resume")).toList(),
                    "no new folder appeared");
        }
        // the next run removes what the killed processes left, and writes its own folder completely
        Path next = dir.resolve("next");
        ok("train", "--config", dir.resolve("tiny.toml"), "--steps", 3, "--particles", 20, "--out", next);
        assertEquals(List.of(), leftovers(dir));
        assertTrue(Files.isRegularFile(next.resolve("metrics.json")));
        assertSameFiles(prevFiles, snapshot(prev));
    }

    /** One train run into target, sent {@code signal} when its output shows {@code point}; checks what it leaves. */
    static void interrupt(Path dir, Path target, boolean overwrite, String signal, String point) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "--config", "tiny.toml", "--particles", "200", "--out", target.toString()));
        if (overwrite) {
            args.add("--overwrite");
        }
        Process p = spawn(dir, args.toArray(String[]::new));
        StringBuilder seen = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.contains(point)) {
                    signal(p, signal);
                    break;
                }
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), seen.toString());
        }
        // 128 + the signal's number: the JVM exits so after running its hooks on SIGINT (2) and SIGTERM (15)
        int expected = Map.of("INT", 130, "TERM", 143, "KILL", 137).get(signal);
        assertEquals(expected, p.exitValue(), signal + " at '" + point + "':\n" + seen);
        if (!overwrite) {
            assertFalse(Files.exists(target), target + " after " + signal + " at '" + point + "'");
        }
        if (!signal.equals("KILL")) {
            String name = target.getFileName().toString();
            try (Stream<Path> s = Files.list(dir)) {
                List<String> mine = s.map(x -> x.getFileName().toString()).filter(n -> n.startsWith("." + name + ".") && LEFTOVER.matcher(n).matches()
                        && n.contains("-" + p.pid() + "-")).toList();
                assertEquals(List.of(), mine, "the shutdown hook cleaned up after " + signal + " at '" + point + "'");
            }
        }
    }

    static void signal(Process p, String signal) throws Exception {
        if (signal.equals("KILL")) {
            p.destroyForcibly();
        } else {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
            assertEquals(0, kill.waitFor());
        }
    }

    // -------------------------------------------------------------------------------------------- item 8

    @Test
    void longWorkPrintsItsEstimatedTimeFromAWarmUpAndProgressOnAHeartbeat() {
        long[] now = {0};
        java.util.function.LongSupplier saved = ProgressReport.clock;
        ProgressReport.clock = () -> now[0];
        try {
            java.io.StringWriter text = new java.io.StringWriter();
            try (ProgressReport r = ProgressReport.start("sample ddpm", "particle-steps", 1000, new java.io.PrintWriter(text))) {
                now[0] = 500_000_000L; // 0.5 s: before the warm-up ends, only the 0% line
                r.update(0, 1000);
                now[0] = 1_200_000_000L; // 1.2 s, 100 done: 83.3 per second, 900 to go in 10.8 s
                r.update(100, 1000);
                now[0] = 11_300_000_000L; // 10.1 s after the last line, still in the second decile: a heartbeat line
                r.update(150, 1000);
                now[0] = 20_000_000_000L;
                r.update(1000, 1000);
            }
            List<String> lines = text.toString().lines().toList();
            assertEquals(List.of("sample ddpm   0%  0/1000 particle-steps",
                    "sample ddpm  10%  100/1000 particle-steps, about 11 s to go at 83.3 particle-steps/s, measured over the first 1.2 s",
                    "sample ddpm  15%  150/1000 particle-steps, 11 s elapsed, about 1 min 04 s to go",
                    "sample ddpm 100%  1000/1000 particle-steps, 20 s"), lines);
        } finally {
            ProgressReport.clock = saved;
        }
    }

    /** Through the command line, with a clock that advances 0.4 s whenever it is read: the estimate comes from the first seconds. */
    @Test
    void sampleReportsItsEstimateThroughTheCommandLine(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        ok("train", "--config", write(dir, "tiny.toml", TINY.replace("engine = \"reference\"", "engine = \"cpu\"")), "--steps", 2, "--out", run);
        long[] now = {0};
        java.util.function.LongSupplier saved = ProgressReport.clock;
        ProgressReport.clock = () -> now[0] += 400_000_000L;
        try {
            String err = ok("sample", "--run", run, "--particles", 4000, "--out", dir.resolve("s.npy")).err();
            assertTrue(Pattern.compile("sample ddpm-posterior +\\d+%  \\d+/80000 particle-steps, about .* to go at .* particle-steps/s, measured over the "
                    + "first 1\\.2 s").matcher(err).find(), err);
            assertTrue(err.contains("elapsed, about"), err);
        } finally {
            ProgressReport.clock = saved;
        }
    }

    @Test
    void durationsReadAsHoursMinutesAndSeconds() {
        assertEquals("0 s", ProgressReport.duration(0.2));
        assertEquals("59 s", ProgressReport.duration(59.4));
        assertEquals("3 min 05 s", ProgressReport.duration(185));
        assertEquals("2 h 07 min", ProgressReport.duration(2 * 3600 + 7 * 60 + 20));
    }
}
