package org.diffusion4j.engine.cuda;

/**
 * Checks the whole CUDA path end to end: opens a context, loads {@code kernels/probe.fatbin}, launches
 * {@code d4j_probe} (one thread writes 42) and reads the result back. Used by {@code info}.
 */
public final class CudaSelfCheck {

    /** The value d4j_probe writes. */
    public static final int EXPECTED = 42;

    private CudaSelfCheck() {
    }

    /**
     * One line, never throwing: {@code ok: ...}, {@code FAILED: <reason>}, or {@code skipped: <reason>} where there
     * is no GPU or no bundled kernels.
     */
    public static String run() {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            return "skipped: " + probe.detail();
        }
        if (!KernelBundle.isBundled("probe")) {
            return "skipped: the kernels are not bundled in this build (built without nvcc)";
        }
        try (CudaContext ctx = CudaContext.open(); DeviceBuffer out = DeviceBuffer.ints(1)) {
            out.zero();
            new KernelLaunch().ptr(out).launch(ctx.function("probe", "d4j_probe"), 1, 32, 0);
            int[] result = new int[1];
            out.copyTo(result);
            if (result[0] != EXPECTED) {
                return "FAILED: d4j_probe wrote " + result[0] + ", expected " + EXPECTED;
            }
            return "ok: d4j_probe wrote " + EXPECTED + " on " + ctx;
        } catch (RuntimeException | LinkageError e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            return "FAILED: " + msg;
        }
    }
}
