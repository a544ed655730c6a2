package org.diffusion4j.metrics;

import org.diffusion4j.data.GaussianMixture;

/**
 * How samples of an equally weighted Gaussian mixture spread over its modes: each point goes to its nearest mean;
 * a point within {@link #IN_MODE_STDS} component stds of that mean counts as "in mode" (a true draw is, with
 * probability {@code 1 - exp(-IN_MODE_STDS^2 / 2)} = 0.989 in 2D).
 *
 * <p>{@code KL(h || uniform) = sum_k p_k log(K p_k)} with {@code p_k} the fraction of points nearest to mode k (0 log 0
 * = 0): 0 when every mode gets the same share, {@code log K} when all points sit at one mode. For n true draws its
 * expected value is about {@code (K - 1) / (2 n)}.
 */
public record ModeHistogram(int[] counts, long inMode) {

    /** Radius, in component stds, within which a point counts as in its mode. */
    public static final double IN_MODE_STDS = 3.0;

    public ModeHistogram {
        counts = counts.clone();
    }

    /** The histogram of interleaved (x, y) points over the modes of a mixture. */
    public static ModeHistogram of(GaussianMixture mixture, double[] xy) {
        int n = xy.length / 2;
        if (n < 1) {
            throw new IllegalArgumentException("mode histogram: at least 1 point is needed, got 0");
        }
        int[] counts = new int[mixture.components()];
        double r2 = IN_MODE_STDS * IN_MODE_STDS * mixture.std() * mixture.std();
        long in = 0;
        for (int i = 0; i < n; i++) {
            double x = xy[2 * i];
            double y = xy[2 * i + 1];
            int k = nearestMode(mixture, x, y);
            if (k < 0) {
                continue;
            }
            counts[k]++;
            double[] mu = mixture.means()[k];
            double dx = x - mu[0];
            double dy = y - mu[1];
            if (dx * dx + dy * dy <= r2) {
                in++;
            }
        }
        return new ModeHistogram(counts, in);
    }

    /** The index of the mean nearest to (x, y) (the lowest index on ties), -1 for a non-finite point. */
    public static int nearestMode(GaussianMixture mixture, double x, double y) {
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            return -1;
        }
        double[][] means = mixture.means();
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int k = 0; k < means.length; k++) {
            double dx = x - means[k][0];
            double dy = y - means[k][1];
            double d = dx * dx + dy * dy;
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }

    /** Points assigned to a mode (the finite ones). */
    public long total() {
        long s = 0;
        for (int c : counts) {
            s += c;
        }
        return s;
    }

    /** p_k: the fraction of the assigned points nearest to each mode. */
    public double[] fractions() {
        long n = total();
        double[] p = new double[counts.length];
        for (int k = 0; k < p.length; k++) {
            p[k] = n == 0 ? 0 : (double) counts[k] / n;
        }
        return p;
    }

    /** {@code sum_k p_k log(K p_k)}, in nats. */
    public double klToUniform() {
        if (total() == 0) {
            return Double.NaN;
        }
        int modes = counts.length;
        double kl = 0;
        for (double p : fractions()) {
            if (p > 0) {
                kl += p * Math.log(modes * p);
            }
        }
        return kl;
    }

    /** The fraction of the assigned points within IN_MODE_STDS stds of their mode. */
    public double inModeFraction() {
        long n = total();
        return n == 0 ? Double.NaN : (double) inMode / n;
    }

    /** Modes that received at least a tenth of the uniform share {@code n / K}. */
    public int modesCovered() {
        long n = total();
        int covered = 0;
        for (int c : counts) {
            if (c * 10L * counts.length >= n && c > 0) {
                covered++;
            }
        }
        return covered;
    }
}
