package org.diffusion4j.engine.reference;

import org.diffusion4j.model.Condition;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.process.ForwardProcess;

/**
 * The training loss of an objective on one batch, and its parameter gradient, with the reference network.
 *
 * <p>For samples i = 1..B with data x0_i, noise eps_i and time t_i:
 * <pre>
 *   x_t_i    = a(t_i) x0_i + s(t_i) eps_i                         (process.qSample, per coordinate)
 *   target_i = objective.target(x0_i, eps_i, t_i)
 *   w_i      = rawWeight(t_i) / mean_j rawWeight(t_j)   if the objective weights samples, else 1
 *   L        = 1 / (2B) sum_i w_i || f(x_t_i, t_i) - target_i ||^2
 *   dL/df_i  = w_i (f_i - target_i) / B,   dL/dtheta by {@link ReferenceNetwork#backward}
 * </pre>
 */
public final class ReferenceLoss {
    private final Objective objective;
    private final ForwardProcess process;

    /** The loss of {@code objective} on {@code process}; refuses a pair the objective does not support. */
    public ReferenceLoss(Objective objective, ForwardProcess process) {
        if (objective == null) {
            throw new IllegalArgumentException("objective: required, one of weighted-dsm, epsilon-mse, score-matching, flow-matching");
        }
        if (process == null) {
            throw new IllegalArgumentException("process: required, one of ou, ddpm, gaussian-path, noise-levels");
        }
        objective.check(process);
        this.objective = objective;
        this.process = process;
    }

    /**
     * The loss of one batch.
     *
     * @param loss     L
     * @param gradient dL/dtheta in the network's flat layout
     * @param xt       the noised inputs x_t, interleaved
     * @param targets  the regression targets, interleaved
     * @param weights  the normalised per-sample weights w_i
     * @param output   the network outputs f_i, interleaved
     */
    public record Result(double loss, double[] gradient, double[] xt, double[] targets, double[] weights, double[] output) {
    }

    /**
     * Evaluates the loss and its gradient.
     *
     * @param x0        data, interleaved (B x 2)
     * @param eps       standard normal noise, interleaved (B x 2)
     * @param t         one time per sample
     * @param condition the conditioning inputs of the batch ({@link Condition#NONE} if none)
     */
    public Result evaluate(ReferenceNetwork network, double[] x0, double[] eps, double[] t, Condition condition) {
        if (network == null) {
            throw new IllegalArgumentException("network: required");
        }
        int b = checkBatch(x0, eps, t);
        double[] xt = new double[2 * b];
        double[] targets = new double[2 * b];
        double[] target = new double[2];
        for (int i = 0; i < b; i++) {
            xt[2 * i] = process.qSample(x0[2 * i], eps[2 * i], t[i]);
            xt[2 * i + 1] = process.qSample(x0[2 * i + 1], eps[2 * i + 1], t[i]);
            objective.target(process, x0[2 * i], x0[2 * i + 1], eps[2 * i], eps[2 * i + 1], t[i], target);
            targets[2 * i] = target[0];
            targets[2 * i + 1] = target[1];
        }
        double[] weights = weights(t);
        ReferenceNetwork.Pass pass = network.forward(xt, t, condition);
        double[] f = network.output(pass);
        double loss = 0;
        double[] dOutput = new double[2 * b];
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < 2; k++) {
                double r = f[2 * i + k] - targets[2 * i + k];
                loss += weights[i] * r * r / (2.0 * b);
                dOutput[2 * i + k] = weights[i] * r / b;
            }
        }
        return new Result(loss, network.backward(pass, dOutput), xt, targets, weights, f);
    }

    /** w_i = rawWeight(t_i) / mean_j rawWeight(t_j), or all 1 for an unweighted objective. */
    public double[] weights(double[] t) {
        double[] w = new double[t.length];
        if (!objective.weighted()) {
            java.util.Arrays.fill(w, 1.0);
            return w;
        }
        double mean = 0;
        for (int i = 0; i < t.length; i++) {
            w[i] = objective.rawWeight(process, t[i]);
            mean += w[i] / t.length;
        }
        for (int i = 0; i < t.length; i++) {
            w[i] /= mean;
        }
        return w;
    }

    private static int checkBatch(double[] x0, double[] eps, double[] t) {
        if (t == null || t.length == 0) {
            throw new IllegalArgumentException("t: needs one time per sample and at least one sample");
        }
        int b = t.length;
        if (x0 == null || x0.length != 2 * b) {
            throw new IllegalArgumentException("x0: needs 2 values per sample (" + 2 * b + "), got " + (x0 == null ? "none" : x0.length));
        }
        if (eps == null || eps.length != 2 * b) {
            throw new IllegalArgumentException("eps: needs 2 values per sample (" + 2 * b + "), got " + (eps == null ? "none" : eps.length));
        }
        return b;
    }
}
