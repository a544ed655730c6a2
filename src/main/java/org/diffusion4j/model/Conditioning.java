package org.diffusion4j.model;

/** How the network sees the conditioning variable of a conditional model. */
public sealed interface Conditioning {

    String kind();

    /** Unconditional. */
    record None() implements Conditioning {
        @Override
        public String kind() {
            return "none";
        }
    }

    /** A one-hot vector of {@code classes} entries concatenated to the input (document 001, mode index). */
    record OneHot(int classes) implements Conditioning {
        public OneHot {
            if (classes < 2) {
                throw new IllegalArgumentException("network.classes: must be >= 2, got " + classes);
            }
        }

        @Override
        public String kind() {
            return "onehot";
        }
    }

    /**
     * A continuous value c through a small MLP {@code Linear(1, e) -> act -> Linear(e, e)}, concatenated to the
     * input (document 001, radius).
     */
    record Continuous(int embedDim) implements Conditioning {
        public Continuous {
            if (embedDim <= 0) {
                throw new IllegalArgumentException("network.cond_dim: must be > 0, got " + embedDim);
            }
        }

        @Override
        public String kind() {
            return "continuous";
        }
    }

    /** A learned table of {@code classes} rows, added to the first hidden state (document 003, shape label). */
    record LabelEmbedding(int classes) implements Conditioning {
        public LabelEmbedding {
            if (classes < 2) {
                throw new IllegalArgumentException("network.classes: must be >= 2, got " + classes);
            }
        }

        @Override
        public String kind() {
            return "label";
        }
    }
}
