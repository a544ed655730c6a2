package org.diffusion4j.model;

/** How the network sees time. */
public sealed interface TimeEmbedding {

    /** Number of features this embedding produces. */
    int features();

    String kind();

    /** The network takes no time input (single-noise-level score models). */
    record None() implements TimeEmbedding {
        @Override
        public int features() {
            return 0;
        }

        @Override
        public String kind() {
            return "none";
        }
    }

    /** One feature, {@code scale * t} (raw t with scale 1; t / T for a step index). */
    record Raw(double scale) implements TimeEmbedding {
        public Raw {
            if (!Double.isFinite(scale) || scale == 0) {
                throw new IllegalArgumentException("network.time_scale: must be a finite non-zero number, got " + scale);
            }
        }

        @Override
        public int features() {
            return 1;
        }

        @Override
        public String kind() {
            return "raw";
        }
    }

    /**
     * {@code dim} features {@code (sin(w_0 t), cos(w_0 t), sin(w_1 t), cos(w_1 t), ...)}, {@code w_i = 10000^(-2i / dim)}
     * (document 003's interleaved layout); dim must be even.
     */
    record Sinusoidal(int dim) implements TimeEmbedding {
        public Sinusoidal {
            if (dim <= 0 || dim % 2 != 0) {
                throw new IllegalArgumentException("network.time_dim: must be an even number > 0, got " + dim);
            }
        }

        /** Frequency w_i = 10000^(-2i / dim). */
        public double frequency(int i) {
            return Math.exp(-(2.0 * i / dim) * Math.log(10000.0));
        }

        @Override
        public int features() {
            return dim;
        }

        @Override
        public String kind() {
            return "sinusoidal";
        }
    }

    /** A learned table of {@code steps} rows of {@code dim} features, indexed by the integer step t. */
    record Table(int steps, int dim) implements TimeEmbedding {
        public Table {
            if (steps <= 0) {
                throw new IllegalArgumentException("network.time_steps: must be > 0, got " + steps);
            }
            if (dim <= 0) {
                throw new IllegalArgumentException("network.time_dim: must be > 0, got " + dim);
            }
        }

        @Override
        public int features() {
            return dim;
        }

        @Override
        public String kind() {
            return "table";
        }
    }
}
