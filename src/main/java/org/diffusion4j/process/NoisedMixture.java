package org.diffusion4j.process;

import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.sampler.ScoreField;

/**
 * The exact noised marginal of an equally weighted isotropic Gaussian mixture (means mu_k, std sigma) pushed
 * through a forward process {@code x_t = a(t) x_0 + s(t) eps}:
 * <pre>
 *   p_t(x)        = 1/K sum_k N(x; a mu_k, v I),          v = a^2 sigma^2 + s^2
 *   r_k(x)        = softmax_k( -|x - a mu_k|^2 / (2 v) )   (responsibilities, by log-sum-exp)
 *   score(x)      = sum_k r_k (a mu_k - x) / v
 *   E[x_0 | x_t]  = sum_k r_k (mu_k + a sigma^2 / v (x - a mu_k))
 * </pre>
 * On the Gaussian path (alpha_t = a, beta_t = s) the marginal velocity is
 * {@code u_t(x) = alpha'_t E[x_0 | x] + beta'_t / beta_t (x - alpha_t E[x_0 | x])}, at the time clamped by the
 * path's guard {@code t <= tMax}; other processes give no velocity. Times are those of the process (step or
 * level indices for discrete ones). Points are interleaved {@code (x0, y0, x1, y1, ...)}.
 */
public final class NoisedMixture implements ScoreField {
    private final GaussianMixture mixture;
    private final ForwardProcess process;
    private final double[][] means;
    private final double dataVariance;

    public NoisedMixture(GaussianMixture mixture, ForwardProcess process) {
        if (mixture == null) {
            throw new IllegalArgumentException("mixture: required, a Gaussian mixture");
        }
        if (process == null) {
            throw new IllegalArgumentException("process: required, one of ou, ddpm, gaussian-path, noise-levels");
        }
        this.mixture = mixture;
        this.process = process;
        this.means = new double[mixture.components()][];
        for (int k = 0; k < means.length; k++) {
            means[k] = mixture.mean(k);
        }
        this.dataVariance = mixture.std() * mixture.std();
    }

    public GaussianMixture mixture() {
        return mixture;
    }

    public ForwardProcess process() {
        return process;
    }

    /** {@code v(t) = a(t)^2 sigma^2 + s(t)^2}, the variance of each noised component per coordinate. */
    public double componentVariance(double t) {
        double a = process.signal(t);
        double s = process.noise(t);
        return a * a * dataVariance + s * s;
    }

    /** {@code log p_t(x, y) = log(1/K sum_k N((x, y); a mu_k, v I))}. */
    public double logDensity(double x, double y, double t) {
        return mixture.logDensity(x, y, process.signal(t), componentVariance(t));
    }

    /** {@code score = sum_k r_k (a mu_k - x) / v}. */
    @Override
    public void score(double[] xy, double t, double[] out) {
        checkArrays(xy, out);
        double a = process.signal(t);
        double v = componentVariance(t);
        double[] r = new double[means.length];
        for (int i = 0; i < xy.length; i += 2) {
            double x = xy[i];
            double y = xy[i + 1];
            responsibilities(x, y, a, v, r);
            double gx = 0;
            double gy = 0;
            for (int k = 0; k < means.length; k++) {
                gx += r[k] * (a * means[k][0] - x);
                gy += r[k] * (a * means[k][1] - y);
            }
            out[i] = gx / v;
            out[i + 1] = gy / v;
        }
    }

    /** Tweedie's denoiser {@code E[x_0 | x_t = x] = sum_k r_k (mu_k + a sigma^2 / v (x - a mu_k))}. */
    public void posteriorMean(double[] xy, double t, double[] out) {
        checkArrays(xy, out);
        double a = process.signal(t);
        double v = componentVariance(t);
        double gain = a * dataVariance / v;
        double[] r = new double[means.length];
        for (int i = 0; i < xy.length; i += 2) {
            double x = xy[i];
            double y = xy[i + 1];
            responsibilities(x, y, a, v, r);
            double ex = 0;
            double ey = 0;
            for (int k = 0; k < means.length; k++) {
                ex += r[k] * (means[k][0] + gain * (x - a * means[k][0]));
                ey += r[k] * (means[k][1] + gain * (y - a * means[k][1]));
            }
            out[i] = ex;
            out[i + 1] = ey;
        }
    }

    /** True only on the Gaussian path, where the marginal velocity has the closed form above. */
    @Override
    public boolean hasVelocity() {
        return process instanceof GaussianPath;
    }

    /**
     * {@code u_t(x) = alpha'_t E[x_0 | x] + beta'_t / beta_t (x - alpha_t E[x_0 | x])} with {@code t} clamped to
     * {@code [0, tMax]}; only on the Gaussian path.
     */
    @Override
    public void velocity(double[] xy, double t, double[] out) {
        if (!(process instanceof GaussianPath path)) {
            throw new UnsupportedOperationException("velocity: the exact mixture has a velocity field only on the gaussian-path process, not on "
                    + process.name());
        }
        double tc = path.clamp(t);
        double alpha = path.signal(tc);
        double alphaRate = path.signalRate(tc);
        double betaRatio = path.noiseRate(tc) / path.noise(tc);
        posteriorMean(xy, tc, out);
        for (int i = 0; i < xy.length; i++) {
            double e = out[i];
            out[i] = alphaRate * e + betaRatio * (xy[i] - alpha * e);
        }
    }

    /** r_k at (x, y), normalised with the log-sum-exp shift so that no weight underflows to 0 / 0. */
    private void responsibilities(double x, double y, double a, double v, double[] r) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < means.length; k++) {
            double dx = x - a * means[k][0];
            double dy = y - a * means[k][1];
            r[k] = -(dx * dx + dy * dy) / (2 * v);
            max = Math.max(max, r[k]);
        }
        double sum = 0;
        for (int k = 0; k < means.length; k++) {
            r[k] = Math.exp(r[k] - max);
            sum += r[k];
        }
        for (int k = 0; k < means.length; k++) {
            r[k] /= sum;
        }
    }

    private static void checkArrays(double[] xy, double[] out) {
        if (xy == null || xy.length % 2 != 0) {
            throw new IllegalArgumentException("xy: must hold interleaved (x, y) pairs, got " + (xy == null ? "null" : xy.length + " values"));
        }
        if (out == null || out.length < xy.length) {
            throw new IllegalArgumentException("out: must hold at least " + xy.length + " values, got " + (out == null ? "null" : out.length));
        }
    }

    @Override
    public String toString() {
        return "NoisedMixture[components=" + means.length + ", std=" + mixture.std() + ", process=" + process.name() + "]";
    }
}
