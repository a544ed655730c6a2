package org.diffusion4j.model;

/**
 * The network of a model: its time embedding, conditioning, trunk and activation; always 2 inputs (x, y)
 * and 2 outputs. The parameters live in one flat float buffer laid out by {@link ParameterLayout}. The precision of its
 * layer GEMMs is how the cuda engine computes it, not part of the model: checkpoints do not hold it and a checkpoint
 * matches a network of any precision ({@link #sameModel}).
 */
public record NetworkSpec(TimeEmbedding time, Conditioning conditioning, Body body, Activation activation, Precision precision) {

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
        if (precision == null) {
            throw new IllegalArgumentException("network.precision: required, one of " + Precision.names());
        }
    }

    /** A network computed in FP32. */
    public NetworkSpec(TimeEmbedding time, Conditioning conditioning, Body body, Activation activation) {
        this(time, conditioning, body, activation, Precision.FP32);
    }

    /** The same network computed at another precision. */
    public NetworkSpec withPrecision(Precision p) {
        return new NetworkSpec(time, conditioning, body, activation, p);
    }

    /** Whether the two describe the same model (parameters interchangeable), whatever their precisions. */
    public boolean sameModel(NetworkSpec other) {
        return withPrecision(Precision.FP32).equals(other.withPrecision(Precision.FP32));
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
