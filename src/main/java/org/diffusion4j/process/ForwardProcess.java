package org.diffusion4j.process;

/**
 * A forward (noising) process with Gaussian marginals {@code x_t = a(t) x_0 + s(t) eps, eps ~ N(0, I)}.
 *
 * <p>Every process states its time domain, the prior that sampling starts from, the time grid a sampler
 * walks (from the noise end to the data end) and how training draws a time.
 */
public sealed interface ForwardProcess permits OrnsteinUhlenbeck, Ddpm, GaussianPath, NoiseLevels {

    /** The name used in configs: ou, ddpm, gaussian-path, noise-levels. */
    String name();

    /** a(t), the signal coefficient of the marginal: E[x_t | x_0] = a(t) x_0. */
    double signal(double t);

    /** s(t), the standard deviation of the marginal: Var[x_t | x_0] = s(t)^2 I. */
    double noise(double t);

    /** Standard deviation of the isotropic centred Gaussian prior that sampling starts from. */
    double priorStd();

    /** Maps a uniform u in (0, 1) to a training time (a continuous time, or a step / level index). */
    double trainingTime(double u);

    /**
     * The times a sampler visits with {@code steps} updates, noise end first: {@code steps + 1} points for
     * continuous processes (update k goes from times[k] to times[k + 1]), the step or level indices for
     * discrete ones.
     */
    double[] samplingTimes(int steps);

    /**
     * The time of the prior draw, where every sampler starts: t_end (OU), T - 1 (DDPM), 0 (the Gaussian path's noise
     * end, the first noise level).
     */
    double samplingStartTime();

    /** Steps of the forward simulation: the process's own grid (T for DDPM, L for noise levels, its steps otherwise). */
    int forwardSteps();

    /** Number of sampler updates the source document uses. */
    int defaultSamplingSteps();

    /** The conditional score of x_t given x_0: {@code -(x_t - a x_0) / s^2 = -eps / s}. */
    default double conditionalScore(double xt, double x0, double t) {
        double s = noise(t);
        return -(xt - signal(t) * x0) / (s * s);
    }

    /** Draws x_t in closed form from x_0 and a standard normal: {@code a(t) x_0 + s(t) eps}. */
    default double qSample(double x0, double eps, double t) {
        return signal(t) * x0 + noise(t) * eps;
    }

    /** Rejects a step count that is not positive. */
    static int checkSteps(int steps) {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps: must be > 0, got " + steps);
        }
        return steps;
    }
}
