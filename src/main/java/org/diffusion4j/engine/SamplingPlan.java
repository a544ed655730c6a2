package org.diffusion4j.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.LinearSde;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;

/**
 * Every sampler written as per-update coefficients, computed in double and rounded to float, shared by the cpu engine
 * and the CUDA kernels (kernels/sampler.cuh), with S the score and U the velocity at the update's field time:
 * <pre>
 *   Euler-type   x = cx x + cs S(x, t) + cu U(x, t) + cz z
 *   Heun         d1 = kx x + ks S(x, t) + ku U(x, t),  p = x + h d1,
 *                d2 = kx' p + ks' S(p, t') + ku' U(p, t'),  x = x + h / 2 (d1 + d2)
 *   ddpm         cx = 1 / sqrt(alpha_t), cs = beta_t / sqrt(alpha_t), cz = sigma_t (0 at t = 0)
 *   reverse-sde  cx = 1 + h k, cs = h g^2, cz = g sqrt(h);   pf-euler: cx = 1 + h k, cs = h g^2 / 2
 *   flow ODE     cx = 1, cu = h;   langevin-flow: cs = h sigma^2 / 2, cz = sigma sqrt(h)
 *   annealed     cx = 1, cs = a_i / 2, cz = sqrt(a_i)
 *   ddim         cx = a' / a, cs = a' s^2 / a - s sqrt(s'^2 - sig^2), cz = sig     (D = (x + s^2 S) / a folded in)
 *   dpm-solver++ cx = s' / s + phi c1 / a, cs = phi c1 s^2 / a, cp = -phi c2, phi = a' - a s' / s,
 *                c1 = 1 + 1 / (2r), c2 = 1 / (2r) (c1 = 1, c2 = 0 at first order); keeps m = x / a + s^2 / a S
 *   dpm-solver++-sde  the same with phi = a' (1 - e^-2h) and cx = s' / s e^-h + phi c1 / a, cz = s' sqrt(1 - e^-2h),
 *                e^-h = a s' / (a' s)
 * </pre>
 * A sampler with state across updates keeps one 2-vector m per particle ({@link #keeps}): the Euler-type update adds
 * {@code cp m}, then sets {@code m = mx x + ms S} from the x and S of that update, before x moves (m starts at 0).
 * DPM-Solver++(2M) keeps its data prediction D so. With a = signal, s = noise at the update's time, a', s' at the next
 * grid time (a' = 1, s' = 0 past the last index of DDPM).
 * Field times are numbered as slots ({@link #times}), so that time-only network terms are computed once per distinct
 * time. The arrays are the plan itself: read them, do not modify them.
 */
public final class SamplingPlan {
    public final int updates;
    public final double startTime;
    public final int[] slot;
    public final int[] slotNext;
    public final boolean[] heun;
    public final float[] cx;
    public final float[] cs;
    public final float[] cu;
    public final float[] cz;
    public final float[] h;
    public final float[] kx;
    public final float[] ks;
    public final float[] ku;
    public final float[] kxN;
    public final float[] ksN;
    public final float[] kuN;
    public final float[] cp;
    public final float[] mx;
    public final float[] ms;
    public final double[] stateTime;
    /** Whether updates read and write the per-particle memory m (cp, mx, ms). */
    public final boolean keeps;
    public final boolean useScore;
    public final boolean useVelocity;
    public final List<Double> times = new ArrayList<>();
    private final Map<Double, Integer> index = new HashMap<>();

    private SamplingPlan(int n, double startTime, boolean useScore, boolean useVelocity) {
        this(n, startTime, useScore, useVelocity, false);
    }

