package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.EngineAgreementTest;
import org.diffusion4j.engine.Progress;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The tile kernels at several launch shapes (tile, threads per block, grid): every test of {@link EngineAgreementTest}
 * at each shape, with its tolerances against the reference engine, and samples and trained parameters bit-identical
 * across the shapes and the default one. The shapes cover one tile per block and several (a grid smaller than the
 * tiles: persistent blocks), tiles partly filled, and 2, 4 and 16 row groups per pass. Skipped without a GPU.
 */
@Tag(GpuTests.TAG)
class CudaTileShapesTest {
    /** tile x threads, at most `blocks` blocks (0: as many as fit). */
    static final LaunchShape[] SHAPES = {new LaunchShape(16, 64, 2), new LaunchShape(32, 128, 0), new LaunchShape(64, 32, 1)};

    private static final Map<Optional<LaunchShape>, CudaEngine> ENGINES = new LinkedHashMap<>();

    static CudaEngine engine(LaunchShape shape) {
        GpuTests.assumeGpu();
        return ENGINES.computeIfAbsent(Optional.ofNullable(shape), s -> new CudaEngine(s.orElse(null)));
    }

    @AfterAll
    static void close() {
        for (CudaEngine e : ENGINES.values()) {
            e.close();
        }
        ENGINES.clear();
    }

    /** The agreement tests on an engine of one launch shape. */
    abstract static class AtShape extends EngineAgreementTest {
        abstract LaunchShape shape();

        @Override
        protected Engine engine() {
            return CudaTileShapesTest.engine(shape());
        }

        @Override
        protected float[] lastGradient(Trainer trainer) {
            return ((CudaTrainer) trainer).lastGradient();
        }
    }

    @Nested
    class Tiles16Threads64TwoBlocks extends AtShape {
        @Override
        LaunchShape shape() {
            return SHAPES[0];
        }
    }

    @Nested
    class Tiles32Threads128 extends AtShape {
        @Override
        LaunchShape shape() {
            return SHAPES[1];
        }
    }

    @Nested
    class Tiles64Threads32OneBlock extends AtShape {
        @Override
        LaunchShape shape() {
            return SHAPES[2];
        }
    }

    private static int[] bits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    private static long[] bits(double[] d) {
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            b[i] = Double.doubleToRawLongBits(d[i]);
        }
        return b;
    }

    /** Three steps of a trainer: the losses, the parameters and the EMA (empty without one), as bits. */
    private static List<Object> train(CudaEngine engine, TrainingSetup setup, float[] init) {
        try (Trainer t = engine.trainer(setup, init)) {
            double[] loss = new double[3];
            t.steps(loss, 0, 2);
            loss[2] = t.step();
            float[] ema = t.emaParameters();
            return List.of(bits(loss), bits(t.parameters()), bits(ema == null ? new float[0] : ema));
        }
    }

    @Test
    void trainedParametersAreBitIdenticalAcrossShapes() {
        Ddpm ddpm = Ddpm.linear(30, 1e-4, 0.02);
        Points labelled = Datasets.byName(Datasets.RING).sample(200, 3);
        Points valued = Datasets.byName(Datasets.RING_RADIUS).sample(200, 3);
        List<TrainingSetup> setups = new ArrayList<>();
        for (NetworkSpec spec : EngineAgreementTest.variants()) {
            boolean byValue = spec.conditioning() instanceof org.diffusion4j.model.Conditioning.Continuous;
            if (spec.time() instanceof org.diffusion4j.model.TimeEmbedding.Table table && table.steps() < ddpm.steps()) {
                continue;
            }
            if (spec.conditioning() instanceof org.diffusion4j.model.Conditioning.OneHot o && o.classes() < 8
                    || spec.conditioning() instanceof org.diffusion4j.model.Conditioning.LabelEmbedding l && l.classes() < 8) {
                continue;
            }
            // batch 75: tiles partly filled at every shape; label dropout where the network is conditional
            setups.add(new TrainingSetup(spec, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adamW(1e-2), byValue ? valued : labelled, 75, 9,
                    spec.isConditional() ? 0.3 : 0.0));
        }
        // the regimen: clipping (its norm summed over chunks in a fixed order), a schedule and an EMA
        NetworkSpec first = setups.get(0).network();
        setups.add(new TrainingSetup(first, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adamW(1e-2), labelled, 75, 9, 0.0,
                new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 1, 3, 1e-4, 0.05, 0.9, true)));
        // v and x0 prediction: their targets on DDPM and the Gaussian path
        for (Parameterization p : new Parameterization[] {Parameterization.V, Parameterization.X0}) {
            setups.add(new TrainingSetup(first, ddpm, new Objective.PredictionMatching(p), OptimizerSpec.adamW(1e-2), labelled, 75, 9, 0.0));
            setups.add(new TrainingSetup(first, new GaussianPath(0.999, 20), new Objective.PredictionMatching(p), OptimizerSpec.adamW(1e-2),
                    labelled, 75, 9, 0.0));
        }
        for (TrainingSetup setup : setups) {
            float[] init = EngineAgreementTest.params(setup.network(), 4);
            List<Object> expected = train(engine(null), setup, init);
            for (LaunchShape shape : SHAPES) {
                List<Object> got = train(engine(shape), setup, init);
                String what = setup.network() + " at tile " + shape.tile() + " x " + shape.threads() + ", blocks " + shape.maxBlocks();
                assertArrayEquals((long[]) expected.get(0), (long[]) got.get(0), what + ": losses");
                assertArrayEquals((int[]) expected.get(1), (int[]) got.get(1), what + ": parameters");
                assertArrayEquals((int[]) expected.get(2), (int[]) got.get(2), what + ": EMA");
            }
        }
    }

    @Test
    void samplesAreBitIdenticalAcrossShapes() {
        int n = 150;
        List<SamplingSetup> setups = new ArrayList<>();
        ForwardProcess ddpm = EngineAgreementTest.casesFor(new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA)).get(0).process();
        for (ScoreSource source : EngineAgreementTest.networkSources(ddpm, n)) {
            setups.add(new SamplingSetup(ddpm, new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), source, n, 12, 77, 3));
        }
        GaussianPath path = new GaussianPath(0.999, 10);
        for (ScoreSource source : EngineAgreementTest.networkSources(path, n)) {
            setups.add(new SamplingSetup(path, new SamplerSpec.LangevinFlow(0.5), source, n, 10, 78, 3));
        }
        // DPM-Solver++(2M), whose data prediction each tile keeps across updates, with every prediction type (eps, v and x0:
        // the score affine in x) and the mixture, from a shifted and correlated prior
        List<ScoreSource> few = new ArrayList<>(EngineAgreementTest.networkSources(ddpm, n));
        few.add(new ScoreSource.ExactMixture(EngineAgreementTest.MIXTURE));
        for (ScoreSource source : few) {
            setups.add(new SamplingSetup(ddpm, new SamplerSpec.DpmSolverPlusPlus(), source, n, 6, 79, 3, Spacing.TRAILING, EngineAgreementTest.SKEWED));
        }
        for (SamplingSetup setup : setups) {
            double[] expected = engine(null).sample(setup, Progress.NONE).xy();
            for (LaunchShape shape : SHAPES) {
                double[] got = engine(shape).sample(setup, Progress.NONE).xy();
                assertEquals(expected.length, got.length);
                assertArrayEquals(bits(expected), bits(got), setup.sampler().name() + " with " + setup.source()
                        + " at tile " + shape.tile() + " x " + shape.threads() + ", blocks " + shape.maxBlocks());
            }
        }
    }
}
