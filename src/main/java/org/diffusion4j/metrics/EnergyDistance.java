package org.diffusion4j.metrics;

import java.util.stream.IntStream;
import org.diffusion4j.data.Points;

/**
 * The energy distance between two 2D point sets (Szekely and Rizzo):
 * <pre>
 *   D^2(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'|,   X, X' ~ P,  Y, Y' ~ Q,
 * </pre>
 * zero exactly when P = Q. The estimator uses the U-statistics of the within-set terms (pairs i != j), so it is
 * unbiased and can be slightly negative for two draws of one law:
 * <pre>
 *   2/(mn) sum_{i,j} |x_i - y_j| - 1/(m(m-1)) sum_{i != j} |x_i - x_j| - 1/(n(n-1)) sum_{i != j} |y_i - y_j|.
 * </pre>
 * All pairs are evaluated, rows in parallel; row sums are added in a fixed order, so the result does not depend on
 * the thread count. The value reported is D^2 (same units as a distance).
 */
public final class EnergyDistance {

    private EnergyDistance() {
    }

    /** The unbiased estimate of D^2 between two sets. */
    public static double squared(Points a, Points b) {
        return squared(a.xy(), b.xy());
    }

    /** The unbiased estimate of D^2 between interleaved (x, y) arrays. */
    public static double squared(double[] a, double[] b) {
        int m = a.length / 2;
        int n = b.length / 2;
        if (m < 2 || n < 2) {
            throw new IllegalArgumentException("energy distance: each set needs at least 2 points, got " + m + " and " + n);
        }
        double[] rows = new double[m];
        IntStream.range(0, m).parallel().forEach(i -> {
            double s = 0;
            double xi = a[2 * i];
            double yi = a[2 * i + 1];
            for (int j = 0; j < n; j++) {
                double dx = xi - b[2 * j];
                double dy = yi - b[2 * j + 1];
                s += Math.sqrt(dx * dx + dy * dy);
            }
            rows[i] = s;
        });
        double across = sum(rows) / ((double) m * n);
        double withinA = 2 * within(a) / ((double) m * (m - 1));
        double withinB = 2 * within(b) / ((double) n * (n - 1));
        return 2 * across - withinA - withinB;
    }

    /** Sum over pairs i < j of |p_i - p_j|. */
    private static double within(double[] p) {
        int n = p.length / 2;
        double[] rows = new double[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double s = 0;
            double xi = p[2 * i];
            double yi = p[2 * i + 1];
            for (int j = i + 1; j < n; j++) {
                double dx = xi - p[2 * j];
                double dy = yi - p[2 * j + 1];
                s += Math.sqrt(dx * dx + dy * dy);
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
}
