package org.diffusion4j.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.diffusion4j.data.Datasets;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.junit.jupiter.api.Test;

/** The spacings' grids, DDIM's limits, the prediction types' conversion to the score, the priors. */
class FewStepSamplersTest {

    @Test
    void spacingsAreDiffusersAndDdims() {
        // diffusers, T = 1000, 10 steps: trailing np.round(np.arange(1000, 0, -100)) - 1, leading np.arange(10) * 100
        assertArrayEquals(new int[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, Spacing.TRAILING.steps(1000, 10));
        assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, Spacing.UNIFORM.steps(1000, 10));
        // DDIM's quad: int(linspace(0, sqrt(800), 10)^2): (28.28 j / 9)^2 = 0, 9.9, 39.5, 88.9, 158, 246.9, 355.6, 484, 632.1, 800
        assertArrayEquals(new int[] {800, 632, 483, 355, 246, 158, 88, 39, 9, 0}, Spacing.QUADRATIC.steps(1000, 10));
        // round half to even, as numpy: 10, 7.5, 5, 2.5 round to 10, 8, 5, 2
        assertArrayEquals(new int[] {9, 7, 4, 1}, Spacing.TRAILING.steps(10, 4));
        for (Spacing s : new Spacing[] {Spacing.UNIFORM, Spacing.TRAILING}) {
            int[] all = s.steps(200, 200);
            for (int k = 0; k < 200; k++) {
                assertEquals(199 - k, all[k]);
            }
        }
        assertEquals("steps: a ddpm model of T = 200 steps samples in 1 to 200 steps, got 201",
                assertThrows(IllegalArgumentException.class, () -> Spacing.TRAILING.steps(200, 201)).getMessage());
        assertEquals("sampling.spacing: quadratic spacing repeats a step index at 20 steps of T = 200; take at most 13 steps or spacing trailing",
                assertThrows(IllegalArgumentException.class, () -> Spacing.QUADRATIC.steps(200, 20)).getMessage());
    }

    @Test
    void ddimWithEtaOneOverEveryStepIsTheAncestralPosteriorSampler() {
        // sig^2 = s'^2 / s^2 (s^2 - a^2 s'^2 / a'^2) = betaTilde_t and the mean a' x0 + sqrt(s'^2 - sig^2) eps is the
        // posterior mean: the plans agree to float rounding of different but equal double expressions.
        Ddpm ddpm = Ddpm.linear(50, 1e-4, 0.05);
        ScoreSource exact = new ScoreSource.ExactMixture(Datasets.RING_MIXTURE);
        SamplingPlan ddim = SamplingPlan.of(new SamplingSetup(ddpm, new SamplerSpec.Ddim(1), exact, 1, 50, 1));
        SamplingPlan posterior = SamplingPlan.of(new SamplingSetup(ddpm, new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.POSTERIOR),
                exact, 1, 50, 1));
        for (int k = 0; k < 50; k++) {
            assertEquals(posterior.cx[k], ddim.cx[k], 2e-6 * Math.abs(posterior.cx[k]), "cx " + k);
            assertEquals(posterior.cs[k], ddim.cs[k], 2e-6 * Math.abs(posterior.cs[k]), "cs " + k);
            assertEquals(posterior.cz[k], ddim.cz[k], 2e-6 * Math.abs(posterior.cz[k]) + 1e-12, "cz " + k);
            assertArrayEquals(new double[] {posterior.times.get(posterior.slot[k])}, new double[] {ddim.times.get(ddim.slot[k])});
        }
    }

    @Test
    void everyPredictionGivesTheScoreOfItsTarget() {
        // For x = a x0 + s eps the targets eps, x0 and v = a eps - s x0 must all convert to the conditional score -eps / s.
        double x0 = 0.7;
        double eps = -1.3;
        for (var process : new org.diffusion4j.process.ForwardProcess[] {Ddpm.linear(100, 1e-4, 0.02), new GaussianPath(0.999, 10)}) {
            double t = process instanceof Ddpm ? 40 : 0.35;
            double a = process.signal(t);
            double s = process.noise(t);
            double x = a * x0 + s * eps;
            double[][] pairs = {{eps, 0}, {x0, 0}, {a * eps - s * x0, 0}};
            Parameterization[] types = {Parameterization.EPSILON, Parameterization.X0, Parameterization.V};
            for (int i = 0; i < 3; i++) {
                double[] ab = types[i].scoreAffine(process, t);
                assertEquals(-eps / s, ab[0] * pairs[i][0] + ab[1] * x, 1e-12, types[i] + " on " + process.name());
            }
        }
    }

    @Test
    void priorsHaveTheirMoments() {
        OrnsteinUhlenbeck ou = OrnsteinUhlenbeck.document000();
        double[] data = {1, 2, 3, 2, 1, 4, 3, 4};
        assertEquals(GaussianPrior.isotropic(1), GaussianPrior.of(Prior.STANDARD, ou, 1.0, data));
        assertEquals(GaussianPrior.isotropic(0.5), GaussianPrior.of(Prior.STATIONARY, ou, 1.0, data));
        GaussianPrior m = GaussianPrior.of(Prior.MOMENT_MATCHED, ou, 1.0, data);
        // data mean (2, 3), covariance [[1, 0], [0, 1]]: N(a (2, 3), (a^2 + s^2) I)
        double a = ou.signal(1.0);
        double v = a * a + ou.noise(1.0) * ou.noise(1.0);
        assertEquals(2 * a, m.mx(), 1e-12);
        assertEquals(3 * a, m.my(), 1e-12);
        assertEquals(Math.sqrt(v), m.l11(), 1e-12);
        assertEquals(0, m.l21(), 1e-12);
        assertEquals(Math.sqrt(v), m.l22(), 1e-12);
        double[] p = {m.mx() + m.l11() * 0.3, m.my() + m.l21() * 0.3 + m.l22() * -1.1};
        m.whiten(p, 0);
        assertArrayEquals(new double[] {0.3, -1.1}, p, 1e-12);
    }
}
