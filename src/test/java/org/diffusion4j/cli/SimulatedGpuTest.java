package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.cuda.CudaContext;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.diffusion4j.engine.cuda.DeviceBuffer;
import org.diffusion4j.engine.cuda.KernelLaunch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cuda engine end to end where the build made the simulated GPU (native-tests/sim, on the tests' library path):
 * it stands in for the GPU (so the gpu-tagged tests run rather than skip), says so in info, the cuda engine and
 * bench, reports a kernel's fault in one line, and a demo on it agrees with the cpu engine's.
 */
class SimulatedGpuTest {

    /** Where Maven's build put the simulator (surefire's sim.dir), if it did. */
    private static boolean simulatorBuilt() {
        String dir = System.getProperty("sim.dir");
        return dir != null && Files.exists(Path.of(dir, "driver", "libcuda.so.1"));
    }

    private static void assumeSimulated() {
        Assumptions.assumeTrue(CudaProbe.probe().simulated(), () -> "not on the simulated GPU: " + CudaProbe.probe().detail());
    }

    @Test
    void theSimulatorStandsInForTheGpuWhereTheBuildMadeIt() {
        Assumptions.assumeTrue(simulatorBuilt(), "the build made no simulated GPU (no nvcc, or a GPU is present)");
        CudaProbe.Result probe = CudaProbe.probe();
        assertTrue(probe.available() && probe.simulated(), "the gpu-tagged tests would skip: " + probe.detail());
        assertEquals("diffusion4j simulated GPU (H200 profile)", probe.deviceName());
    }

    @Test
    void infoTheEnginesAndBenchSayTheGpuIsSimulated() {
        assumeSimulated();
        CommandsTest.Result info = CommandsTest.ok("info");
        assertTrue(info.out().contains("gpu:       diffusion4j simulated GPU (H200 profile), driver ") && info.out().contains(CudaProbe.SIMULATED_NOTE),
                info.out());
        assertTrue(info.out().contains("self-check: ok: d4j_probe wrote 42 on diffusion4j simulated GPU"), info.out());
        try (Engine auto = Engines.create("auto")) {
            assertEquals("cpu", auto.name(), "auto does not pick the simulated GPU");
        }
        CommandsTest.Result bench = CommandsTest.run("bench", "--engines", "cuda", "--preset", "ddpm-ring");
        assertEquals(Main.BAD_INPUT, bench.code(), bench.out() + bench.err());
        assertEquals("diffusion4j: --engines: cuda runs on diffusion4j simulated GPU (H200 profile) here, " + CudaProbe.SIMULATED_NOTE
                + ": bench it on a GPU (bench/gpu/bench.sh)", bench.err().strip());
        assertEquals(List.of("cpu"), BenchCommand.defaultEngines());
    }

    @Test
    void aKernelsFaultIsReportedInOneLineNamingKernelBlockAndThread() {
        assumeSimulated();
        try (CudaContext ctx = CudaContext.open()) {
            // d4j_probe writes out[0] from thread 0 of block 0: through a null pointer here.
            new KernelLaunch().ptrOrNull(null).launch(ctx.function("probe", "d4j_probe"), 1, 32, 0);
            IllegalStateException e = assertThrows(IllegalStateException.class, ctx::synchronize);
            assertEquals("engine: cuda: running the kernels (found at synchronize) failed: an illegal memory access in a kernel"
                    + " (CUDA_ERROR_ILLEGAL_ADDRESS); the CUDA context is unusable now and must be closed; d4j-sim: invalid __global__"
                    + " write in d4j_probe, block (0,0,0), thread (0,0,0): address 0x0 is outside every allocation", e.getMessage());
            assertThrows(IllegalStateException.class, () -> DeviceBuffer.floats(4), "the error is sticky");
        }
    }

    /**
     * demo --engine cuda --steps 200 (200 training steps of ddpm-ring, then 200 DDPM updates per particle) writes a
     * run folder whose samples agree with the cpu engine's run of the same seed, coordinate by coordinate, within
     * 200 updates x 4 roundings x FLT_EPSILON x (1 + |x|) = 9.5e-5 (1 + |x|). Both engines compute in float32 with
     * the same noise; they differ in the order and fusion of roundings (and the kernels' expf/logf/sinf, CUDA's or, on
     * the simulated GPU, the host libm's, differ by a few ulps): a few float32 roundings of x per update, which the
     * DDPM update carries without amplification (its coefficient on x is below 1), and the 200 training steps leave
     * the parameters a few ulps apart, which moves the samples by the same order. Seen on the simulated GPU:
     * 1.7e-6 (1 + |x|).
     */
    @Test
    @Tag("gpu")
    void theDemoOnCudaWritesARunFolderThatAgreesWithTheCpuEngine(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(CudaProbe.probe().available(), () -> "no GPU: " + CudaProbe.probe().detail());
        Path cuda = tmp.resolve("cuda");
        Path cpu = tmp.resolve("cpu");
        CommandsTest.Result r = CommandsTest.ok("demo", "--engine", "cuda", "--steps", 200, "--particles", 2000, "--out", cuda);
        assertTrue(r.out().contains("on the cuda engine, 200 training steps, 2000 particles"), r.out());
        if (CudaProbe.probe().simulated()) {
            assertTrue(r.err().contains("cuda: diffusion4j simulated GPU (H200 profile)") && r.err().contains(CudaProbe.SIMULATED_NOTE), r.err());
        }
        for (String file : List.of("config.toml", "metrics.json", "samples.csv", "samples.npy", "model.safetensors", "samples.png")) {
            assertTrue(Files.isRegularFile(cuda.resolve(file)), "the run folder has " + file);
        }
        CommandsTest.ok("demo", "--engine", "cpu", "--steps", 200, "--particles", 2000, "--out", cpu);
        double[][] a = samples(cuda.resolve("samples.csv"));
        double[][] b = samples(cpu.resolve("samples.csv"));
        assertEquals(2000, a.length);
        assertEquals(a.length, b.length);
        double tolerance = 200 * 4 * 0x1.0p-23;
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < 2; k++) {
                worst = Math.max(worst, Math.abs(a[i][k] - b[i][k]) / (1 + Math.abs(b[i][k])));
            }
        }
        assertTrue(worst <= tolerance, "cuda and cpu samples differ by " + worst + " (1 + |x|) > " + tolerance + " (1 + |x|)");
    }

    /**
     * The few-step samplers, prediction types and priors on the cuda engine end to end: train ou-halfcircles (its default
     * prior is moment-matched: a mean and a correlated covariance), then sample a ddpm-ring model with dpm-solver++ from
     * the moment-matched prior; each writes what it should, with finite samples.
     */
    @Test
    @Tag("gpu")
    void theCudaEngineRunsTheFewStepSamplersAndTheMomentMatchedPrior(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(CudaProbe.probe().available(), () -> "no GPU: " + CudaProbe.probe().detail());
        Path ou = tmp.resolve("ou");
        // run, not ok: on the simulated GPU stderr carries the engine's notice besides progress
        CommandsTest.Result train = CommandsTest.run("train", "--preset", "ou-halfcircles", "--engine", "cuda", "--steps", 1, "--particles", 50,
                "--no-figures", "--out", ou);
        assertEquals(0, train.code(), train.err());
        assertEquals(50, finite(samples(ou.resolve("samples.csv"))));
        Path run = tmp.resolve("ring");
        CommandsTest.Result trained = CommandsTest.run("train", "--preset", "ddpm-ring", "--engine", "cuda", "--steps", 2, "--particles", 50,
                "--no-figures", "--out", run);
        assertEquals(0, trained.code(), trained.err());
        CommandsTest.Result dpm = CommandsTest.run("sample", "--run", run, "--engine", "cuda", "--sampler", "dpm-solver++", "--steps", 10,
                "--prior", "moment-matched", "--particles", 50, "--out", tmp.resolve("dpm.csv"));
        assertEquals(0, dpm.code(), dpm.err());
        assertEquals(50, finite(samples(tmp.resolve("dpm.csv"))));
    }

    private static long finite(double[][] xy) {
        return java.util.Arrays.stream(xy).filter(p -> Double.isFinite(p[0]) && Double.isFinite(p[1])).count();
    }

    private static double[][] samples(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        assertEquals("x,y", lines.get(0));
        return lines.stream().skip(1).map(l -> l.split(",")).map(p -> new double[] {Double.parseDouble(p[0]), Double.parseDouble(p[1])})
                .toArray(double[][]::new);
    }
}
