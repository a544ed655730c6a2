package org.diffusion4j.rng;

/**
 * The Philox4x32-10 block function of Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3" (SC 2011).
 *
 * <p>One call maps a 128-bit counter {@code (c0, c1, c2, c3)} and a 64-bit key {@code (k0, k1)} to four
 * 32-bit words. A round is
 * <pre>
 *   (hi0, lo0) = M0 * c0,   (hi1, lo1) = M1 * c2            (32 x 32 -> 64-bit products)
 *   c' = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
 * </pre>
 * and the key is bumped by the Weyl constants {@code (W0, W1)} between rounds. This is the same function as
 * {@code philox4x32_10} of Random123, cuRAND's Philox generator and Commons RNG's {@code Philox4x32}; the
 * device twin lives in {@code kernels/philox.cuh}.
 */
public final class Philox {
    /** Round multipliers. */
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    /** Weyl key increments (golden ratio and sqrt(3) - 1, in 32-bit fixed point). */
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;
    /** Number of rounds. */
    public static final int ROUNDS = 10;

    private static final long MASK = 0xFFFF_FFFFL;

    private Philox() {
    }

    /**
     * Writes {@code philox4x32_10(counter, key)} into {@code out[0..3]}.
     */
    public static void block(int k0, int k1, int c0, int c1, int c2, int c3, int[] out) {
        for (int round = 0; round < ROUNDS; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & MASK) * (c0 & MASK);
            long p1 = (M1 & MASK) * (c2 & MASK);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
