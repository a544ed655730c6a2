package org.diffusion4j.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KdTree2Test {

    /** The k-th nearest other point by exhaustive search. */
    static double[] bruteForce(double[] xy, int k) {
        int n = xy.length / 2;
        double[] out = new double[n];
        double[] d = new double[n - 1];
        for (int i = 0; i < n; i++) {
            int m = 0;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    d[m++] = Math.hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]);
                }
            }
            Arrays.sort(d);
            out[i] = d[k - 1];
        }
        return out;
    }

    static void assertMatchesBruteForce(double[] xy, int k) {
        double[] expected = bruteForce(xy, k);
        double[] got = new KdTree2(xy).kthDistances(k);
        // sqrt(dx^2 + dy^2) against hypot: a couple of ulps of the distance
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-15 * (1 + expected[i]), "point " + i + " k " + k);
        }
    }

    @Test
    void matchesBruteForceOnSpreadOutPoints() {
        SplittableRandom r = new SplittableRandom(1);
        double[] xy = new double[2 * 3000];
        for (int i = 0; i < xy.length; i++) {
            xy[i] = r.nextGaussian() * (i % 2 == 0 ? 1 : 10);
        }
        for (int k : new int[] {1, 2, 5, 17}) {
            assertMatchesBruteForce(xy, k);
        }
    }

    @Test
    void matchesBruteForceWithDuplicatesTiesAndLines() {
        SplittableRandom r = new SplittableRandom(2);
        int n = 1500;
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            if (i % 3 == 0) { // a vertical line: many equal x
                xy[2 * i] = 1.0;
                xy[2 * i + 1] = r.nextInt(50);
            } else if (i % 3 == 1) { // integer grid: many exact ties and duplicate points
                xy[2 * i] = r.nextInt(10);
                xy[2 * i + 1] = r.nextInt(10);
            } else { // a far cluster
                xy[2 * i] = 1e6 + r.nextDouble();
                xy[2 * i + 1] = -1e6 + r.nextDouble();
            }
        }
        for (int k : new int[] {1, 5, 9}) {
            assertMatchesBruteForce(xy, k);
        }
    }

    @Test
    void smallSetsAreOneLeaf() {
        double[] xy = {0, 0, 3, 4, 6, 8};
        assertArrayEquals(new double[] {5, 5, 5}, new KdTree2(xy).kthDistances(1), 0.0);
        assertArrayEquals(new double[] {10, 5, 10}, new KdTree2(xy).kthDistances(2), 0.0);
    }

    @Test
    void aQueryVisitsFewPoints() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 100_000;
        double[] xy = new double[2 * n];
        for (int i = 0; i < xy.length; i++) {
            xy[i] = r.nextDouble();
        }
        KdTree2 tree = new KdTree2(xy);
        double[] d = tree.kthDistances(5);
        assertEquals(n, d.length);
        // an exhaustive search costs n - 1 = 99999 evaluations per query; the tree's cost on uniform data is a few
        // leaves plus the path (observed ~43); 300 leaves room while excluding any super-logarithmic behaviour
        double perQuery = tree.evaluations.get() / (double) n;
        assertTrue(perQuery < 300, "distance evaluations per query: " + perQuery);
        // spot check against brute force
        for (int i = 0; i < n; i += 9973) {
            double[] all = new double[n - 1];
            int m = 0;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    all[m++] = Math.hypot(xy[2 * i] - xy[2 * j], xy[2 * i + 1] - xy[2 * j + 1]);
                }
            }
            Arrays.sort(all);
            assertEquals(all[4], d[i], 1e-15);
        }
    }
}
