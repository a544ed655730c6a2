package org.diffusion4j.rng;

/**
 * The one noise stream of every engine: Philox4x32-10 keyed by the seed, addressed by (particle, step).
 *
 * <p>Layout (that of cuRAND's {@code curand_init(seed, subsequence = particle, offset = 4 * step)}):
 * <pre>
 *   key     = (seed & 0xffffffff, seed >>> 32)
 *   counter = (step & 0xffffffff, step >>> 32, particle & 0xffffffff, particle >>> 32)
 *   words   = philox4x32_10(counter, key)                     four 32-bit words per (particle, step)
 * </pre>
 * so the CUDA kernels, the CPU engine and the reference engine draw the same words for the same
 * (seed, particle, step), whatever the batch size or the device.
 *
 * <p>Words become uniforms on (0, 1) as {@code u = w * 2^-32 + 2^-33} (cuRAND's {@code curand_uniform}), and
 * pairs of words become normals by Box-Muller, in cuRAND's order:
 * <pre>
 *   u = w0 * 2^-32 + 2^-33,   v = w1 * 2pi 2^-32 + pi 2^-32,   r = sqrt(-2 ln u)
 *   n0 = r sin v,   n1 = r cos v            (and the same for w2, w3 -> n2, n3)
 * </pre>
 * The float variant pins the arithmetic: the word is rounded to float first, the affine maps are single
 * {@code fma}s in float, and {@code ln, sqrt, sin, cos} are evaluated in double and rounded once to float
 * (the device uses {@code __fmaf_rn} and the accurate {@code logf, sqrtf, sinf, cosf}, not the fast intrinsics,
 * which are too coarse for v in (0, 2 pi); the two sides agree to float rounding).
 */
public final class NoiseStream {
    /** 2^-32. */
    public static final double TWO_POW_M32 = 0x1.0p-32;
    private static final float TWO_POW_M32_F = 0x1.0p-32f;
    private static final float TWO_POW_M33_F = 0x1.0p-33f;
    private static final double TWO_PI = 2.0 * Math.PI;
    /** 2 pi 2^-32 and pi 2^-32, as float: the constants of the device Box-Muller. */
    private static final float TWO_PI_M32_F = (float) (TWO_PI * TWO_POW_M32);
    private static final float PI_M32_F = (float) (Math.PI * TWO_POW_M32);

    private final long seed;
    private final int key0;
    private final int key1;

    public NoiseStream(long seed) {
        this.seed = seed;
        this.key0 = (int) seed;
        this.key1 = (int) (seed >>> 32);
    }

    public long seed() {
        return seed;
    }

    /** The four Philox words of (particle, step). */
    public void words(long particle, long step, int[] out) {
        Philox.block(key0, key1, (int) step, (int) (step >>> 32), (int) particle, (int) (particle >>> 32), out);
    }

    /** A word as a uniform on (0, 1): {@code w * 2^-32 + 2^-33} (exact in double). */
    public static double uniform(int word) {
        return (word & 0xFFFF_FFFFL) * TWO_POW_M32 + 0.5 * TWO_POW_M32;
    }

    /** A word as an index in {@code [0, n)}: {@code floor(w * n / 2^32)}, exact integer arithmetic. */
    public static int index(int word, int n) {
        return (int) (((word & 0xFFFF_FFFFL) * n) >>> 32);
    }

    /** Four standard normals for (particle, step), in double (Box-Muller on the four words). */
    public void normals(long particle, long step, double[] out) {
        int[] w = new int[4];
        words(particle, step, w);
        boxMuller(w[0], w[1], out, 0);
        boxMuller(w[2], w[3], out, 2);
    }

    /** Four standard normals for (particle, step), in float with the pinned arithmetic of the device. */
    public void normalsF32(long particle, long step, float[] out) {
        int[] w = new int[4];
        words(particle, step, w);
        boxMullerF32(w[0], w[1], out, 0);
        boxMullerF32(w[2], w[3], out, 2);
    }

    /** Box-Muller in double: {@code (r sin v, r cos v)} into {@code out[at], out[at + 1]}. */
    public static void boxMuller(int w0, int w1, double[] out, int at) {
        double u = uniform(w0);
        double v = (w1 & 0xFFFF_FFFFL) * (TWO_PI * TWO_POW_M32) + Math.PI * TWO_POW_M32;
        double r = Math.sqrt(-2.0 * Math.log(u));
        out[at] = r * Math.sin(v);
        out[at + 1] = r * Math.cos(v);
    }

    /** Box-Muller in float, the pinned twin of the device code. */
    public static void boxMullerF32(int w0, int w1, float[] out, int at) {
        float u = Math.fma(toFloat(w0), TWO_POW_M32_F, TWO_POW_M33_F);
        float v = Math.fma(toFloat(w1), TWO_PI_M32_F, PI_M32_F);
        float r = (float) Math.sqrt(-2.0f * (float) Math.log(u));
        out[at] = r * (float) Math.sin(v);
        out[at + 1] = r * (float) Math.cos(v);
    }

    /** An unsigned 32-bit word rounded to the nearest float ({@code __uint2float_rn}). */
    static float toFloat(int word) {
        return (float) (word & 0xFFFF_FFFFL);
    }
}
