package org.diffusion4j.engine;

import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoisedMixture;

/**
 * The closed-form noised mixture's per-slot coefficients, computed in double and rounded to float, {@value #WIDTH}
 * per slot of a {@link SamplingPlan}: score {@code (a, v)} and, on the Gaussian path at the clamped time, velocity
 * {@code (a, v, gain = a sigma^2 / v, alpha, alpha', beta'/beta)}. With responsibilities
 * {@code r_k = softmax_k(-|x - a mu_k|^2 / (2v))}:
 * <pre>
 *   score     sum_k r_k (a mu_k - x) / v
 *   velocity  alpha' E + beta'/beta (x - alpha E),   E = sum_k r_k (mu_k + gain (x - a mu_k))
 * </pre>
 * Shared by the cpu engine and the CUDA sampling kernel.
 */
public final class MixtureSlots {

    /** Floats per slot. */
    public static final int WIDTH = 8;

    private MixtureSlots() {
    }

    /** The coefficients of every slot of the plan; velocity entries are 0 where the plan needs no velocity. */
    public static float[] table(GaussianMixture mixture, ForwardProcess process, SamplingPlan plan) {
        NoisedMixture exact = new NoisedMixture(mixture, process);
        if (plan.useVelocity && !exact.hasVelocity()) {
            throw new IllegalArgumentException("source: the exact mixture has a velocity field only on the gaussian-path process, not on "
                    + process.name());
        }
        int slots = plan.times.size();
        float[] c = new float[WIDTH * slots];
        double var = mixture.std() * mixture.std();
        for (int k = 0; k < slots; k++) {
            double t = plan.times.get(k);
            int o = WIDTH * k;
            if (plan.useScore) {
                c[o] = (float) process.signal(t);
                c[o + 1] = (float) exact.componentVariance(t);
            }
            if (plan.useVelocity) {
                GaussianPath path = (GaussianPath) process;
                double tc = path.clamp(t);
                double a = path.signal(tc);
                double v = exact.componentVariance(tc);
                c[o + 2] = (float) a;
                c[o + 3] = (float) v;
                c[o + 4] = (float) (a * var / v);
                c[o + 5] = (float) path.signal(tc);
                c[o + 6] = (float) path.signalRate(tc);
                c[o + 7] = (float) (path.noiseRate(tc) / path.noise(tc));
            }
        }
        return c;
    }

    /** The means as (x, y) floats. */
    public static float[] means(GaussianMixture mixture) {
        float[] m = new float[2 * mixture.components()];
        for (int k = 0; k < mixture.components(); k++) {
            m[2 * k] = (float) mixture.mean(k)[0];
            m[2 * k + 1] = (float) mixture.mean(k)[1];
        }
        return m;
    }
}
