package org.diffusion4j.engine.cpu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuGemm} on the Vector API: micro-kernels of 4 rows x 4 vectors of C (4 x 64 floats with 512-bit vectors)
 * held in 16 registers over a panel of {@link #DEPTH_BLOCK} k (every row of A runs over a panel of B before the next
 * panel); per k, 4 vector loads of B, 4 broadcasts of A and 16 fused multiply-adds. The same blocks with A read
 * transposed ({@link #mulAddTransA}), and the element-wise kernels (activations, dot products, LayerNorm rows, sums,
 * Adam) in the operation order of their scalar forms. Each block is a method of its own with no more Vector API calls than C2 inlines in one compilation
 * (about 60 here): past its inlining budget (8000 bytecodes) C2 leaves calls to the API's Java fallback, which
 * allocates a vector per operation (a kernel that loaded C or a zero vector by a flag measured 8 % of the time in that
 * fallback). Narrower column blocks (4 rows x 1 vector) and a scalar {@link Math#fma} tail for the columns, a
 * one-row form for the rows past a multiple of 4. Only loaded where the JVM has {@code jdk.incubator.vector}.
 */
final class VectorGemm extends CpuGemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Depth of a panel of B in {@link #mulAdd}: 64 x 4 vectors of 16 floats is 16 KiB, half the 32 KiB L1 data cache,
     * with room for the rows of A and C it meets.
     */
    static final int DEPTH_BLOCK = 64;

    @Override
    String describe() {
        return "vector (" + L + " floats)";
    }

    @Override
    void mulAdd(float[][] a, float[][] b, float[][] c, int rows, int depth, int cols, boolean overwrite) {
        if (overwrite) {
            for (int r = 0; r < rows; r++) {
                Arrays.fill(c[r], 0, cols, 0f);
            }
        }
        int wide = cols - cols % (4 * L);
        int narrow = cols - cols % L;
        int rows4 = rows - rows % 4;
        // a panel of B (DEPTH_BLOCK x 4 vectors) serves every row of A before the next: it stays in L1, and B is read
        // once per call instead of once per 4 rows; each C element still sees k in ascending order
        for (int j = 0; j < wide; j += 4 * L) {
            for (int k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
                int k1 = Math.min(depth, k0 + DEPTH_BLOCK);
                for (int r = 0; r < rows4; r += 4) {
                    block4x4(a[r], a[r + 1], a[r + 2], a[r + 3], b, k0, k1, c[r], c[r + 1], c[r + 2], c[r + 3], j);
                }
                for (int r = rows4; r < rows; r++) {
                    block1x4(a[r], b, k0, k1, c[r], j);
                }
            }
        }
        for (int j = wide; j < narrow; j += L) {
            for (int r = 0; r < rows4; r += 4) {
                block4x1(a[r], a[r + 1], a[r + 2], a[r + 3], b, depth, c[r], c[r + 1], c[r + 2], c[r + 3], j);
            }
            for (int r = rows4; r < rows; r++) {
                float[] ar = a[r];
                float[] cr = c[r];
                FloatVector x = FloatVector.fromArray(S, cr, j);
                for (int k = 0; k < depth; k++) {
                    x = FloatVector.fromArray(S, b[k], j).fma(FloatVector.broadcast(S, ar[k]), x);
                }
                x.intoArray(cr, j);
            }
        }
        if (narrow < cols) {
            for (int r = 0; r < rows; r++) {
                tail(a[r], b, c[r], depth, narrow, cols);
            }
        }
    }

    @Override
    boolean transAFits(int rows, int cols) {
        return rows % 4 == 0 && cols % (4 * L) == 0;
    }

    @Override
    void mulAddTransA(float[][] at, float[][] b, float[][] c, int rows, int depth, int cols, boolean overwrite) {
        if (!transAFits(rows, cols)) {
            super.mulAddTransA(at, b, c, rows, depth, cols, overwrite);
            return;
        }
        if (overwrite) {
            for (int r = 0; r < rows; r++) {
                Arrays.fill(c[r], 0, cols, 0f);
            }
        }
        for (int j = 0; j < cols; j += 4 * L) {
            for (int k0 = 0; k0 < depth; k0 += DEPTH_BLOCK) {
                int k1 = Math.min(depth, k0 + DEPTH_BLOCK);
                for (int r = 0; r < rows; r += 4) {
                    block4x4T(at, r, b, k0, k1, c[r], c[r + 1], c[r + 2], c[r + 3], j);
                }
            }
        }
    }

    @Override
    void adam(Adam a, float[] g, float[] m, float[] v, float[] p, int n) {
        int end = n - n % L;
        for (int i = 0; i < end; i += L) {
            adamAt(a, FloatVector.fromArray(S, g, i).mul(a.scale()), m, v, p, i);
        }
        adamScalar(a, g, m, v, p, end, n);
    }

    @Override
    void adamSum(Adam a, float[] g0, float[] g1, float[] m, float[] v, float[] p, int n) {
        int end = n - n % L;
        for (int i = 0; i < end; i += L) {
            adamAt(a, FloatVector.fromArray(S, g0, i).add(FloatVector.fromArray(S, g1, i)).mul(a.scale()), m, v, p, i);
        }
        adamSumScalar(a, g0, g1, m, v, p, end, n);
    }

    /** Lanes i..i+L-1 of an Adam step with the scaled gradient gi, in the operation order of CpuGemm's scalar form. */
    private static void adamAt(Adam a, FloatVector gi, float[] m, float[] v, float[] p, int i) {
        FloatVector mi = FloatVector.fromArray(S, m, i).mul(a.b1()).add(gi.mul(a.ob1()));
        FloatVector vi = FloatVector.fromArray(S, v, i).mul(a.b2()).add(gi.mul(a.ob2()).mul(gi));
        mi.intoArray(m, i);
        vi.intoArray(v, i);
        FloatVector step = mi.div(a.c1()).mul(a.lr()).div(vi.div(a.c2()).sqrt().add(a.eps()));
        FloatVector.fromArray(S, p, i).mul(a.decay()).sub(step).intoArray(p, i);
    }

    @Override
    void reluBackward(float[] z, float[] da, float[] dz, int n) {
        int end = n - n % L;
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < end; i += L) {
            VectorMask<Float> keep = FloatVector.fromArray(S, z, i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(S, da, i), keep).intoArray(dz, i);
        }
        reluBackwardScalar(z, da, dz, end, n);
    }

    @Override
    float dot(float[] a, float[] b, int n) {
        if (L != DOT_LANES) {
            return dotScalar(a, b, n);
        }
        int end = n - n % L;
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < end; i += L) {
            acc = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i), acc);
        }
        float sum = 0f;
        for (int l = 0; l < L; l++) {
            float pl = acc.lane(l);
            if (end + l < n) {
                pl = Math.fma(a[end + l], b[end + l], pl);
            }
            sum = l == 0 ? pl : sum + pl;
        }
        return sum;
    }

    @Override
    float layerNorm(float[] x, float[] xh, float[] y, float[] g, float[] b, int w, float eps) {
        if (L != DOT_LANES) {
            return super.layerNorm(x, xh, y, g, b, w, eps);
        }
        int end = w - w % L;
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < end; j += L) {
            acc = acc.add(FloatVector.fromArray(S, x, j));
        }
        float sum = 0f;
        for (int l = 0; l < L; l++) {
            float pl = acc.lane(l);
            if (end + l < w) {
                pl += x[end + l];
            }
            sum = l == 0 ? pl : sum + pl;
        }
        float mu = sum / w;
        FloatVector sq = FloatVector.zero(S);
        for (int j = 0; j < end; j += L) {
            FloatVector d = FloatVector.fromArray(S, x, j).sub(mu);
            sq = d.fma(d, sq);
        }
        float var = 0f;
        for (int l = 0; l < L; l++) {
            float pl = sq.lane(l);
            if (end + l < w) {
                float d = x[end + l] - mu;
                pl = Math.fma(d, d, pl);
            }
            var = l == 0 ? pl : var + pl;
        }
        var /= w;
        float r = (float) (1.0 / Math.sqrt(var + eps));
        for (int j = 0; j < end; j += L) {
            FloatVector v = FloatVector.fromArray(S, x, j).sub(mu).mul(r);
            v.intoArray(xh, j);
            FloatVector.fromArray(S, g, j).mul(v).add(FloatVector.fromArray(S, b, j)).intoArray(y, j);
        }
        return normalize(x, xh, y, g, b, w, mu, var, eps, end);
    }

    @Override
    void addTo(float[] sum, float[] part, int n) {
        int end = n - n % L;
        for (int i = 0; i < end; i += L) {
            FloatVector.fromArray(S, sum, i).add(FloatVector.fromArray(S, part, i)).intoArray(sum, i);
        }
        for (int i = end; i < n; i++) {
            sum[i] += part[i];
        }
    }

    /** {@link CpuMath#expClamped} on a vector: the same float operations, no fused multiply-add. */
    private static FloatVector exp(FloatVector u) {
        FloatVector x = u.max(-87f).min(88f);
        FloatVector ki = x.mul(CpuMath.LOG2E).add(CpuMath.SHIFT127);
        FloatVector nf = ki.sub(CpuMath.SHIFT127);
        FloatVector r = x.sub(nf.mul(CpuMath.LN2_HI)).sub(nf.mul(CpuMath.LN2_LO));
        FloatVector e = r.mul(CpuMath.C7).add(CpuMath.C6).mul(r).add(CpuMath.C5).mul(r).add(CpuMath.C4).mul(r)
                .add(CpuMath.C3).mul(r).add(CpuMath.C2).mul(r).add(1f).mul(r).add(1f);
        FloatVector scale = ki.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return e.mul(scale);
    }

    @Override
    void sigmoid(float[] z, float[] s, int n) {
        activate(SIGMOID, new float[][] {z}, new float[][] {s}, null, 1, n);
    }

    @Override
    void silu(float[] z, float[] a, float[] sig, int n) {
        activate(SILU, new float[][] {z}, new float[][] {a}, sig == null ? null : new float[][] {sig}, 1, n);
    }

    @Override
    void softplus(float[] z, float[] a, int n) {
        activate(SOFTPLUS, new float[][] {z}, new float[][] {a}, null, 1, n);
    }

    @Override
    void activate(int kind, float[][] z, float[][] out, float[][] sig, int m, int n) {
        try {
            switch (kind) {
                case SIGMOID -> logisticRows.invokeExact(z, out, (float[][]) null, m, n, false);
                case SILU -> logisticRows.invokeExact(z, out, sig, m, n, true);
                case SOFTPLUS -> softplusRows.invokeExact(z, out, m, n);
                default -> throw new IllegalArgumentException("activation kind " + kind);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /*
     * The activation kernels are called out of line, through method handles in fields that are not final: C2 inlines
     * a method handle's target only where the handle is a constant, so each kernel is a compilation of its own, with
     * only its own Vector API calls. Inlined (into the network's passes, or all kinds into one method) the calls past
     * C2's inlining budget fall to the API's allocating Java fallback: measured on dsm-ring after another preset had
     * run in the same JVM, half the sampling and training speed, with VectorSupport.store on the profile.
     */
    private static MethodHandle logisticRows = handle("logisticRows",
            MethodType.methodType(void.class, float[][].class, float[][].class, float[][].class, int.class, int.class, boolean.class));
    private static MethodHandle softplusRows = handle("softplusRows",
            MethodType.methodType(void.class, float[][].class, float[][].class, int.class, int.class));

    private static MethodHandle handle(String name, MethodType type) {
        try {
            return MethodHandles.lookup().findStatic(VectorGemm.class, name, type);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** out = sigmoid(z), or with {@code timesZ} out = silu(z) and sig = sigmoid(z) (sig may be null), m rows. */
    private static void logisticRows(float[][] z, float[][] out, float[][] sig, int m, int n, boolean timesZ) {
        int end = n - n % L;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int q = 0; q < m; q++) {
            float[] zq = z[q];
            float[] oq = out[q];
            float[] sq = sig == null ? null : sig[q];
            for (int i = 0; i < end; i += L) {
                FloatVector zi = FloatVector.fromArray(S, zq, i);
                FloatVector si = one.div(exp(zi.neg()).add(1f));
                if (sq != null) {
                    si.intoArray(sq, i);
                }
                if (timesZ) {
                    si.mul(zi).intoArray(oq, i);
                } else {
                    si.intoArray(oq, i);
                }
            }
            for (int i = end; i < n; i++) {
                float si = 1f / (1f + CpuMath.expClamped(-zq[i]));
                if (sq != null) {
                    sq[i] = si;
                }
                oq[i] = timesZ ? si * zq[i] : si;
            }
        }
    }

    /** out = softplus(z), m rows. */
    private static void softplusRows(float[][] z, float[][] out, int m, int n) {
        int end = n - n % L;
        for (int q = 0; q < m; q++) {
            float[] zq = z[q];
            float[] oq = out[q];
            for (int i = 0; i < end; i += L) {
                FloatVector zi = FloatVector.fromArray(S, zq, i);
                FloatVector e = exp(zi.abs().neg());
                FloatVector s = e.div(e.add(2f));
                FloatVector s2 = s.mul(s);
                FloatVector p = s2.mul(1f / 13).add(1f / 11).mul(s2).add(1f / 9).mul(s2).add(1f / 7).mul(s2).add(1f / 5)
                        .mul(s2).add(1f / 3).mul(s2).add(1f);
                zi.max(0f).add(s.mul(2f).mul(p)).intoArray(oq, i);
            }
            for (int i = end; i < n; i++) {
                oq[i] = CpuMath.softplusOf(zq[i], CpuMath.expClamped(-Math.abs(zq[i])));
            }
        }
    }

    private static void tail(float[] ar, float[][] b, float[] cr, int depth, int from, int cols) {
        for (int j = from; j < cols; j++) {
            float x = cr[j];
            for (int k = 0; k < depth; k++) {
                x = Math.fma(ar[k], b[k][j], x);
            }
            cr[j] = x;
        }
    }

    private static void block4x4(float[] a0, float[] a1, float[] a2, float[] a3, float[][] b, int k0, int k1,
                                 float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        int j1 = j + L;
        int j2 = j + 2 * L;
        int j3 = j + 3 * L;
        FloatVector x00 = FloatVector.fromArray(S, c0, j);
        FloatVector x01 = FloatVector.fromArray(S, c0, j1);
        FloatVector x02 = FloatVector.fromArray(S, c0, j2);
        FloatVector x03 = FloatVector.fromArray(S, c0, j3);
        FloatVector x10 = FloatVector.fromArray(S, c1, j);
        FloatVector x11 = FloatVector.fromArray(S, c1, j1);
        FloatVector x12 = FloatVector.fromArray(S, c1, j2);
        FloatVector x13 = FloatVector.fromArray(S, c1, j3);
        FloatVector x20 = FloatVector.fromArray(S, c2, j);
        FloatVector x21 = FloatVector.fromArray(S, c2, j1);
        FloatVector x22 = FloatVector.fromArray(S, c2, j2);
        FloatVector x23 = FloatVector.fromArray(S, c2, j3);
        FloatVector x30 = FloatVector.fromArray(S, c3, j);
        FloatVector x31 = FloatVector.fromArray(S, c3, j1);
        FloatVector x32 = FloatVector.fromArray(S, c3, j2);
        FloatVector x33 = FloatVector.fromArray(S, c3, j3);
        for (int k = k0; k < k1; k++) {
            float[] bk = b[k];
            FloatVector b0 = FloatVector.fromArray(S, bk, j);
            FloatVector b1 = FloatVector.fromArray(S, bk, j1);
            FloatVector b2 = FloatVector.fromArray(S, bk, j2);
            FloatVector b3 = FloatVector.fromArray(S, bk, j3);
            FloatVector s = FloatVector.broadcast(S, a0[k]);
            x00 = b0.fma(s, x00);
            x01 = b1.fma(s, x01);
            x02 = b2.fma(s, x02);
            x03 = b3.fma(s, x03);
            s = FloatVector.broadcast(S, a1[k]);
            x10 = b0.fma(s, x10);
            x11 = b1.fma(s, x11);
            x12 = b2.fma(s, x12);
            x13 = b3.fma(s, x13);
            s = FloatVector.broadcast(S, a2[k]);
            x20 = b0.fma(s, x20);
            x21 = b1.fma(s, x21);
            x22 = b2.fma(s, x22);
            x23 = b3.fma(s, x23);
            s = FloatVector.broadcast(S, a3[k]);
            x30 = b0.fma(s, x30);
            x31 = b1.fma(s, x31);
            x32 = b2.fma(s, x32);
            x33 = b3.fma(s, x33);
        }
        x00.intoArray(c0, j);
        x01.intoArray(c0, j1);
        x02.intoArray(c0, j2);
        x03.intoArray(c0, j3);
        x10.intoArray(c1, j);
        x11.intoArray(c1, j1);
        x12.intoArray(c1, j2);
        x13.intoArray(c1, j3);
        x20.intoArray(c2, j);
        x21.intoArray(c2, j1);
        x22.intoArray(c2, j2);
        x23.intoArray(c2, j3);
        x30.intoArray(c3, j);
        x31.intoArray(c3, j1);
        x32.intoArray(c3, j2);
        x33.intoArray(c3, j3);
    }

    private static void block4x4T(float[][] at, int r, float[][] b, int k0, int k1,
                                  float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        int j1 = j + L;
        int j2 = j + 2 * L;
        int j3 = j + 3 * L;
        FloatVector x00 = FloatVector.fromArray(S, c0, j);
        FloatVector x01 = FloatVector.fromArray(S, c0, j1);
        FloatVector x02 = FloatVector.fromArray(S, c0, j2);
        FloatVector x03 = FloatVector.fromArray(S, c0, j3);
        FloatVector x10 = FloatVector.fromArray(S, c1, j);
        FloatVector x11 = FloatVector.fromArray(S, c1, j1);
        FloatVector x12 = FloatVector.fromArray(S, c1, j2);
        FloatVector x13 = FloatVector.fromArray(S, c1, j3);
        FloatVector x20 = FloatVector.fromArray(S, c2, j);
        FloatVector x21 = FloatVector.fromArray(S, c2, j1);
        FloatVector x22 = FloatVector.fromArray(S, c2, j2);
        FloatVector x23 = FloatVector.fromArray(S, c2, j3);
        FloatVector x30 = FloatVector.fromArray(S, c3, j);
        FloatVector x31 = FloatVector.fromArray(S, c3, j1);
        FloatVector x32 = FloatVector.fromArray(S, c3, j2);
        FloatVector x33 = FloatVector.fromArray(S, c3, j3);
        for (int k = k0; k < k1; k++) {
            float[] bk = b[k];
            float[] ak = at[k];
            FloatVector b0 = FloatVector.fromArray(S, bk, j);
            FloatVector b1 = FloatVector.fromArray(S, bk, j1);
            FloatVector b2 = FloatVector.fromArray(S, bk, j2);
            FloatVector b3 = FloatVector.fromArray(S, bk, j3);
            FloatVector s = FloatVector.broadcast(S, ak[r + 0]);
            x00 = b0.fma(s, x00);
            x01 = b1.fma(s, x01);
            x02 = b2.fma(s, x02);
            x03 = b3.fma(s, x03);
            s = FloatVector.broadcast(S, ak[r + 1]);
            x10 = b0.fma(s, x10);
            x11 = b1.fma(s, x11);
            x12 = b2.fma(s, x12);
            x13 = b3.fma(s, x13);
            s = FloatVector.broadcast(S, ak[r + 2]);
            x20 = b0.fma(s, x20);
            x21 = b1.fma(s, x21);
            x22 = b2.fma(s, x22);
            x23 = b3.fma(s, x23);
            s = FloatVector.broadcast(S, ak[r + 3]);
            x30 = b0.fma(s, x30);
            x31 = b1.fma(s, x31);
            x32 = b2.fma(s, x32);
            x33 = b3.fma(s, x33);
        }
        x00.intoArray(c0, j);
        x01.intoArray(c0, j1);
        x02.intoArray(c0, j2);
        x03.intoArray(c0, j3);
        x10.intoArray(c1, j);
        x11.intoArray(c1, j1);
        x12.intoArray(c1, j2);
        x13.intoArray(c1, j3);
        x20.intoArray(c2, j);
        x21.intoArray(c2, j1);
        x22.intoArray(c2, j2);
        x23.intoArray(c2, j3);
        x30.intoArray(c3, j);
        x31.intoArray(c3, j1);
        x32.intoArray(c3, j2);
        x33.intoArray(c3, j3);
    }

    private static void block4x1(float[] a0, float[] a1, float[] a2, float[] a3, float[][] b, int depth,
                                 float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector x0 = FloatVector.fromArray(S, c0, j);
        FloatVector x1 = FloatVector.fromArray(S, c1, j);
        FloatVector x2 = FloatVector.fromArray(S, c2, j);
        FloatVector x3 = FloatVector.fromArray(S, c3, j);
        for (int k = 0; k < depth; k++) {
            FloatVector bk = FloatVector.fromArray(S, b[k], j);
            x0 = bk.fma(FloatVector.broadcast(S, a0[k]), x0);
            x1 = bk.fma(FloatVector.broadcast(S, a1[k]), x1);
            x2 = bk.fma(FloatVector.broadcast(S, a2[k]), x2);
            x3 = bk.fma(FloatVector.broadcast(S, a3[k]), x3);
        }
        x0.intoArray(c0, j);
        x1.intoArray(c1, j);
        x2.intoArray(c2, j);
        x3.intoArray(c3, j);
    }

    private static void block1x4(float[] ar, float[][] b, int k0, int k1, float[] cr, int j) {
        int j1 = j + L;
        int j2 = j + 2 * L;
        int j3 = j + 3 * L;
        FloatVector x0 = FloatVector.fromArray(S, cr, j);
        FloatVector x1 = FloatVector.fromArray(S, cr, j1);
        FloatVector x2 = FloatVector.fromArray(S, cr, j2);
        FloatVector x3 = FloatVector.fromArray(S, cr, j3);
        for (int k = k0; k < k1; k++) {
            float[] bk = b[k];
            FloatVector s = FloatVector.broadcast(S, ar[k]);
            x0 = FloatVector.fromArray(S, bk, j).fma(s, x0);
            x1 = FloatVector.fromArray(S, bk, j1).fma(s, x1);
            x2 = FloatVector.fromArray(S, bk, j2).fma(s, x2);
            x3 = FloatVector.fromArray(S, bk, j3).fma(s, x3);
        }
        x0.intoArray(cr, j);
        x1.intoArray(cr, j1);
        x2.intoArray(cr, j2);
        x3.intoArray(cr, j3);
    }
}
