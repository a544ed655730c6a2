package org.diffusion4j.metrics;

import java.math.BigDecimal;
import java.util.Locale;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Points;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.rng.NoiseStream;
import org.diffusion4j.sampler.GaussianPrior;

/**
 * How far the forward marginal at the time a sampler starts is from the prior it starts from:
 * {@code KL(p_T || N(m, L L^T))}, p_T the law of {@code x_T = a(T) x_0 + s(T) eps}, T the first of the
 * sampler's times. Estimated with the Kozachenko-Leonenko entropy of {@link #POINTS} draws of x_T (data from a fresh
 * seed, eps from the noise stream), after whitening by the prior, {@code L^-1 (x - m)} (KL is invariant under an
 * invertible affine map of both laws). The
 * estimate of the exact case (x_T ~ prior) is about 0.005 nats, so {@link #WARN_NATS} separates a real gap.
 */
public final class PriorGap {

    /** Draws of x_T used for the estimate. */
    public static final int POINTS = 20_000;
    /** KL above which training warns that the sampler starts from the wrong law. */
    public static final double WARN_NATS = 0.05;

    private PriorGap() {
    }

    /** The start time, a(T), s(T), the prior and the estimated KL in nats. */
    public record Gap(double time, double signal, double noise, GaussianPrior prior, double kl) {
        public boolean large() {
            return kl > WARN_NATS;
        }
    }

    /** The gap of a dataset under a process, for the process's default sampler grid and its N(0, priorStd^2 I). */
    public static Gap estimate(ForwardProcess process, Dataset dataset, long seed) {
        return estimate(process, process.samplingTimes(process.defaultSamplingSteps())[0], GaussianPrior.isotropic(process.priorStd()), dataset, seed);
    }

    /** The gap between the marginal at time t and a prior (KL is invariant under the prior's whitening, x -> L^-1 (x - m)). */
    public static Gap estimate(ForwardProcess process, double t, GaussianPrior prior, Dataset dataset, long seed) {
        double a = process.signal(t);
        double s = process.noise(t);
        double[] x0 = dataset.sample(POINTS, seed).xy();
        int n = Math.min(POINTS, x0.length / 2);
        NoiseStream noise = new NoiseStream(seed + 1);
        double[] z = new double[4];
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            noise.normals(i, 0, z);
            xy[2 * i] = a * x0[2 * i] + s * z[0];
            xy[2 * i + 1] = a * x0[2 * i + 1] + s * z[1];
            prior.whiten(xy, 2 * i);
        }
        return new Gap(t, a, s, prior, KozachenkoLeonenko.klToStandardNormal(Points.of(xy)));
    }

    /** One line for the user: the gap, in numbers, and what closes it. */
    public static String warning(ForwardProcess process, String dataset, Gap g) {
        String what = String.format(Locale.ROOT,
                "warning: the %s marginal of %s where sampling starts (t = %s, signal %.3g, noise std %.3g) is far from the"
                        + " %s prior the sampler draws: KL %.3f nats; ",
                process.name(), dataset, compact(g.time()), g.signal(), g.noise(), g.prior().describe(), g.kl());
        if (process instanceof Ddpm d) {
            return what + String.format(Locale.ROOT, "alpha_bar_T = %.3g, use a longer schedule (process.steps > %d) or"
                    + " process.schedule = \"cosine\"", g.signal() * g.signal(), d.steps());
        }
        if (process instanceof OrnsteinUhlenbeck ou) {
            return what + String.format(Locale.ROOT, "e^(-lambda T) = %.3g of the data is left, use a longer process.t_end"
                    + " than %s%s", g.signal(), compact(ou.tEnd()), g.prior().isCentredIsotropic() ? " or sampling.prior = \"moment-matched\"" : "");
        }
        if (process instanceof NoiseLevels) {
            return what + "Langevin dynamics has to close it by mixing; raise process.sigma_max or set process.prior_std near"
                    + " the data's spread";
        }
        return what + "use a process whose marginal reaches the prior";
    }

    private static String compact(double t) {
        return new BigDecimal(String.format(Locale.ROOT, "%.4g", t)).stripTrailingZeros().toPlainString();
    }
}
