package org.diffusion4j.rng;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.commons.rng.core.source32.Philox4x32;
import org.junit.jupiter.api.Test;

/**
 * The (seed, particle, step) points whose words and float normals {@code native-tests/host/test_philox_host.cpp}
 * checks. {@link #main} prints the C++ table (words from {@link NoiseStream#words}, normals from
 * {@link NoiseStream#normalsF32} in hex-float form); the test checks the same words against Commons RNG, so the
 * table rests on an implementation independent of ours.
 */
class NativeVectorsTest {

    static final long[][] POINTS = {
        {0L, 0L, 0L},
        {42L, 0L, 0L},
        {42L, 1L, 0L},
        {42L, 0L, 1L},
        {0x0123_4567_89AB_CDEFL, 123_456_789L, 987_654_321L},
        {-1L, (1L << 40) + 3, (1L << 33) + 1},
        {2024L, 1_000_000L, 199L},
    };

    @Test
    void pointsWordsAgreeWithCommonsRng() {
        int[] w = new int[4];
        for (long[] p : POINTS) {
            new NoiseStream(p[0]).words(p[1], p[2], w);
            Philox4x32 rng = NoiseStreamTest.curandLike(p[0], p[1]);
            for (long s = 0; s < p[2] % 1000; s++) {
                for (int j = 0; j < 4; j++) {
                    rng.nextInt();
                }
            }
            if (p[2] < 1000) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(rng.nextInt(), w[j]);
                }
            } else {
                int[] block = PhiloxTest.commonsBlock((int) p[0], (int) (p[0] >>> 32),
                        (int) p[2], (int) (p[2] >>> 32), (int) p[1], (int) (p[1] >>> 32));
                for (int j = 0; j < 4; j++) {
                    assertEquals(block[j], w[j]);
                }
            }
        }
    }

    /** Prints the C++ table for the host test. */
    public static void main(String[] args) {
        int[] w = new int[4];
        float[] f = new float[4];
        for (long[] p : POINTS) {
            NoiseStream stream = new NoiseStream(p[0]);
            stream.words(p[1], p[2], w);
            stream.normalsF32(p[1], p[2], f);
            System.out.printf("    {0x%016xull, 0x%016xull, 0x%016xull, {0x%08xu, 0x%08xu, 0x%08xu, 0x%08xu},%n"
                    + "     {%sf, %sf, %sf, %sf}},%n", p[0], p[1], p[2], w[0], w[1], w[2], w[3],
                    Float.toHexString(f[0]), Float.toHexString(f[1]), Float.toHexString(f[2]), Float.toHexString(f[3]));
        }
        System.out.println("    two_pi_m32 = " + Float.toHexString((float) (2 * Math.PI * 0x1.0p-32))
                + ", pi_m32 = " + Float.toHexString((float) (Math.PI * 0x1.0p-32)));
    }
}
