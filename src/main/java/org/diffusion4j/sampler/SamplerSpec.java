package org.diffusion4j.sampler;

import java.util.List;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.LinearSde;
import org.diffusion4j.process.NoiseLevels;

/**
 * A reverse process: how particles go from the prior to the data, given the score (and, for flows, the
 * velocity) of the noised marginals. The update rules, with z ~ N(0, I) fresh per step:
 * <pre>
 *   ddpm            x = (x - beta_t / sqrt(1 - alphaBar_t) eps) / sqrt(alpha_t) + sigma_t z,  eps = -s_t score,
 *                   sigma_t^2 = beta_t or betaTilde_t, no noise at t = 0                          (DDPM)
 *   reverse-sde     x = x + h (k x + g^2 score) + g sqrt(h) z                                  (OU, DDPM; h = 1 for DDPM)
 *   pf-euler        x = x + h (k x + g^2 / 2 score)                                            (OU, DDPM)
 *                   x = x + h u_t(x)                                                           (Gaussian path)
 *   pf-heun         Heun's predictor-corrector on the same ODE; the last step is Euler
 *   langevin-flow   x = x + h (u_t(x) + sigma^2 / 2 score) + sigma sqrt(h) z                  (Gaussian path)
 *   annealed-langevin  per level i, K times: x = x + a_i / 2 score_i + sqrt(a_i) z,
 *                   a_i = stepSize sigma_i^2 / sigma_{L-1}^2                                  (noise levels)
 *   ddim            from grid time t to the next t' (a = signal, s = noise; the data end a' = 1, s' = 0):
 *                   D = (x + s^2 score) / a,  e = (x - a D) / s,
 *                   x = a' D + sqrt(s'^2 - sig^2) e + sig z,
 *                   sig = eta s' / s sqrt(s^2 - a^2 s'^2 / a'^2) (eta = 1: the posterior of the respaced chain) (DDPM)
 *   dpm-solver++    DPM-Solver++(2M) in lambda = log(a / s), h = lambda' - lambda, r = h_prev / h:
 *                   x = s' / s x - a' (e^-h - 1) ((1 + 1 / (2r)) D - 1 / (2r) D_prev),
 *                   first order (D alone) at the first update and at the last one (to the data end)   (DDPM)
 *   dpm-solver++-sde   the same in the reverse SDE (SDE-DPM-Solver++(2M)), with the same D:
 *                   x = s' / s e^-h x + a' (1 - e^-2h) ((1 + 1 / (2r)) D - 1 / (2r) D_prev) + s' sqrt(1 - e^-2h) z;
 *                   at first order this is ddim with eta = 1                                        (DDPM)
 * </pre>
 * On DDPM every sampler but ddpm and ddpm-posterior takes any step count up to T on the grid of a {@link Spacing};
 * reverse-sde and the probability-flow samplers there step by h = t - t' with the rates of the left index.
 */
public sealed interface SamplerSpec {

    /** The config name. */
    String name();

    boolean supports(ForwardProcess process);

    /** Whether the sampler needs the marginal velocity u_t (flow samplers on the Gaussian path). */
    default boolean needsVelocity(ForwardProcess process) {
        return false;
    }

    /**
     * The updates the sampler runs on the process when {@code steps} are asked for: annealed Langevin runs
     * steps_per_level x levels whatever is asked; every other sampler runs {@code steps}.
     */
    default long updates(ForwardProcess process, int steps) {
        return steps;
    }

    /**
     * This sampler set up to run {@code steps} updates on the process (annealed Langevin: {@code steps / levels} per
     * level), refused in one line naming {@code field} when it cannot.
     */
    default SamplerSpec withSteps(ForwardProcess process, int steps, String field) {
        return this;
    }

    default void check(ForwardProcess process) {
        if (!supports(process)) {
            throw new IllegalArgumentException("sampler: " + name() + " does not apply to the " + process.name()
                    + " process; samplers for it: " + String.join(", ", all().stream().filter(s -> s.supports(process)).map(SamplerSpec::name).toList()));
        }
    }

    /**
     * Refuses a step count the sampler cannot take on the process: on DDPM at most T, and exactly T for the ancestral
     * samplers.
     */
    default void checkSteps(ForwardProcess process, int steps) {
        if (process instanceof Ddpm ddpm) {
            if (this instanceof DdpmAncestral && steps != ddpm.steps()) {
                throw new IllegalArgumentException("steps: " + name() + " takes exactly T = " + ddpm.steps() + " steps, got " + steps
                        + "; ddim, dpm-solver++(-sde), reverse-sde and the probability-flow samplers take any count up to T");
            }
            if (steps > ddpm.steps()) {
                throw new IllegalArgumentException("steps: " + name() + " takes at most T = " + ddpm.steps() + " steps on this model, got " + steps);
            }
        }
    }

    /** Every sampler, with default settings: tests iterate over this list. */
    static List<SamplerSpec> all() {
        return List.of(new DdpmAncestral(DdpmAncestral.Variance.BETA), new DdpmAncestral(DdpmAncestral.Variance.POSTERIOR),
                new ReverseSde(), new ProbabilityFlow(ProbabilityFlow.Integrator.EULER), new ProbabilityFlow(ProbabilityFlow.Integrator.HEUN),
                new LangevinFlow(0.5), new AnnealedLangevin(100, 2e-5), new Ddim(0.0), new Ddim(1.0), new DpmSolverPlusPlus(),
                new DpmSolverPlusPlus(DpmSolverPlusPlus.Form.SDE));
    }

