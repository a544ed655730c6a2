package org.diffusion4j.engine.cuda;

import java.io.File;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared assumptions of the CUDA tests. Tests that need a GPU carry the JUnit tag {@code gpu} and call
 * {@link #assumeGpu()} first, so on a machine without one they are reported as skipped (run only them with
 * {@code -Dgroups=gpu}, or leave them out with {@code -DexcludedGroups=gpu}).
 */
final class GpuTests {

    /** The JUnit tag of tests that need a GPU. */
    static final String TAG = "gpu";

    private GpuTests() {
    }

    /** Skips the calling test unless a CUDA driver and GPU are present. */
    static void assumeGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        Assumptions.assumeTrue(probe.available(), () -> "no GPU: " + probe.detail());
    }

    /** Skips the calling test unless there is no usable GPU (for the tests of the unavailable path). */
    static void assumeNoGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        Assumptions.assumeFalse(probe.available(), () -> "a GPU is present: " + probe.detail());
    }

    /** Whether nvcc is on the PATH (the build then compiles the kernels). */
    static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && new File(dir, "nvcc").canExecute()) {
                return true;
            }
        }
        return false;
    }
}
