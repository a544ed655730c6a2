package org.diffusion4j.model;

/**
 * The network of a model: its time embedding, conditioning, trunk and activation; always 2 inputs (x, y)
 * and 2 outputs. The parameters live in one flat float buffer laid out by {@link ParameterLayout}.
 */
public record NetworkSpec(TimeEmbedding time, Conditioning conditioning, Body body, Activation activation) {

    /** LayerNorm epsilon (PyTorch's default). */
    public static final double LAYER_NORM_EPS = 1e-5;

    public NetworkSpec {
        if (time == null) {
            throw new IllegalArgumentException("network.time: required, one of none, raw, sinusoidal, table");
        }
        if (conditioning == null) {
            throw new IllegalArgumentException("network.conditioning: required, one of none, onehot, continuous, label");
        }
        if (body == null) {
            throw new IllegalArgumentException("network.body: required, one of plain, residual");
        }
        if (activation == null) {
            throw new IllegalArgumentException("network.activation: required, one of relu, silu, softplus");
        }
    }

    /** Width of the concatenated input vector of the first linear layer. */
    public int inputWidth() {
        int w = 2;
        if (body instanceof Body.Plain) {
            w += time.features();
        }
        if (conditioning instanceof Conditioning.OneHot oneHot) {
            w += oneHot.classes();
        } else if (conditioning instanceof Conditioning.Continuous c) {
            w += c.embedDim();
        }
        return w;
    }

    /** Width of the first hidden state (where a label embedding and, for residual trunks, the time MLP are added). */
    public int firstHiddenWidth() {
        if (body instanceof Body.Plain plain) {
            return plain.hidden().get(0);
        }
        return ((Body.Residual) body).width();
    }

    public boolean isConditional() {
        return !(conditioning instanceof Conditioning.None);
    }
}
