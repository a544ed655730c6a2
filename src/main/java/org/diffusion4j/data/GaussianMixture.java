package org.diffusion4j.data;

import org.diffusion4j.rng.NoiseStream;

/**
 * An isotropic Gaussian mixture in the plane: K equally weighted components N(mu_k, std^2 I).
 *
 * <p>The symmetric mixtures of the source documents put mu_k = radius (cos(2 pi k / K), sin(2 pi k / K)).
 */
public record GaussianMixture(double[][] means, double std) {

    public GaussianMixture {
        if (means == null || means.length == 0) {
            throw new IllegalArgumentException("mixture: at least one component is required");
        }
        for (double[] m : means) {
            if (m.length != 2 || !Double.isFinite(m[0]) || !Double.isFinite(m[1])) {
                throw new IllegalArgumentException("mixture: every mean must be a finite point (x, y)");
            }
        }
        if (!(std > 0) || !Double.isFinite(std)) {
            throw new IllegalArgumentException("mixture: std must be a finite number > 0, got " + std);
        }
        double[][] copy = new double[means.length][];
        for (int k = 0; k < means.length; k++) {
            copy[k] = means[k].clone();
        }
        means = copy;
    }

    /** K components on a circle: mu_k = radius (cos(2 pi k / K), sin(2 pi k / K)). */
    public static GaussianMixture symmetric(int modes, double radius, double std) {
        if (modes < 1) {
            throw new IllegalArgumentException("mixture: modes must be >= 1, got " + modes);
        }
        if (!(radius >= 0) || !Double.isFinite(radius)) {
            throw new IllegalArgumentException("mixture: radius must be a finite number >= 0, got " + radius);
        }
        double[][] means = new double[modes][];
        for (int k = 0; k < modes; k++) {
            double angle = 2.0 * Math.PI * k / modes;
            means[k] = new double[] {radius * Math.cos(angle), radius * Math.sin(angle)};
        }
        return new GaussianMixture(means, std);
    }

    public int components() {
        return means.length;
    }

    public double[] mean(int k) {
        return means[k].clone();
    }

    /**
     * n points with their component index as label: point i takes the words of (seed, particle = i, step = 0):
     * component = index(w0, K), offset = std * (n0, n1) from Box-Muller on (w2, w3).
     */
    public Points sample(int n, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("mixture: n must be > 0, got " + n);
        }
        NoiseStream stream = new NoiseStream(seed);
        int[] w = new int[4];
        double[] z = new double[2];
        double[] xy = new double[2 * n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            stream.words(i, 0, w);
            int k = NoiseStream.index(w[0], means.length);
            NoiseStream.boxMuller(w[2], w[3], z, 0);
            xy[2 * i] = means[k][0] + std * z[0];
            xy[2 * i + 1] = means[k][1] + std * z[1];
            labels[i] = k;
        }
        return Points.of(xy, labels, null);
    }

    /** log p(x, y) of the mixture. */
    public double logDensity(double x, double y) {
        return logDensity(x, y, 1.0, std * std);
    }

    /**
     * {@code log(1/K sum_k N((x, y); a mu_k, v I))}: the log density of the mixture scaled by a and convolved to
     * component variance v (a forward-process marginal has a = a(t), v = a^2 std^2 + s(t)^2), with log-sum-exp.
     */
    public double logDensity(double x, double y, double a, double v) {
        double max = Double.NEGATIVE_INFINITY;
        double[] logs = new double[means.length];
        for (int k = 0; k < means.length; k++) {
            double dx = x - a * means[k][0];
            double dy = y - a * means[k][1];
            logs[k] = -(dx * dx + dy * dy) / (2 * v);
            max = Math.max(max, logs[k]);
        }
        double sum = 0;
        for (double l : logs) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum / means.length) - Math.log(2 * Math.PI * v);
    }
}
