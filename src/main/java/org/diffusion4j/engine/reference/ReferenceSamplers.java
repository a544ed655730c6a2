package org.diffusion4j.engine.reference;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.LinearSde;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.NoisedMixture;
import org.diffusion4j.rng.NoiseStream;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.ScoreField;

/**
 * The reference samplers: every {@link SamplerSpec} on every process it supports, in double precision, driven by a
 * {@link ScoreField}. Written to be read; the other engines are checked against it.
 *
 * <p>Noise (that of {@link SamplingSetup}): particle i starts at {@code mean + L (n0, n1)} of the setup's prior with
 * {@code normals(seed, i, step 0)}; update k (0-based, counted over the whole run) draws {@code z = (n0, n1)} of
 * {@code normals(seed, i, step k + 1)}, also where the update then uses no noise.
 *
 * <p>Time grids, with state j the state after j updates:
 * <ul>
 *   <li>OU: {@code process.samplingTimes(steps)} from tEnd down to tMin; update k goes from times[k] to times[k + 1]
 *       with {@code h = times[k] - times[k + 1]}, fields at times[k]; state j is at times[j].</li>
 *   <li>DDPM: the ancestral samplers walk t = T-1, ..., 0 (steps must be T); the prior is taken as x_{T-1} and the
 *       update at t gives x_{t-1}; state j is at index T-1-j (-1: the data). The others walk the setup's grid of
 *       n <= T indices ({@link org.diffusion4j.sampler.Spacing}), the prior taken at its first index; the update at
 *       t_k gives the state at t_{k+1} (-1 after the last). As an SDE, h = t_k - t_{k+1}, {@code k = beta_t / 2},
 *       {@code g^2 = beta_t} at the left index.</li>
 *   <li>Gaussian path: {@code steps + 1} equal times from 0 to 1, fields at the left time (clamped to tMax by the
 *       field); state j is at j / steps.</li>
 *   <li>Noise levels: level i = 0..L-1, {@code stepsPerLevel} updates each; a state's time is the level of the
 *       update that made it (0 for the prior).</li>
 * </ul>
 * The update rules are those of {@link SamplerSpec}; Heun's corrector evaluates the drift at the next time, and the
 * last step of every Heun run is a plain Euler step.
 */
public final class ReferenceSamplers {
    private ReferenceSamplers() {
    }

    /**
     * The exact field of a closed-form source: the {@link NoisedMixture} of a {@link ScoreSource.ExactMixture}
     * under {@code process}. Networks are evaluated by the engines, not here.
     */
    public static ScoreField exactField(ScoreSource source, ForwardProcess process) {
        if (source instanceof ScoreSource.ExactMixture exact) {
            return new NoisedMixture(exact.mixture(), process);
        }
        throw new IllegalArgumentException("source: only an exact mixture has a closed-form field here; networks are evaluated by the engine, got "
                + (source == null ? "null" : source.getClass().getSimpleName()));
    }

    /** Samples with the exact field of the setup's {@link ScoreSource.ExactMixture}. */
    public static Samples sample(SamplingSetup setup) {
        return sample(setup, exactField(setup.source(), setup.process()));
    }

    /** Runs {@code setup.sampler()} from the prior with the given field. */
    public static Samples sample(SamplingSetup setup, ScoreField field) {
        if (setup == null || field == null) {
            throw new IllegalArgumentException("sample: setup and field are required");
        }
        SamplerSpec spec = setup.sampler();
        ForwardProcess process = setup.process();
        spec.check(process);
        spec.checkSteps(process, setup.steps());
        if (spec.needsVelocity(process) && !field.hasVelocity()) {
            throw new IllegalArgumentException("field: " + spec.name() + " needs a velocity field, this field gives only the score");
        }
        Run run = new Run(setup);
        if (spec instanceof SamplerSpec.DdpmAncestral ddpm) {
            ancestral((Ddpm) process, ddpm.variance(), field, run);
        } else if (spec instanceof SamplerSpec.Ddim ddim) {
            ddim((Ddpm) process, ddpmGrid(setup), ddim.eta(), field, run);
        } else if (spec instanceof SamplerSpec.DpmSolverPlusPlus dpm) {
            dpmSolverPlusPlus((Ddpm) process, ddpmGrid(setup), dpm.form() == SamplerSpec.DpmSolverPlusPlus.Form.SDE, field, run);
        } else if (spec instanceof SamplerSpec.ReverseSde) {
            linearSde(process, grid(setup), field, run, true, false);
        } else if (spec instanceof SamplerSpec.ProbabilityFlow pf) {
            boolean heun = pf.integrator() == SamplerSpec.ProbabilityFlow.Integrator.HEUN;
            if (process instanceof GaussianPath path) {
                flow(path, setup.steps(), field, run, heun, 0.0);
            } else {
                linearSde(process, grid(setup), field, run, false, heun);
            }
        } else if (spec instanceof SamplerSpec.LangevinFlow lf) {
            flow((GaussianPath) process, setup.steps(), field, run, false, lf.sigma());
        } else if (spec instanceof SamplerSpec.AnnealedLangevin al) {
            annealedLangevin((NoiseLevels) process, al, field, run);
        } else {
            throw new IllegalArgumentException("sampler: " + spec.name() + " has no reference implementation");
        }
        return run.result();
    }

