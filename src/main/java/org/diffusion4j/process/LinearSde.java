package org.diffusion4j.process;

/**
 * A process given by a linear forward SDE {@code dx = -k(t) x dt + g(t) dW}. The reverse-time SDE and the
 * probability-flow ODE follow from it:
 * <pre>
 *   reverse SDE:        dx = [-k x - g^2 score] dt + g dW     (integrated backwards in t)
 *   probability flow:   dx = [-k x - g^2 / 2 score] dt
 * </pre>
 * Discrete processes (DDPM) give k and g^2 per unit step of their index.
 */
public interface LinearSde {
    /** k(t), the drift rate: f(x, t) = -k(t) x. */
    double driftRate(double t);

    /** g(t)^2, the squared diffusion coefficient. */
    double diffusionSquared(double t);
}
