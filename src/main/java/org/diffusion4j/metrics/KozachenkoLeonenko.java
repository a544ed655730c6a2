package org.diffusion4j.metrics;

import org.apache.commons.math3.special.Gamma;
import org.diffusion4j.data.Points;

/**
 * Differential entropy of 2D samples by the Kozachenko-Leonenko k-nearest-neighbour estimator, and the KL
 * divergence to N(0, I) built on it (document 000's measure of how far the forward process is from its prior).
 *
 * <p>With r_i the distance from x_i to its k-th nearest other sample, d = 2 and V_d = pi^{d/2} / Gamma(d/2 + 1)
 * the volume of the unit ball (pi in the plane):
 * <pre>
 *   H = psi(n) - psi(k) + log V_d + (d / n) sum_i log r_i                (psi = digamma)
 * </pre>
 * Document 000 uses {@code log(n - 1) - log(k)} in place of {@code psi(n) - psi(k)} and adds 1e-12 to r_i. Since
 * log k - psi(k) is about 1/(2k) (0.103 nats at k = 5), its entropy is biased low by about that much, and its KL
 * high; here the consistent estimator is used. Coinciding points (r_i = 0) give H = -infinity (and KL = +infinity):
 * a sample with k + 1 equal points has no density, and no floor is added.
 *
 * <p>The neighbour search is a 2D k-d tree, O(n log n) on spread-out data.
 */
public final class KozachenkoLeonenko {
    /** The k of document 000. */
    public static final int DEFAULT_K = 5;
    private static final int D = 2;

    private KozachenkoLeonenko() {
    }

    /** For every point, the distance to its k-th nearest other point (duplicates counted). */
    public static double[] kthNeighbourDistances(Points points, int k) {
        check(points, k);
        return new KdTree2(points.xy()).kthDistances(k);
    }

    /** H with k = {@value #DEFAULT_K}. */
    public static double entropy(Points points) {
        return entropy(points, DEFAULT_K);
    }

    /** H = psi(n) - psi(k) + log pi + (2 / n) sum_i log r_i. */
    public static double entropy(Points points, int k) {
        double[] r = kthNeighbourDistances(points, k);
        int n = r.length;
        double sumLog = 0;
        for (double ri : r) {
            sumLog += Math.log(ri);
        }
        return Gamma.digamma(n) - Gamma.digamma(k) + Math.log(Math.PI) + D * sumLog / n;
    }

    /** Cross-entropy of the samples to N(0, I): mean of -log N(x_i; 0, I) = log(2 pi) + |x_i|^2 / 2. */
    public static double crossEntropyToStandardNormal(Points points) {
        if (points == null) {
            throw new IllegalArgumentException("points: must not be null");
        }
        int n = points.size();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 0.5 * (points.x(i) * points.x(i) + points.y(i) * points.y(i));
        }
        return Math.log(2 * Math.PI) + sum / n;
    }

    /** KL(p || N(0, I)) with k = {@value #DEFAULT_K}. */
    public static double klToStandardNormal(Points points) {
        return klToStandardNormal(points, DEFAULT_K);
    }

    /** KL(p || N(0, I)) = cross-entropy(p, N(0, I)) - H(p), both estimated from the samples. */
    public static double klToStandardNormal(Points points, int k) {
        return crossEntropyToStandardNormal(points) - entropy(points, k);
    }

    /** KL(p || q) between the laws of two samples with k = {@value #DEFAULT_K}. */
    public static double klBetween(Points p, Points q) {
        return klBetween(p, q, DEFAULT_K);
    }

    /**
     * KL(p || q) from samples x ~ p (n points) and y ~ q (m points), the k-NN estimator of Wang, Kulkarni and Verdu:
     * <pre>
     *   KL = (d / n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1)),
     * </pre>
     * rho_k(i) the distance from x_i to its k-th nearest other x, nu_k(i) to its k-th nearest y.
     */
    public static double klBetween(Points p, Points q, int k) {
        check(p, k);
        check(q, k);
        double[] rho = new KdTree2(p.xy()).kthDistances(k);
        double[] nu = new KdTree2(q.xy()).kthDistancesFrom(p.xy(), k);
        int n = rho.length;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.log(nu[i] / rho[i]);
        }
        return D * sum / n + Math.log((double) q.size() / (n - 1));
    }

    private static void check(Points points, int k) {
        if (points == null) {
            throw new IllegalArgumentException("points: must not be null");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k: must be >= 1, got " + k);
        }
        if (points.size() <= k) {
            throw new IllegalArgumentException("points: " + points.size() + " points are too few for k = " + k
                    + "; at least k + 1 = " + (k + 1) + " are required");
        }
    }
}
