package org.diffusion4j.objective;

import org.diffusion4j.process.ForwardProcess;

/**
 * What the network's two outputs f mean, for {@code x_t = a x_0 + s eps} (a = signal(t), s = noise(t)). Every
 * prediction of the noised data gives the score affinely in x, {@code score = A f + B x} ({@link #scoreAffine}):
 * <pre>
 *   EPSILON   f = eps                                   A = -1 / s,                  B = 0
 *   X0        f = x_0                                   A = a / s^2,                 B = -1 / s^2
 *   V         f = a eps - s x_0  (v-prediction)         A = -a / (s (a^2 + s^2)),    B = -1 / (a^2 + s^2)
 *   SCORE     f = grad log p_t                          A = 1,                       B = 0
 * </pre>
 * (V: from x = a x_0 + s eps and v = a eps - s x_0, eps = (s x + a v) / (a^2 + s^2); a^2 + s^2 = 1 for DDPM.)
 * VELOCITY is a flow's marginal velocity u_t, not a prediction of the score.
 */
public enum Parameterization {
    /** The noise eps of x_t = a x_0 + s eps. */
    EPSILON,
    /** The data x_0. */
    X0,
    /** v = a eps - s x_0. */
    V,
    /** The score grad log p_t(x). */
    SCORE,
    /** The marginal velocity u_t(x) of a flow. */
    VELOCITY;

    /** {A, B} of {@code score = A f + B x} at time t. */
    public double[] scoreAffine(ForwardProcess process, double t) {
        double a = process.signal(t);
        double s = process.noise(t);
        return switch (this) {
            case EPSILON -> new double[] {-1.0 / s, 0.0};
            case X0 -> new double[] {a / (s * s), -1.0 / (s * s)};
            case V -> new double[] {-a / (s * (a * a + s * s)), -1.0 / (a * a + s * s)};
            case SCORE -> new double[] {1.0, 0.0};
            case VELOCITY -> throw new IllegalArgumentException("network: a velocity network gives no score");
        };
    }

    /** The config name of a prediction type ({@code [network] prediction}). */
    public String predictionName() {
        return switch (this) {
            case EPSILON -> "epsilon";
            case X0 -> "x0";
            case V -> "v";
            case SCORE, VELOCITY -> throw new IllegalArgumentException("network.prediction: " + this + " is not a prediction type");
        };
    }

    /** epsilon, v or x0. */
    public static Parameterization prediction(String name) {
        return switch (name) {
            case "epsilon" -> EPSILON;
            case "v" -> V;
            case "x0" -> X0;
            default -> throw new IllegalArgumentException("network.prediction: unknown prediction '" + name + "', allowed: epsilon, v, x0");
        };
    }
}
