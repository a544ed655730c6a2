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

    /**
     * As {@link #mulAdd} with A given transposed: C[r][0..cols) += sum_k at[k][r] B[k][0..cols), the same operations
     * in the same order (the bits of {@code mulAdd} on the transpose of at). The weight gradient dY^T X without
     * transposing dY. The vector form runs blocks of 4 rows x 4 vectors and needs rows % 4 == 0 and
     * cols % (4 x vector length) == 0 ({@link #transAFits}); other shapes go to the scalar loops.
     */
    void mulAddTransA(float[][] at, float[][] b, float[][] c, int rows, int depth, int cols, boolean overwrite) {
        for (int r = 0; r < rows; r++) {
            float[] cr = c[r];
            if (overwrite) {
                java.util.Arrays.fill(cr, 0, cols, 0f);
            }
            for (int k = 0; k < depth; k++) {
                float s = at[k][r];
                float[] bk = b[k];
                for (int j = 0; j < cols; j++) {
                    cr[j] = Math.fma(s, bk[j], cr[j]);
                }
            }
        }
    }

    /** Whether {@link #mulAddTransA} runs this shape as fast as {@link #mulAdd} would on the transpose. */
    boolean transAFits(int rows, int cols) {
        return false;
    }

    /**
     * Adam's coefficients of one step: {@code b1, 1 - b1, b2, 1 - b2}, the bias corrections {@code c1 = 1 - b1^k,
     * c2 = 1 - b2^k}, the decoupled decay factor {@code decay = 1 - lr wd} (1 for Adam), {@code lr}, {@code eps} and the
     * gradient's {@code scale} (gradient-norm clipping's factor, 1 without clipping).
     */
    record Adam(float b1, float ob1, float b2, float ob2, float c1, float c2, float decay, float lr, float eps, float scale) {
    }

    /**
     * One Adam/AdamW step on n parameters, in this order of float operations (no fused multiply-add, so that both
     * implementations give the same bits):
     * <pre>
     *   g = scale g,  m = b1 m + ob1 g,  v = b2 v + (ob2 g) g,  p = p decay - (lr (m / c1)) / (sqrt(v / c2) + eps)
     * </pre>
     */
    abstract void adam(Adam a, float[] g, float[] m, float[] v, float[] p, int n);

    /**
     * {@link #adam} on the gradient {@code g0 + g1} (summed in float, as {@link #addTo} would), read from the two
     * chunks without writing the sum: one pass over the parameters instead of two.
     */
    abstract void adamSum(Adam a, float[] g0, float[] g1, float[] m, float[] v, float[] p, int n);

    /** The scalar form of {@link #adamSum} for elements [from, n). */
    static void adamSumScalar(Adam a, float[] g0, float[] g1, float[] m, float[] v, float[] p, int from, int n) {
        for (int i = from; i < n; i++) {
            adamAt(a, (g0[i] + g1[i]) * a.scale, m, v, p, i);
        }
    }

    /** The ReLU's backward pass on a row: {@code dz = da} where {@code z > 0} (so not where z is NaN), else +0. */
    void reluBackward(float[] z, float[] da, float[] dz, int n) {
        reluBackwardScalar(z, da, dz, 0, n);
    }

    /** The scalar form of {@link #reluBackward} for elements [from, n). */
    static void reluBackwardScalar(float[] z, float[] da, float[] dz, int from, int n) {
        for (int i = from; i < n; i++) {
            dz[i] = z[i] > 0f ? da[i] : 0f;
        }
    }

    /** The scalar form of {@link #adam} for elements [from, n). */
    static void adamScalar(Adam a, float[] g, float[] m, float[] v, float[] p, int from, int n) {
        for (int i = from; i < n; i++) {
            adamAt(a, g[i] * a.scale, m, v, p, i);
        }
    }

    /** Element i of an Adam step with the scaled gradient gi: the one home of the update's formula in float. */
    private static void adamAt(Adam a, float gi, float[] m, float[] v, float[] p, int i) {
        float mi = a.b1 * m[i] + a.ob1 * gi;
        float vi = a.b2 * v[i] + a.ob2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * a.decay - a.lr * (mi / a.c1) / ((float) Math.sqrt(vi / a.c2) + a.eps);
    }

    /** Kinds of {@link #activate}. */
    static final int SIGMOID = 0;
    static final int SILU = 1;
    static final int SOFTPLUS = 2;

    /**
     * An activation on the m rows of a tile: {@code out = sigmoid(z)}, {@code silu(z)} (also {@code sig = sigmoid(z)}
     * unless sig is null) or {@code softplus(z)}, as {@link #sigmoid}, {@link #silu} and {@link #softplus} row by row.
     * One call per tile (the vector form calls its kernels out of line, see {@link VectorGemm}).
     */
    void activate(int kind, float[][] z, float[][] out, float[][] sig, int m, int n) {
        for (int q = 0; q < m; q++) {
            switch (kind) {
                case SIGMOID -> CpuMath.sigmoid(z[q], out[q], n);
                case SILU -> silu(z[q], out[q], sig == null ? null : sig[q], n);
                case SOFTPLUS -> CpuMath.softplus(z[q], out[q], n);
                default -> throw new IllegalArgumentException("activation kind " + kind);
            }
        }
    }

    /**
     * The element-wise activations of {@link CpuMath}'s array forms, with their bits: {@code s = sigmoid(z)} (z and s
     * may alias), {@code a = silu(z)} and {@code a = softplus(z)} (z and a distinct), i < n. The scalar form calls
     * {@link CpuMath}; the vector form runs the same float operations in the same order on whole vectors.
     */
    void sigmoid(float[] z, float[] s, int n) {
        CpuMath.sigmoid(z, s, n);
    }

    /** See {@link #sigmoid}; also {@code sig[i] = sigmoid(z[i])} unless sig is null (a = sig z, the same bits). */
    void silu(float[] z, float[] a, float[] sig, int n) {
        if (sig == null) {
            CpuMath.silu(z, a, n);
            return;
        }
        CpuMath.sigmoid(z, sig, n);
        for (int i = 0; i < n; i++) {
            a[i] = sig[i] * z[i];
        }
    }

    /** See {@link #sigmoid}. */
    void softplus(float[] z, float[] a, int n) {
        CpuMath.softplus(z, a, n);
    }

    /** Partial sums of {@link #dot}. */
    static final int DOT_LANES = 16;

    /**
     * sum_i a[i] b[i], i < n, in this order: 16 partial sums {@code p[l] = fma(a[i], b[i], p[l])} over i = l mod 16
     * ascending (from +0), then {@code ((p0 + p1) + p2) + ... + p15}.
     */
    float dot(float[] a, float[] b, int n) {
        return dotScalar(a, b, n);
    }

    static float dotScalar(float[] a, float[] b, int n) {
        float[] p = new float[DOT_LANES];
        for (int i = 0; i < n; i++) {
            p[i % DOT_LANES] = Math.fma(a[i], b[i], p[i % DOT_LANES]);
        }
        return lanes(p);
    }

    /**
     * One row of a LayerNorm: {@code mu = sum(x) / w}, {@code var = sum((x - mu)^2) / w} (each sum in
     * {@link #dot}'s order: 16 partial sums over j = l mod 16, the squares fused, then the partial sums in lane
     * order), {@code r = 1 / sqrt(var + eps)} (the square root in double), {@code xh = (x - mu) r},
     * {@code y = g xh + b} (not fused); returns r.
     */
    float layerNorm(float[] x, float[] xh, float[] y, float[] g, float[] b, int w, float eps) {
        float[] p = new float[DOT_LANES];
        for (int j = 0; j < w; j++) {
            p[j % DOT_LANES] += x[j];
        }
        float mu = lanes(p) / w;
        float[] q = new float[DOT_LANES];
        for (int j = 0; j < w; j++) {
            float d = x[j] - mu;
            q[j % DOT_LANES] = Math.fma(d, d, q[j % DOT_LANES]);
        }
        return normalize(x, xh, y, g, b, w, mu, lanes(q) / w, eps, 0);
    }

    /** ((p0 + p1) + p2) + ... + p15. */
    static float lanes(float[] p) {
        float sum = p[0];
        for (int l = 1; l < DOT_LANES; l++) {
            sum += p[l];
        }
        return sum;
    }

    /** The last step of {@link #layerNorm} for j in [from, w), given mu and var; returns r. */
    static float normalize(float[] x, float[] xh, float[] y, float[] g, float[] b, int w, float mu, float var, float eps, int from) {
        float r = (float) (1.0 / Math.sqrt(var + eps));
        for (int j = from; j < w; j++) {
            float v = (x[j] - mu) * r;
            xh[j] = v;
            y[j] = g[j] * v + b[j];
        }
        return r;
    }

    /** sum[i] += part[i], i < n. */
    void addTo(float[] sum, float[] part, int n) {
        for (int i = 0; i < n; i++) {
            sum[i] += part[i];
        }
    }

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
        void adam(Adam a, float[] g, float[] m, float[] v, float[] p, int n) {
            adamScalar(a, g, m, v, p, 0, n);
        }

        @Override
        void adamSum(Adam a, float[] g0, float[] g1, float[] m, float[] v, float[] p, int n) {
            adamSumScalar(a, g0, g1, m, v, p, 0, n);
        }

        @Override
        String describe() {
            return "scalar";
        }
    }
}
