package org.diffusion4j.data;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.diffusion4j.rng.NoiseStream;

/**
 * The datasets of the source documents, by name.
 *
 * <p>All randomness comes from {@link NoiseStream}: point i takes the words of (seed, particle = i, step = s) with
 * a step s fixed per dataset, so a point does not depend on the other points, and the first points of a larger
 * sample equal a smaller sample wherever the construction allows it (not for {@code halfcircles}, whose angle grid
 * depends on n, nor for {@code spiral}, which is scaled by the largest coordinate of the whole set).
 * <ul>
 *   <li>{@code halfcircles} (000): point 2j on the circle of radius 1.4 centred (0.6, 0.2) at theta_j, point 2j+1
 *       on the circle of radius 0.5 centred (-0.5, -1) at theta_j + pi, with theta_j = pi j / (m - 1) on an even grid
 *       of m = ceil(n / 2) angles in [0, pi]; plus N(0, 0.02^2 I). Default n = 2048.</li>
 *   <li>{@code ring} (001): 8 modes at radius 3, std 0.25, labels = mode index. Default n = 5000.</li>
 *   <li>{@code ring-radius} (001): the ring points with the continuous value |x| (radius conditioning).</li>
 *   <li>{@code gmm11} (002): 11 modes at angles 2 pi k / 11, radius 10, std 1, labels = mode index. n = 5000.</li>
 *   <li>{@code spiral} (003): theta = sqrt(u) 4 pi, r = theta / 2, x = r (cos theta, sin theta) + N(0, 0.3^2 I), then
 *       every coordinate divided by the largest |coordinate| of the set. Default n = 1000.</li>
 *   <li>{@code circle} (003): theta = 2 pi u, x = 0.8 (cos theta, sin theta) + N(0, 0.06^2 I). Default n = 1000.</li>
 *   <li>{@code shapes} (003): n spiral points (label 0) followed by n circle points (label 1): 2n points for n.</li>
 *   <li>{@code swissroll} (004): s = 4 pi u, x = (s cos s, s sin s) + N(0, 0.1^2 I). Default n = 1000.</li>
 * </ul>
 * Here u = {@link NoiseStream#uniform}(w0) and the normal pair is {@link NoiseStream#boxMuller}(w2, w3).
 */
public final class Datasets {
    public static final String HALFCIRCLES = "halfcircles";
    public static final String RING = "ring";
    public static final String RING_RADIUS = "ring-radius";
    public static final String GMM11 = "gmm11";
    public static final String SPIRAL = "spiral";
    public static final String CIRCLE = "circle";
    public static final String SHAPES = "shapes";
    public static final String SWISSROLL = "swissroll";

    /** The ring mixture of 001: 8 modes, radius 3, std 0.25. */
    public static final GaussianMixture RING_MIXTURE = GaussianMixture.symmetric(8, 3.0, 0.25);
    /** The mixture of 002: 11 modes, radius 10, std 1. */
    public static final GaussianMixture GMM11_MIXTURE = GaussianMixture.symmetric(11, 10.0, 1.0);

    private static final Map<String, Dataset> BY_NAME = new LinkedHashMap<>();

    static {
        register(new Generated(HALFCIRCLES, 2048, 0, null, Datasets::halfCircles));
        register(new Generated(RING, 5000, 8, RING_MIXTURE, RING_MIXTURE::sample));
        register(new Generated(RING_RADIUS, 5000, 0, RING_MIXTURE, Datasets::ringRadius));
        register(new Generated(GMM11, 5000, 11, GMM11_MIXTURE, GMM11_MIXTURE::sample));
        register(new Generated(SPIRAL, 1000, 0, null, (n, seed) -> spiral(n, seed, 0, false)));
        register(new Generated(CIRCLE, 1000, 0, null, (n, seed) -> circle(n, seed, 0, false)));
        register(new Generated(SHAPES, 1000, 2, null, Datasets::shapes));
        register(new Generated(SWISSROLL, 1000, 0, null, Datasets::swissRoll));
    }

    private Datasets() {
    }

    private static void register(Dataset dataset) {
        BY_NAME.put(dataset.name(), dataset);
    }

    /** The registered names, in a fixed order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** The dataset of that name (exactly as listed); an unknown name is an error listing the allowed names. */
    public static Dataset byName(String name) {
        Dataset dataset = name == null ? null : BY_NAME.get(name);
        if (dataset == null) {
            throw new IllegalArgumentException("dataset: unknown dataset '" + name + "', allowed: "
                    + String.join(", ", BY_NAME.keySet()));
        }
        return dataset;
    }

    private interface Sampler {
        Points sample(int n, long seed);
    }

