package org.diffusion4j.metrics;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.diffusion4j.data.Points;

/**
 * Maximum mean discrepancy between two 2D point sets with the Gaussian (RBF) kernel
 * {@code k(x, y) = exp(-|x - y|^2 / (2 h^2))}. The estimator is the unbiased U-statistic
 * <pre>
 *   MMD^2 = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j) - 2/(mn) sum_{i, j} k(x_i, y_j)
 * </pre>
 * (it can be slightly negative when the sets come from the same law). The bandwidth h is the median pairwise distance
 * of the pooled sample (the median heuristic), taken over a strided subsample of at most {@link #BANDWIDTH_SAMPLE}
 * pooled points. All pairs are evaluated (10k x 10k is 2 10^8 kernel values), rows in parallel; row sums are added in
 * a fixed order, so the result does not depend on the thread count.
 */
public final class Mmd {

    /** Pooled points used for the median heuristic. */
    public static final int BANDWIDTH_SAMPLE = 2000;

    private Mmd() {
    }

    /** The unbiased MMD^2 estimate with the median-heuristic bandwidth of the pooled sample. */
    public static double squared(Points a, Points b) {
        return squared(a.xy(), b.xy(), medianBandwidth(a.xy(), b.xy()));
    }

    /** The unbiased MMD^2 estimate of interleaved (x, y) arrays with kernel bandwidth h. */
    public static double squared(double[] a, double[] b, double h) {
        int m = a.length / 2;
        int n = b.length / 2;
        if (m < 2 || n < 2) {
            throw new IllegalArgumentException("mmd: each set needs at least 2 points, got " + m + " and " + n);
        }
        if (!(h > 0) || !Double.isFinite(h)) {
            throw new IllegalArgumentException("mmd.bandwidth: must be a finite number > 0, got " + h);
        }
        double g = 1.0 / (2 * h * h);
        double xx = 2 * within(a, g) / ((double) m * (m - 1));
        double yy = 2 * within(b, g) / ((double) n * (n - 1));
        double[] rows = new double[m];
        IntStream.range(0, m).parallel().forEach(i -> {
            double s = 0;
            double xi = a[2 * i];
            double yi = a[2 * i + 1];
            for (int j = 0; j < n; j++) {
                double dx = xi - b[2 * j];
                double dy = yi - b[2 * j + 1];
                s += Math.exp(-g * (dx * dx + dy * dy));
            }
            rows[i] = s;
        });
        double xy = sum(rows) / ((double) m * n);
        return xx + yy - 2 * xy;
    }

    /** Sum over pairs i < j of k(p_i, p_j). */
    private static double within(double[] p, double g) {
        int n = p.length / 2;
        double[] rows = new double[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double s = 0;
            double xi = p[2 * i];
            double yi = p[2 * i + 1];
            for (int j = i + 1; j < n; j++) {
                double dx = xi - p[2 * j];
                double dy = yi - p[2 * j + 1];
                s += Math.exp(-g * (dx * dx + dy * dy));
            }
            rows[i] = s;
        });
        return sum(rows);
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    /** The median of the pairwise distances of the pooled points (strided subsample of at most BANDWIDTH_SAMPLE). */
    public static double medianBandwidth(double[] a, double[] b) {
        int total = (a.length + b.length) / 2;
        int k = Math.min(total, BANDWIDTH_SAMPLE);
        double[] pool = new double[2 * k];
        for (int s = 0; s < k; s++) {
            int i = (int) ((long) s * total / k);
            double[] src = i < a.length / 2 ? a : b;
            int j = i < a.length / 2 ? i : i - a.length / 2;
            pool[2 * s] = src[2 * j];
            pool[2 * s + 1] = src[2 * j + 1];
        }
        double[] d = new double[k * (k - 1) / 2];
        int c = 0;
        for (int i = 0; i < k; i++) {
            for (int j = i + 1; j < k; j++) {
                d[c++] = Math.hypot(pool[2 * i] - pool[2 * j], pool[2 * i + 1] - pool[2 * j + 1]);
            }
        }
        if (c == 0) {
            throw new IllegalArgumentException("mmd: need at least 2 points for the bandwidth");
        }
        Arrays.sort(d);
        double median = c % 2 == 1 ? d[c / 2] : 0.5 * (d[c / 2 - 1] + d[c / 2]);
        if (!(median > 0)) {
            throw new IllegalArgumentException("mmd: the pooled points coincide, the median distance is " + median);
        }
        return median;
    }
}
