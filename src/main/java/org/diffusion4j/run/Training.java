package org.diffusion4j.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.NetworkInit;

/**
 * Training every network of a config in turn on an engine.
 *
 * <p>Seeds: the data come from {@code data.seed}; every network trains from {@code training.seed} (initial weights and
 * minibatch stream). The same config on the same engine gives the same parameters bit for bit.
 */
public final class Training {

    private Training() {
    }

    /** Parameters and per-step minibatch losses of every network (by role), in config order, and the wall time. */
    public record Result(RunConfig config, List<float[]> parameters, Map<String, double[]> losses, double seconds) {
        /** The trained model. */
        public Model model() {
            return new Model(config, parameters);
        }
    }

    /** Trains each network of the config in turn, reporting progress and one line per network. */
    public static Result train(Engine engine, RunConfig c, Reporter reporter) {
        Dataset dataset = Datasets.byName(c.data().name());
        Points data = dataset.sample(c.data().size(), c.data().seed());
        List<float[]> params = new ArrayList<>();
        Map<String, double[]> losses = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        int steps = c.training().steps();
        for (Preset.Net net : c.networks()) {
            TrainingSetup setup = new TrainingSetup(net.spec(), c.process(), net.objective(), c.optimizer(), data,
                    c.training().batchSize(), c.training().seed(), net.spec().isConditional() ? c.training().labelDropout() : 0.0);
            double[] loss = new double[steps];
            try (Trainer trainer = engine.trainer(setup, NetworkInit.initialize(net.spec(), c.training().seed()));
                 Reporter.Task progress = reporter.start("train " + net.role(), "steps", steps)) {
                for (int k = 0; k < steps; k++) {
                    loss[k] = trainer.step();
                    progress.update(k + 1, steps);
                }
                params.add(trainer.parameters());
            }
            losses.put(net.role(), loss);
            reporter.info(String.format("trained %s (%s): %d steps, final loss %.5g", net.role(), net.objective().name(), steps, finalLoss(loss)));
        }
        return new Result(c, params, losses, (System.nanoTime() - t0) / 1e9);
    }

    /** Mean of the last 1% of the losses (at least the last one). */
    public static double finalLoss(double[] loss) {
        int k = Math.max(1, loss.length / 100);
        double s = 0;
        for (int i = loss.length - k; i < loss.length; i++) {
            s += loss[i];
        }
        return s / k;
    }
}
