package org.diffusion4j.engine.cpu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU engine's matrix kernel ({@link CpuGemm#mulAdd}) on the shapes of the presets' layers, rows x depth x cols:
 * a tile's forward pass or input gradient ({@code 32 x in x out}) and a weight gradient ({@code out x 32 x in}).
 * GFLOP/s = 2 rows depth cols / time. JMH measures wall time; {@link #main} measures the same calls on the thread's
 * CPU time (robust to other processes on a shared machine):
 * <pre>
 *   bash bench/run-jmh.sh GemmBench
 *   java --add-modules jdk.incubator.vector -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
 *       org.diffusion4j.engine.cpu.GemmBench
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GemmBench {
    /** The shapes: residual trunk (256), ReLU trunks (128, 512), and the weight gradient's form, on tiles of 32. */
    static final String[] SHAPES = {"32x256x256", "256x32x256", "32x128x128", "128x32x128", "32x512x512", "512x32x512"};

    @Param({"32x256x256", "256x32x256", "32x128x128", "128x32x128", "32x512x512", "512x32x512"})
    public String shape;

    private float[][] a;
    private float[][] b;
    private float[][] c;
    private int rows;
    private int depth;
    private int cols;

    @Setup
    public void setUp() {
        String[] s = shape.split("x");
        rows = Integer.parseInt(s[0]);
        depth = Integer.parseInt(s[1]);
        cols = Integer.parseInt(s[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        a = random(rnd, rows, depth);
        b = random(rnd, depth, cols);
        c = random(rnd, rows, cols);
    }

    /** One call: C += A B. */
    @Benchmark
    public float[][] mulAdd() {
        CpuGemm.INSTANCE.mulAdd(a, b, c, rows, depth, cols, false);
        return c;
    }

    private static float[][] random(SplittableRandom rnd, int r, int n) {
        float[][] m = new float[r][n];
        for (float[] row : m) {
            for (int j = 0; j < n; j++) {
                row[j] = (float) (rnd.nextDouble() * 2e-3 - 1e-3);
            }
        }
        return m;
    }

    /** GFLOP/s of every shape on this thread's CPU time: the median of 7 repeats of about 0.5 s after 3 of warm-up. */
    public static void main(String[] args) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.println("kernel: " + CpuGemm.INSTANCE.describe());
        for (String s : SHAPES) {
            GemmBench g = new GemmBench();
            g.shape = s;
            g.setUp();
            double flops = 2.0 * g.rows * g.depth * g.cols;
            double[] rates = new double[7];
            for (int r = -3; r < rates.length; r++) {
                long t0 = mx.getCurrentThreadCpuTime();
                long calls = 0;
                while (mx.getCurrentThreadCpuTime() - t0 < 500_000_000L) {
                    for (int k = 0; k < 100; k++) {
                        g.mulAdd();
                    }
                    calls += 100;
                }
                if (r >= 0) {
                    rates[r] = calls * flops / (mx.getCurrentThreadCpuTime() - t0);
                }
            }
            java.util.Arrays.sort(rates);
            System.out.printf(Locale.ROOT, "%-12s %6.1f GFLOP/s (min %.1f, max %.1f)%n", s, rates[3], rates[0], rates[6]);
        }
    }
}
