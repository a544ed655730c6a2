package org.diffusion4j.objective;

/**
 * How the optimizer is driven from step to step, beside {@link OptimizerSpec}: the learning-rate schedule, gradient-norm
 * clipping and an exponential moving average (EMA) of the weights. Every engine takes the per-step values from here,
 * computed in double on the host.
 *
 * <p>Update k = 1 .. N (N = {@code totalSteps}), base rate {@code lr}, W = {@code warmupSteps}, floor {@code minLr}:
 * <pre>
 *   warm-up      lr_k = lr k / W                                               for k <= W (any schedule)
 *   constant     lr_k = lr                                                     for k > W
 *   cosine       lr_k = minLr + (lr - minLr) (1 + cos(pi p)) / 2,   p = (k - W) / (N - W)
 *   linear       lr_k = lr - (lr - minLr) p
 * </pre>
 * Clipping (PyTorch's clip_grad_norm_): with g the whole gradient and c = {@code clipNorm} > 0,
 * {@code g = g c / (|g|_2 + 1e-6)} when that factor is below 1. AdamW's decay uses lr_k: {@code p = p (1 - lr_k wd)}.
 *
 * <p>EMA ({@code emaDecay} d > 0): starts at the initial weights; after update k, {@code e = d_k e + (1 - d_k) p} with
 * {@code d_k = d}, or with warm-up {@code d_k = min(d, (1 + k) / (10 + k))} (the form of TensorFlow's
 * ExponentialMovingAverage with num_updates).
 */
public record TrainingRegimen(Schedule schedule, int warmupSteps, int totalSteps, double minLr, double clipNorm, double emaDecay,
                              boolean emaWarmup) {

    /** PyTorch's clip_grad_norm_ guard against a zero norm. */
    public static final double CLIP_EPS = 1e-6;

    /** The learning-rate schedule after warm-up. */
    public enum Schedule {
        CONSTANT, COSINE, LINEAR;

        /** The config name: constant, cosine, linear. */
        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public TrainingRegimen {
        if (schedule == null) {
            throw new IllegalArgumentException("training.lr_schedule: required, one of constant, cosine, linear");
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException("training.steps: must be >= 1, got " + totalSteps);
        }
        if (warmupSteps < 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("training.warmup_steps: must be an integer in [0, training.steps = " + totalSteps + "], got "
                    + warmupSteps);
        }
        if (!(minLr >= 0) || !Double.isFinite(minLr)) {
            throw new IllegalArgumentException("training.min_lr: must be a finite number >= 0, got " + minLr);
        }
        if (!(clipNorm >= 0) || !Double.isFinite(clipNorm)) {
            throw new IllegalArgumentException("training.clip_grad_norm: must be a finite number >= 0 (0: no clipping), got " + clipNorm);
        }
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("training.ema_decay: must be in [0, 1) (0: no EMA), got " + emaDecay);
        }
        if (emaWarmup && emaDecay == 0) {
            throw new IllegalArgumentException("training.ema_warmup: needs training.ema_decay > 0");
        }
    }

    /** A constant learning rate, no clipping, no EMA: plain Adam for {@code totalSteps}. */
    public static TrainingRegimen plain(int totalSteps) {
        return new TrainingRegimen(Schedule.CONSTANT, 0, totalSteps, 0.0, 0.0, 0.0, false);
    }

    /** The same regimen over another number of updates (warm-up checked against it). */
    public TrainingRegimen withTotalSteps(int steps) {
        return new TrainingRegimen(schedule, warmupSteps, steps, minLr, clipNorm, emaDecay, emaWarmup);
    }

    /** Whether this is {@link #plain}: nothing beyond the optimizer's constant rate. */
    public boolean isPlain() {
        return schedule == Schedule.CONSTANT && warmupSteps == 0 && clipNorm == 0 && emaDecay == 0;
    }

    /** Checks against the optimizer: the floor must not exceed the base rate. */
    public void check(OptimizerSpec optimizer) {
        if (schedule != Schedule.CONSTANT && minLr > optimizer.learningRate()) {
            throw new IllegalArgumentException("training.min_lr: must not exceed optimizer.lr = " + optimizer.learningRate() + ", got " + minLr);
        }
    }

    /** The learning rate of update k (1-based). */
    public double learningRate(double lr, int k) {
        if (k <= warmupSteps) {
            return lr * k / warmupSteps;
        }
        if (schedule == Schedule.CONSTANT) {
            return lr;
        }
        double p = totalSteps == warmupSteps ? 1.0 : Math.min(1.0, (double) (k - warmupSteps) / (totalSteps - warmupSteps));
        switch (schedule) {
            case COSINE:
                return minLr + (lr - minLr) * (1 + Math.cos(Math.PI * p)) / 2;
            case LINEAR:
                return lr - (lr - minLr) * p;
            default:
                throw new IllegalStateException("unknown schedule " + schedule);
        }
    }

    /** Whether the gradient is clipped. */
    public boolean clips() {
        return clipNorm > 0;
    }

    /** The factor that clips a gradient of L2 norm {@code norm}: {@code min(1, c / (norm + 1e-6))}, 1 without clipping. */
    public double clipFactor(double norm) {
        if (!clips()) {
            return 1.0;
        }
        double f = clipNorm / (norm + CLIP_EPS);
        return f < 1 ? f : 1.0;
    }

    /** Whether an EMA of the weights is kept. */
    public boolean hasEma() {
        return emaDecay > 0;
    }

    /** The EMA decay of update k (1-based). */
    public double emaDecay(int k) {
        return emaWarmup ? Math.min(emaDecay, (1.0 + k) / (10.0 + k)) : emaDecay;
    }
}
