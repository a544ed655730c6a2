package org.diffusion4j.model;

/**
 * Whether a continuous condition's value stays within float range through the network that embeds it: the value
 * itself (the engines feed it as a float), the features of the two-layer embedding
 * {@code f = W1 act(W0 v + b0) + b1} (cond_mlp.0 and cond_mlp.1), and a bound on what the features add to the first
 * Linear layer's pre-activations. A value past any of these makes every engine's output infinite or NaN, so it is
 * refused before sampling rather than found in the samples.
 */
public final class ValueFeatures {

    private ValueFeatures() {
    }

    /**
     * Null when {@code value} embeds within float range in the network {@code spec} with {@code parameters}; else the
     * reason, in words, for a one-line message.
     */
    public static String overflow(NetworkSpec spec, float[] parameters, double value) {
        if (!(spec.conditioning() instanceof Conditioning.Continuous c)) {
            throw new IllegalArgumentException("network: not conditioned on a value");
        }
        if (!(Math.abs(value) <= Float.MAX_VALUE)) {
            return "it is beyond the float range (+-" + Float.MAX_VALUE + ") every engine computes in";
        }
        ParameterLayout layout = ParameterLayout.of(spec);
        int e = c.embedDim();
        double[] hidden = new double[e];
        ParameterLayout.Tensor w0 = layout.tensor("cond_mlp.0.weight");
        ParameterLayout.Tensor b0 = layout.tensor("cond_mlp.0.bias");
        for (int j = 0; j < e; j++) {
            hidden[j] = spec.activation().apply(parameters[w0.offset() + j] * value + parameters[b0.offset() + j]);
        }
        ParameterLayout.Tensor w1 = layout.tensor("cond_mlp.1.weight");
        ParameterLayout.Tensor b1 = layout.tensor("cond_mlp.1.bias");
        double largest = 0;
        for (int i = 0; i < e; i++) {
            double f = parameters[b1.offset() + i];
            for (int j = 0; j < e; j++) {
                f += parameters[w1.offset() + i * e + j] * hidden[j];
            }
            largest = Math.max(largest, Math.abs(f));
        }
        if (!(largest <= Float.MAX_VALUE)) {
            return "its conditioning features (cond_mlp) reach " + largest + ", beyond the float range";
        }
        // the first Linear layer sums |W_ij| |f_j| at most; bounded by the largest row sum of |W| times the largest feature
        ParameterLayout.Tensor first = layout.tensor(spec.body() instanceof Body.Plain ? "layers.0.weight" : "input.weight");
        double rowSum = 0;
        for (int i = 0; i < first.rows(); i++) {
            double s = 0;
            for (int j = 0; j < first.cols(); j++) {
                s += Math.abs(parameters[first.offset() + i * first.cols() + j]);
            }
            rowSum = Math.max(rowSum, s);
        }
        if (!(rowSum * largest <= Float.MAX_VALUE)) {
            return "its conditioning features (up to " + (float) largest + ") drive the first layer beyond the float range";
        }
        return null;
    }
}