    static SamplerSpec byName(String name) {
        for (SamplerSpec s : all()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("sampler: unknown sampler '" + name + "', allowed: "
                + String.join(", ", all().stream().map(SamplerSpec::name).distinct().toList()));
    }

    /**
     * DDIM (Song, Meng and Ermon 2021) on DDPM's respaced grid: eta = 0 is deterministic, eta = 1 adds the ancestral
     * posterior noise of the respaced chain.
     */
    record Ddim(double eta) implements SamplerSpec {
        public Ddim {
            if (!(eta >= 0 && eta <= 1)) {
                throw new IllegalArgumentException("sampling.eta: must be a number in [0, 1], got " + eta);
            }
        }

        @Override
        public String name() {
            return "ddim";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof Ddpm;
        }
    }

    /**
     * DPM-Solver++(2M) (Lu et al. 2022), the multistep second-order solver in data prediction: of the probability-flow
     * ODE ("dpm-solver++"), or of the reverse SDE ("dpm-solver++-sde", SDE-DPM-Solver++(2M)), whose fresh noise each
     * update corrects the network's errors as ancestral sampling does.
     */
    record DpmSolverPlusPlus(Form form) implements SamplerSpec {
        public enum Form {
            ODE, SDE
        }

        public DpmSolverPlusPlus {
            if (form == null) {
                throw new IllegalArgumentException("sampler.form: required, one of ode, sde");
            }
        }

        /** The ODE solver, "dpm-solver++". */
        public DpmSolverPlusPlus() {
            this(Form.ODE);
        }

        @Override
        public String name() {
            return form == Form.ODE ? "dpm-solver++" : "dpm-solver++-sde";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof Ddpm;
        }
    }

    /** DDPM ancestral sampling with variance beta_t ("ddpm") or the posterior variance betaTilde_t ("ddpm-posterior"). */
    record DdpmAncestral(Variance variance) implements SamplerSpec {
        public enum Variance {
            BETA, POSTERIOR
        }

        public DdpmAncestral {
            if (variance == null) {
                throw new IllegalArgumentException("sampler.variance: required, one of beta, posterior");
            }
        }

        @Override
        public String name() {
            return variance == Variance.BETA ? "ddpm" : "ddpm-posterior";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof Ddpm;
        }
    }

    /** Euler-Maruyama on the reverse-time SDE. */
    record ReverseSde() implements SamplerSpec {
        @Override
        public String name() {
            return "reverse-sde";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof LinearSde;
        }
    }

    /** The probability-flow ODE (the flow ODE on the Gaussian path), Euler or Heun. */
    record ProbabilityFlow(Integrator integrator) implements SamplerSpec {
        public enum Integrator {
            EULER, HEUN
        }

        public ProbabilityFlow {
            if (integrator == null) {
                throw new IllegalArgumentException("sampler.integrator: required, one of euler, heun");
            }
        }

        @Override
        public String name() {
            return integrator == Integrator.EULER ? "pf-euler" : "pf-heun";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof LinearSde || process instanceof GaussianPath;
        }

        @Override
        public boolean needsVelocity(ForwardProcess process) {
            return process instanceof GaussianPath;
        }
    }

    /** Document 002's Langevin-flow SDE {@code dx = (u_t + sigma^2 / 2 score) dt + sigma dW}, Euler-Maruyama. */
    record LangevinFlow(double sigma) implements SamplerSpec {
        public LangevinFlow {
            if (!(sigma >= 0) || !Double.isFinite(sigma)) {
                throw new IllegalArgumentException("sampler.sigma: must be a finite number >= 0, got " + sigma);
            }
        }

        @Override
        public String name() {
            return "langevin-flow";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof GaussianPath;
        }

        @Override
        public boolean needsVelocity(ForwardProcess process) {
            return true;
        }
    }

    /**
     * Annealed Langevin dynamics over the noise levels (plain Langevin dynamics with one level, document 001):
     * {@code stepsPerLevel} steps per level, step size {@code stepSize sigma_i^2 / sigma_min^2}.
     */
    record AnnealedLangevin(int stepsPerLevel, double stepSize) implements SamplerSpec {
        public AnnealedLangevin {
            if (stepsPerLevel <= 0) {
                throw new IllegalArgumentException("sampler.steps_per_level: must be > 0, got " + stepsPerLevel);
            }
            if (!(stepSize > 0) || !Double.isFinite(stepSize)) {
                throw new IllegalArgumentException("sampler.step_size: must be a finite number > 0, got " + stepSize);
            }
        }

        @Override
        public String name() {
            return "annealed-langevin";
        }

        @Override
        public boolean supports(ForwardProcess process) {
            return process instanceof NoiseLevels;
        }

        /** steps_per_level x levels. */
        public long updates(NoiseLevels levels) {
            return (long) stepsPerLevel * levels.levels();
        }

        @Override
        public long updates(ForwardProcess process, int steps) {
            return process instanceof NoiseLevels nl ? updates(nl) : steps;
        }

        @Override
        public SamplerSpec withSteps(ForwardProcess process, int steps, String field) {
            if (!(process instanceof NoiseLevels nl)) {
                return this;
            }
            if (steps % nl.levels() != 0) {
                throw new IllegalArgumentException(field + ": annealed-langevin takes a multiple of process.levels = " + nl.levels()
                        + " steps, got " + steps);
            }
            return new AnnealedLangevin(steps / nl.levels(), stepSize);
        }
    }
}
