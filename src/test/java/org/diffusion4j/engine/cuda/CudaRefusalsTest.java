package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.engine.EngineAgreementTest;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;
import org.junit.jupiter.api.Test;

/** What the kernels do not run yet is refused in one line naming the field, before any GPU is touched. */
class CudaRefusalsTest {
    static final Ddpm DDPM = Ddpm.linear(20, 1e-3, 0.2);
    static final ScoreSource EXACT = new ScoreSource.ExactMixture(EngineAgreementTest.MIXTURE);

    static String refusal(SamplingSetup setup) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaEngine.refuseWhatKernelsDoNotRun(setup));
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void refusesWhatTheKernelsDoNotRunYet() {
        assertEquals("sampler: dpm-solver++ is not yet run by the cuda engine; use --engine cpu",
                refusal(new SamplingSetup(DDPM, new SamplerSpec.DpmSolverPlusPlus(), EXACT, 4, 10, 1)));
        NetworkSpec net = EngineAgreementTest.plain(new TimeEmbedding.Table(20, 4), new Conditioning.None(), Activation.RELU, 8);
        for (Parameterization p : new Parameterization[] {Parameterization.V, Parameterization.X0}) {
            ScoreSource source = new ScoreSource.Network(net, EngineAgreementTest.params(net, 1), p, Condition.NONE);
            assertEquals("network.prediction: " + p.predictionName() + " is not yet run by the cuda engine; use --engine cpu",
                    refusal(new SamplingSetup(DDPM, new SamplerSpec.Ddim(0), source, 4, 10, 1)));
        }
        SamplingSetup skewed = new SamplingSetup(DDPM, new SamplerSpec.Ddim(0), EXACT, 4, 10, 1, 0, Spacing.TRAILING,
                new GaussianPrior(0.5, 0, 1, 0.2, 0.9));
        assertTrue(refusal(skewed).startsWith("sampling.prior: the cuda engine draws only N(0, std^2 I) priors so far"), refusal(skewed));
    }

    @Test
    void runsDdimAndTheRespacedGrids() {
        CudaEngine.refuseWhatKernelsDoNotRun(new SamplingSetup(DDPM, new SamplerSpec.Ddim(1), EXACT, 4, 5, 1, 0, Spacing.QUADRATIC,
                GaussianPrior.isotropic(1)));
        CudaEngine.refuseWhatKernelsDoNotRun(new SamplingSetup(DDPM, new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.HEUN),
                EXACT, 4, 7, 1, 0, Spacing.UNIFORM, GaussianPrior.isotropic(1)));
    }
}
