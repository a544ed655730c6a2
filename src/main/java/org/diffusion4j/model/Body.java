package org.diffusion4j.model;

import java.util.List;

/** The trunk of the network. */
public sealed interface Body {

    String kind();

    /**
     * A plain MLP: {@code input -> [Linear -> act] per hidden width -> Linear -> 2}. The input is
     * {@code (x, y, time features, one-hot or conditioning embedding)}; a label embedding is added to the first
     * hidden pre-activation.
     */
    record Plain(List<Integer> hidden) implements Body {
        public Plain {
            if (hidden == null || hidden.isEmpty()) {
                throw new IllegalArgumentException("network.hidden: at least one hidden width is required");
            }
            for (Integer w : hidden) {
                if (w == null || w <= 0) {
                    throw new IllegalArgumentException("network.hidden: every width must be > 0, got " + hidden);
                }
            }
            hidden = List.copyOf(hidden);
        }

        @Override
        public String kind() {
            return "plain";
        }
    }

    /**
     * Document 003's residual MLP of width H:
     * <pre>
     *   h = Linear(input -> H) + timeMlp(time features) [+ label embedding]
     *   timeMlp = Linear(features -> H) -> act -> Linear(H -> H)
     *   per block: h = h + Linear(H -> H)(act(Linear(H -> H)(LayerNorm(h))))
     *   out = Linear(H/2 -> 2)(act(Linear(H -> H/2)(LayerNorm(h))))
     * </pre>
     * LayerNorm has a learned gain and bias and eps = 1e-5. The input is {@code (x, y, one-hot or conditioning
     * embedding)}; time enters only through the time MLP.
     */
    record Residual(int width, int blocks) implements Body {
        public Residual {
            if (width < 2 || width % 2 != 0) {
                throw new IllegalArgumentException("network.width: must be an even number >= 2, got " + width);
            }
            if (blocks < 0) {
                throw new IllegalArgumentException("network.blocks: must be >= 0, got " + blocks);
            }
        }

        @Override
        public String kind() {
            return "residual";
        }
    }
}