    /** OU's steps + 1 times from tEnd to tMin, or DDPM's step indices on the setup's spacing. */
    private static double[] grid(SamplingSetup setup) {
        return setup.process() instanceof Ddpm ? ddpmGrid(setup) : setup.process().samplingTimes(setup.steps());
    }

    private static double[] ddpmGrid(SamplingSetup setup) {
        return ((Ddpm) setup.process()).samplingTimes(setup.steps(), setup.spacing());
    }

    /** sqrt(alphaBar_t), 1 at the data end t = -1. */
    private static double signal(Ddpm ddpm, double t) {
        return t < 0 ? 1.0 : ddpm.signal(t);
    }

    /** sqrt(1 - alphaBar_t), 0 at the data end t = -1. */
    private static double noise(Ddpm ddpm, double t) {
        return t < 0 ? 0.0 : ddpm.noise(t);
    }

    /**
     * DDIM over the grid t_0 > ... > t_{n-1}, then to the data (t = -1: alphaBar = 1): with the denoised
     * {@code x0 = (x + s^2 score) / a} (Tweedie) and {@code eps = (x - a x0) / s},
     * {@code x' = a' x0 + sqrt(s'^2 - sig^2) eps + sig z}, {@code sig = eta s' / s sqrt(s^2 - a^2 s'^2 / a'^2)}.
     */
    static void ddim(Ddpm ddpm, double[] times, double eta, ScoreField field, Run run) {
        double[] score = new double[run.x.length];
        for (int k = 0; k < times.length; k++) {
            double t = times[k];
            double next = k + 1 < times.length ? times[k + 1] : -1;
            double a = signal(ddpm, t);
            double s = noise(ddpm, t);
            double an = signal(ddpm, next);
            double sn = noise(ddpm, next);
            double sig = eta * sn / s * Math.sqrt(Math.max(0.0, s * s - a * a * sn * sn / (an * an)));
            double keep = Math.sqrt(Math.max(0.0, sn * sn - sig * sig));
            field.score(run.x, t, score);
            run.drawNoise(k);
            for (int i = 0; i < run.x.length; i++) {
                double x0 = (run.x[i] + s * s * score[i]) / a;
                double eps = (run.x[i] - a * x0) / s;
                run.x[i] = an * x0 + keep * eps + sig * run.z[i];
            }
            run.record(k + 1, next);
        }
    }

    /**
     * DPM-Solver++(2M) (Lu et al. 2022, algorithm 2) over the grid, then to the data: lambda = log(a / s),
     * h = lambda' - lambda, {@code x' = s' / s x - a' (e^-h - 1) D} with D the denoised x0 of this step (first order:
     * the first step and the last, whose h is infinite) or {@code (1 + 1 / (2r)) x0 - 1 / (2r) x0_prev},
     * r = h_prev / h. The SDE form (SDE-DPM-Solver++(2M), sde): {@code x' = s' / s e^-h x + a' (1 - e^-2h) D
     * + s' sqrt(1 - e^-2h) z}, the exact solution of the reverse SDE in lambda with D held over the step.
     */
    static void dpmSolverPlusPlus(Ddpm ddpm, double[] times, boolean sde, ScoreField field, Run run) {
        double[] score = new double[run.x.length];
        double[] prev = new double[run.x.length];
        double hPrev = 0;
        int n = times.length;
        for (int k = 0; k < n; k++) {
            double t = times[k];
            double next = k + 1 < n ? times[k + 1] : -1;
            double a = signal(ddpm, t);
            double s = noise(ddpm, t);
            double an = signal(ddpm, next);
            double sn = noise(ddpm, next);
            double h = Math.log(an / sn) - Math.log(a / s);
            boolean last = next < 0;
            // ODE: x' = s' / s x - a' (e^-h - 1) D;  SDE: x' = s' / s e^-h x - a' (e^-2h - 1) D + s' sqrt(1 - e^-2h) z
            double keep = last ? 0.0 : sde ? sn / s * Math.exp(-h) : sn / s;
            double expm = last ? -1.0 : Math.expm1(sde ? -2 * h : -h);
            double sig = last || !sde ? 0.0 : sn * Math.sqrt(-Math.expm1(-2 * h));
            boolean second = k > 0 && k < n - 1;
            double r = hPrev / h;
            field.score(run.x, t, score);
            run.drawNoise(k);
            for (int i = 0; i < run.x.length; i++) {
                double x0 = (run.x[i] + s * s * score[i]) / a;
                double d = second ? (1 + 1 / (2 * r)) * x0 - 1 / (2 * r) * prev[i] : x0;
                prev[i] = x0;
                run.x[i] = keep * run.x[i] - an * expm * d + sig * run.z[i];
            }
            hPrev = h;
            run.record(k + 1, next);
        }
    }

