package org.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.sampler.SamplerSpec;
import org.junit.jupiter.api.Test;

/** Results of the CPU engine do not depend on its number of threads: bit-identical with 1, 2 and 3 threads. */
class CpuThreadsTest {
    static final int[] THREADS = {1, 2, 3};

    @Test
    void samplesAreBitIdentical() {
        Ddpm ddpm = Ddpm.linear(40, 1e-4, 0.02);
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.Sinusoidal(8), new Conditioning.None(), new Body.Residual(32, 2), Activation.SILU);
        ScoreSource net = new ScoreSource.Network(spec, NetworkInit.initialize(spec, 1), Parameterization.EPSILON, Condition.NONE);
        List<SamplingSetup> setups = List.of(
                new SamplingSetup(ddpm, new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), net, 333, 40, 5, 7),
                new SamplingSetup(new GaussianPath(0.999, 30), new SamplerSpec.ProbabilityFlow(SamplerSpec.ProbabilityFlow.Integrator.HEUN),
                        new ScoreSource.ExactMixture(Datasets.GMM11_MIXTURE), 333, 30, 5, 4));
        for (SamplingSetup setup : setups) {
            Samples first = null;
            for (int threads : THREADS) {
                try (CpuEngine engine = new CpuEngine(threads)) {
                    Samples s = engine.sample(setup);
                    if (first == null) {
                        first = s;
                        continue;
                    }
                    assertArrayEquals(first.xy(), s.xy(), threads + " threads");
                    assertEquals(first.frames().size(), s.frames().size());
                    for (int f = 0; f < first.frames().size(); f++) {
                        assertArrayEquals(first.frames().get(f), s.frames().get(f), threads + " threads, frame " + f);
                    }
                }
            }
        }
    }

    @Test
    void trainedParametersAreBitIdentical() {
        Points data = Datasets.byName(Datasets.RING).sample(500, 4);
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.Table(50, 8), new Conditioning.OneHot(8),
                new Body.Plain(List.of(64, 64)), Activation.RELU);
        // batch 200: 13 gradient chunks, more than any thread count here
        TrainingSetup setup = new TrainingSetup(spec, Ddpm.linear(50, 1e-4, 0.02), new Objective.PredictionMatching(), OptimizerSpec.adamW(1e-3),
                data, 200, 8);
        float[] first = null;
        double[] firstLoss = null;
        for (int threads : THREADS) {
            try (CpuEngine engine = new CpuEngine(threads)) {
                Trainer trainer = engine.trainer(setup, NetworkInit.initialize(spec, 2));
                double[] loss = new double[4];
                for (int k = 0; k < loss.length; k++) {
                    loss[k] = trainer.step();
                }
                if (first == null) {
                    first = trainer.parameters();
                    firstLoss = loss;
                    continue;
                }
                assertArrayEquals(firstLoss, loss, threads + " threads: losses");
                assertArrayEquals(first, trainer.parameters(), threads + " threads: parameters");
            }
        }
    }

    @Test
    void forwardSimulationIsBitIdentical() {
        Points data = Datasets.byName(Datasets.SWISSROLL).sample(300, 4);
        ForwardSetup setup = new ForwardSetup(Ddpm.linear(50, 1e-4, 0.02), data, ForwardSetup.Method.STEPWISE, 50, 10, 3);
        Samples first = null;
        for (int threads : THREADS) {
            try (CpuEngine engine = new CpuEngine(threads)) {
                Samples s = engine.simulateForward(setup);
                if (first == null) {
                    first = s;
                    continue;
                }
                for (int f = 0; f < first.frames().size(); f++) {
                    assertArrayEquals(first.frames().get(f), s.frames().get(f), threads + " threads, frame " + f);
                }
            }
        }
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuEngine(0));
        assertEquals("threads: must be > 0, got 0", e.getMessage());
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.Table(10, 4), new Conditioning.None(), new Body.Plain(List.of(8)), Activation.RELU);
        Points data = Datasets.byName(Datasets.RING).sample(50, 1);
        TrainingSetup setup = new TrainingSetup(spec, Ddpm.linear(10, 1e-4, 0.02), new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3),
                data, 8, 1);
        try (CpuEngine engine = new CpuEngine(1)) {
            e = assertThrows(IllegalArgumentException.class, () -> engine.trainer(setup, new float[3]));
            assertTrue(e.getMessage().startsWith("parameters: "), e.getMessage());
            // a time table of 10 rows cannot serve a 20-step DDPM
            Ddpm longer = Ddpm.linear(20, 1e-4, 0.02);
            ScoreSource net = new ScoreSource.Network(spec, NetworkInit.initialize(spec, 1), Parameterization.EPSILON, Condition.NONE);
            e = assertThrows(IllegalArgumentException.class, () -> engine.sample(new SamplingSetup(longer,
                    new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), net, 10, 20, 1)));
            assertTrue(e.getMessage().startsWith("t: "), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> engine.sample(new SamplingSetup(longer,
                    new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), net, 10, 19, 1)));
            assertTrue(e.getMessage().startsWith("steps: "), e.getMessage());
        }
    }
}
