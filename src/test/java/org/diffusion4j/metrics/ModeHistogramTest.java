package org.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.GaussianMixture;
import org.junit.jupiter.api.Test;

/** Mode assignment, KL to uniform and the in-mode fraction on known cases. */
class ModeHistogramTest {
    private static final GaussianMixture RING = Datasets.RING_MIXTURE;

    @Test
    void pointsGoToTheirNearestMean() {
        // The ring's means are at angle 2 pi k / 8, radius 3.
        double[] xy = {3, 0.1, 0, 2.9, -3.2, 0, 0.1, -3, 2.0, 2.1, Double.NaN, 0};
        ModeHistogram h = ModeHistogram.of(RING, xy);
        assertArrayEquals(new int[] {1, 1, 1, 0, 1, 0, 1, 0}, h.counts());
        assertEquals(5, h.total(), "the non-finite point is not assigned");
        assertEquals(2, ModeHistogram.nearestMode(RING, 0, 3));
        assertEquals(-1, ModeHistogram.nearestMode(RING, Double.POSITIVE_INFINITY, 0));
        // (2.0, 2.1) is 0.1 from mode 1 (3/sqrt2, 3/sqrt2) = (2.121, 2.121)... within 3 std = 0.75: all five are in mode.
        assertEquals(1.0, h.inModeFraction(), 0.0);
    }

    @Test
    void klToUniformOfKnownHistograms() {
        // All at one mode: log K. Evenly on half the modes: log 2. Evenly on all: 0.
        double[] one = new double[20];
        for (int i = 0; i < 10; i++) {
            one[2 * i] = 3;
        }
        assertEquals(Math.log(8), ModeHistogram.of(RING, one).klToUniform(), 1e-15);
        double[] half = new double[8];
        for (int k = 0; k < 4; k++) {
            double[] mu = RING.mean(2 * k);
            half[2 * k] = mu[0];
            half[2 * k + 1] = mu[1];
        }
        ModeHistogram h = ModeHistogram.of(RING, half);
        assertEquals(Math.log(2), h.klToUniform(), 1e-15);
        assertEquals(4, h.modesCovered());
        double[] all = new double[16];
        for (int k = 0; k < 8; k++) {
            all[2 * k] = RING.mean(k)[0];
            all[2 * k + 1] = RING.mean(k)[1];
        }
        assertEquals(0.0, ModeHistogram.of(RING, all).klToUniform(), 1e-15);
        assertEquals(8, ModeHistogram.of(RING, all).modesCovered());
    }

    @Test
    void trueDrawsAreNearlyUniformAndInMode() {
        // n true draws: E[KL] ~ (K - 1) / (2 n) = 3.5e-4 at n = 10^4; P(in mode) = 1 - exp(-4.5) = 0.98889,
        // binomial std 0.001. The ring's modes are 6 stds apart at radius 3, so nearest-mode errors are negligible.
        ModeHistogram h = ModeHistogram.of(RING, RING.sample(10_000, 5).xy());
        assertTrue(h.klToUniform() < 5 * 3.5e-4, "KL " + h.klToUniform());
        assertEquals(1 - Math.exp(-4.5), h.inModeFraction(), 0.005);
        assertEquals(8, h.modesCovered());
    }

    @Test
    void noPointsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModeHistogram.of(RING, new double[0]));
        assertEquals("mode histogram: at least 1 point is needed, got 0", e.getMessage());
    }
}