    private SamplingPlan(int n, double startTime, boolean useScore, boolean useVelocity, boolean keeps) {
        this.updates = n;
        this.keeps = keeps;
        this.startTime = startTime;
        this.useScore = useScore;
        this.useVelocity = useVelocity;
        slot = new int[n];
        slotNext = new int[n];
        heun = new boolean[n];
        cx = new float[n];
        cs = new float[n];
        cu = new float[n];
        cz = new float[n];
        h = new float[n];
        kx = new float[n];
        ks = new float[n];
        ku = new float[n];
        kxN = new float[n];
        ksN = new float[n];
        kuN = new float[n];
        stateTime = new double[n];
        cp = new float[n];
        mx = new float[n];
        ms = new float[n];
    }

    private int slotOf(double t) {
        return index.computeIfAbsent(t, key -> {
            times.add(key);
            return times.size() - 1;
        });
    }

    /** The plan of a sampling run: every update's coefficients, in double rounded to float. */
    public static SamplingPlan of(SamplingSetup setup) {
        SamplerSpec spec = setup.sampler();
        ForwardProcess process = setup.process();
        spec.check(process);
        spec.checkSteps(process, setup.steps());
        double start = startTime(process, spec, setup.steps(), setup.spacing());
        if (spec instanceof SamplerSpec.DdpmAncestral anc) {
            return ancestral(start, (Ddpm) process, anc.variance());
        } else if (spec instanceof SamplerSpec.Ddim ddim) {
            return ddim(start, (Ddpm) process, ddim.eta(), grid(process, setup));
        } else if (spec instanceof SamplerSpec.DpmSolverPlusPlus dpm) {
            return dpmSolver(start, (Ddpm) process, grid(process, setup), dpm.form() == SamplerSpec.DpmSolverPlusPlus.Form.SDE);
        } else if (spec instanceof SamplerSpec.ReverseSde) {
            return linearSde(start, process, grid(process, setup), true, false);
        } else if (spec instanceof SamplerSpec.ProbabilityFlow pf) {
            boolean heun = pf.integrator() == SamplerSpec.ProbabilityFlow.Integrator.HEUN;
            if (process instanceof GaussianPath path) {
                return flow(start, path, setup.steps(), heun, 0.0);
            }
            return linearSde(start, process, grid(process, setup), false, heun);
        } else if (spec instanceof SamplerSpec.LangevinFlow lf) {
            return flow(start, (GaussianPath) process, setup.steps(), false, lf.sigma());
        } else if (spec instanceof SamplerSpec.AnnealedLangevin al) {
            return annealed(start, (NoiseLevels) process, al);
        }
        throw new IllegalArgumentException("sampler: " + spec.name() + " has no plan");
    }

    /** The sampler's time grid: OU's steps + 1 times, DDPM's step indices on the setup's spacing. */
    private static double[] grid(ForwardProcess process, SamplingSetup setup) {
        return process instanceof Ddpm ddpm ? ddpm.samplingTimes(setup.steps(), setup.spacing()) : process.samplingTimes(setup.steps());
    }

    /** {a, s} at DDPM step index t, {1, 0} at the data end t = -1. */
    private static double[] as(Ddpm ddpm, double t) {
        return t < 0 ? new double[] {1.0, 0.0} : new double[] {ddpm.signal(t), ddpm.noise(t)};
    }

    /** DDIM from each grid index to the next (to the data after the last): x = a' D + sqrt(s'^2 - sig^2) e + sig z. */
    private static SamplingPlan ddim(double start, Ddpm ddpm, double eta, double[] times) {
        int n = times.length;
        SamplingPlan plan = new SamplingPlan(n, start, true, false);
        for (int k = 0; k < n; k++) {
            double next = k + 1 < n ? times[k + 1] : -1;
            double[] now = as(ddpm, times[k]);
            double[] to = as(ddpm, next);
            double a = now[0];
            double s = now[1];
            double a1 = to[0];
            double s1 = to[1];
            double sig2 = eta * eta * (s1 * s1) / (s * s) * Math.max(0.0, s * s - a * a * s1 * s1 / (a1 * a1));
            plan.slot[k] = plan.slotOf(times[k]);
            plan.cx[k] = (float) (a1 / a);
            plan.cs[k] = (float) (a1 * s * s / a - s * Math.sqrt(Math.max(0.0, s1 * s1 - sig2)));
            plan.cz[k] = (float) Math.sqrt(sig2);
            plan.stateTime[k] = next;
        }
        return plan;
    }

