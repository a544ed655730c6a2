package org.diffusion4j.engine.cuda;

import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.EngineAgreementTest;
import org.diffusion4j.engine.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The cuda engine against the reference: every test of {@link EngineAgreementTest} (a training step of every objective
 * and network variant, K updates of every sampler with every prediction type and prior, forward simulation), with its
 * tolerances: the kernels compute in float32 like the cpu engine (fused multiply-adds instead of separate roundings,
 * and the training minibatch's targets and x_t in double, rounded once), so the same bounds hold. On the simulated GPU (native-tests/sim, where
 * there is no GPU) the same kernels run compiled for the host: its libm's expf, logf, sinf and cosf differ from CUDA's
 * by a few ulps, and multiply-adds that nvcc fuses are rounded twice. That is a few more float32 roundings per
 * operation, of the size each bound above is derived from (with its margin), so the bounds hold there unchanged.
 * Skipped without a GPU or the simulator.
 */
@Tag(GpuTests.TAG)
class CudaVsReferenceTest extends EngineAgreementTest {
    private static CudaEngine cuda;

    @BeforeEach
    void gpu() {
        GpuTests.assumeGpu();
        if (cuda == null) {
            cuda = new CudaEngine();
        }
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
            cuda = null;
        }
    }

    @Override
    protected Engine engine() {
        return cuda;
    }

    @Override
    protected float[] lastGradient(Trainer trainer) {
        return ((CudaTrainer) trainer).lastGradient();
    }
}
