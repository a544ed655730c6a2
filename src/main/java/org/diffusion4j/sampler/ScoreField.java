package org.diffusion4j.sampler;

/**
 * What a sampler reads of a model, in double precision, for a batch of points at one time t: the score
 * {@code grad log p_t} and, for flow samplers, the marginal velocity {@code u_t}. Points and results are
 * interleaved {@code (x0, y0, x1, y1, ...)}. Implemented by a trained network (through its parameterization)
 * and by the closed-form noised Gaussian mixture.
 */
public interface ScoreField {

    /** The score at each point. */
    void score(double[] xy, double t, double[] out);

    /** Whether {@link #velocity} is available. */
    default boolean hasVelocity() {
        return false;
    }

    /** The marginal velocity at each point. */
    default void velocity(double[] xy, double t, double[] out) {
        throw new UnsupportedOperationException("this model gives no velocity field; flow samplers need a flow-matching network or an exact mixture");
    }
}
