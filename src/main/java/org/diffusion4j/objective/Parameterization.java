package org.diffusion4j.objective;

/** What the network's two outputs mean. */
public enum Parameterization {
    /** The noise eps of x_t = a x_0 + s eps; score = -eps / s. */
    EPSILON,
    /** The score grad log p_t(x). */
    SCORE,
    /** The marginal velocity u_t(x) of a flow. */
    VELOCITY
}
