package org.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CpuGemmTest {

    /** The tests run with the Vector API's module (the surefire argLine), so the engine must have picked its kernel. */
    @Test
    void theVectorKernelIsChosenWhereTheModuleIsPresent() {
        assertTrue(CpuGemm.vectorModulePresent(), "the tests run with --add-modules " + CpuGemm.VECTOR_MODULE);
        assertInstanceOf(VectorGemm.class, CpuGemm.INSTANCE);
    }

    /**
     * The vector micro-kernels and the scalar loops give the same bits on every shape, remainders of the 4-row and
     * 4-vector blocks included; both are within the fused-multiply-add error bound of the exact product:
     * |C - C_exact| <= (depth + 1) u (|C0| + sum_k |A_k B_k|), u = 2^-24 (one rounding per fma, Higham's gamma_n with
     * n = depth, taken loosely).
     */
    @Test
    void vectorAndScalarAgreeBitForBitAndWithTheExactProduct() {
        CpuGemm vector = new VectorGemm();
        CpuGemm scalar = new CpuGemm.ScalarGemm();
        SplittableRandom rnd = new SplittableRandom(7);
        int[] rowsList = {1, 2, 3, 4, 5, 7, 16};
        int[] colsList = {1, 2, 15, 16, 17, 63, 64, 65, 130, 256};
        int[] depthList = {0, 1, 3, 16, 33};
        for (int rows : rowsList) {
            for (int cols : colsList) {
                for (int depth : depthList) {
                    float[][] a = random(rnd, rows, depth);
                    float[][] b = random(rnd, depth, cols);
                    float[][] c0 = random(rnd, rows, cols);
                    // with overwrite, C's old values (here random) must not be read: the sum starts from 0
                    boolean overwrite = (rows + cols + depth) % 2 == 0;
                    float[][] cv = copy(c0);
                    float[][] cs = copy(c0);
                    if (overwrite) {
                        for (float[] row : c0) {
                            java.util.Arrays.fill(row, 0f);
                        }
                    }
                    vector.mulAdd(a, b, cv, rows, depth, cols, overwrite);
                    scalar.mulAdd(a, b, cs, rows, depth, cols, overwrite);
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < cols; j++) {
                            String at = rows + "x" + depth + "x" + cols + " at [" + r + "][" + j + "]";
                            assertEquals(Float.floatToRawIntBits(cs[r][j]), Float.floatToRawIntBits(cv[r][j]), at);
                            double exact = c0[r][j];
                            double mag = Math.abs(c0[r][j]);
                            for (int k = 0; k < depth; k++) {
                                exact += (double) a[r][k] * b[k][j];
                                mag += Math.abs((double) a[r][k] * b[k][j]);
                            }
                            assertEquals(exact, cs[r][j], (depth + 1) * 0x1p-24 * mag, at);
                        }
                    }
                }
            }
        }
    }

    /** The vector Adam step gives the scalar step's bits (same operations, no fusing; sqrt and division exact-rounded). */
    @Test
    void vectorAndScalarAdamAgreeBitForBit() {
        SplittableRandom rnd = new SplittableRandom(11);
        CpuGemm.Adam a = new CpuGemm.Adam(0.9f, 0.1f, 0.999f, 1f - 0.999f, 0.19f, 0.002f, 1f - 1e-5f, 1e-3f, 1e-8f, 0.75f);
        for (int n : new int[] {1, 15, 16, 17, 100, 256}) {
            float[][] x = random(rnd, 4, n);
            for (int i = 0; i < n; i++) {
                x[2][i] = Math.abs(x[2][i]);
            }
            float[][] y = copy(x);
            new VectorGemm().adam(a, x[0], x[1], x[2], x[3], n);
            new CpuGemm.ScalarGemm().adam(a, y[0], y[1], y[2], y[3], n);
            for (int r = 1; r < 4; r++) {
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(y[r][i]), Float.floatToRawIntBits(x[r][i]), "n " + n + " row " + r + " at " + i);
                }
            }
        }
    }

    /** The fused sum and Adam step gives the bits of the sum (addTo) followed by the step, on both kernels. */
    @Test
    void adamOnTwoChunksGivesTheBitsOfTheirSumThenAdam() {
        SplittableRandom rnd = new SplittableRandom(12);
        CpuGemm.Adam a = new CpuGemm.Adam(0.9f, 0.1f, 0.999f, 1f - 0.999f, 0.19f, 0.002f, 1f - 1e-5f, 1e-3f, 1e-8f, 0.75f);
        for (CpuGemm k : new CpuGemm[] {new VectorGemm(), new CpuGemm.ScalarGemm()}) {
            for (int n : new int[] {1, 15, 16, 17, 100, 256}) {
                float[][] x = random(rnd, 5, n);
                for (int i = 0; i < n; i++) {
                    x[3][i] = Math.abs(x[3][i]);
                }
                float[][] y = copy(x);
                k.adamSum(a, x[0], x[1], x[2], x[3], x[4], n);
                k.addTo(y[0], y[1], n);
                k.adam(a, y[0], y[2], y[3], y[4], n);
                for (int r = 2; r < 5; r++) {
                    for (int i = 0; i < n; i++) {
                        assertEquals(Float.floatToRawIntBits(y[r][i]), Float.floatToRawIntBits(x[r][i]), k.describe() + ", n " + n + " row " + r + " at " + i);
                    }
                }
            }
        }
    }

    /** The ReLU backward pass: da where z > 0, +0 elsewhere (signed zeros, NaNs of either sign), on both kernels. */
    @Test
    void reluBackwardKeepsTheGradientExactlyWhereZIsPositive() {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.intBitsToFloat(0x7fc00000), Float.intBitsToFloat(0xffc00000)};
        SplittableRandom rnd = new SplittableRandom(13);
        for (CpuGemm k : new CpuGemm[] {new VectorGemm(), new CpuGemm.ScalarGemm()}) {
            for (int n : new int[] {1, 10, 16, 33, 256}) {
                float[][] x = random(rnd, 2, n);
                for (int i = 0; i < Math.min(n, special.length); i++) {
                    x[0][(i * 3) % n] = special[i];
                }
                float[] dz = new float[n];
                java.util.Arrays.fill(dz, Float.NaN);
                k.reluBackward(x[0], x[1], dz, n);
                for (int i = 0; i < n; i++) {
                    float expected = x[0][i] > 0f ? x[1][i] : 0f;
                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(dz[i]), k.describe() + ", z = " + x[0][i]);
                }
            }
        }
    }

    /**
     * The vector activations give CpuMath's bits (its array forms, which CpuMathTest holds to the correctly rounded
     * values) on whole vectors and on the scalar tail: random arguments over the whole range the networks see, the
     * clamps of exp (-87, 88) and softplus's cut-off (20) and their neighbours, signed zeros, infinities and NaN.
     */
    @Test
    void vectorAndScalarActivationsAgreeBitForBit() {
        CpuGemm vector = new VectorGemm();
        CpuGemm scalar = new CpuGemm.ScalarGemm();
        SplittableRandom rnd = new SplittableRandom(11);
        float[] special = {0f, -0f, 1f, -1f, 20f, -20f, 87f, -87f, 88f, -88f, 89f, -89f, 104f, -104f, 1e-30f, -1e-30f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, Math.nextUp(88f), Math.nextDown(-87f), Math.nextUp(20f)};
        for (int n : new int[] {1, 7, 16, 33, 64, 129, 1024, 1031}) {
            float[] z = new float[n];
            for (int i = 0; i < n; i++) {
                double scale = i % 3 == 0 ? 3 : i % 3 == 1 ? 30 : 120;
                z[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            }
            for (int i = 0; i < Math.min(n, special.length); i++) {
                z[(i * 7) % n] = special[i];
            }
            float[][] outs = new float[6][n];
            vector.sigmoid(z, outs[0], n);
            scalar.sigmoid(z, outs[1], n);
            vector.silu(z, outs[2], null, n);
            scalar.silu(z, outs[3], null, n);
            float[][] kept = new float[4][n];
            vector.silu(z, kept[0], kept[1], n);
            scalar.silu(z, kept[2], kept[3], n);
            vector.softplus(z, outs[4], n);
            scalar.softplus(z, outs[5], n);
            for (int i = 0; i < n; i++) {
                String at = "n " + n + ", z = " + z[i];
                // floatToIntBits: every NaN is one NaN, the sign and payload of a NaN are not part of the result
                assertEquals(Float.floatToIntBits(outs[1][i]), Float.floatToIntBits(outs[0][i]), "sigmoid " + at);
                assertEquals(Float.floatToIntBits(outs[3][i]), Float.floatToIntBits(outs[2][i]), "silu " + at);
                // keeping sigmoid(z) changes neither result
                assertEquals(Float.floatToIntBits(outs[3][i]), Float.floatToIntBits(kept[0][i]), "silu kept " + at);
                assertEquals(Float.floatToIntBits(outs[3][i]), Float.floatToIntBits(kept[2][i]), "silu kept " + at);
                assertEquals(Float.floatToIntBits(outs[1][i]), Float.floatToIntBits(kept[1][i]), "sigmoid kept " + at);
                assertEquals(Float.floatToIntBits(outs[1][i]), Float.floatToIntBits(kept[3][i]), "sigmoid kept " + at);
                assertEquals(Float.floatToIntBits(outs[5][i]), Float.floatToIntBits(outs[4][i]), "softplus " + at);
            }
        }
    }

    /**
     * The vector dot product and sum give the scalar forms' bits; the dot is within the fused-multiply-add bound of
     * the exact sum, |s - s_exact| <= (n + 16) u sum_i |a_i b_i| (at most n / 16 + 1 roundings in a partial sum,
     * 15 in the final sum of the partial sums, u = 2^-24, taken loosely as n + 16).
     */
    @Test
    void vectorAndScalarDotAndSumAgreeBitForBit() {
        CpuGemm vector = new VectorGemm();
        CpuGemm scalar = new CpuGemm.ScalarGemm();
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {0, 1, 5, 15, 16, 17, 31, 128, 130, 512, 1024}) {
            float[][] ab = random(rnd, 2, n);
            float dv = vector.dot(ab[0], ab[1], n);
            float ds = scalar.dot(ab[0], ab[1], n);
            assertEquals(Float.floatToRawIntBits(ds), Float.floatToRawIntBits(dv), "dot, n " + n);
            double exact = 0;
            double mag = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) ab[0][i] * ab[1][i];
                mag += Math.abs((double) ab[0][i] * ab[1][i]);
            }
            assertEquals(exact, ds, (n + 16) * 0x1p-24 * mag, "dot, n " + n);
            float[] sv = ab[0].clone();
            float[] ss = ab[0].clone();
            vector.addTo(sv, ab[1], n);
            scalar.addTo(ss, ab[1], n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(ss[i]), Float.floatToRawIntBits(sv[i]), "sum, n " + n + " at " + i);
                assertEquals(ab[0][i] + ab[1][i], ss[i], 0f, "sum, n " + n + " at " + i);
            }
        }
    }

    /**
     * The vector LayerNorm row gives the scalar form's bits (xhat, y and r) and is close to the double-precision
     * normalization: each sum has at most w / 16 + 16 roundings, so var and mu carry relative errors under
     * (w / 16 + 18) u (about 5e-6 at w = 1030, u = 2^-24) on this data (mean of |x| within a few standard deviations),
     * and xhat = (x - mu) r then errs by under |xhat| 5e-6 + 5e-6: 1e-5 (1 + |xhat|) is the bound, taken loosely.
     */
    @Test
    void vectorAndScalarLayerNormAgreeBitForBit() {
        CpuGemm vector = new VectorGemm();
        CpuGemm scalar = new CpuGemm.ScalarGemm();
        SplittableRandom rnd = new SplittableRandom(3);
        float eps = 1e-5f;
        for (int w : new int[] {1, 5, 16, 17, 128, 256, 1030}) {
            float[][] in = random(rnd, 3, w);
            float[] x = in[0];
            for (int j = 0; j < w; j++) {
                x[j] = x[j] * 1000f + 0.5f;
            }
            float[][] out = new float[4][w];
            float rv = vector.layerNorm(x, out[0], out[1], in[1], in[2], w, eps);
            float rs = scalar.layerNorm(x, out[2], out[3], in[1], in[2], w, eps);
            assertEquals(Float.floatToRawIntBits(rs), Float.floatToRawIntBits(rv), "r, w " + w);
            double mu = 0;
            for (int j = 0; j < w; j++) {
                mu += x[j];
            }
            mu /= w;
            double var = 0;
            for (int j = 0; j < w; j++) {
                var += (x[j] - mu) * (x[j] - mu);
            }
            double r = 1 / Math.sqrt(var / w + eps);
            for (int j = 0; j < w; j++) {
                assertEquals(Float.floatToRawIntBits(out[2][j]), Float.floatToRawIntBits(out[0][j]), "xhat, w " + w + " at " + j);
                assertEquals(Float.floatToRawIntBits(out[3][j]), Float.floatToRawIntBits(out[1][j]), "y, w " + w + " at " + j);
                double xh = (x[j] - mu) * r;
                assertEquals(xh, out[2][j], 1e-5 * (1 + Math.abs(xh)), "xhat, w " + w + " at " + j);
            }
        }
    }

    /** mulAddTransA on A^T gives mulAdd's bits on A, vector and scalar, on the vector blocks' shapes and others. */
    @Test
    void transposedAGivesTheBitsOfTheTranspose() {
        CpuGemm vector = new VectorGemm();
        CpuGemm scalar = new CpuGemm.ScalarGemm();
        SplittableRandom rnd = new SplittableRandom(9);
        int[][] shapes = {{4, 32, 64}, {16, 32, 256}, {128, 32, 128}, {256, 70, 256}, {2, 32, 256}, {16, 32, 1024}, {6, 5, 17}};
        for (int[] sh : shapes) {
            int rows = sh[0];
            int depth = sh[1];
            int cols = sh[2];
            float[][] a = random(rnd, rows, depth);
            float[][] at = new float[depth][rows];
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < depth; k++) {
                    at[k][r] = a[r][k];
                }
            }
            float[][] b = random(rnd, depth, cols);
            float[][] c0 = random(rnd, rows, cols);
            for (boolean overwrite : new boolean[] {false, true}) {
                float[][] want = copy(c0);
                float[][] cv = copy(c0);
                float[][] cs = copy(c0);
                vector.mulAdd(a, b, want, rows, depth, cols, overwrite);
                vector.mulAddTransA(at, b, cv, rows, depth, cols, overwrite);
                scalar.mulAddTransA(at, b, cs, rows, depth, cols, overwrite);
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) {
                        String where = rows + "x" + depth + "x" + cols + " at [" + r + "][" + j + "]";
                        assertEquals(Float.floatToRawIntBits(want[r][j]), Float.floatToRawIntBits(cv[r][j]), "vector " + where);
                        assertEquals(Float.floatToRawIntBits(want[r][j]), Float.floatToRawIntBits(cs[r][j]), "scalar " + where);
                    }
                }
            }
        }
    }

    private static float[][] random(SplittableRandom rnd, int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) (rnd.nextDouble() * 2 - 1);
            }
        }
        return m;
    }

    private static float[][] copy(float[][] m) {
        float[][] c = new float[m.length][];
        for (int r = 0; r < m.length; r++) {
            c[r] = m[r].clone();
        }
        return c;
    }
}
