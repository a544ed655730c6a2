package org.diffusion4j.process;

/**
 * The Gaussian conditional probability path of document 002: {@code x_t = alpha_t z + beta_t eps} with
 * {@code alpha_t = t}, {@code beta_t = sqrt(1 - t)}, t from 0 (noise, N(0, I)) to 1 (data).
 *
 * <pre>
 *   conditional score:  grad log p_t(x | z) = (alpha_t z - x) / beta_t^2
 *   conditional field:  u_t(x | z) = (alpha'_t - beta'_t / beta_t alpha_t) z + beta'_t / beta_t x,
 *                       alpha'_t = 1,  beta'_t / beta_t = -1 / (2 (1 - t))
 * </pre>
 * Both blow up as t -> 1 (beta_t^2 = 1 - t -> 0). The guard: every time is clamped to {@code t <= tMax}
 * before these are evaluated, training draws {@code t ~ U(0, tMax)}, and the conditional targets have
 * variance at most {@code 1 / (1 - tMax)}. Sampling walks {@code steps + 1} equally spaced times from 0 to 1;
 * fields are evaluated at the left end of each step, clamped to tMax.
 */
public record GaussianPath(double tMax, int steps) implements ForwardProcess {

    public GaussianPath {
        if (!(tMax > 0 && tMax < 1)) {
            throw new IllegalArgumentException("process.t_max: must be in (0, 1), got " + tMax);
        }
        ForwardProcess.checkSteps(steps);
    }

    /** Document 002 with the guard t <= 0.999 and 299 updates (torch.linspace(0, 1, 300)). */
    public static GaussianPath document002() {
        return new GaussianPath(0.999, 299);
    }

    @Override
    public String name() {
        return "gaussian-path";
    }

    /** t clamped to [0, tMax]. */
    public double clamp(double t) {
        return Math.min(Math.max(t, 0.0), tMax);
    }

    @Override
    public double signal(double t) {
        return clamp(t);
    }

    @Override
    public double noise(double t) {
        return Math.sqrt(1.0 - clamp(t));
    }

    /** alpha'_t = 1. */
    public double signalRate(double t) {
        return 1.0;
    }

    /** beta'_t = -1 / (2 sqrt(1 - t)), at the clamped t. */
    public double noiseRate(double t) {
        return -0.5 / Math.sqrt(1.0 - clamp(t));
    }

    /** The conditional vector field u_t(x | z) for one coordinate. */
    public double conditionalVelocity(double x, double z, double t) {
        double tc = clamp(t);
        double ratio = -0.5 / (1.0 - tc);
        return (1.0 - ratio * tc) * z + ratio * x;
    }

    @Override
    public double priorStd() {
        return 1.0;
    }

    @Override
    public double trainingTime(double u) {
        return u * tMax;
    }

    @Override
    public double[] samplingTimes(int n) {
        ForwardProcess.checkSteps(n);
        double[] times = new double[n + 1];
        for (int k = 0; k <= n; k++) {
            times[k] = (double) k / n;
        }
        return times;
    }

    @Override
    public int forwardSteps() {
        return steps;
    }

    @Override
    public double samplingStartTime() {
        return 0.0;
    }

    @Override
    public int defaultSamplingSteps() {
        return steps;
    }
}
