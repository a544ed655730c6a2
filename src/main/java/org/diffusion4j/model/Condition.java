package org.diffusion4j.model;

/**
 * Per-sample conditioning inputs for a batch: integer labels (one-hot, label embedding) or continuous values.
 * {@link #NONE} for unconditional networks. The null condition of classifier-free guidance is the label
 * {@link #NULL_LABEL} or the value NaN: it feeds a zero one-hot vector, no label-embedding row, or zero conditioning
 * features, so the network sees no condition.
 */
public record Condition(int[] labels, double[] values) {

    public static final Condition NONE = new Condition(null, null);
    /** The label that stands for "no condition". */
    public static final int NULL_LABEL = -1;

    /** The null condition for n samples of a conditional network. */
    public static Condition none(Conditioning conditioning, int n) {
        if (conditioning instanceof Conditioning.None) {
            return NONE;
        }
        return conditioning instanceof Conditioning.Continuous ? value(Double.NaN, n) : label(NULL_LABEL, n);
    }

    public static Condition labels(int[] labels) {
        return new Condition(labels.clone(), null);
    }

    public static Condition values(double[] values) {
        return new Condition(null, values.clone());
    }

    /** The same label for n samples. */
    public static Condition label(int label, int n) {
        int[] l = new int[n];
        java.util.Arrays.fill(l, label);
        return new Condition(l, null);
    }

    /** The same value for n samples. */
    public static Condition value(double value, int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, value);
        return new Condition(null, v);
    }

    /** Checks that these inputs fit the network's conditioning for a batch of n. */
    public void check(Conditioning conditioning, int n) {
        if (conditioning instanceof Conditioning.None) {
            if (labels != null || values != null) {
                throw new IllegalArgumentException("condition: the model is unconditional, it takes no label or value");
            }
            return;
        }
        if (conditioning instanceof Conditioning.Continuous) {
            if (values == null || values.length != n) {
                throw new IllegalArgumentException("condition: the model is conditioned on a value, one per sample is required");
            }
            return;
        }
        int classes = conditioning instanceof Conditioning.OneHot o ? o.classes() : ((Conditioning.LabelEmbedding) conditioning).classes();
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("condition: the model is conditioned on a label, one per sample is required");
        }
        for (int l : labels) {
            if ((l < 0 || l >= classes) && l != NULL_LABEL) {
                throw new IllegalArgumentException("condition: label " + l + " is outside the trained classes 0.." + (classes - 1));
            }
        }
    }
}