    /**
     * DPM-Solver++(2M) in lambda = log(a / s), of the ODE or (sde) of the reverse SDE: first order at the first update
     * and at the last (to the data end, where lambda is infinite), second order from the kept data prediction in
     * between.
     */
    private static SamplingPlan dpmSolver(double start, Ddpm ddpm, double[] times, boolean sde) {
        int n = times.length;
        SamplingPlan plan = new SamplingPlan(n, start, true, false, true);
        double hPrev = Double.NaN;
        for (int k = 0; k < n; k++) {
            double next = k + 1 < n ? times[k + 1] : -1;
            double[] now = as(ddpm, times[k]);
            double[] to = as(ddpm, next);
            double a = now[0];
            double s = now[1];
            double a1 = to[0];
            double s1 = to[1];
            double h = Math.log(a1 * s / (s1 * a));
            // e^-h = a s' / (a' s): 0 at the data end
            double decay = a * s1 / (a1 * s);
            double phi = sde ? a1 * (1 - decay * decay) : a1 - a * s1 / s;
            boolean second = k > 0 && k < n - 1;
            double c2 = second ? 1.0 / (2.0 * (hPrev / h)) : 0.0;
            double c1 = 1.0 + c2;
            plan.slot[k] = plan.slotOf(times[k]);
            plan.cx[k] = (float) ((sde ? s1 / s * decay : s1 / s) + phi * c1 / a);
            plan.cs[k] = (float) (phi * c1 * s * s / a);
            plan.cz[k] = (float) (sde ? s1 * Math.sqrt(1 - decay * decay) : 0.0);
            plan.cp[k] = (float) (-phi * c2);
            plan.mx[k] = (float) (1.0 / a);
            plan.ms[k] = (float) (s * s / a);
            plan.stateTime[k] = next;
            hPrev = h;
        }
        return plan;
    }

    /** x = x / sqrt(alpha_t) + beta_t / sqrt(alpha_t) score + sigma_t z, t = T-1 .. 0. */
    private static SamplingPlan ancestral(double start, Ddpm ddpm, SamplerSpec.DdpmAncestral.Variance variance) {
        int T = ddpm.steps();
        SamplingPlan plan = new SamplingPlan(T, start, true, false);
        for (int k = 0; k < T; k++) {
            int t = T - 1 - k;
            double sqrtAlpha = Math.sqrt(ddpm.alpha(t));
            double sigma = t == 0 ? 0.0 : Math.sqrt(variance == SamplerSpec.DdpmAncestral.Variance.BETA ? ddpm.beta(t) : ddpm.posteriorVariance(t));
            plan.slot[k] = plan.slotOf(t);
            plan.cx[k] = (float) (1.0 / sqrtAlpha);
            plan.cs[k] = (float) (ddpm.beta(t) / sqrtAlpha);
            plan.cz[k] = (float) sigma;
            plan.stateTime[k] = t - 1;
        }
        return plan;
    }

