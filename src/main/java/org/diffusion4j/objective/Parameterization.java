package org.diffusion4j.objective;

import org.diffusion4j.process.ForwardProcess;

/** What the network's two outputs mean. */
public enum Parameterization {
    /** The noise eps of x_t = a x_0 + s eps; score = -eps / s. */
    EPSILON,
    /** The score grad log p_t(x). */
    SCORE,
    /** The marginal velocity u_t(x) of a flow. */
    VELOCITY;

    /**
     * The score from the network's outputs at time t, in double: {@code -f / s(t)} for eps prediction, {@code f} for
     * score prediction (the reference engine's conversion; the float engines multiply by {@link #scoreScale}).
     */
    public void toScore(double[] f, ForwardProcess process, double t, double[] out) {
        switch (this) {
            case EPSILON: {
                double s = process.noise(t);
                for (int i = 0; i < f.length; i++) {
                    out[i] = -f[i] / s;
                }
                return;
            }
            case SCORE:
                System.arraycopy(f, 0, out, 0, f.length);
                return;
            case VELOCITY:
                throw new IllegalStateException("a velocity network gives no score");
            default:
                throw new IllegalStateException("unknown parameterization " + this);
        }
    }

    /**
     * The factor that turns the network's output at time t into the score: {@code -1 / s(t)} for eps prediction, 1 for
     * score prediction. A velocity is no score: refused.
     */
    public double scoreScale(ForwardProcess process, double t) {
        return switch (this) {
            case EPSILON -> -1.0 / process.noise(t);
            case SCORE -> 1.0;
            case VELOCITY -> throw new IllegalStateException("a velocity network gives no score");
        };
    }
}
