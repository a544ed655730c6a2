package org.diffusion4j.sampler;

import java.util.Locale;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;

/**
 * The Gaussian a sampler starts from, {@code N(mean, L L^T)} with L lower triangular: particle i is
 * {@code (mx + l11 n0, my + l21 n0 + l22 n1)} with {@code (n0, n1)} its prior normals.
 */
public record GaussianPrior(double mx, double my, double l11, double l21, double l22) {
    public GaussianPrior {
        if (!(l11 > 0) || !(l22 > 0) || !Double.isFinite(l11 + l21 + l22 + mx + my)) {
            throw new IllegalArgumentException("prior: needs a finite mean and a positive definite covariance, got " + this);
        }
    }

    /** N(0, std^2 I). */
    public static GaussianPrior isotropic(double std) {
        return new GaussianPrior(0, 0, std, 0, std);
    }

    /** Whether the prior is N(0, l11^2 I). */
    public boolean isCentredIsotropic() {
        return mx == 0 && my == 0 && l21 == 0 && l11 == l22;
    }

    /**
     * The prior of a kind for a process whose sampling starts at time t, with the mean m and covariance C of the training
     * data (interleaved points) for the moment-matched one: {@code N(a m, a^2 C + s^2 I)}, a = signal(t), s = noise(t).
     */
    public static GaussianPrior of(Prior kind, ForwardProcess process, double t, double[] data) {
        int n = data.length / 2;
        double[] dataMean = new double[2];
        for (int i = 0; i < n; i++) {
            dataMean[0] += data[2 * i] / n;
            dataMean[1] += data[2 * i + 1] / n;
        }
        double[] dataCov = new double[3];
        for (int i = 0; i < n; i++) {
            double dx = data[2 * i] - dataMean[0];
            double dy = data[2 * i + 1] - dataMean[1];
            dataCov[0] += dx * dx / n;
            dataCov[1] += dx * dy / n;
            dataCov[2] += dy * dy / n;
        }
        return switch (kind) {
            case STANDARD -> isotropic(1.0);
            case STATIONARY -> isotropic(process instanceof OrnsteinUhlenbeck ou ? ou.stationaryStd()
                    : process instanceof NoiseLevels levels ? levels.priorStd() : 1.0);
            case MOMENT_MATCHED -> {
                double a = process.signal(t);
                double s2 = process.noise(t) * process.noise(t);
                double cxx = a * a * dataCov[0] + s2;
                double cxy = a * a * dataCov[1];
                double cyy = a * a * dataCov[2] + s2;
                double l11 = Math.sqrt(cxx);
                double l21 = cxy / l11;
                yield new GaussianPrior(a * dataMean[0], a * dataMean[1], l11, l21, Math.sqrt(cyy - l21 * l21));
            }
        };
    }

    /** Whitens a point in place: {@code L^-1 (x - mean)}, which is N(0, I) when x is drawn from this prior. */
    public void whiten(double[] xy, int i) {
        double u = (xy[i] - mx) / l11;
        double v = (xy[i + 1] - my - l21 * u) / l22;
        xy[i] = u;
        xy[i + 1] = v;
    }

    /** log det of the covariance, 2 log(l11 l22). */
    public double logDet() {
        return 2 * Math.log(l11 * l22);
    }

    /** For messages: N(0, 0.398^2 I), or the mean and covariance. */
    public String describe() {
        if (isCentredIsotropic()) {
            return l11 == 1.0 ? "N(0, I)" : String.format(Locale.ROOT, "N(0, %.3g^2 I)", l11);
        }
        return String.format(Locale.ROOT, "N((%.3g, %.3g), [[%.3g, %.3g], [%.3g, %.3g]])", mx, my, l11 * l11, l11 * l21, l11 * l21,
                l21 * l21 + l22 * l22);
    }
}