    /**
     * Reverse SDE or probability-flow ODE (Euler, Heun) on OU or DDPM; drift k x + c g^2 score. On DDPM the grid is
     * the step indices, h = t - t' (1 at every index, t' = -1 after the last) with the rates of the left index.
     */
    private static SamplingPlan linearSde(double start, ForwardProcess process, double[] times, boolean stochastic, boolean heun) {
        LinearSde sde = (LinearSde) process;
        boolean discrete = process instanceof Ddpm;
        int updates = discrete ? times.length : times.length - 1;
        SamplingPlan plan = new SamplingPlan(updates, start, true, false);
        double c = stochastic ? 1.0 : 0.5;
        for (int k = 0; k < updates; k++) {
            double t = times[k];
            double tNext = discrete && k == updates - 1 ? -1 : times[k + 1];
            double h = t - tNext;
            double kr = sde.driftRate(t);
            double g2 = sde.diffusionSquared(t);
            plan.slot[k] = plan.slotOf(t);
            plan.stateTime[k] = tNext;
            plan.cx[k] = (float) (1.0 + h * kr);
            plan.cs[k] = (float) (h * c * g2);
            plan.cz[k] = stochastic ? (float) (Math.sqrt(g2) * Math.sqrt(h)) : 0f;
            if (heun && k < updates - 1) {
                plan.heun[k] = true;
                plan.slotNext[k] = plan.slotOf(tNext);
                plan.h[k] = (float) h;
                plan.kx[k] = (float) kr;
                plan.ks[k] = (float) (c * g2);
                plan.kxN[k] = (float) sde.driftRate(tNext);
                plan.ksN[k] = (float) (c * sde.diffusionSquared(tNext));
            }
        }
        return plan;
    }

    /** Flow ODE (Euler, Heun) or, with sigma > 0, the Langevin-flow SDE on the Gaussian path, fields at the left time. */
    private static SamplingPlan flow(double start, GaussianPath path, int steps, boolean heun, double sigma) {
        double[] times = path.samplingTimes(steps);
        SamplingPlan plan = new SamplingPlan(steps, start, sigma > 0, true);
        for (int k = 0; k < steps; k++) {
            double t = times[k];
            double h = times[k + 1] - t;
            plan.slot[k] = plan.slotOf(t);
            plan.stateTime[k] = times[k + 1];
            plan.cx[k] = 1f;
            plan.cu[k] = (float) h;
            if (sigma > 0) {
                plan.cs[k] = (float) (h * 0.5 * sigma * sigma);
                plan.cz[k] = (float) (sigma * Math.sqrt(h));
            } else if (heun && k < steps - 1) {
                plan.heun[k] = true;
                plan.slotNext[k] = plan.slotOf(times[k + 1]);
                plan.h[k] = (float) h;
                plan.ku[k] = 1f;
                plan.kuN[k] = 1f;
            }
        }
        return plan;
    }

    /** Per level i, K times x = x + a_i / 2 score + sqrt(a_i) z, a_i = stepSize sigma_i^2 / sigma_{L-1}^2. */
    private static SamplingPlan annealed(double start, NoiseLevels levels, SamplerSpec.AnnealedLangevin spec) {
        int reps = spec.stepsPerLevel();
        SamplingPlan plan = new SamplingPlan(Math.toIntExact(spec.updates(levels)), start, true, false);
        double sigmaLast = levels.sigma(levels.levels() - 1);
        int k = 0;
        for (int level = 0; level < levels.levels(); level++) {
            double sigma = levels.sigma(level);
            double a = spec.stepSize() * sigma * sigma / (sigmaLast * sigmaLast);
            int slot = plan.slotOf(level);
            for (int r = 0; r < reps; r++) {
                plan.slot[k] = slot;
                plan.stateTime[k] = level;
                plan.cx[k] = 1f;
                plan.cs[k] = (float) (0.5 * a);
                plan.cz[k] = (float) Math.sqrt(a);
                k++;
            }
        }
        return plan;
    }

    /**
     * The time of the prior state: the process's start ({@link ForwardProcess#samplingStartTime}), except on DDPM's
     * respaced grids, which start at their first step index (T-1 for trailing spacing and for the ancestral samplers).
     */
    public static double startTime(ForwardProcess process, SamplerSpec sampler, int steps, Spacing spacing) {
        if (process instanceof Ddpm ddpm && !(sampler instanceof SamplerSpec.DdpmAncestral)) {
            return ddpm.samplingTimes(steps, spacing)[0];
        }
        return process.samplingStartTime();
    }

    /** The networks a plan evaluates: each null when the plan does not use it (and both for an exact mixture). */
    public record Networks(ScoreSource.Network score, ScoreSource.Network velocity) {
    }

