package org.diffusion4j.process;

/**
 * The Ornstein-Uhlenbeck SDE {@code dx = -lambda x dt + sigma dW} on {@code [tMin, tEnd]} (document 000).
 *
 * <p>Closed-form marginal: {@code x_t | x_0 ~ N(e^{-lambda t} x_0, sigma^2 / (2 lambda) (1 - e^{-2 lambda t}) I)}.
 * Sampling starts at {@code tEnd}; {@link #priorStd()} is {@code s(tEnd)}, the marginal of a data point at the origin
 * (runs draw their {@code [sampling] prior}, moment-matched by default: {@link org.diffusion4j.sampler.Prior}). At
 * {@code tEnd = 1} with lambda = sigma = 0.5 the marginal still holds {@code e^{-0.5}} of the data, so no data-free
 * prior fits there (and the stationary law is {@code N(0, sigma^2 / (2 lambda) I)}, not N(0, I)).
 * Training draws {@code t ~ U(tMin, tEnd)}; {@code tMin > 0} keeps the score target {@code -eps / s(t)} finite.
 */
public record OrnsteinUhlenbeck(double lambda, double sigma, double tEnd, double tMin, int steps)
        implements ForwardProcess, LinearSde {

    public OrnsteinUhlenbeck {
        Checks.positive("process.lambda", lambda);
        Checks.positive("process.sigma", sigma);
        Checks.positive("process.t_end", tEnd);
        Checks.positive("process.t_min", tMin);
        if (tMin >= tEnd) {
            throw new IllegalArgumentException("process.t_min: must be < t_end = " + tEnd + ", got " + tMin);
        }
        ForwardProcess.checkSteps(steps);
    }

    /** Document 000: lambda = 0.5, sigma = 0.5, T = 1, t >= 1e-5, 250 steps of dt = 0.004. */
    public static OrnsteinUhlenbeck document000() {
        return new OrnsteinUhlenbeck(0.5, 0.5, 1.0, 1e-5, 250);
    }

    @Override
    public String name() {
        return "ou";
    }

    @Override
    public double signal(double t) {
        return Math.exp(-lambda * t);
    }

    @Override
    public double noise(double t) {
        return Math.sqrt(variance(t));
    }

    /** {@code sigma^2 / (2 lambda) (1 - e^{-2 lambda t})}, with expm1 for accuracy at small t. */
    public double variance(double t) {
        return sigma * sigma / (2 * lambda) * -Math.expm1(-2 * lambda * t);
    }

    /** Standard deviation of the stationary law N(0, sigma^2 / (2 lambda) I). */
    public double stationaryStd() {
        return sigma / Math.sqrt(2 * lambda);
    }

    @Override
    public double priorStd() {
        return noise(tEnd);
    }

    @Override
    public double trainingTime(double u) {
        return tMin + u * (tEnd - tMin);
    }

    /** {@code steps + 1} equally spaced times from tEnd down to tMin. */
    @Override
    public double[] samplingTimes(int n) {
        ForwardProcess.checkSteps(n);
        double[] times = new double[n + 1];
        double h = (tEnd - tMin) / n;
        for (int k = 0; k <= n; k++) {
            times[k] = tEnd - k * h;
        }
        times[n] = tMin;
        return times;
    }

    @Override
    public int forwardSteps() {
        return steps;
    }

    @Override
    public double samplingStartTime() {
        return tEnd();
    }

    @Override
    public int defaultSamplingSteps() {
        return steps;
    }

    @Override
    public double driftRate(double t) {
        return lambda;
    }

    @Override
    public double diffusionSquared(double t) {
        return sigma * sigma;
    }
}
