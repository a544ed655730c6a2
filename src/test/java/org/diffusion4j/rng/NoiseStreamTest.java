package org.diffusion4j.rng;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.commons.rng.core.source32.Philox4x32;
import org.junit.jupiter.api.Test;

/**
 * The (seed, particle, step) layout of {@link NoiseStream}, its uniforms and its Box-Muller normals.
 */
class NoiseStreamTest {

    /**
     * A Commons RNG Philox4x32 positioned like cuRAND's {@code curand_init(seed, subsequence = particle, offset = 0)}:
     * key = (seed lo, seed hi), first block at counter = (0, 0, particle lo, particle hi). Commons RNG emits the
     * block after its seed counter first, so it is seeded one block earlier: (2^64 - 1, particle - 1).
     */
    static Philox4x32 curandLike(long seed, long particle) {
        long hi = particle - 1;
        return new Philox4x32(new int[] {(int) seed, (int) (seed >>> 32), -1, -1, (int) hi, (int) (hi >>> 32)});
    }

    @Test
    void wordsFollowTheCurandSubsequenceOffsetLayout() {
        long[] seeds = {0L, 42L, 0x0123_4567_89AB_CDEFL, -1L};
        long[] particles = {0L, 1L, 7L, (1L << 32) + 5, -2L};
        int[] words = new int[4];
        for (long seed : seeds) {
            NoiseStream stream = new NoiseStream(seed);
            for (long particle : particles) {
                Philox4x32 rng = curandLike(seed, particle);
                // offset = 4 * step: the step-th block of four words of the subsequence
                for (long step = 0; step < 40; step++) {
                    stream.words(particle, step, words);
                    for (int j = 0; j < 4; j++) {
                        assertEquals(rng.nextInt(), words[j], "seed " + seed + " particle " + particle + " step " + step);
                    }
                }
            }
        }
    }

    @Test
    void wordsAreTheBlockOfKeySeedAndCounterStepParticle() {
        long seed = 0x7766_5544_3322_1100L;
        long particle = 0x0000_0003_0000_0009L;
        long step = 0x0000_0001_FFFF_FFFFL;
        int[] words = new int[4];
        new NoiseStream(seed).words(particle, step, words);
        int[] block = new int[4];
        Philox.block(0x3322_1100, 0x7766_5544, 0xFFFF_FFFF, 0x1, 0x9, 0x3, block);
        assertArrayEquals(block, words);
        // the layout is not symmetric in (particle, step)
        int[] swapped = new int[4];
        new NoiseStream(seed).words(step, particle, swapped);
        assertFalse(Arrays.equals(words, swapped));
    }

    @Test
    void wordsDoNotDependOnBatchOrderOrThreads() {
        int particles = 2000;
        int steps = 3;
        NoiseStream stream = new NoiseStream(99);
        int[][] inOrder = new int[particles * steps][4];
        for (int p = 0; p < particles; p++) {
            for (int s = 0; s < steps; s++) {
                stream.words(p, s, inOrder[p * steps + s]);
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < particles * steps; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(5));
        NoiseStream fresh = new NoiseStream(99);
        int[] w = new int[4];
        for (int i : order) {
            fresh.words(i / steps, i % steps, w);
            assertArrayEquals(inOrder[i], w);
        }
        int[][] parallel = new int[particles * steps][4];
        IntStream.range(0, particles * steps).parallel()
                .forEach(i -> fresh.words(i / steps, i % steps, parallel[i]));
        for (int i = 0; i < particles * steps; i++) {
            assertArrayEquals(inOrder[i], parallel[i]);
        }
        // distinct (particle, step) give distinct 128-bit blocks
        Set<String> blocks = new HashSet<>();
        for (int[] b : inOrder) {
            blocks.add(Arrays.toString(b));
        }
        assertEquals(particles * steps, blocks.size());
    }

    @Test
    void differentSeedsGiveDifferentWords() {
        int[] a = new int[4];
        int[] b = new int[4];
        new NoiseStream(1).words(0, 0, a);
        new NoiseStream(1L << 32).words(0, 0, b);
        assertFalse(Arrays.equals(a, b), "the high half of the seed is part of the key");
        assertEquals(1L << 32, new NoiseStream(1L << 32).seed());
    }

    @Test
    void uniformIsExactAtTheEndWordsAndInsideTheOpenInterval() {
        assertEquals(0x1.0p-33, NoiseStream.uniform(0), 0.0);
        assertEquals(1.0 - 0x1.0p-33, NoiseStream.uniform(0xFFFF_FFFF), 0.0);
        assertEquals(0.5 + 0x1.0p-33, NoiseStream.uniform(0x8000_0000), 0.0);
        Random random = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            int word = random.nextInt();
            double u = NoiseStream.uniform(word);
            assertTrue(u > 0 && u < 1, "u = " + u);
            // exact: u * 2^32 - 1/2 recovers the unsigned word
            assertEquals(word & 0xFFFF_FFFFL, (long) (u * 0x1.0p32 - 0.5));
        }
    }

