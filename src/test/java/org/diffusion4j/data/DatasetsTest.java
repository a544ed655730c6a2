package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;

class DatasetsTest {

    static final List<String> ALL = List.of("halfcircles", "ring", "ring-radius", "gmm11", "spiral", "circle",
            "shapes", "swissroll");

    @Test
    void registryListsEveryDatasetAndFindsItByName() {
        assertEquals(ALL, Datasets.names());
        for (String name : ALL) {
            Dataset d = Datasets.byName(name);
            assertEquals(name, d.name());
            // names are a config contract: exact, like every other name in the project
            assertThrows(IllegalArgumentException.class, () -> Datasets.byName(" " + name.toUpperCase() + " "));
        }
    }

    @Test
    void unknownNameListsTheAllowedNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.byName("moons"));
        assertTrue(e.getMessage().contains("'moons'"), e.getMessage());
        for (String name : ALL) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IllegalArgumentException.class, () -> Datasets.byName(null));
    }

    @Test
    void defaultsFollowTheDocuments() {
        assertEquals(2048, Datasets.byName("halfcircles").defaultSize());
        assertEquals(5000, Datasets.byName("ring").defaultSize());
        assertEquals(5000, Datasets.byName("ring-radius").defaultSize());
        assertEquals(5000, Datasets.byName("gmm11").defaultSize());
        assertEquals(1000, Datasets.byName("spiral").defaultSize());
        assertEquals(1000, Datasets.byName("circle").defaultSize());
        assertEquals(1000, Datasets.byName("shapes").defaultSize());
        assertEquals(1000, Datasets.byName("swissroll").defaultSize());
        assertEquals(8, Datasets.byName("ring").classes());
        assertEquals(11, Datasets.byName("gmm11").classes());
        assertEquals(2, Datasets.byName("shapes").classes());
        assertEquals(0, Datasets.byName("spiral").classes());
    }

    @Test
    void nonPositiveSizeIsRejectedWithTheFieldName() {
        for (String name : ALL) {
            Dataset d = Datasets.byName(name);
            for (int n : new int[] {0, -1, Integer.MIN_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.sample(n, 1));
                assertTrue(e.getMessage().contains("n must be > 0"), e.getMessage());
                assertTrue(e.getMessage().contains(name), e.getMessage());
            }
        }
    }

    @Test
    void samplesAreReproducibleAndDependOnTheSeed() {
        for (String name : ALL) {
            Dataset d = Datasets.byName(name);
            Points a = d.sample(300, 17);
            Points b = d.sample(300, 17);
            Points c = d.sample(300, 18);
            assertArrayEquals(a.xy(), b.xy(), name);
            assertFalse(Arrays.equals(a.xy(), c.xy()), name);
            assertEquals(name.equals("shapes") ? 600 : 300, a.size(), name);
        }
    }

    @Test
    void prefixesDoNotDependOnTheSize() {
        for (String name : List.of("ring", "ring-radius", "gmm11", "circle", "swissroll")) {
            Dataset d = Datasets.byName(name);
            double[] small = d.sample(50, 3).xy();
            double[] large = d.sample(500, 3).xy();
            assertArrayEquals(small, Arrays.copyOf(large, small.length), name);
        }
    }

    /** The noise of point i, step 0, as the Box-Muller pair of (w2, w3). */
    static double[] noisePair(long seed, long i, long step) {
        int[] w = new int[4];
        new NoiseStream(seed).words(i, step, w);
        double[] z = new double[2];
        NoiseStream.boxMuller(w[2], w[3], z, 0);
        return z;
    }

    static double uniform(long seed, long i, long step) {
        int[] w = new int[4];
        new NoiseStream(seed).words(i, step, w);
        return NoiseStream.uniform(w[0]);
    }

    @Test
    void halfCirclesFollowDocument000() {
        int n = 2048;
        long seed = 5;
        Points p = Datasets.byName("halfcircles").sample(n, seed);
        int m = n / 2;
        double[] z = new double[4];
        for (int i = 0; i < n; i++) {
            double theta = Math.PI * (i / 2) / (m - 1);
            new NoiseStream(seed).normals(i, 0, z);
            double x = i % 2 == 0 ? 1.4 * Math.cos(theta) + 0.6 : 0.5 * Math.cos(theta + Math.PI) - 0.5;
            double y = i % 2 == 0 ? 0.2 + 1.4 * Math.sin(theta) : 0.5 * Math.sin(theta + Math.PI) - 1.0;
            // a few ulps of the coordinates (about 2): the same formula evaluated in another order
            assertEquals(x + 0.02 * z[0], p.x(i), 1e-14);
            assertEquals(y + 0.02 * z[1], p.y(i), 1e-14);
        }
        // ends of the grid: theta = 0 and theta = pi, within 6 noise standard deviations (0.02 each)
        assertEquals(2.0, p.x(0), 0.12);
        assertEquals(-0.8, p.x(n - 2), 0.12);
        assertEquals(-1.0, p.x(1), 0.12);
        assertEquals(0.0, p.x(n - 1), 0.12);
        // odd sizes still give n points
        assertEquals(7, Datasets.byName("halfcircles").sample(7, 1).size());
        assertEquals(1, Datasets.byName("halfcircles").sample(1, 1).size());
    }

    @Test
    void halfCircleNoiseHasTheDocumentStd() {
        Points p = Datasets.byName("halfcircles").sample(20_000, 9);
        double sumSq = 0;
        for (int i = 0; i < p.size(); i++) {
            double r = i % 2 == 0 ? Math.hypot(p.x(i) - 0.6, p.y(i) - 0.2) - 1.4 : Math.hypot(p.x(i) + 0.5, p.y(i) + 1.0) - 0.5;
            sumSq += r * r;
        }
        // the radial residual is N(0, 0.02^2) to first order (curvature terms ~ 0.02^2 / radius); 5% covers the
        // sampling error of a variance over 20000 draws (sd sqrt(2/20000) = 1%) and the curvature bias
        assertEquals(0.02, Math.sqrt(sumSq / p.size()), 0.02 * 0.05);
    }

    @Test
    void ringIsTheSymmetricMixtureWithModeLabels() {
        Dataset ring = Datasets.byName("ring");
        GaussianMixture g = ring.mixture().orElseThrow();
        assertEquals(8, g.components());
        assertEquals(0.25, g.std());
        assertArrayEquals(new double[] {3 * Math.cos(Math.PI / 4), 3 * Math.sin(Math.PI / 4)}, g.mean(1), 1e-15);
        Points p = ring.sample(5000, 2);
        assertArrayEquals(g.sample(5000, 2).xy(), p.xy());
        assertTrue(p.hasLabels());
        int[] counts = new int[8];
        for (int i = 0; i < p.size(); i++) {
            double[] mean = g.mean(p.label(i));
            double d = Math.hypot(p.x(i) - mean[0], p.y(i) - mean[1]);
            // |offset| / std is chi with 2 degrees of freedom: P(> 7) = exp(-24.5) ~ 2e-11
            assertTrue(d < 7 * 0.25, "point " + i + " is " + d + " from its mode");
            counts[p.label(i)]++;
        }
        for (int c : counts) {
            // binomial(5000, 1/8): sd = 23.4; 5 sd
            assertEquals(625, c, 5 * 23.4);
        }
    }

    @Test
    void ringRadiusCarriesTheRadiusAsValue() {
        Points ring = Datasets.byName("ring").sample(1000, 4);
        Points radius = Datasets.byName("ring-radius").sample(1000, 4);
        assertArrayEquals(ring.xy(), radius.xy());
        assertTrue(radius.hasValues());
        assertFalse(radius.hasLabels());
        for (int i = 0; i < 1000; i++) {
            // hypot and sqrt(x^2 + y^2) may differ by an ulp or two at radius ~3 (ulp 4.4e-16)
            assertEquals(Math.sqrt(ring.x(i) * ring.x(i) + ring.y(i) * ring.y(i)), radius.value(i), 4e-15);
        }
    }

    @Test
    void gmm11HasElevenModesOfRadiusTen() {
        Dataset d = Datasets.byName("gmm11");
        GaussianMixture g = d.mixture().orElseThrow();
        assertEquals(11, g.components());
        assertEquals(1.0, g.std());
        for (int k = 0; k < 11; k++) {
            double a = 2 * Math.PI * k / 11;
            assertArrayEquals(new double[] {10 * Math.cos(a), 10 * Math.sin(a)}, g.mean(k), 1e-14);
        }
        assertEquals(11, d.sample(5000, 1).classes());
        assertTrue(Datasets.byName("spiral").mixture().isEmpty());
    }

    @Test
    void spiralFollowsDocument003() {
        int n = 1000;
        long seed = 12;
        Points p = Datasets.byName("spiral").sample(n, seed);
        double[] raw = new double[2 * n];
        double max = 0;
        for (int i = 0; i < n; i++) {
            double theta = Math.sqrt(uniform(seed, i, 0)) * 720 * (Math.PI / 180);
            double r = 0.5 * theta;
            double[] z = noisePair(seed, i, 0);
            raw[2 * i] = r * Math.cos(theta) + z[0] * 0.3;
            raw[2 * i + 1] = r * Math.sin(theta) + z[1] * 0.3;
            max = Math.max(max, Math.max(Math.abs(raw[2 * i]), Math.abs(raw[2 * i + 1])));
        }
        double largest = 0;
        for (int i = 0; i < 2 * n; i++) {
            // 1e-14: the degree-to-radian conversion above rounds differently from 4 pi
            assertEquals(raw[i] / max, p.xy()[i], 1e-14);
            largest = Math.max(largest, Math.abs(p.xy()[i]));
        }
        assertEquals(1.0, largest, 0.0);
    }

    @Test
    void circleFollowsDocument003() {
        int n = 20_000;
        Points p = Datasets.byName("circle").sample(n, 6);
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double theta = uniform(6, i, 0) * 2 * Math.PI;
            double[] z = noisePair(6, i, 0);
            assertEquals(0.8 * Math.cos(theta) + z[0] * 0.06, p.x(i), 1e-15);
            assertEquals(0.8 * Math.sin(theta) + z[1] * 0.06, p.y(i), 1e-15);
            double r = Math.hypot(p.x(i), p.y(i));
            sum += r;
            sumSq += r * r;
        }
        double mean = sum / n;
        // radius = 0.8 + radial noise N(0, 0.06^2) + O(0.06^2 / 0.8): mean within 0.003, std within 5%
        assertEquals(0.8, mean, 0.003);
        assertEquals(0.06, Math.sqrt(sumSq / n - mean * mean), 0.003);
    }

    @Test
    void shapesAreLabelledSpiralThenCircle() {
        int n = 400;
        Points s = Datasets.byName("shapes").sample(n, 8);
        assertEquals(2 * n, s.size());
        assertEquals(2, s.classes());
        double[] spiral = Datasets.byName("spiral").sample(n, 8).xy();
        double[] xy = s.xy();
        assertArrayEquals(spiral, Arrays.copyOf(xy, 2 * n));
        double[] circleSameStep = Datasets.byName("circle").sample(n, 8).xy();
        assertNotEquals(circleSameStep[0], xy[2 * n], "the circle half uses step 1, independent of the spiral");
        for (int i = 0; i < n; i++) {
            assertEquals(0, s.label(i));
            assertEquals(1, s.label(n + i));
            double theta = uniform(8, i, 1) * 2 * Math.PI;
            double[] z = noisePair(8, i, 1);
            assertEquals(0.8 * Math.cos(theta) + z[0] * 0.06, s.x(n + i), 1e-15);
        }
    }

    @Test
    void swissRollFollowsDocument004() {
        int n = 1000;
        Points p = Datasets.byName("swissroll").sample(n, 21);
        for (int i = 0; i < n; i++) {
            double s = uniform(21, i, 0) * 4 * Math.PI;
            double[] z = noisePair(21, i, 0);
            assertEquals(s * Math.cos(s) + 0.1 * z[0], p.x(i), 1e-14);
            assertEquals(s * Math.sin(s) + 0.1 * z[1], p.y(i), 1e-14);
            // the noiseless radius is s <= 4 pi; 6 noise std of radial slack
            assertTrue(Math.hypot(p.x(i), p.y(i)) <= 4 * Math.PI + 0.6);
        }
    }
}