    private record Generated(String name, int defaultSize, int classes, GaussianMixture density, Sampler sampler)
            implements Dataset {
        @Override
        public Points sample(int n, long seed) {
            if (n <= 0) {
                throw new IllegalArgumentException("dataset " + name + ": n must be > 0, got " + n);
            }
            return sampler.sample(n, seed);
        }

        @Override
        public Optional<GaussianMixture> mixture() {
            return Optional.ofNullable(density);
        }

        @Override
        public String toString() {
            return "Dataset[" + name + "]";
        }
    }

    /** Two half circles (000), noise std 0.02. */
    static Points halfCircles(int n, long seed) {
        NoiseStream stream = new NoiseStream(seed);
        int angles = (n + 1) / 2;
        double[] xy = new double[2 * n];
        double[] z = new double[4];
        for (int i = 0; i < n; i++) {
            int j = i / 2;
            double theta = angles == 1 ? 0.0 : Math.PI * j / (angles - 1);
            double x;
            double y;
            if (i % 2 == 0) {
                x = 0.6 + 1.4 * Math.cos(theta);
                y = 0.2 + 1.4 * Math.sin(theta);
            } else {
                x = -0.5 + 0.5 * Math.cos(theta + Math.PI);
                y = -1.0 + 0.5 * Math.sin(theta + Math.PI);
            }
            stream.normals(i, 0, z);
            xy[2 * i] = x + 0.02 * z[0];
            xy[2 * i + 1] = y + 0.02 * z[1];
        }
        return Points.of(xy);
    }

    /** Ring points with value = radius |x|. */
    static Points ringRadius(int n, long seed) {
        Points ring = RING_MIXTURE.sample(n, seed);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = Math.hypot(ring.x(i), ring.y(i));
        }
        return Points.of(ring.xy(), null, values);
    }

    /** Fills xy[2i..] with the unscaled spiral point i of (seed, i, step). */
    private static void spiralInto(NoiseStream stream, int n, int step, double[] xy, int offset) {
        int[] w = new int[4];
        double[] z = new double[2];
        for (int i = 0; i < n; i++) {
            stream.words(i, step, w);
            double theta = Math.sqrt(NoiseStream.uniform(w[0])) * 4.0 * Math.PI;
            double r = 0.5 * theta;
            NoiseStream.boxMuller(w[2], w[3], z, 0);
            xy[offset + 2 * i] = r * Math.cos(theta) + 0.3 * z[0];
            xy[offset + 2 * i + 1] = r * Math.sin(theta) + 0.3 * z[1];
        }
    }

    static Points spiral(int n, long seed, int step, boolean labelled) {
        double[] xy = new double[2 * n];
        spiralInto(new NoiseStream(seed), n, step, xy, 0);
        double max = 0;
        for (double c : xy) {
            max = Math.max(max, Math.abs(c));
        }
        for (int i = 0; i < xy.length; i++) {
            xy[i] /= max;
        }
        return Points.of(xy, labelled ? new int[n] : null, null);
    }

    static Points circle(int n, long seed, int step, boolean labelled) {
        NoiseStream stream = new NoiseStream(seed);
        int[] w = new int[4];
        double[] z = new double[2];
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            stream.words(i, step, w);
            double theta = 2.0 * Math.PI * NoiseStream.uniform(w[0]);
            NoiseStream.boxMuller(w[2], w[3], z, 0);
            xy[2 * i] = 0.8 * Math.cos(theta) + 0.06 * z[0];
            xy[2 * i + 1] = 0.8 * Math.sin(theta) + 0.06 * z[1];
        }
        int[] labels = null;
        if (labelled) {
            labels = new int[n];
            Arrays.fill(labels, 1);
        }
        return Points.of(xy, labels, null);
    }

    /** n spiral points (label 0, step 0) then n circle points (label 1, step 1). */
    static Points shapes(int n, long seed) {
        if (n > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("dataset shapes: n must be <= " + Integer.MAX_VALUE / 4 + ", got " + n);
        }
        Points spiral = spiral(n, seed, 0, true);
        Points circle = circle(n, seed, 1, true);
        double[] xy = new double[4 * n];
        System.arraycopy(spiral.xy(), 0, xy, 0, 2 * n);
        System.arraycopy(circle.xy(), 0, xy, 2 * n, 2 * n);
        int[] labels = new int[2 * n];
        Arrays.fill(labels, n, 2 * n, 1);
        return Points.of(xy, labels, null);
    }

    static Points swissRoll(int n, long seed) {
        NoiseStream stream = new NoiseStream(seed);
        int[] w = new int[4];
        double[] z = new double[2];
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            stream.words(i, 0, w);
            double s = 4.0 * Math.PI * NoiseStream.uniform(w[0]);
            NoiseStream.boxMuller(w[2], w[3], z, 0);
            xy[2 * i] = s * Math.cos(s) + 0.1 * z[0];
            xy[2 * i + 1] = s * Math.sin(s) + 0.1 * z[1];
        }
        return Points.of(xy);
    }
}
