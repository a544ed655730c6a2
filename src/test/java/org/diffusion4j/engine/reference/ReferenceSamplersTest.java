package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.rng.NoiseStream;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;
import org.diffusion4j.sampler.ScoreField;
import org.junit.jupiter.api.Test;

/** Hand-computed single runs, the noise layout, trajectories and the order of the ODE integrators. */
class ReferenceSamplersTest {
    static final long SEED = 31;
    static final ScoreSource RING = new ScoreSource.ExactMixture(GaussianMixture.symmetric(8, 3, 0.25));

    /** A field with simple time dependence: score = -x / (1 + t), velocity = -(1 + t) x. */
    static final ScoreField LINEAR = new ScoreField() {
        @Override
        public void score(double[] xy, double t, double[] out) {
            for (int i = 0; i < xy.length; i++) {
                out[i] = -xy[i] / (1 + t);
            }
        }

        @Override
        public boolean hasVelocity() {
            return true;
        }

        @Override
        public void velocity(double[] xy, double t, double[] out) {
            for (int i = 0; i < xy.length; i++) {
                out[i] = -(1 + t) * xy[i];
            }
        }
    };

    /** Entries 0, 1 of normals(SEED, particle, step). */
    static double[] z(int particle, int step) {
        double[] n = new double[4];
        new NoiseStream(SEED).normals(particle, step, n);
        return new double[] {n[0], n[1]};
    }

    static Samples run(ForwardProcess process, SamplerSpec sampler, int steps, int recordEvery) {
        return ReferenceSamplers.sample(new SamplingSetup(process, sampler, RING, 3, steps, SEED, recordEvery), LINEAR);
    }

    // All hand computations repeat the same double operations in the same order, up to reassociation: 1e-13.
    static final double EXACT = 1e-13;

    @Test
    void reverseSdeOnOuByHand() {
        OrnsteinUhlenbeck ou = new OrnsteinUhlenbeck(0.5, 0.8, 1.0, 0.2, 10);
        Samples s = run(ou, new SamplerSpec.ReverseSde(), 2, 1);
        double[] times = {1.0, 0.6, 0.2};
        for (int p = 0; p < 3; p++) {
            double[] x = z(p, 0);
            x[0] *= ou.priorStd();
            x[1] *= ou.priorStd();
            for (int k = 0; k < 2; k++) {
                double t = times[k];
                double h = times[k] - times[k + 1];
                double[] zk = z(p, k + 1);
                for (int c = 0; c < 2; c++) {
                    x[c] = x[c] + h * (0.5 * x[c] + 0.64 * (-x[c] / (1 + t))) + 0.8 * Math.sqrt(h) * zk[c];
                }
            }
            assertEquals(x[0], s.xy()[2 * p], EXACT);
            assertEquals(x[1], s.xy()[2 * p + 1], EXACT);
        }
        assertArrayEquals(times, s.frameTimes(), 1e-15);
    }

    @Test
    void ddpmAncestralByHandWithBothVariancesAndNoNoiseAtTheLastStep() {
        Ddpm ddpm = Ddpm.linear(3, 0.1, 0.3);
        for (SamplerSpec.DdpmAncestral.Variance variance : SamplerSpec.DdpmAncestral.Variance.values()) {
            Samples s = run(ddpm, new SamplerSpec.DdpmAncestral(variance), 3, 1);
            for (int p = 0; p < 3; p++) {
                double[] x = z(p, 0);
                for (int k = 0; k < 3; k++) {
                    int t = 2 - k;
                    double beta = ddpm.beta(t);
                    double sd = Math.sqrt(1 - ddpm.alphaBar(t));
                    double var = variance == SamplerSpec.DdpmAncestral.Variance.BETA ? beta
                            : beta * (1 - (t == 0 ? 1 : ddpm.alphaBar(t - 1))) / (1 - ddpm.alphaBar(t));
                    double[] zk = z(p, k + 1);
                    for (int c = 0; c < 2; c++) {
                        double eps = -sd * (-x[c] / (1 + t));
                        x[c] = (x[c] - beta / sd * eps) / Math.sqrt(1 - beta) + (t > 0 ? Math.sqrt(var) * zk[c] : 0);
                    }
                }
                assertEquals(x[0], s.xy()[2 * p], EXACT, variance.toString());
                assertEquals(x[1], s.xy()[2 * p + 1], EXACT, variance.toString());
            }
            assertArrayEquals(new double[] {2, 1, 0, -1}, s.frameTimes(), 0.0);
        }
    }