    @Test
    void indexCoversTheRangeExactly() {
        assertEquals(0, NoiseStream.index(0, 8));
        assertEquals(7, NoiseStream.index(0xFFFF_FFFF, 8));
        assertEquals(4, NoiseStream.index(0x8000_0000, 8));
        assertEquals(10, NoiseStream.index(0xFFFF_FFFF, 11));
        assertEquals(0, NoiseStream.index(0xFFFF_FFFF, 1));
    }

    /**
     * Bound on |float normal - double normal| from the float arithmetic of {@link NoiseStream#boxMullerF32}.
     * With e = 2^-24 (float unit roundoff is e/2): the word rounded to float and the fma give u and v with
     * relative error <= e; ln u then has absolute error <= e (1 + |ln u|), so r = sqrt(-2 ln u) has error
     * <= e (1 + |ln u|) / r + e r = e (1 + r^2 / 2) / r + e r; v has absolute error <= 2 pi e / 2 + ulp(v) / 2
     * <= 2^-21, which moves sin v, cos v by as much; the last product adds e |n|. A factor 2 covers the rounding
     * of sin/cos to float (the largest error seen over 2e6 pairs is about half of this bound).
     */
    static double floatTolerance(double r) {
        double e = 0x1.0p-24;
        double rError = e * (1 + r * r / 2) / Math.max(r, 1e-300) + e * r;
        return 2 * (rError + r * 0x1.0p-21 + e * r);
    }

    @Test
    void floatNormalsAgreeWithDoubleNormalsToFloatRounding() {
        Random random = new Random(11);
        double[] d = new double[2];
        float[] f = new float[2];
        double worst = 0;
        for (int i = 0; i < 2_000_000; i++) {
            int w0 = random.nextInt();
            int w1 = random.nextInt();
            if (i < 64) {
                w0 = (i & 1) == 0 ? i : -1 - i; // words next to both ends of (0, 1)
            }
            NoiseStream.boxMuller(w0, w1, d, 0);
            NoiseStream.boxMullerF32(w0, w1, f, 0);
            double r = Math.hypot(d[0], d[1]);
            double tol = floatTolerance(r);
            for (int j = 0; j < 2; j++) {
                double err = Math.abs(f[j] - d[j]);
                assertTrue(err <= tol, "words " + w0 + ", " + w1 + ": float " + f[j] + " double " + d[j]);
                worst = Math.max(worst, err / tol);
            }
        }
        assertTrue(worst > 0, "the float path must not simply be the double path");
    }