    /**
     * DDPM ancestral: {@code x = (x - beta_t / sqrt(1 - alphaBar_t) eps) / sqrt(alpha_t) + sigma_t z} with
     * {@code eps = -sqrt(1 - alphaBar_t) score}, {@code sigma_t^2 = beta_t} or {@code betaTilde_t}, no noise at t = 0.
     */
    static void ancestral(Ddpm ddpm, SamplerSpec.DdpmAncestral.Variance variance, ScoreField field, Run run) {
        int steps = ddpm.steps();
        double[] score = new double[run.x.length];
        for (int k = 0; k < steps; k++) {
            int t = steps - 1 - k;
            field.score(run.x, t, score);
            double s = ddpm.noise(t);
            double beta = ddpm.beta(t);
            double sqrtAlpha = Math.sqrt(ddpm.alpha(t));
            double sigma = t == 0 ? 0.0 : Math.sqrt(variance == SamplerSpec.DdpmAncestral.Variance.BETA ? beta : ddpm.posteriorVariance(t));
            run.drawNoise(k);
            for (int i = 0; i < run.x.length; i++) {
                double eps = -s * score[i];
                run.x[i] = (run.x[i] - beta / s * eps) / sqrtAlpha + sigma * run.z[i];
            }
            run.record(k + 1, t - 1);
        }
    }

    /**
     * Reverse SDE (Euler-Maruyama) {@code x = x + h (k x + g^2 score) + g sqrt(h) z} or the probability-flow ODE
     * {@code x = x + h f(x, t)}, {@code f = k x + g^2 / 2 score}, Euler or Heun
     * ({@code x = x + h / 2 (f(x, t) + f(x + h f(x, t), t_next))}), on OU or DDPM.
     */
    static void linearSde(ForwardProcess process, double[] times, ScoreField field, Run run, boolean stochastic, boolean heun) {
        LinearSde sde = (LinearSde) process;
        boolean discrete = process instanceof Ddpm;
        int updates = discrete ? times.length : times.length - 1;
        double[] drift = new double[run.x.length];
        double[] predicted = new double[run.x.length];
        double[] driftNext = new double[run.x.length];
        for (int k = 0; k < updates; k++) {
            double t = times[k];
            double stateTime = discrete && k == updates - 1 ? -1 : times[k + 1];
            double h = t - stateTime;
            run.drawNoise(k);
            if (stochastic) {
                reverseDrift(sde, field, run.x, t, 1.0, drift);
                double g = Math.sqrt(sde.diffusionSquared(t));
                for (int i = 0; i < run.x.length; i++) {
                    run.x[i] += h * drift[i] + g * Math.sqrt(h) * run.z[i];
                }
            } else {
                reverseDrift(sde, field, run.x, t, 0.5, drift);
                boolean last = k == updates - 1;
                if (heun && !last) {
                    for (int i = 0; i < run.x.length; i++) {
                        predicted[i] = run.x[i] + h * drift[i];
                    }
                    reverseDrift(sde, field, predicted, stateTime, 0.5, driftNext);
                    for (int i = 0; i < run.x.length; i++) {
                        run.x[i] += 0.5 * h * (drift[i] + driftNext[i]);
                    }
                } else {
                    for (int i = 0; i < run.x.length; i++) {
                        run.x[i] += h * drift[i];
                    }
                }
            }
            run.record(k + 1, stateTime);
        }
    }

    /** The reverse-time drift {@code k(t) x + c g(t)^2 score(x, t)}: c = 1 for the SDE, 1/2 for the flow. */
    private static void reverseDrift(LinearSde sde, ScoreField field, double[] x, double t, double c, double[] out) {
        field.score(x, t, out);
        double k = sde.driftRate(t);
        double g2 = sde.diffusionSquared(t);
        for (int i = 0; i < x.length; i++) {
            out[i] = k * x[i] + c * g2 * out[i];
        }
    }

