package org.diffusion4j.engine.cpu;

/**
 * Float exp, sigmoid, softplus and SiLU from a polynomial and exponent bits, branch-free (straight-line float and int
 * arithmetic, no calls), so that loops over them are candidates for C2's vectorizer.
 *
 * <pre>
 *   exp(x) = 2^n e^r,  n = round(x log2 e),  r = x - n ln2 (ln2 in two parts, nf ln2Hi exact),  |r| <= ln2 / 2
 *   e^r    = sum_{k<=7} r^k / k!          (truncation r^8 / 8! <= 5.3e-9 relative)
 *   2^n    = 2^(n >> 1) 2^(n - (n >> 1))  (two normal factors, so subnormal results and overflow come out right)
 *   log(1 + e) = 2 atanh(s) = 2 s sum_{k<=6} s^2k / (2k + 1),  s = e / (2 + e) <= 1/3 for 0 <= e <= 1
 *                                         (truncation s^14 / 15 <= 1.4e-8 relative)
 * </pre>
 * Max relative error against the correctly rounded value (CpuMathTest): exp 2 ulp (2.4e-7) for x in [-87, 88],
 * sigmoid, SiLU and softplus 4 ulp (4.8e-7) wherever the result is a normal float, except that sigmoid and SiLU are 0
 * below x = -88.7 (true values under 3e-37).
 */
final class CpuMath {
    static final float LOG2E = 1.44269504088896341f;
    /** 1.5 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits. */
    private static final float SHIFT = 12582912f;
    private static final int SHIFT_BITS = Float.floatToRawIntBits(SHIFT);
    /** ln 2 = LN2_HI + LN2_LO, LN2_HI with 16 significant bits (n LN2_HI exact for |n| <= 256). */
    static final float LN2_HI = 0.693145751953125f;
    static final float LN2_LO = 1.42860682030941723212e-6f;
    static final float C2 = 1f / 2;
    static final float C3 = 1f / 6;
    static final float C4 = 1f / 24;
    static final float C5 = 1f / 120;
    static final float C6 = 1f / 720;
    static final float C7 = 1f / 5040;

    private CpuMath() {
    }

    /** e^x; 0 below about -104 (as Math.exp rounded to float), +infinity above about 88.72. */
    static float exp(float x) {
        float xc = Math.min(Math.max(x, -104f), 89f);
        float k = xc * LOG2E + SHIFT;
        int n = Float.floatToRawIntBits(k) - SHIFT_BITS;
        float nf = k - SHIFT;
        float r = (xc - nf * LN2_HI) - nf * LN2_LO;
        float p = 1f + r * (1f + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * C7))))));
        int n1 = n >> 1;
        int n2 = n - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** 1 / (1 + e^-x); e^-x overflows to infinity for x below about -88.7, giving 0. */
    static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }

    /** x sigmoid(x). */
    static float silu(float x) {
        return x / (1f + exp(-x));
    }

    /**
     * log(1 + e^x) = max(x, 0) + log(1 + e^-|x|). Above the threshold 20 this is x exactly in float (the second term is
     * below 2.1e-9, under half an ulp of x), as the reference's cut-off gives.
     */
    static float softplus(float x) {
        float e = exp(-Math.abs(x));
        float s = e / (2f + e);
        float s2 = s * s;
        float q = 1f + s2 * (1f / 3 + s2 * (1f / 5 + s2 * (1f / 7 + s2 * (1f / 9 + s2 * (1f / 11 + s2 * (1f / 13))))));
        return Math.max(x, 0f) + 2f * s * q;
    }

    // ---------------------------------------------------------------------------------------- array forms
    // The loops C2 vectorizes on JDK 17: pure float loops, and a loop whose only int work is a shift of the bits; so
    // exp runs as a polynomial pass and a scaling pass, with 2^n from the shifter's own bits:
    //   k = x log2 e + (1.5 2^23 + 127), an integer in float, bits(k) = bits(1.5 2^23) + n + 127,
    //   bits(k) << 23 = (n + 127) << 23 = bits(2^n)   (the low 9 bits of bits(1.5 2^23) are 0),
    // which needs n + 127 in [1, 254]: x is clamped to [-87, 88] (exp(-87) = 1.6e-38, exp(88) = 1.65e38).

    static final float SHIFT127 = SHIFT + 127f;
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[256]);

    private static float[] buf(int n) {
        float[] b = BUF.get();
        if (b.length < n) {
            b = new float[n];
            BUF.set(b);
        }
        return b;
    }

    /** e[i] = exp(min(max(u[i], -87), 88)), i < n, with k a work array; u and e may be the same array. */
    static void exp(float[] u, float[] e, float[] k, int n) {
        for (int i = 0; i < n; i++) {
            float x = Math.min(Math.max(u[i], -87f), 88f);
            float ki = x * LOG2E + SHIFT127;
            float nf = ki - SHIFT127;
            float r = (x - nf * LN2_HI) - nf * LN2_LO;
            k[i] = ki;
            e[i] = 1f + r * (1f + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * C7))))));
        }
        for (int i = 0; i < n; i++) {
            e[i] *= Float.intBitsToFloat(Float.floatToRawIntBits(k[i]) << 23);
        }
    }

    /** One element of {@link #exp(float[], float[], float[], int)}: the same operations, the same bits. */
    static float expClamped(float u) {
        float x = Math.min(Math.max(u, -87f), 88f);
        float ki = x * LOG2E + SHIFT127;
        float nf = ki - SHIFT127;
        float r = (x - nf * LN2_HI) - nf * LN2_LO;
        float e = 1f + r * (1f + r * (C2 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * C7))))));
        return e * Float.intBitsToFloat(Float.floatToRawIntBits(ki) << 23);
    }

    /** The series of {@link #softplus(float[], float[], int)} for e = e^-|z|: its bits for one element. */
    static float softplusOf(float z, float e) {
        float s = e / (2f + e);
        float s2 = s * s;
        float q = 1f + s2 * (1f / 3 + s2 * (1f / 5 + s2 * (1f / 7 + s2 * (1f / 9 + s2 * (1f / 11 + s2 * (1f / 13))))));
        return Math.max(z, 0f) + 2f * s * q;
    }

    /** s[i] = sigmoid(z[i]) = 1 / (1 + e^-z); for z < -88 that is 1 / (1 + e^88) < 6.1e-39. z and s may alias. */
    static void sigmoid(float[] z, float[] s, int n) {
        for (int i = 0; i < n; i++) {
            s[i] = -z[i];
        }
        exp(s, s, buf(n), n);
        for (int i = 0; i < n; i++) {
            s[i] = 1f / (1f + s[i]);
        }
    }

    /** a[i] = z[i] sigmoid(z[i]); z and a distinct. */
    static void silu(float[] z, float[] a, int n) {
        sigmoid(z, a, n);
        for (int i = 0; i < n; i++) {
            a[i] *= z[i];
        }
    }

    /** a[i] = softplus(z[i]) = max(z, 0) + log(1 + e^-|z|) (the scalar form's series); z and a distinct. */
    static void softplus(float[] z, float[] a, int n) {
        for (int i = 0; i < n; i++) {
            a[i] = -Math.abs(z[i]);
        }
        exp(a, a, buf(n), n);
        for (int i = 0; i < n; i++) {
            a[i] = softplusOf(z[i], a[i]);
        }
    }
}