    /**
     * The networks of the setup's source that this plan evaluates: the score network when it uses the score, the
     * velocity network when it uses the velocity; refused in one line when a network source lacks one the sampler
     * needs. An exact mixture has none.
     */
    public Networks networks(SamplingSetup setup) {
        ScoreSource source = setup.source();
        if (source == null) {
            throw new IllegalArgumentException("source: required, a network, a flow-and-score pair or an exact mixture");
        }
        if (source instanceof ScoreSource.ExactMixture) {
            return new Networks(null, null);
        }
        if (useScore && source.scoreNetwork() == null) {
            throw new IllegalArgumentException("model: a velocity network alone gives no score; this sampler needs a score network too");
        }
        if (useVelocity && source.velocityNetwork() == null) {
            throw new IllegalArgumentException("sampler: " + setup.sampler().name()
                    + " needs a velocity field: a flow and a score network, or an exact mixture");
        }
        return new Networks(useScore ? source.scoreNetwork() : null, useVelocity ? source.velocityNetwork() : null);
    }

    /** Ints per update of {@link #deviceTable} (the Update struct of kernels/sampler.cuh). */
    public static final int DEVICE_INTS = 20;

    /** The plan as kernels/sampler.cuh's Update structs: 20 four-byte fields per update, floats as raw bits. */
    public int[] deviceTable() {
        int[] d = new int[DEVICE_INTS * updates];
        for (int k = 0; k < updates; k++) {
            int o = DEVICE_INTS * k;
            d[o] = Float.floatToRawIntBits(cx[k]);
            d[o + 1] = Float.floatToRawIntBits(useScore ? cs[k] : 0f);
            d[o + 2] = Float.floatToRawIntBits(useVelocity ? cu[k] : 0f);
            d[o + 3] = Float.floatToRawIntBits(cz[k]);
            d[o + 4] = heun[k] ? 1 : 0;
            d[o + 5] = Float.floatToRawIntBits(h[k]);
            d[o + 6] = Float.floatToRawIntBits(kx[k]);
            d[o + 7] = Float.floatToRawIntBits(useScore ? ks[k] : 0f);
            d[o + 8] = Float.floatToRawIntBits(useVelocity ? ku[k] : 0f);
            d[o + 9] = Float.floatToRawIntBits(kxN[k]);
            d[o + 10] = Float.floatToRawIntBits(useScore ? ksN[k] : 0f);
            d[o + 11] = Float.floatToRawIntBits(useVelocity ? kuN[k] : 0f);
            d[o + 12] = slot[k];
            d[o + 13] = slotNext[k];
            d[o + 14] = Float.floatToRawIntBits(cp[k]);
            d[o + 15] = Float.floatToRawIntBits(mx[k]);
            d[o + 16] = Float.floatToRawIntBits(ms[k]);
        }
        return d;
    }

    /** The state kept after j updates belongs to frame frameOf[j] (-1: not kept): the first, every k-th and the last. */
    public int[] frameOf(int recordEvery) {
        int[] frameOf = new int[updates + 1];
        int frames = 0;
        for (int j = 0; j <= updates; j++) {
            frameOf[j] = recordEvery > 0 && (j == 0 || j % recordEvery == 0 || j == updates) ? frames++ : -1;
        }
        return frameOf;
    }

    /** Frames kept by a frameOf table. */
    public static int frames(int[] frameOf) {
        int n = 0;
        for (int f : frameOf) {
            n += f >= 0 ? 1 : 0;
        }
        return n;
    }

    /** The time of each kept frame: the start time for the prior draw, else the state time after the update. */
    public double[] frameTimes(int[] frameOf) {
        double[] times = new double[frames(frameOf)];
        for (int j = 0; j <= updates; j++) {
            if (frameOf[j] >= 0) {
                times[frameOf[j]] = j == 0 ? startTime : stateTime[j - 1];
            }
        }
        return times;
    }
}
