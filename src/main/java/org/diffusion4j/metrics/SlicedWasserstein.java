package org.diffusion4j.metrics;

import java.util.Arrays;
import org.diffusion4j.data.Points;

/**
 * The sliced 2-Wasserstein distance between two point sets in the plane (sizes may differ):
 * <pre>
 *   SW_2(A, B)^2 = 1/P sum_j W_2^2(&lt;A, theta_j&gt;, &lt;B, theta_j&gt;),   theta_j = (cos phi_j, sin phi_j),  phi_j = pi j / P
 *   W_2^2(a, b)  = int_0^1 (F_a^{-1}(u) - F_b^{-1}(u))^2 du          (1D, empirical quantile functions)
 * </pre>
 * The P directions are evenly spaced over the half circle, so the estimate is deterministic (no seed). The 1D
 * integral is exact: both quantile functions are step functions and the integral runs over the merged breakpoints
 * {@code i / n} and {@code j / m}. For P >= 2, a copy shifted by m has {@code SW_2^2 = |m|^2 / 2} exactly.
 */
public final class SlicedWasserstein {
    /** Number of directions of {@link #standard()}. */
    public static final int DEFAULT_DIRECTIONS = 256;

    private final int directions;
    private final double[] cos;
    private final double[] sin;

    public SlicedWasserstein(int directions) {
        if (directions <= 0) {
            throw new IllegalArgumentException("directions: must be > 0, got " + directions);
        }
        this.directions = directions;
        this.cos = new double[directions];
        this.sin = new double[directions];
        for (int j = 0; j < directions; j++) {
            double phi = Math.PI * j / directions;
            cos[j] = Math.cos(phi);
            sin[j] = Math.sin(phi);
        }
    }

    /** 256 evenly spaced directions. */
    public static SlicedWasserstein standard() {
        return new SlicedWasserstein(DEFAULT_DIRECTIONS);
    }

    public int directions() {
        return directions;
    }

    /** {@code SW_2(a, b)} for interleaved point sets {@code (x0, y0, x1, y1, ...)}. */
    public double distance(double[] a, double[] b) {
        return Math.sqrt(squared(a, b));
    }

    public double distance(Points a, Points b) {
        return distance(a.xy(), b.xy());
    }

    /** {@code SW_2(a, b)^2 = 1/P sum_j W_2^2} of the projections. */
    public double squared(double[] a, double[] b) {
        check("a", a);
        check("b", b);
        double[] pa = new double[a.length / 2];
        double[] pb = new double[b.length / 2];
        double sum = 0;
        for (int j = 0; j < directions; j++) {
            project(a, cos[j], sin[j], pa);
            project(b, cos[j], sin[j], pb);
            Arrays.sort(pa);
            Arrays.sort(pb);
            sum += sortedWasserstein2Squared(pa, pb);
        }
        return sum / directions;
    }

    /** {@code W_2^2} between two 1D empirical distributions (any order; the arrays are not changed). */
    public static double wasserstein2Squared(double[] a, double[] b) {
        check1d("a", a);
        check1d("b", b);
        double[] sa = a.clone();
        double[] sb = b.clone();
        Arrays.sort(sa);
        Arrays.sort(sb);
        return sortedWasserstein2Squared(sa, sb);
    }

    /**
     * {@code int_0^1 (F_a^{-1} - F_b^{-1})^2 du} for sorted samples: on each piece between consecutive merged breakpoints
     * u in {i / n} and {j / m} both quantile functions are constant (sa[i], sb[j]).
     */
    static double sortedWasserstein2Squared(double[] sa, double[] sb) {
        int n = sa.length;
        int m = sb.length;
        int i = 0;
        int j = 0;
        double u = 0;
        double sum = 0;
        while (i < n && j < m) {
            // next breakpoints (i + 1) / n and (j + 1) / m, compared exactly as (i + 1) m vs (j + 1) n
            long ni = (long) (i + 1) * m;
            long nj = (long) (j + 1) * n;
            double next = ni <= nj ? (double) (i + 1) / n : (double) (j + 1) / m;
            double d = sa[i] - sb[j];
            sum += (next - u) * d * d;
            u = next;
            if (ni <= nj) {
                i++;
            }
            if (nj <= ni) {
                j++;
            }
        }
        return sum;
    }

    private static void project(double[] xy, double c, double s, double[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = c * xy[2 * i] + s * xy[2 * i + 1];
        }
    }

    private static void check(String field, double[] xy) {
        if (xy == null || xy.length == 0 || xy.length % 2 != 0) {
            throw new IllegalArgumentException(field + ": must hold at least one interleaved (x, y) pair, got "
                    + (xy == null ? "null" : xy.length + " values"));
        }
        for (double v : xy) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(field + ": coordinates must be finite, got " + v);
            }
        }
    }

    private static void check1d(String field, double[] v) {
        if (v == null || v.length == 0) {
            throw new IllegalArgumentException(field + ": must hold at least one value");
        }
        for (double x : v) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException(field + ": values must be finite, got " + x);
            }
        }
    }
}
