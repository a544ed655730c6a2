package org.diffusion4j.metrics;

import java.util.Arrays;

/**
 * The points the metrics can measure exactly: both coordinates finite and at most {@link #MAX_COORDINATE} in
 * magnitude. The metrics square coordinate differences and sum the squares over the points (sliced Wasserstein, the
 * KL to N(0, I)) or over pairs (the MMD bandwidth): with |x| <= M, a squared distance is at most 2 (2M)^2 = 8 M^2 and
 * a sum over 10^4 points or 10^8 pairs at most 8e8 M^2, which stays below the largest double (1.8e308) for
 * M < 1.5e150; M = 1e100 keeps a wide margin and no real sample comes near it, while a point beyond it would turn the
 * metrics into Infinity and NaN.
 */
public final class MeasurableRange {
    /** The largest coordinate magnitude the metrics take. */
    public static final double MAX_COORDINATE = 1e100;

    private MeasurableRange() {
    }

    /** Whether a point can be measured. */
    public static boolean contains(double x, double y) {
        return Math.abs(x) <= MAX_COORDINATE && Math.abs(y) <= MAX_COORDINATE;
    }

    /** The index of the first point of xy that cannot be measured, or -1. */
    public static int firstOutside(double[] xy) {
        for (int i = 0; i < xy.length / 2; i++) {
            if (!contains(xy[2 * i], xy[2 * i + 1])) {
                return i;
            }
        }
        return -1;
    }

    /** The points of xy that can be measured (xy itself when all can). */
    public static double[] inside(double[] xy) {
        int n = xy.length / 2;
        double[] out = new double[xy.length];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (contains(xy[2 * i], xy[2 * i + 1])) {
                out[k++] = xy[2 * i];
                out[k++] = xy[2 * i + 1];
            }
        }
        return k == xy.length ? xy : Arrays.copyOf(out, k);
    }
}
