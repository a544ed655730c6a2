package org.diffusion4j.engine.cpu;

/**
 * The CPU engine's one matrix kernel, a small GEMM on rows of float arrays:
 * <pre>
 *   C[r][c] = fma(A[r][k-1], B[k-1][c], ... fma(A[r][1], B[1][c], fma(A[r][0], B[0][c], C[r][c])))
 *             for r < rows, c < cols, k ascending from 0 to depth - 1
 * </pre>
 * every multiply-add fused (one rounding), in that order for every element whatever the blocking. Every linear layer
 * of {@link CpuNetwork} is one call: the forward pass ({@code A = X [tile][in]}, {@code B = W^T [in][out]},
 * {@code C = Y}, set to the bias), the input gradient ({@code A = dY}, {@code B = W [out][in]}, {@code C = dX}) and the
 * weight gradient ({@code A = dY^T [out][tile]}, {@code B = X}, {@code C = dW}: the tile's samples summed in
 * registers, no per-sample gradient).
 *
 * <p>Two implementations compute the same bits: {@link VectorGemm}, register-blocked micro-kernels on the Vector API
 * ({@code jdk.incubator.vector}), used where the JVM has that module, and {@link ScalarGemm}, plain loops with
 * {@link Math#fma}, elsewhere (or with {@code -Ddiffusion4j.cpu.vector=false}).
 */
abstract class CpuGemm {
    /** The module of the Vector API (incubating in JDK 17). */
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** The kernel this JVM runs. */
    static final CpuGemm INSTANCE = choose();

    /**
     * C[r][0..cols) += sum_k A[r][k] B[k][0..cols) (fused, k ascending), r < rows, k < depth; with {@code overwrite}
     * C's old values are not read, the sum starts from +0 (the bits of adding to a cleared C).
     */
    abstract void mulAdd(float[][] a, float[][] b, float[][] c, int rows, int depth, int cols, boolean overwrite);

    /** A short name: "vector (N floats)" or "scalar". */
    abstract String describe();

    /** Whether the running JVM resolved the Vector API's module. */
    static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    private static CpuGemm choose() {
        if (!Boolean.parseBoolean(System.getProperty("diffusion4j.cpu.vector", "true")) || !vectorModulePresent()) {
            return new ScalarGemm();
        }
        try {
            // by name, so that a JVM without the module never links the class
            return (CpuGemm) Class.forName("org.diffusion4j.engine.cpu.VectorGemm").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return new ScalarGemm();
        }
    }

    /** The scalar form: one fused multiply-add per element and k. */
    static final class ScalarGemm extends CpuGemm {
        @Override
        void mulAdd(float[][] a, float[][] b, float[][] c, int rows, int depth, int cols, boolean overwrite) {
            for (int r = 0; r < rows; r++) {
                float[] ar = a[r];
                float[] cr = c[r];
                if (overwrite) {
                    java.util.Arrays.fill(cr, 0, cols, 0f);
                }
                for (int k = 0; k < depth; k++) {
                    float s = ar[k];
                    float[] bk = b[k];
                    for (int j = 0; j < cols; j++) {
                        cr[j] = Math.fma(s, bk[j], cr[j]);
                    }
                }
            }
        }

        @Override
        String describe() {
            return "scalar";
        }
    }
}
