package org.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.sampler.SamplerSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every preset trains a few steps (each of its networks, the preset's batch size and optimizer) and samples a few
 * hundred particles with its sampler and step count on the CPU engine, with finite losses and samples.
 */
class CpuPresetsTest {
    static final int STEPS = 3;
    static final int PARTICLES = 200;
    static final CpuEngine CPU = new CpuEngine();

    @AfterAll
    static void close() {
        CPU.close();
    }

    static Stream<String> presets() {
        return Presets.names().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void trainsAndSamples(String name) {
        Preset preset = Presets.byName(name);
        Points data = Datasets.byName(preset.dataset()).sample(Math.min(preset.dataSize(), 2000), 5);
        Map<String, ScoreSource.Network> trained = new HashMap<>();
        for (Preset.Net net : preset.networks()) {
            TrainingSetup setup = new TrainingSetup(net.spec(), preset.process(), net.objective(), preset.optimizer(), data,
                    preset.batchSize(), 7);
            try (Trainer trainer = CPU.trainer(setup, NetworkInit.initialize(net.spec(), 1))) {
                for (int k = 0; k < STEPS; k++) {
                    double loss = trainer.step();
                    assertTrue(Double.isFinite(loss) && loss > 0, name + "/" + net.role() + ": loss of step " + k + " is " + loss);
                }
                assertEquals(STEPS, trainer.stepsDone());
                float[] p = trainer.parameters();
                for (float v : p) {
                    assertTrue(Float.isFinite(v), name + "/" + net.role() + ": a parameter is " + v);
                }
                trained.put(net.role(), new ScoreSource.Network(net.spec(), p, net.objective().parameterization(),
                        condition(net.spec(), data)));
            }
        }
        ScoreSource source = trained.containsKey("flow")
                ? new ScoreSource.FlowAndScore(trained.get("flow"), trained.get("score"))
                : trained.values().iterator().next();
        SamplerSpec sampler = preset.sampler();
        SamplingSetup setup = new SamplingSetup(preset.process(), sampler, source, PARTICLES, preset.samplingSteps(), 3);
        Samples samples = CPU.sample(setup);
        assertEquals(PARTICLES, samples.size());
        for (double v : samples.xy()) {
            assertTrue(Double.isFinite(v), name + ": a sample is " + v);
        }
    }

    /** Sampling conditions: the labels or values of the first data points. */
    static Condition condition(NetworkSpec spec, Points data) {
        Conditioning c = spec.conditioning();
        if (c instanceof Conditioning.None) {
            return Condition.NONE;
        }
        if (c instanceof Conditioning.Continuous) {
            double[] v = new double[PARTICLES];
            for (int i = 0; i < PARTICLES; i++) {
                v[i] = data.value(i % data.size());
            }
            return Condition.values(v);
        }
        int[] l = new int[PARTICLES];
        for (int i = 0; i < PARTICLES; i++) {
            l[i] = data.label(i % data.size());
        }
        return Condition.labels(l);
    }
}
