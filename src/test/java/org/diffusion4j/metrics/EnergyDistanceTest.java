package org.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;

/** The energy distance against hand-computed sets and the closed form between shifted Gaussians. */
class EnergyDistanceTest {

    /** n draws of N(m, I) from the shared noise stream. */
    static double[] gaussian(int n, long seed, double mx, double my) {
        NoiseStream s = new NoiseStream(seed);
        double[] z = new double[4];
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            s.normals(i, 0, z);
            xy[2 * i] = mx + z[0];
            xy[2 * i + 1] = my + z[1];
        }
        return xy;
    }

    /** Modified Bessel function I_nu(x) of order 0 or 1 by its power series (converges fast for the small x used). */
    static double besselI(int order, double x) {
        double term = order == 0 ? 1 : x / 2;
        double sum = term;
        for (int k = 1; k < 60; k++) {
            term *= (x / 2) * (x / 2) / (k * (double) (k + order));
            sum += term;
        }
        return sum;
    }

    /**
     * D^2 between N(0, I) and N(m, I) in 2D. X - Y ~ N(m, 2 I), so |X - Y| is Rice(nu = |m|, sigma^2 = 2) with mean
     * sigma sqrt(pi/2) L_{1/2}(-nu^2 / (2 sigma^2)), L_{1/2}(x) = e^{x/2} ((1 - x) I0(-x/2) - x I1(-x/2)); |X - X'| is
     * the same with nu = 0 (L = 1). So D^2 = 2 sqrt(2) sqrt(pi/2) (L_{1/2}(-nu^2/4) - 1) = 2 sqrt(pi) (L - 1).
     */
    static double shiftedGaussians(double nu) {
        double x = -nu * nu / 4;
        double laguerre = Math.exp(x / 2) * ((1 - x) * besselI(0, -x / 2) - x * besselI(1, -x / 2));
        return 2 * Math.sqrt(Math.PI) * (laguerre - 1);
    }

    @Test
    void handComputedTwoPointSets() {
        // a = {(0,0), (1,0)}, b = {(0,3), (0,4)}: within a: 1, within b: 1, across: (3 + 4 + sqrt 10 + sqrt 17) / 4.
        double[] a = {0, 0, 1, 0};
        double[] b = {0, 3, 0, 4};
        double across = (3 + 4 + Math.sqrt(10) + Math.sqrt(17)) / 4;
        assertEquals(2 * across - 1 - 1, EnergyDistance.squared(a, b), 1e-14);
        assertEquals(EnergyDistance.squared(a, b), EnergyDistance.squared(b, a), 1e-14);
    }

    @Test
    void pointMassesAreTwiceTheirDistanceApart() {
        // Two copies of delta_p against two of delta_q: within terms 0, across |p - q| -> D^2 = 2 |p - q|.
        double[] p = {1, 2, 1, 2, 1, 2};
        double[] q = {4, 6, 4, 6};
        assertEquals(10.0, EnergyDistance.squared(p, q), 1e-14);
    }

    @Test
    void shiftedGaussiansMatchTheClosedForm() {
        // Closed form 0.42982 at |m| = 1 and 3.1753 at |m| = 3 (checked against a 20-repeat Monte Carlo, which gave
        // estimator stds 0.019 and 0.051 at n = 2000). n = 4000: std about 0.013 and 0.036; tolerances are 5 std.
        int n = 4000;
        double[] a = gaussian(n, 11, 0, 0);
        double[] near = gaussian(n, 12, 0.6, 0.8);
        double[] far = gaussian(n, 13, 1.8, 2.4);
        assertEquals(0.4298214, shiftedGaussians(1.0), 1e-6);
        assertEquals(shiftedGaussians(1.0), EnergyDistance.squared(a, near), 0.065);
        assertEquals(shiftedGaussians(3.0), EnergyDistance.squared(a, far), 0.18);
    }

    @Test
    void twoDrawsOfOneLawAreNearZero() {
        // Under P = Q the unbiased estimate has mean 0 and std about 1e-3 at n = 2000 (Monte Carlo above).
        double d = EnergyDistance.squared(gaussian(2000, 21, 0, 0), gaussian(2000, 22, 0, 0));
        assertTrue(Math.abs(d) < 5e-3, "same law " + d);
    }

    @Test
    void growsWithTheShift() {
        double[] a = gaussian(1000, 31, 0, 0);
        double last = -1;
        for (double shift : new double[] {0.5, 1, 2, 4}) {
            double d = EnergyDistance.squared(a, gaussian(1000, 32, shift, 0));
            assertTrue(d > last, "shift " + shift + ": " + d + " <= " + last);
            last = d;
        }
        // Far apart (|m| = 4 >> spread), D^2 -> 2 |m| - 2 E|X - X'| = 8 - 2 sqrt(pi) within a few percent.
        assertEquals(shiftedGaussians(4), last, 0.25);
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EnergyDistance.squared(new double[] {0, 0}, new double[] {1, 1, 2, 2}));
        assertTrue(e.getMessage().startsWith("energy distance: each set needs at least 2 points"), e.getMessage());
    }
}
