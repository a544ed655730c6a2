package org.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.model.Activation;
import org.junit.jupiter.api.Test;

/**
 * CpuMath against Math.exp / Math.log1p in double: relative error at most {@link #EXP_ULPS} ulps of the result for
 * exp on [-87, 88], {@link #ACT_ULPS} for sigmoid, SiLU and softplus on [-200, 200] wherever the result is a normal
 * float (below that, absolute error under the smallest normal float), on a fine grid of the range plus the special
 * points 0, +-20 (the softplus threshold) and the ends. Below x = -88.7, where e^-x overflows, sigmoid and SiLU are 0:
 * there the absolute error is below {@link #FLUSH} (|x| e^x < 3e-37 for x < -88.7).
 */
class CpuMathTest {
    static final double EXP_ULPS = 2;
    static final double ACT_ULPS = 4;
    static final float TINY = Float.MIN_NORMAL;
    static final double FLUSH = 3e-37;

    /** |got - want| in ulps of the float nearest want. */
    static double ulps(float got, double want) {
        return Math.abs(got - want) / Math.ulp((float) want);
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    static double softplus(double x) {
        return Activation.SOFTPLUS.apply(x);
    }

    static void check(String what, float x, float got, double want, double maxUlps) {
        if (Math.abs(want) >= TINY) {
            assertTrue(ulps(got, want) <= maxUlps, what + "(" + x + ") = " + got + ", want " + want + ": " + ulps(got, want) + " ulps");
        } else {
            assertTrue(Math.abs(got - want) < TINY, what + "(" + x + ") = " + got + ", want " + want);
        }
    }

    static void checkAll(float x) {
        if (x < -88.7f) {
            assertTrue(Math.abs(CpuMath.sigmoid(x) - sigmoid(x)) < FLUSH, "sigmoid(" + x + ")");
            assertTrue(Math.abs(CpuMath.silu(x) - x * sigmoid(x)) < FLUSH, "silu(" + x + ")");
        } else {
            check("sigmoid", x, CpuMath.sigmoid(x), sigmoid(x), ACT_ULPS);
            check("silu", x, CpuMath.silu(x), x * sigmoid(x), ACT_ULPS);
        }
        check("softplus", x, CpuMath.softplus(x), softplus(x), ACT_ULPS);
    }

    @Test
    void expOverTheFloatRange() {
        double worst = 0;
        for (float x = -87f; x <= 88f; x = Math.nextUp(x + 1e-4f)) {
            double u = ulps(CpuMath.exp(x), Math.exp(x));
            worst = Math.max(worst, u);
        }
        assertTrue(worst <= EXP_ULPS, "exp: " + worst + " ulps");
        assertEquals(1f, CpuMath.exp(0f));
        assertEquals(Float.POSITIVE_INFINITY, CpuMath.exp(89f));
        assertEquals(Float.POSITIVE_INFINITY, CpuMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(0f, CpuMath.exp(-200f));
        assertEquals(0f, CpuMath.exp(Float.NEGATIVE_INFINITY));
        // subnormal results: absolute error below the smallest subnormal's spacing times a few
        for (float x = -103f; x < -87f; x += 0.01f) {
            assertTrue(Math.abs(CpuMath.exp(x) - Math.exp(x)) <= 2 * Float.MIN_VALUE, "exp(" + x + ")");
        }
    }

    @Test
    void activationsOverTheRange() {
        for (float x = -200f; x <= 200f; x += 1e-3f) {
            checkAll(x);
        }
        for (float x : new float[] {0f, -0f, 20f, Math.nextUp(20f), Math.nextDown(20f), -20f, 1e-30f, -1e-30f, 88.7f, -88.7f, 1e4f, -1e4f}) {
            checkAll(x);
        }
        // above the threshold softplus is x itself and its derivative 1, as in Activation
        for (float x = 20f; x < 1e6f; x = x * 1.001f + 1e-3f) {
            assertEquals(x, CpuMath.softplus(x));
            assertEquals(1f, CpuMath.sigmoid(x));
        }
    }

    /**
     * The array forms the network uses: the same ulp bounds for x >= -87; below, where exp's argument is clamped,
     * sigmoid and softplus are off by less than e^-87 = 1.7e-38 and SiLU by less than |x| 1.7e-38.
     */
    @Test
    void arrayFormsOverTheRange() {
        int n = 400_001;
        float[] x = new float[n + 12];
        for (int i = 0; i < n; i++) {
            x[i] = -200f + i * 1e-3f;
        }
        float[] special = {0f, -0f, 20f, Math.nextUp(20f), Math.nextDown(20f), -20f, 1e-30f, -1e-30f, 88f, -88f, 1e4f, -1e4f};
        System.arraycopy(special, 0, x, n, special.length);
        int len = x.length;
        float[] sg = new float[len];
        float[] si = new float[len];
        float[] sp = new float[len];
        float[] e = new float[len];
        CpuMath.sigmoid(x, sg, len);
        CpuMath.silu(x, si, len);
        CpuMath.softplus(x, sp, len);
        CpuMath.exp(x, e, new float[len], len);
        double clamp = 1.7e-38;
        for (int i = 0; i < len; i++) {
            float v = x[i];
            if (v >= -87f) {
                check("sigmoid", v, sg[i], sigmoid(v), ACT_ULPS);
                check("silu", v, si[i], v * sigmoid(v), ACT_ULPS);
                check("softplus", v, sp[i], softplus(v), ACT_ULPS);
            } else {
                assertTrue(Math.abs(sg[i] - sigmoid(v)) < clamp, "sigmoid(" + v + ")");
                assertTrue(Math.abs(si[i] - v * sigmoid(v)) < Math.abs(v) * clamp, "silu(" + v + ")");
                assertTrue(Math.abs(sp[i] - softplus(v)) < clamp, "softplus(" + v + ")");
            }
            if (v >= -87f && v <= 88f) {
                check("exp", v, e[i], Math.exp(v), EXP_ULPS);
            }
            if (v >= 20f) {
                assertEquals(v, sp[i]);
                assertEquals(1f, sg[i]);
            }
        }
    }
}
