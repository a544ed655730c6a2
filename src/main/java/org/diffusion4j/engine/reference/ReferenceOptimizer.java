package org.diffusion4j.engine.reference;

import org.diffusion4j.objective.OptimizerSpec;

/**
 * Adam / AdamW in double precision, exactly as {@link OptimizerSpec} states them (PyTorch's update):
 * <pre>
 *   AdamW:  p = p (1 - lr wd)
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   p = p - lr mHat / (sqrt(vHat) + eps),   mHat = m / (1 - b1^k),   vHat = v / (1 - b2^k)
 * </pre>
 */
final class ReferenceOptimizer {
    private final OptimizerSpec spec;
    private final double[] m;
    private final double[] v;
    private int step;

    ReferenceOptimizer(OptimizerSpec spec, int size) {
        this.spec = spec;
        this.m = new double[size];
        this.v = new double[size];
    }

    /** Applies one update to {@code params} given the gradient {@code g}. */
    void update(double[] params, double[] g) {
        step++;
        double lr = spec.learningRate();
        double b1 = spec.beta1();
        double b2 = spec.beta2();
        double correction1 = 1 - Math.pow(b1, step);
        double correction2 = 1 - Math.pow(b2, step);
        double decay = spec.kind() == OptimizerSpec.Kind.ADAMW ? 1 - lr * spec.weightDecay() : 1.0;
        for (int i = 0; i < params.length; i++) {
            params[i] *= decay;
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mHat = m[i] / correction1;
            double vHat = v[i] / correction2;
            params[i] -= lr * mHat / (Math.sqrt(vHat) + spec.eps());
        }
    }

    int steps() {
        return step;
    }
}
