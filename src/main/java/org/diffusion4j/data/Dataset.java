package org.diffusion4j.data;

import java.util.Optional;

/**
 * A named 2D data distribution that draws reproducible samples from a seed.
 */
public interface Dataset {
    /** The name used in configs and on the command line. */
    String name();

    /** The size the source document trains on (the default n). */
    int defaultSize();

    /** n points drawn with the given seed; the same (n, seed) gives the same points. */
    Points sample(int n, long seed);

    /** The closed-form density as a Gaussian mixture, for the mixture datasets (ring, gmm11). */
    default Optional<GaussianMixture> mixture() {
        return Optional.empty();
    }

    /** Number of label classes of the labelled variant (modes, shapes), 0 when there are none. */
    default int classes() {
        return 0;
    }
}