    /**
     * From t = 0 to 1 on the Gaussian path: the flow ODE {@code x = x + h u_t(x)} (Euler, or Heun with the
     * corrector at the next time), or with {@code sigma > 0} the Langevin-flow SDE
     * {@code x = x + h (u_t(x) + sigma^2 / 2 score_t(x)) + sigma sqrt(h) z}; fields at the left time.
     */
    static void flow(GaussianPath path, int steps, ScoreField field, Run run, boolean heun, double sigma) {
        double[] times = path.samplingTimes(steps);
        double[] u = new double[run.x.length];
        double[] score = new double[run.x.length];
        double[] predicted = new double[run.x.length];
        double[] uNext = new double[run.x.length];
        for (int k = 0; k < steps; k++) {
            double t = times[k];
            double h = times[k + 1] - t;
            run.drawNoise(k);
            field.velocity(run.x, t, u);
            if (sigma > 0) {
                field.score(run.x, t, score);
                for (int i = 0; i < run.x.length; i++) {
                    run.x[i] += h * (u[i] + 0.5 * sigma * sigma * score[i]) + sigma * Math.sqrt(h) * run.z[i];
                }
            } else if (heun && k < steps - 1) {
                for (int i = 0; i < run.x.length; i++) {
                    predicted[i] = run.x[i] + h * u[i];
                }
                field.velocity(predicted, times[k + 1], uNext);
                for (int i = 0; i < run.x.length; i++) {
                    run.x[i] += 0.5 * h * (u[i] + uNext[i]);
                }
            } else {
                for (int i = 0; i < run.x.length; i++) {
                    run.x[i] += h * u[i];
                }
            }
            run.record(k + 1, times[k + 1]);
        }
    }

    /**
     * Annealed Langevin: for each level i = 0..L-1, {@code stepsPerLevel} times
     * {@code x = x + a_i / 2 score_i(x) + sqrt(a_i) z}, {@code a_i = stepSize sigma_i^2 / sigma_{L-1}^2}.
     */
    static void annealedLangevin(NoiseLevels levels, SamplerSpec.AnnealedLangevin spec, ScoreField field, Run run) {
        double sigmaLast = levels.sigma(levels.levels() - 1);
        double[] score = new double[run.x.length];
        int k = 0;
        for (int level = 0; level < levels.levels(); level++) {
            double sigma = levels.sigma(level);
            double a = spec.stepSize() * sigma * sigma / (sigmaLast * sigmaLast);
            double sqrtA = Math.sqrt(a);
            for (int rep = 0; rep < spec.stepsPerLevel(); rep++) {
                field.score(run.x, level, score);
                run.drawNoise(k);
                for (int i = 0; i < run.x.length; i++) {
                    run.x[i] += 0.5 * a * score[i] + sqrtA * run.z[i];
                }
                k++;
                run.record(k, level);
            }
        }
    }

    /** The state of one run: particles, the noise of the current update, the trajectory. */
    static final class Run {
        final double[] x;
        final double[] z;
        final int steps;
        private final int total;
        private final int recordEvery;
        private final NoiseStream stream;
        private final double[] normals = new double[4];
        private final List<double[]> frames = new ArrayList<>();
        private final List<Double> frameTimes = new ArrayList<>();

        Run(SamplingSetup setup) {
            ForwardProcess process = setup.process();
            int n = setup.particles();
            this.x = new double[2 * n];
            this.z = new double[2 * n];
            this.steps = setup.steps();
            this.total = totalUpdates(setup);
            this.recordEvery = setup.recordEvery();
            this.stream = new NoiseStream(setup.seed());
            GaussianPrior p = setup.prior();
            for (int i = 0; i < n; i++) {
                stream.normals(i, 0, normals);
                x[2 * i] = p.mx() + p.l11() * normals[0];
                x[2 * i + 1] = p.my() + p.l21() * normals[0] + p.l22() * normals[1];
            }
            record(0, SamplingPlan.startTime(process, setup.sampler(), setup.steps(), setup.spacing()));
        }

        /** z of update k: entries 0, 1 of normals(seed, i, step k + 1). */
        void drawNoise(int k) {
            for (int i = 0; i < x.length / 2; i++) {
                stream.normals(i, k + 1L, normals);
                z[2 * i] = normals[0];
                z[2 * i + 1] = normals[1];
            }
        }

        /** Keeps state j when recording is on and j is 0, a multiple of recordEvery, or the last state. */
        void record(int j, double time) {
            if (recordEvery > 0 && (j == 0 || j % recordEvery == 0 || j == total)) {
                frames.add(x.clone());
                frameTimes.add(time);
            }
        }

        Samples result() {
            double[] times = new double[frameTimes.size()];
            for (int i = 0; i < times.length; i++) {
                times[i] = frameTimes.get(i);
            }
            return new Samples(x.clone(), List.copyOf(frames), times);
        }
    }

    /** Number of updates a setup runs: T for DDPM, L stepsPerLevel for annealed Langevin, else {@code steps}. */
    public static int totalUpdates(SamplingSetup setup) {
        return Math.toIntExact(setup.sampler().updates(setup.process(), setup.steps()));
    }
}
