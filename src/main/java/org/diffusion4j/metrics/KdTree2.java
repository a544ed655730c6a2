package org.diffusion4j.metrics;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * A static 2D k-d tree for k-th nearest neighbour distances: an implicit tree over a permuted copy of the
 * points (the median of a range is its node, split on the axis of larger spread), leaves of up to
 * {@value #LEAF} points. Build O(n log n); one query visits O(log n + k) nodes on well-spread data.
 */
final class KdTree2 {
    static final int LEAF = 8;

    private final double[] x;
    private final double[] y;
    private final int[] original;
    private final boolean[] splitOnY;
    /** Distance evaluations of the last {@link #kthDistances} call (a cost measure for tests). */
    final AtomicLong evaluations = new AtomicLong();

    /** A tree over interleaved coordinates (x0, y0, x1, y1, ...). */
    KdTree2(double[] xy) {
        int n = xy.length / 2;
        x = new double[n];
        y = new double[n];
        original = new int[n];
        splitOnY = new boolean[n];
        for (int i = 0; i < n; i++) {
            x[i] = xy[2 * i];
            y[i] = xy[2 * i + 1];
            original[i] = i;
        }
        build(0, n);
    }

    int size() {
        return x.length;
    }

    private void build(int lo, int hi) {
        while (hi - lo > LEAF) {
            double minX = Double.POSITIVE_INFINITY;
            double maxX = Double.NEGATIVE_INFINITY;
            double minY = Double.POSITIVE_INFINITY;
            double maxY = Double.NEGATIVE_INFINITY;
            for (int i = lo; i < hi; i++) {
                minX = Math.min(minX, x[i]);
                maxX = Math.max(maxX, x[i]);
                minY = Math.min(minY, y[i]);
                maxY = Math.max(maxY, y[i]);
            }
            boolean onY = maxY - minY > maxX - minX;
            int mid = (lo + hi) >>> 1;
            select(lo, hi - 1, mid, onY ? y : x);
            splitOnY[mid] = onY;
            build(lo, mid);
            lo = mid + 1;
        }
    }

    /** Rearranges [l, r] so that position k holds the k-th smallest key, smaller-or-equal keys before it. */
    private void select(int l, int r, int k, double[] key) {
        while (true) {
            if (r <= l + 1) {
                if (r == l + 1 && key[r] < key[l]) {
                    swap(l, r);
                }
                return;
            }
            int mid = (l + r) >>> 1;
            swap(mid, l + 1);
            if (key[l] > key[r]) {
                swap(l, r);
            }
            if (key[l + 1] > key[r]) {
                swap(l + 1, r);
            }
            if (key[l] > key[l + 1]) {
                swap(l, l + 1);
            }
            int i = l + 1;
            int j = r;
            double pivot = key[l + 1];
            while (true) {
                do {
                    i++;
                } while (key[i] < pivot);
                do {
                    j--;
                } while (key[j] > pivot);
                if (j < i) {
                    break;
                }
                swap(i, j);
            }
            swap(l + 1, j);
            if (j >= k) {
                r = j - 1;
            }
            if (j <= k) {
                l = i;
            }
        }
    }

    private void swap(int a, int b) {
        double t = x[a];
        x[a] = x[b];
        x[b] = t;
        t = y[a];
        y[a] = y[b];
        y[b] = t;
        int o = original[a];
        original[a] = original[b];
        original[b] = o;
    }

    /**
     * For every point, the distance to its k-th nearest other point (the point itself excluded, duplicates
     * counted), indexed as the input. Queries run in parallel.
     */
    double[] kthDistances(int k) {
        int n = x.length;
        double[] out = new double[n];
        evaluations.set(0);
        IntStream.range(0, n).parallel().forEach(q -> {
            double[] best = new double[k];
            Arrays.fill(best, Double.POSITIVE_INFINITY);
            long[] count = new long[1];
            search(0, n, x[q], y[q], q, best, count);
            out[original[q]] = Math.sqrt(best[k - 1]);
            evaluations.addAndGet(count[0]);
        });
        return out;
    }

    /** For every query point (interleaved), the distance to its k-th nearest tree point. Queries run in parallel. */
    double[] kthDistancesFrom(double[] queries, int k) {
        int m = queries.length / 2;
        double[] out = new double[m];
        IntStream.range(0, m).parallel().forEach(q -> {
            double[] best = new double[k];
            Arrays.fill(best, Double.POSITIVE_INFINITY);
            search(0, x.length, queries[2 * q], queries[2 * q + 1], -1, best, new long[1]);
            out[q] = Math.sqrt(best[k - 1]);
        });
        return out;
    }

    /** k best squared distances from (qx, qy) to the points in [lo, hi), skipping tree position {@code skip}. */
    private void search(int lo, int hi, double qx, double qy, int q, double[] best, long[] count) {
        while (hi - lo > LEAF) {
            int mid = (lo + hi) >>> 1;
            if (mid != q) {
                offer(best, dist2(mid, qx, qy));
                count[0]++;
            }
            double diff = splitOnY[mid] ? qy - y[mid] : qx - x[mid];
            if (diff < 0) {
                search(lo, mid, qx, qy, q, best, count);
                if (diff * diff >= best[best.length - 1]) {
                    return;
                }
                lo = mid + 1;
            } else {
                search(mid + 1, hi, qx, qy, q, best, count);
                if (diff * diff >= best[best.length - 1]) {
                    return;
                }
                hi = mid;
            }
        }
        for (int i = lo; i < hi; i++) {
            if (i != q) {
                offer(best, dist2(i, qx, qy));
                count[0]++;
            }
        }
    }

    private double dist2(int i, double qx, double qy) {
        double dx = x[i] - qx;
        double dy = y[i] - qy;
        return dx * dx + dy * dy;
    }

    /** Inserts d into the ascending list of the k best, dropping the worst. */
    private static void offer(double[] best, double d) {
        int j = best.length - 1;
        if (!(d < best[j])) {
            return;
        }
        while (j > 0 && best[j - 1] > d) {
            best[j] = best[j - 1];
            j--;
        }
        best[j] = d;
    }
}
