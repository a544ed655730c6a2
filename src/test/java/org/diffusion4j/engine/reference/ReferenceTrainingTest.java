package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A short reference-engine training run of every source document's model (each preset, each of its networks) on its
 * data, with the document's batch size and optimizer, lowers the loss, measured on a fixed held-out batch (same data, times and noise before and after).
 */
class ReferenceTrainingTest {

    /** Optimizer steps of the short run. */
    private static final int STEPS = 40;
    /** Size of the fixed evaluation batch. */
    private static final int EVAL_BATCH = 512;

    static Stream<Arguments> networks() {
        return Presets.all().stream().flatMap(p -> p.networks().stream().map(n -> Arguments.of(p.name(), n.role())));
    }

    @Test
    void everyDocumentHasAPresetUnderTest() {
        List<String> documents = Presets.all().stream().map(Preset::document).distinct().sorted().toList();
        assertEquals(List.of("000", "001", "002", "003", "004"), documents);
    }

    @ParameterizedTest(name = "{0} / {1}")
    @MethodSource("networks")
    void shortRunLowersTheLoss(String presetName, String role) {
        Preset preset = Presets.byName(presetName);
        Preset.Net net = preset.networks().stream().filter(n -> n.role().equals(role)).findFirst().orElseThrow();
        Points data = Datasets.byName(preset.dataset()).sample(Math.min(preset.dataSize(), 4000), 11);
        int batch = preset.batchSize();
        TrainingSetup setup = new TrainingSetup(net.spec(), preset.process(), net.objective(), preset.optimizer(), data, batch, 5);
        TrainingSetup evalSetup = new TrainingSetup(net.spec(), preset.process(), net.objective(), preset.optimizer(), data, EVAL_BATCH, 99);
        ReferenceTrainer.Batch eval = ReferenceTrainer.batch(evalSetup, new NoiseStream(evalSetup.seed()), 0);
        ReferenceLoss loss = new ReferenceLoss(net.objective(), preset.process());

        float[] init = NetworkInit.initialize(net.spec(), 3);
        double before = evalLoss(loss, setup, init, eval);
        Trainer trainer = new ReferenceEngine().trainer(setup, init);
        for (int k = 0; k < STEPS; k++) {
            double l = trainer.step();
            assertTrue(Double.isFinite(l), "loss of step " + k + " is " + l);
        }
        assertEquals(STEPS, trainer.stepsDone());
        double after = evalLoss(loss, setup, trainer.parameters(), eval);
        // The held-out batch is fixed, so any change is the parameters' doing. The margin is 1% because for score
        // targets -eps / s(t) most of the loss is the irreducible variance of the target (on the Gaussian path
        // E[1 / (1 - t)] over t < 0.999 is about 6.9), which no network can remove.
        assertTrue(after < 0.99 * before, presetName + "/" + role + ": held-out loss " + before + " -> " + after);
    }

    private static double evalLoss(ReferenceLoss loss, TrainingSetup setup, float[] params, ReferenceTrainer.Batch b) {
        ReferenceNetwork network = new ReferenceNetwork(setup.network(), params);
        return loss.evaluate(network, b.x0(), b.eps(), b.t(), b.condition()).loss();
    }
}
