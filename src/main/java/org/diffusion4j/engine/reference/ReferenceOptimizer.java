package org.diffusion4j.engine.reference;

import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;

/**
 * Adam / AdamW in double precision, exactly as {@link OptimizerSpec} states them (PyTorch's update):
 * <pre>
 *   AdamW:  p = p (1 - lr wd)
 *   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
 *   p = p - lr mHat / (sqrt(vHat) + eps),   mHat = m / (1 - b1^k),   vHat = v / (1 - b2^k)
 * </pre>
 * with lr the regimen's rate of update k and g clipped to the regimen's norm first ({@link TrainingRegimen}).
 */
final class ReferenceOptimizer {
    private final OptimizerSpec spec;
    private final TrainingRegimen regimen;
    private final double[] m;
    private final double[] v;
    private int step;

    ReferenceOptimizer(OptimizerSpec spec, TrainingRegimen regimen, int size) {
        this.spec = spec;
        this.regimen = regimen;
        this.m = new double[size];
        this.v = new double[size];
    }

    /** Applies one update to {@code params} given the gradient {@code g}. */
    void update(double[] params, double[] g) {
        step++;
        double lr = regimen.learningRate(spec.learningRate(), step);
        if (regimen.clips()) {
            double f = regimen.clipFactor(norm(g));
            if (f < 1) {
                for (int i = 0; i < g.length; i++) {
                    g[i] *= f;
                }
            }
        }
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

    /** The L2 norm of a vector. */
    static double norm(double[] g) {
        double s = 0;
        for (double x : g) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    int steps() {
        return step;
    }

    double[] m() {
        return m;
    }

    double[] v() {
        return v;
    }

    /** Continues from update {@code k} with these moments. */
    void restore(int k, double[] m0, double[] v0) {
        step = k;
        System.arraycopy(m0, 0, m, 0, m.length);
        System.arraycopy(v0, 0, v, 0, v.length);
    }
}
