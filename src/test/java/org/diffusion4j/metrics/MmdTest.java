package org.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.junit.jupiter.api.Test;

/** The unbiased RBF MMD^2: a hand-computed case, same law ~ 0, far sets large, monotone in a shift. */
class MmdTest {

    @Test
    void handComputedTwoPointSets() {
        // x = {(0,0), (1,0)}, y = {(0,1), (1,1)}, h = 1: k(d) = exp(-d^2 / 2)
        double[] x = {0, 0, 1, 0};
        double[] y = {0, 1, 1, 1};
        double kxx = Math.exp(-0.5);
        double kyy = Math.exp(-0.5);
        double kxy = (Math.exp(-0.5) + Math.exp(-1.0) + Math.exp(-1.0) + Math.exp(-0.5)) / 4;
        assertEquals(kxx + kyy - 2 * kxy, Mmd.squared(x, y, 1.0), 1e-15);
    }

    @Test
    void aSetWithItselfAndTwoDrawsOfOneLawAreNearZero() {
        Points a = Datasets.byName("ring").sample(2000, 1);
        Points b = Datasets.byName("ring").sample(2000, 2);
        double self = Mmd.squared(a, a);
        double same = Mmd.squared(a, b);
        // with itself the U-statistic is 2 (mean off-diagonal - mean cross incl. diagonal) = O(1/n)
        assertTrue(Math.abs(self) < 2e-3, "self " + self);
        assertTrue(Math.abs(same) < 2e-3, "same law " + same);
    }

    @Test
    void farApartSetsAreLargeAndTheDistanceGrowsWithTheShift() {
        Points a = Datasets.byName("gmm11").sample(1500, 3);
        double h = 2.0;
        double last = -1;
        for (double shift : new double[] {0.0, 0.5, 1, 2, 4, 8, 100}) {
            double[] b = Datasets.byName("gmm11").sample(1500, 4).xy();
            for (int i = 0; i < b.length; i += 2) {
                b[i] += shift;
            }
            double d = Mmd.squared(a.xy(), b, h);
            assertTrue(d > last, "shift " + shift + ": " + d + " after " + last);
            last = d;
        }
        // far apart: the cross term vanishes, MMD^2 -> mean k within a + mean k within b
        assertTrue(last > 0.05, "far apart " + last);
    }

    @Test
    void badInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Mmd.squared(new double[] {0, 0}, new double[] {0, 0, 1, 1}, 1));
        assertThrows(IllegalArgumentException.class, () -> Mmd.squared(new double[] {0, 0, 1, 1}, new double[] {0, 0, 1, 1}, 0));
    }
}