    @Test
    void probabilityFlowOnDdpmByHandHeunUsesTheNextIndex() {
        Ddpm ddpm = Ddpm.linear(3, 0.1, 0.3);
        Samples s = run(ddpm, new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.HEUN), 3, 0);
        assertEquals(0, s.frames().size());
        double[] x = z(1, 0);
        for (int t = 2; t >= 0; t--) {
            for (int c = 0; c < 2; c++) {
                double f = ddpm.beta(t) / 2 * x[c] + ddpm.beta(t) / 2 * (-x[c] / (1 + t));
                if (t > 0) {
                    double pred = x[c] + f;
                    double fNext = ddpm.beta(t - 1) / 2 * pred + ddpm.beta(t - 1) / 2 * (-pred / t);
                    x[c] += 0.5 * (f + fNext);
                } else {
                    x[c] += f;
                }
            }
        }
        assertEquals(x[0], s.xy()[2], EXACT);
        assertEquals(x[1], s.xy()[3], EXACT);
    }

    @Test
    void flowsOnThePathByHand() {
        GaussianPath path = new GaussianPath(0.9, 4);
        Samples heun = run(path, new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.HEUN), 4, 2);
        Samples langevin = run(path, new SamplerSpec.LangevinFlow(0.5), 4, 0);
        double[] xh = z(2, 0);
        double[] xl = z(2, 0);
        for (int k = 0; k < 4; k++) {
            double t = k / 4.0;
            double h = 0.25;
            double[] zk = z(2, k + 1);
            for (int c = 0; c < 2; c++) {
                double u = -(1 + t) * xh[c];
                xh[c] += k < 3 ? 0.5 * h * (u - (1 + t + h) * (xh[c] + h * u)) : h * u;
                xl[c] += h * (-(1 + t) * xl[c] + 0.125 * (-xl[c] / (1 + t))) + 0.5 * Math.sqrt(h) * zk[c];
            }
        }
        assertEquals(xh[0], heun.xy()[4], EXACT);
        assertEquals(xh[1], heun.xy()[5], EXACT);
        assertEquals(xl[0], langevin.xy()[4], EXACT);
        assertEquals(xl[1], langevin.xy()[5], EXACT);
        // recordEvery = 2 over 4 updates: states 0, 2, 4.
        assertArrayEquals(new double[] {0, 0.5, 1}, heun.frameTimes(), 1e-15);
        assertArrayEquals(heun.xy(), heun.frames().get(2), 0.0);
    }

    @Test
    void annealedLangevinByHandWithAGlobalNoiseCounter() {
        NoiseLevels levels = new NoiseLevels(2.0, 0.5, 2, 3.0);
        SamplerSpec.AnnealedLangevin spec = new SamplerSpec.AnnealedLangevin(3, 0.01);
        Samples s = run(levels, spec, 1, 4);
        double[] x = z(0, 0);
        x[0] *= 3;
        x[1] *= 3;
        int k = 0;
        for (int level = 0; level < 2; level++) {
            double sigma = level == 0 ? 2.0 : 0.5;
            double a = 0.01 * sigma * sigma / 0.25;
            for (int rep = 0; rep < 3; rep++) {
                double[] zk = z(0, ++k);
                for (int c = 0; c < 2; c++) {
                    x[c] += a / 2 * (-x[c] / (1 + level)) + Math.sqrt(a) * zk[c];
                }
            }
        }
        assertEquals(x[0], s.xy()[0], EXACT);
        assertEquals(x[1], s.xy()[1], EXACT);
        // six updates, recordEvery = 4: states 0, 4, 6 at the levels of the updates that made them.
        assertArrayEquals(new double[] {0, 1, 1}, s.frameTimes(), 0.0);
    }

    @Test
    void priorIsPriorStdTimesTheFirstNormals() {
        OrnsteinUhlenbeck ou = new OrnsteinUhlenbeck(1, Math.sqrt(2), 10, 1e-3, 100);
        Samples s = run(ou, new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.EULER), 100, 1);
        assertEquals(101, s.frames().size());
        for (int p = 0; p < 3; p++) {
            double[] z0 = z(p, 0);
            assertEquals(ou.priorStd() * z0[0], s.frames().get(0)[2 * p], 0.0);
            assertEquals(ou.priorStd() * z0[1], s.frames().get(0)[2 * p + 1], 0.0);
        }
        assertArrayEquals(ou.samplingTimes(100), s.frameTimes(), 0.0);
    }

    @Test
    void heunIsSecondOrderAndEulerFirstOrder() {
        // The probability flow is deterministic, so each particle's endpoint converges to that of the exact ODE. Error
        // against a 4000-step Heun run (its own error ~ 1e-5, far below the ones measured), 64 particles of gmm11 on
        // OU lambda = 1, sigma = sqrt(2), [1e-2, 5]. Halving h must cut Euler's error by ~2 and Heun's by ~4: we require
        // ratios in [1.6, 2.5] and [3, 5], and Heun at 100 steps 10x better than Euler.
        ScoreSource gmm11 = new ScoreSource.ExactMixture(GaussianMixture.symmetric(11, 10, 1));
        OrnsteinUhlenbeck ou = new OrnsteinUhlenbeck(1, Math.sqrt(2), 5, 1e-2, 100);
        SamplerSpec euler = new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.EULER);
        SamplerSpec heun = new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.HEUN);
        double[] exact = ReferenceSamplers.sample(new SamplingSetup(ou, heun, gmm11, 64, 4000, SEED)).xy();
        double[] errEuler = new double[2];
        double[] errHeun = new double[2];
        int[] steps = {100, 200};
        for (int j = 0; j < 2; j++) {
            errEuler[j] = maxError(ReferenceSamplers.sample(new SamplingSetup(ou, euler, gmm11, 64, steps[j], SEED)).xy(), exact);
            errHeun[j] = maxError(ReferenceSamplers.sample(new SamplingSetup(ou, heun, gmm11, 64, steps[j], SEED)).xy(), exact);
        }
        String figures = "euler " + errEuler[0] + " -> " + errEuler[1] + ", heun " + errHeun[0] + " -> " + errHeun[1];
        System.out.println("pf on ou, 100 -> 200 steps, max endpoint error: " + figures);
        assertTrue(errEuler[0] / errEuler[1] > 1.6 && errEuler[0] / errEuler[1] < 2.5, figures);
        assertTrue(errHeun[0] / errHeun[1] > 3 && errHeun[0] / errHeun[1] < 5, figures);
        assertTrue(errHeun[0] * 10 < errEuler[0], figures);
    }

    @Test
    void dpmSolverPlusPlusIsSecondOrderAndDdimFirstOrder() {
        // Data N(mu, sigma^2 I) (one component, mu = (2, 0), sigma = 0.5), whose probability flow is known in closed form:
        // x_t = a_t mu + (x_0 - a_0 mu) std_t / std_0, std_t = sqrt(a_t^2 sigma^2 + s_t^2). The DDPM is the continuum limit
        // of the 1000-step linear schedule (T = 10^5, beta from 1e-6 to 2e-4, alphaBar_T = e^-10); the quadratic grid starts
        // at index 0.8 T and ends at 0 whatever the step count n, and is uniform in u = sqrt(t / 0.8 T), in which lambda
        // is smooth, up to the rounding of indices (at most 1 of 10^5). Error: the largest |x - x_exact| at index 0, the
        // state before the final jump to the data (the same first-order jump for every n). Doubling n must cut DDIM's
        // (eta = 0, first order in the step) error by ~2 and DPM-Solver++(2M)'s by ~4: ratios in [1.6, 2.5] and [3, 5.5].
        GaussianMixture gaussian = GaussianMixture.symmetric(1, 2, 0.5);
        Ddpm ddpm = Ddpm.linear(100_000, 1e-6, 2e-4);
        double[] errDdim = new double[2];
        double[] errDpm = new double[2];
        int[] steps = {80, 160};
        for (int j = 0; j < 2; j++) {
            errDdim[j] = errorAtIndexZero(ddpm, new SamplerSpec.Ddim(0), gaussian, steps[j]);
            errDpm[j] = errorAtIndexZero(ddpm, new SamplerSpec.DpmSolverPlusPlus(), gaussian, steps[j]);
        }
        String figures = "ddim " + errDdim[0] + " -> " + errDdim[1] + ", dpm-solver++ " + errDpm[0] + " -> " + errDpm[1];
        System.out.println("ddpm T = 10^5, quadratic grid, 80 -> 160 steps, max error at index 0: " + figures);
        assertTrue(errDdim[0] / errDdim[1] > 1.6 && errDdim[0] / errDdim[1] < 2.5, figures);
        assertTrue(errDpm[0] / errDpm[1] > 3 && errDpm[0] / errDpm[1] < 5.5, figures);
        assertTrue(errDpm[1] * 10 < errDdim[1], figures);
    }

    @Test
    void dpmSolverPlusPlusSdeAtFirstOrderIsDdimWithEtaOne() {
        // At two steps both updates of SDE-DPM-Solver++(2M) are first order (the first, and the last to the data end),
        // where its update x' = s' / s e^-h x + a' (1 - e^-2h) D + s' sqrt(1 - e^-2h) z is DDIM's with eta = 1 written
        // in lambda: the same samples up to double rounding (a few ulps of the O(1) terms: 1e-12). At six steps the
        // second-order term (1 / (2r)) (D - D_prev) moves the particles: they must differ from DDIM's by far more.
        Ddpm ddpm = Ddpm.linear(50, 1e-3, 0.2);
        SamplerSpec sde = new SamplerSpec.DpmSolverPlusPlus(SamplerSpec.DpmSolverPlusPlus.Form.SDE);
        for (Spacing spacing : Spacing.values()) {
            double[] a = sampleOnRing(ddpm, sde, 2, spacing);
            double[] b = sampleOnRing(ddpm, new SamplerSpec.Ddim(1.0), 2, spacing);
            assertTrue(maxError(a, b) < 1e-12, spacing + ": " + maxError(a, b));
            double apart = maxError(sampleOnRing(ddpm, sde, 6, spacing), sampleOnRing(ddpm, new SamplerSpec.Ddim(1.0), 6, spacing));
            assertTrue(apart > 1e-3, spacing + ": " + apart);
        }
    }

    private static double[] sampleOnRing(Ddpm ddpm, SamplerSpec sampler, int steps, Spacing spacing) {
        return ReferenceSamplers.sample(new SamplingSetup(ddpm, sampler, RING, 16, steps, SEED, 0, spacing, GaussianPrior.isotropic(1))).xy();
    }

    private static double errorAtIndexZero(Ddpm ddpm, SamplerSpec sampler, GaussianMixture gaussian, int n) {
        SamplingSetup setup = new SamplingSetup(ddpm, sampler, new ScoreSource.ExactMixture(gaussian), 64, n, SEED, 1, Spacing.QUADRATIC,
                GaussianPrior.isotropic(1));
        Samples s = ReferenceSamplers.sample(setup);
        double t0 = s.frameTimes()[0];
        assertEquals(0.0, s.frameTimes()[n - 1], 0.0);
        double[] start = s.frames().get(0);
        double[] atZero = s.frames().get(n - 1);
        double sigma = gaussian.std();
        double std0 = Math.hypot(ddpm.signal(t0) * sigma, ddpm.noise(t0));
        double std = Math.hypot(ddpm.signal(0) * sigma, ddpm.noise(0));
        double max = 0;
        for (int i = 0; i < start.length; i++) {
            double mu = gaussian.mean(0)[i % 2];
            double exact = ddpm.signal(0) * mu + (start[i] - ddpm.signal(t0) * mu) * std / std0;
            max = Math.max(max, Math.abs(atZero[i] - exact));
        }
        return max;
    }

    static double maxError(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void badInputIsRejected() {
        IllegalArgumentException noExact = assertThrows(IllegalArgumentException.class,
                () -> ReferenceSamplers.exactField(null, Ddpm.linear(10, 1e-4, 0.02)));
        assertTrue(noExact.getMessage().startsWith("source:"), noExact.getMessage());
        ScoreField scoreOnly = (xy, t, out) -> {
        };
        IllegalArgumentException noVelocity = assertThrows(IllegalArgumentException.class, () -> ReferenceSamplers.sample(
                new SamplingSetup(new GaussianPath(0.999, 10), new SamplerSpec.LangevinFlow(0.5), RING, 2, 10, SEED), scoreOnly));
        assertTrue(noVelocity.getMessage().startsWith("field:"), noVelocity.getMessage());
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class, () -> ReferenceSamplers.sample(
                new SamplingSetup(Ddpm.linear(10, 1e-4, 0.02), new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), RING, 2, 9, SEED)));
        assertTrue(steps.getMessage().startsWith("steps:"), steps.getMessage());
    }
}
