package org.diffusion4j.process;

import org.diffusion4j.sampler.Spacing;

/**
 * Discrete DDPM: {@code q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I)} for steps t = 0..T-1, with
 * {@code alpha_t = 1 - beta_t} and {@code alphaBar_t = prod_{s <= t} alpha_s}, all computed in double.
 *
 * <p>Marginal {@code x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps}; posterior variance
 * {@code betaTilde_t = beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t)} with {@code alphaBar_{-1} = 1}.
 * Time is the step index; sampling starts at t = T-1 from N(0, I). With T = 200 and a linear schedule to 0.02,
 * {@code alphaBar_{T-1}} is about 0.13, so x_{T-1} is not yet N(0, I): see {@link #terminalSignal()}.
 * As an SDE per unit step: {@code k = beta_t / 2}, {@code g^2 = beta_t}.
 */
public final class Ddpm implements ForwardProcess, LinearSde {
    private final BetaSchedule schedule;
    private final int steps;
    private final double[] beta;
    private final double[] alphaBar;

    public Ddpm(BetaSchedule schedule, int steps) {
        if (schedule == null) {
            throw new IllegalArgumentException("process.schedule: required, one of linear, cosine");
        }
        this.schedule = schedule;
        this.steps = ForwardProcess.checkSteps(steps);
        this.beta = schedule.betas(steps);
        this.alphaBar = alphaBarOf(beta);
    }

    public BetaSchedule schedule() {
        return schedule;
    }

    /** T, the number of steps. */
    public int steps() {
        return steps;
    }

    /** Linear schedule from {@code start} to {@code end} over T steps (documents 001, 003, 004). */
    public static Ddpm linear(int steps, double start, double end) {
        return new Ddpm(new BetaSchedule.Linear(start, end), steps);
    }

    public static Ddpm cosine(int steps) {
        return new Ddpm(BetaSchedule.Cosine.standard(), steps);
    }

    private static double[] alphaBarOf(double[] beta) {
        double[] ab = new double[beta.length];
        double prod = 1.0;
        for (int t = 0; t < beta.length; t++) {
            prod *= 1.0 - beta[t];
            ab[t] = prod;
        }
        return ab;
    }

    @Override
    public String name() {
        return "ddpm";
    }

    private int index(double t) {
        int i = (int) t;
        if (i != t || i < 0 || i >= steps) {
            throw new IllegalArgumentException("ddpm time must be a step index in [0, " + (steps - 1) + "], got " + t);
        }
        return i;
    }

    public double beta(int t) {
        return beta[t];
    }

    public double alpha(int t) {
        return 1.0 - beta[t];
    }

    public double alphaBar(int t) {
        return alphaBar[t];
    }

    /** alphaBar_{t-1}, with alphaBar_{-1} = 1. */
    public double alphaBarPrev(int t) {
        return t == 0 ? 1.0 : alphaBar[t - 1];
    }

    /** {@code betaTilde_t = beta_t (1 - alphaBar_{t-1}) / (1 - alphaBar_t)}; 0 at t = 0. */
    public double posteriorVariance(int t) {
        return beta[t] * (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar[t]);
    }

    /** Posterior mean coefficients of q(x_{t-1} | x_t, x_0) = N(c0 x_0 + ct x_t, betaTilde_t I): {c0, ct}. */
    public double[] posteriorMeanCoefficients(int t) {
        double c0 = Math.sqrt(alphaBarPrev(t)) * beta[t] / (1.0 - alphaBar[t]);
        double ct = Math.sqrt(alpha(t)) * (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar[t]);
        return new double[] {c0, ct};
    }

    /** sqrt(alphaBar_{T-1}): how much of the data the last marginal still carries. */
    public double terminalSignal() {
        return Math.sqrt(alphaBar[steps - 1]);
    }

    @Override
    public double signal(double t) {
        return Math.sqrt(alphaBar[index(t)]);
    }

    @Override
    public double noise(double t) {
        return Math.sqrt(1.0 - alphaBar[index(t)]);
    }

    @Override
    public double priorStd() {
        return 1.0;
    }

    /** {@code t = floor(u T)}, uniform on {0..T-1}. */
    @Override
    public double trainingTime(double u) {
        return Math.min(steps - 1, (int) (u * steps));
    }

    /** The step indices of n <= T updates on the trailing grid ({@link Spacing#TRAILING}): T-1, ..., 0 for n = T. */
    @Override
    public double[] samplingTimes(int n) {
        return samplingTimes(n, Spacing.TRAILING);
    }

    /** The step indices of n <= T updates on a spacing's grid, noise end first. */
    public double[] samplingTimes(int n, Spacing spacing) {
        int[] t = spacing.steps(steps, n);
        double[] times = new double[n];
        for (int k = 0; k < n; k++) {
            times[k] = t[k];
        }
        return times;
    }

    @Override
    public int forwardSteps() {
        return steps;
    }

    @Override
    public double samplingStartTime() {
        return steps() - 1;
    }

    @Override
    public int defaultSamplingSteps() {
        return steps;
    }

    @Override
    public double driftRate(double t) {
        return beta[index(t)] / 2;
    }

    @Override
    public double diffusionSquared(double t) {
        return beta[index(t)];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ddpm d && d.schedule.equals(schedule) && d.steps == steps;
    }

    @Override
    public int hashCode() {
        return schedule.hashCode() * 31 + steps;
    }

    @Override
    public String toString() {
        return "Ddpm[schedule=" + schedule + ", steps=" + steps + "]";
    }
}