    @Test
    void normalsAndNormalsF32UseTheSameWords() {
        NoiseStream stream = new NoiseStream(2024);
        double[] d = new double[4];
        float[] f = new float[4];
        int[] w = new int[4];
        double[] pair = new double[2];
        for (long p = 0; p < 1000; p++) {
            stream.normals(p, 3, d);
            stream.normalsF32(p, 3, f);
            stream.words(p, 3, w);
            NoiseStream.boxMuller(w[2], w[3], pair, 0);
            assertEquals(pair[0], d[2], 0.0);
            assertEquals(pair[1], d[3], 0.0);
            for (int j = 0; j < 4; j++) {
                double r = j < 2 ? Math.hypot(d[0], d[1]) : Math.hypot(d[2], d[3]);
                assertEquals(d[j], f[j], floatTolerance(r));
            }
        }
    }

    @Test
    void normalsAreFiniteAtTheExtremeWords() {
        int[] extremes = {0, 1, -1, -2, 0x8000_0000, 0x7FFF_FFFF};
        double[] d = new double[2];
        float[] f = new float[2];
        for (int w0 : extremes) {
            for (int w1 : extremes) {
                NoiseStream.boxMuller(w0, w1, d, 0);
                NoiseStream.boxMullerF32(w0, w1, f, 0);
                assertTrue(Double.isFinite(d[0]) && Double.isFinite(d[1]));
                assertTrue(Float.isFinite(f[0]) && Float.isFinite(f[1]));
            }
        }
        // the largest radius: u = 2^-33, r = sqrt(66 ln 2)
        NoiseStream.boxMuller(0, 0, d, 0);
        assertEquals(Math.sqrt(66 * Math.log(2)), Math.hypot(d[0], d[1]), 1e-12); // double rounding only
    }

    @Test
    void normalsHaveMeanZeroAndVarianceOne() {
        NoiseStream stream = new NoiseStream(7);
        int draws = 250_000;
        long count = 4L * draws;
        double sum = 0;
        double sumSq = 0;
        double sumF = 0;
        double sumSqF = 0;
        double sumCross = 0;
        double[] d = new double[4];
        float[] f = new float[4];
        for (int p = 0; p < draws; p++) {
            stream.normals(p, 0, d);
            stream.normalsF32(p, 0, f);
            for (int j = 0; j < 4; j++) {
                sum += d[j];
                sumSq += d[j] * d[j];
                sumF += f[j];
                sumSqF += (double) f[j] * f[j];
            }
            sumCross += d[0] * d[1] + d[2] * d[3];
        }
        double mean = sum / count;
        double var = sumSq / count - mean * mean;
        // standard errors: mean 1/sqrt(N), variance sqrt(2/N) (normal fourth moment 3); 5 sigma bounds
        double meanTol = 5 / Math.sqrt(count);
        double varTol = 5 * Math.sqrt(2.0 / count);
        assertEquals(0, mean, meanTol);
        assertEquals(1, var, varTol);
        assertEquals(0, sumF / count, meanTol);
        assertEquals(1, sumSqF / count, varTol);
        // the two normals of a pair are uncorrelated: the mean product has standard error 1/sqrt(N/2)
        assertEquals(0, sumCross / (count / 2.0), 5 / Math.sqrt(count / 2.0));
    }

    @Test
    void uniformsHaveMeanOneHalfAndVarianceOneTwelfth() {
        NoiseStream stream = new NoiseStream(8);
        int[] w = new int[4];
        long count = 0;
        double sum = 0;
        double sumSq = 0;
        for (int p = 0; p < 250_000; p++) {
            stream.words(p, 1, w);
            for (int word : w) {
                double u = NoiseStream.uniform(word);
                sum += u;
                sumSq += u * u;
                count++;
            }
        }
        double mean = sum / count;
        // mean: sd 1/sqrt(12 N); variance of U: Var((U - 1/2)^2) = 1/80 - 1/144, 5 sigma bounds
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / count));
        assertEquals(1.0 / 12, sumSq / count - mean * mean, 5 * Math.sqrt((1.0 / 80 - 1.0 / 144) / count));
    }
}
