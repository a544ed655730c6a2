package org.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.special.Gamma;
import org.diffusion4j.data.Points;
import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;

class KozachenkoLeonenkoTest {
    static final int N = 20_000;
    static final int K = KozachenkoLeonenko.DEFAULT_K;

    /** n standard normal points from the noise stream (Box-Muller pair (w0, w1) of (seed, i, 0)). */
    static double[] standardNormal(int n, long seed) {
        NoiseStream stream = new NoiseStream(seed);
        double[] z = new double[4];
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            stream.normals(i, 0, z);
            xy[2 * i] = z[0];
            xy[2 * i + 1] = z[1];
        }
        return xy;
    }

    static Points affine(double[] z, double s, double mx, double my) {
        double[] xy = new double[z.length];
        for (int i = 0; i < z.length; i += 2) {
            xy[i] = mx + s * z[i];
            xy[i + 1] = my + s * z[i + 1];
        }
        return Points.of(xy);
    }

    @Test
    void handComputedEntropyOfThreePoints() {
        // every point's nearest other point is 5 away: H = psi(3) - psi(1) + log pi + 2 log 5, psi(3) - psi(1) = 3/2
        Points p = Points.of(new double[] {0, 0, 3, 4, 6, 8});
        assertEquals(1.5 + Math.log(Math.PI) + 2 * Math.log(5), KozachenkoLeonenko.entropy(p, 1), 1e-12);
        // cross-entropy: log(2 pi) + mean |x|^2 / 2 = log(2 pi) + (0 + 25 + 100) / 6
        assertEquals(Math.log(2 * Math.PI) + 125.0 / 6, KozachenkoLeonenko.crossEntropyToStandardNormal(p), 1e-12);
    }

    @Test
    void klMatchesTheClosedFormForGaussians() {
        double[] z = standardNormal(N, 77);
        double psi1 = Gamma.trigamma(K);
        double[][] means = {{0, 0}, {1, 0}, {2, -1}};
        for (double[] m : means) {
            for (double s : new double[] {0.5, 1, 2}) {
                int d = 2;
                double m2 = m[0] * m[0] + m[1] * m[1];
                double exact = (d * s * s + m2 - d - 2 * d * Math.log(s)) / 2;
                double kl = KozachenkoLeonenko.klToStandardNormal(affine(z, s, m[0], m[1]));
                // Error = cross-entropy sampling error + entropy error. The first is a mean of |x|^2 / 2 with
                // variance (d s^4 + 2 s^2 |m|^2) / 2 (= s^4 + s^2 |m|^2 in d = 2). The entropy error is the same for
                // every (m, s) (the estimator moves exactly with shifts and scalings); its variance is about
                // (Var(log f) + psi'(k)) / n = (d / 2 + psi'(k)) / n for a Gaussian. 5 sd of each, added as if fully
                // correlated, plus 0.01 for the estimator's bias at n = 20000, k = 5 (second order in the local
                // density variation over a k-NN ball, well below 1e-2 for a Gaussian).
                double sdCross = Math.sqrt((s * s * s * s + s * s * m2) / N);
                double sdEntropy = Math.sqrt((d / 2.0 + psi1) / N);
                double tol = 5 * (sdCross + sdEntropy) + 0.01;
                assertEquals(exact, kl, tol, "m = (" + m[0] + ", " + m[1] + "), s = " + s);
            }
        }
    }

    @Test
    void entropyOfAUniformSquareIsLogArea() {
        NoiseStream stream = new NoiseStream(5);
        int[] w = new int[4];
        double[] u = new double[2 * N];
        for (int i = 0; i < N; i++) {
            stream.words(i, 0, w);
            u[2 * i] = NoiseStream.uniform(w[0]);
            u[2 * i + 1] = NoiseStream.uniform(w[1]);
        }
        for (double[] sides : new double[][] {{1, 1}, {3, 3}, {2, 0.5}}) {
            double[] xy = new double[2 * N];
            for (int i = 0; i < N; i++) {
                xy[2 * i] = sides[0] * u[2 * i];
                xy[2 * i + 1] = sides[1] * u[2 * i + 1];
            }
            double h = KozachenkoLeonenko.entropy(Points.of(xy));
            double exact = Math.log(sides[0] * sides[1]);
            // Sampling sd ~ sqrt(psi'(k) / n) = 0.0033 (log f is constant). The edges bias H upward: within r_k of
            // an edge (a fraction ~ perimeter * r_k / area ~ 4 sqrt(k / (pi n)) = 3.6% for the unit square, 4.5% for
            // the 4:1 rectangle) the ball loses up to half its area, raising d log r_k by at most log 2; so the bias
            // is in [0, 0.05 log 2 * 2] (the factor 2 for r_k up to twice its mean).
            double sd = Math.sqrt(Gamma.trigamma(K) / N);
            assertTrue(h > exact - 5 * sd, "uniform " + sides[0] + " x " + sides[1] + ": " + h + " vs " + exact);
            assertTrue(h < exact + 5 * sd + 0.1 * Math.log(2), "uniform " + sides[0] + " x " + sides[1] + ": " + h);
        }
    }

    @Test
    void documentVariantDiffersByTheDigammaCorrection() {
        Points p = Points.of(standardNormal(N, 3));
        double[] r = KozachenkoLeonenko.kthNeighbourDistances(p, K);
        double meanLog = 0;
        for (double ri : r) {
            meanLog += Math.log(ri + 1e-12);
        }
        meanLog /= r.length;
        // document 000: -log(k) + log(n - 1) + d mean(log(r + 1e-12)) + log V_d
        double document = -Math.log(K) + Math.log(N - 1) + 2 * meanLog + Math.log(Math.PI);
        double ours = KozachenkoLeonenko.entropy(p, K);
        double correction = Gamma.digamma(N) - Gamma.digamma(K) - Math.log(N - 1) + Math.log(K);
        // 1e-9: only the 1e-12 floor (relative to r ~ 1e-2) and summation order differ
        assertEquals(correction, ours - document, 1e-9);
        assertEquals(0.103, correction, 0.001); // log 5 - psi(5) = 0.1033, the document's bias
        double exact = Math.log(2 * Math.PI * Math.E); // entropy of N(0, I) in 2D
        assertTrue(Math.abs(ours - exact) < Math.abs(document - exact),
                "ours " + ours + ", document " + document + ", exact " + exact);
    }

    @Test
    void entropyMovesExactlyWithShiftsAndScalings() {
        double[] z = standardNormal(5000, 9);
        double h = KozachenkoLeonenko.entropy(Points.of(z));
        // H(s x + m) = H(x) + 2 log s; rounding of the scaled coordinates only (relative 1e-16 per distance)
        assertEquals(h + 2 * Math.log(3), KozachenkoLeonenko.entropy(affine(z, 3, -4, 7)), 1e-9);
        assertEquals(h + 2 * Math.log(0.01), KozachenkoLeonenko.entropy(affine(z, 0.01, 100, 0)), 1e-9);
    }

    @Test
    void coincidingPointsGiveInfiniteDivergence() {
        double[] xy = new double[2 * 20];
        for (int i = 6; i < 20; i++) {
            xy[2 * i] = i;
            xy[2 * i + 1] = -i;
        }
        Points p = Points.of(xy); // points 0..5 all at the origin: k + 1 = 6 equal points
        assertEquals(Double.NEGATIVE_INFINITY, KozachenkoLeonenko.entropy(p));
        assertEquals(Double.POSITIVE_INFINITY, KozachenkoLeonenko.klToStandardNormal(p));
    }

    @Test
    void badInputIsRejectedWithTheFieldName() {
        Points five = Points.of(new double[] {0, 0, 1, 0, 0, 1, 1, 1, 2, 2});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KozachenkoLeonenko.entropy(five));
        assertTrue(e.getMessage().startsWith("points:") && e.getMessage().contains("k + 1 = 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KozachenkoLeonenko.entropy(five, 0));
        assertTrue(e.getMessage().startsWith("k:") && e.getMessage().contains(">= 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KozachenkoLeonenko.klToStandardNormal(null));
        assertThrows(IllegalArgumentException.class, () -> KozachenkoLeonenko.crossEntropyToStandardNormal(null));
        // k = n - 1 is allowed: the farthest other point, r^2 = 8, 5, 5, 2, 8; psi(5) - psi(4) = 1/4
        assertEquals(0.25 + Math.log(Math.PI) + Math.log(8.0 * 5 * 5 * 2 * 8) / 5,
                KozachenkoLeonenko.entropy(five, 4), 1e-12);
    }

    @Test
    void klBetweenTwoSamplesMatchesTheGaussianClosedForms() {
        // KL(N(m, I) || N(0, I)) = |m|^2 / 2 and KL(N(0, c^2 I) || N(0, I)) = c^2 - 1 - 2 log c (d = 2).
        // With n = m = 20000 and k = 5 the estimator (checked equal to a SciPy cKDTree version on the same points) had,
        // over 10 NumPy repeats, mean 0.485 std 0.013 for the shift and mean 0.209 std 0.006 for the scaling (a small
        // downward/upward bias of the k-NN estimate); tolerance 0.06, about 4 std plus that bias.
        Points base = Points.of(EnergyDistanceTest.gaussian(20000, 51, 0, 0));
        Points shifted = Points.of(EnergyDistanceTest.gaussian(20000, 52, 0.6, -0.8));
        double[] w = EnergyDistanceTest.gaussian(20000, 53, 0, 0);
        for (int i = 0; i < w.length; i++) {
            w[i] *= 0.7;
        }
        Points narrow = Points.of(w);
        assertEquals(0.5, KozachenkoLeonenko.klBetween(shifted, base), 0.06);
        assertEquals(0.49 - 1 - 2 * Math.log(0.7), KozachenkoLeonenko.klBetween(narrow, base), 0.06);
        assertEquals(0.0, KozachenkoLeonenko.klBetween(Points.of(EnergyDistanceTest.gaussian(20000, 54, 0, 0)), base), 0.03);
        // Asymmetric, as KL is: KL(N(0, I) || N(0, 0.49 I)) = 1 / 0.49 - 1 + log 0.49 = 0.3275.
        assertEquals(1 / 0.49 - 1 + Math.log(0.49), KozachenkoLeonenko.klBetween(base, narrow), 0.06);
    }
}
