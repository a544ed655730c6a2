package org.diffusion4j.process;

/**
 * Additive Gaussian perturbation at L noise levels (the noise-conditional score model; document 001's single
 * level DSM is L = 1): {@code x_i = x_0 + sigma_i eps} with {@code sigma_i = sigmaMax (sigmaMin / sigmaMax)^(i / (L-1))},
 * i = 0..L-1 from the largest level to the smallest. Time is the level index. Sampling (annealed Langevin)
 * starts from N(0, priorStd^2 I) and walks the levels from 0 to L-1.
 */
public record NoiseLevels(double sigmaMax, double sigmaMin, int levels, double priorStd) implements ForwardProcess {

    public NoiseLevels {
        Checks.positive("process.sigma_max", sigmaMax);
        Checks.positive("process.sigma_min", sigmaMin);
        Checks.positive("process.prior_std", priorStd);
        if (levels <= 0) {
            throw new IllegalArgumentException("process.levels: must be > 0, got " + levels);
        }
        if (sigmaMin > sigmaMax) {
            throw new IllegalArgumentException("process.sigma_min: must be <= sigma_max = " + sigmaMax + ", got " + sigmaMin);
        }
    }

    /** One level: plain denoising score matching at a fixed sigma. */
    public static NoiseLevels single(double sigma, double priorStd) {
        return new NoiseLevels(sigma, sigma, 1, priorStd);
    }

    @Override
    public String name() {
        return "noise-levels";
    }

    public double sigma(int level) {
        if (level < 0 || level >= levels) {
            throw new IllegalArgumentException("noise level must be in [0, " + (levels - 1) + "], got " + level);
        }
        return levels == 1 ? sigmaMax : sigmaMax * Math.pow(sigmaMin / sigmaMax, (double) level / (levels - 1));
    }

    private int level(double t) {
        int i = (int) t;
        if (i != t) {
            throw new IllegalArgumentException("noise-levels time must be a level index, got " + t);
        }
        return i;
    }

    @Override
    public double signal(double t) {
        level(t);
        return 1.0;
    }

    @Override
    public double noise(double t) {
        return sigma(level(t));
    }

    @Override
    public double priorStd() {
        return priorStd;
    }

    @Override
    public double trainingTime(double u) {
        return Math.min(levels - 1, (int) (u * levels));
    }

    /** The level indices 0..L-1; {@code steps} is the number of Langevin steps per level times L. */
    @Override
    public double[] samplingTimes(int n) {
        ForwardProcess.checkSteps(n);
        double[] times = new double[levels];
        for (int i = 0; i < levels; i++) {
            times[i] = i;
        }
        return times;
    }

    @Override
    public int forwardSteps() {
        return levels;
    }

    @Override
    public double samplingStartTime() {
        return 0.0;
    }

    @Override
    public int defaultSamplingSteps() {
        return levels * 100;
    }
}
