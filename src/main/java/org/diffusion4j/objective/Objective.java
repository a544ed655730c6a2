package org.diffusion4j.objective;

import java.util.List;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;

/**
 * A training objective: the regression target of the network for a sample {@code (x_0, eps, t)} with
 * {@code x_t = a(t) x_0 + s(t) eps}, and a per-sample weight. Every engine minimises
 * <pre>
 *   L = 1 / (2B) sum_i w_i || f(x_t_i, t_i) - target_i ||^2      (the mean over the B x 2 output entries)
 *   dL / df_i = w_i (f_i - target_i) / B
 * </pre>
 * with the weights normalised to mean 1 over the batch where an objective weights samples.
 */
public sealed interface Objective {

    /** The config name. */
    String name();

    /** What the network learns to output. */
    Parameterization parameterization();

    /** Whether this objective is defined for the process; {@link #check} says why not. */
    boolean supports(ForwardProcess process);

    /** Writes the 2-vector target for (x_0, eps, t) into {@code out}. */
    void target(ForwardProcess process, double x0x, double x0y, double epsX, double epsY, double t, double[] out);

    /** The raw (unnormalised) weight of a sample at time t; 1 for unweighted objectives. */
    default double rawWeight(ForwardProcess process, double t) {
        return 1.0;
    }

    /** Whether samples are weighted (weights normalised to batch mean 1). */
    default boolean weighted() {
        return false;
    }

    /** The conditional score of x_t given x_0, {@code (a x_0 - x_t) / s^2 = -eps / s}, into {@code out}. */
    private static void conditionalScore(ForwardProcess p, double epsX, double epsY, double t, double[] out) {
        double s = p.noise(t);
        out[0] = -epsX / s;
        out[1] = -epsY / s;
    }

    default void check(ForwardProcess process) {
        if (!supports(process)) {
            throw new IllegalArgumentException("objective: " + name() + " is not defined for the " + process.name() + " process");
        }
    }

    /** Every objective, one instance each (with document defaults; the prediction objective once per prediction type): tests iterate over this list. */
    static List<Objective> all() {
        return List.of(new WeightedScoreMatching(1e-3, 10.0), new PredictionMatching(), new PredictionMatching(Parameterization.V),
                new PredictionMatching(Parameterization.X0), new ScoreMatching(), new FlowMatching());
    }

    static Objective byName(String name) {
        for (Objective o : all()) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        throw new IllegalArgumentException("objective: unknown objective '" + name + "', allowed: "
                + String.join(", ", all().stream().map(Objective::name).distinct().toList()));
    }

    /**
     * Document 000's variance-weighted denoising score matching: target {@code -eps / s(t)} (the conditional
     * score), weight {@code clamp(s(t)^2, minWeight, maxWeight)} normalised to batch mean 1.
     */
    record WeightedScoreMatching(double minWeight, double maxWeight) implements Objective {
        public WeightedScoreMatching {
            if (!(minWeight > 0) || !(maxWeight >= minWeight) || !Double.isFinite(maxWeight)) {
                throw new IllegalArgumentException("objective.weight_min/weight_max: need 0 < weight_min <= weight_max < inf, got "
                        + minWeight + ", " + maxWeight);
            }
        }

        @Override
        public String name() {
            return "weighted-dsm";
        }

        @Override
        public Parameterization parameterization() {
            return Parameterization.SCORE;
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return true;
        }

        @Override
        public void target(ForwardProcess p, double x0x, double x0y, double epsX, double epsY, double t, double[] out) {
            conditionalScore(p, epsX, epsY, t, out);
        }

        @Override
        public double rawWeight(ForwardProcess p, double t) {
            double s = p.noise(t);
            return Math.min(Math.max(s * s, minWeight), maxWeight);
        }

        @Override
        public boolean weighted() {
            return true;
        }
    }

    /**
     * The simple DDPM loss (documents 001, 003, 004), the MSE of the network's prediction: target eps ({@code epsilon},
     * the documents'), {@code v = a eps - s x_0} or {@code x_0} ({@link Parameterization}). v and x0 are defined here
     * for DDPM and the Gaussian path.
     */
    record PredictionMatching(Parameterization prediction) implements Objective {
        public PredictionMatching {
            if (prediction != Parameterization.EPSILON && prediction != Parameterization.V && prediction != Parameterization.X0) {
                throw new IllegalArgumentException("network.prediction: must be epsilon, v or x0, got " + prediction);
            }
        }

        /** Epsilon prediction. */
        public PredictionMatching() {
            this(Parameterization.EPSILON);
        }

        /** The config name of the objective, whatever the prediction ({@code [network] prediction} sets that). */
        @Override
        public String name() {
            return "epsilon-mse";
        }

        @Override
        public Parameterization parameterization() {
            return prediction;
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return prediction == Parameterization.EPSILON || process instanceof Ddpm || process instanceof GaussianPath;
        }

        @Override
        public void check(ForwardProcess process) {
            if (!supports(process)) {
                throw new IllegalArgumentException("network.prediction: " + prediction.predictionName()
                        + " prediction applies to the ddpm and gaussian-path processes, not " + process.name() + "; use epsilon");
            }
        }

        @Override
        public void target(ForwardProcess p, double x0x, double x0y, double epsX, double epsY, double t, double[] out) {
            switch (prediction) {
                case EPSILON -> {
                    out[0] = epsX;
                    out[1] = epsY;
                }
                case X0 -> {
                    out[0] = x0x;
                    out[1] = x0y;
                }
                case V -> {
                    double a = p.signal(t);
                    double s = p.noise(t);
                    out[0] = a * epsX - s * x0x;
                    out[1] = a * epsY - s * x0y;
                }
                default -> throw new IllegalStateException("prediction " + prediction);
            }
        }
    }

    /**
     * Conditional score matching (document 002; with one noise level, document 001's DSM): target the
     * conditional score {@code (a x_0 - x_t) / s^2 = -eps / s}, unweighted. On the Gaussian path, t <= tMax.
     */
    record ScoreMatching() implements Objective {
        @Override
        public String name() {
            return "score-matching";
        }

        @Override
        public Parameterization parameterization() {
            return Parameterization.SCORE;
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return true;
        }

        @Override
        public void target(ForwardProcess p, double x0x, double x0y, double epsX, double epsY, double t, double[] out) {
            conditionalScore(p, epsX, epsY, t, out);
        }
    }

    /**
     * Conditional flow matching on the Gaussian path (document 002): target
     * {@code u_t(x_t | z) = (alpha' - beta'/beta alpha) z + beta'/beta x_t} with z = x_0, at t clamped to tMax.
     */
    record FlowMatching() implements Objective {
        @Override
        public String name() {
            return "flow-matching";
        }

        @Override
        public Parameterization parameterization() {
            return Parameterization.VELOCITY;
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof GaussianPath;
        }

        @Override
        public void target(ForwardProcess p, double x0x, double x0y, double epsX, double epsY, double t, double[] out) {
            GaussianPath path = (GaussianPath) p;
            double xtx = path.qSample(x0x, epsX, t);
            double xty = path.qSample(x0y, epsY, t);
            out[0] = path.conditionalVelocity(xtx, x0x, t);
            out[1] = path.conditionalVelocity(xty, x0y, t);
        }
    }
}
