package org.diffusion4j.engine;

import org.diffusion4j.data.Points;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.process.ForwardProcess;

/**
 * A training run: minibatches of {@code batchSize} drawn with replacement from {@code data}.
 * Noise of optimizer step k (0-based) for batch slot i: words(seed, i, 2k) give the data index
 * ({@code index(w0, n)}) and the time ({@code process.trainingTime(uniform(w1))}); normals(seed, i, 2k + 1)
 * give eps (entries 0, 1).
 */
public record TrainingSetup(NetworkSpec network, ForwardProcess process, Objective objective, OptimizerSpec optimizer, Points data,
                            int batchSize, long seed) {
    public TrainingSetup {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("training.batch_size: must be > 0, got " + batchSize);
        }
        objective.check(process);
        if (network.isConditional() && !data.hasLabels() && !data.hasValues()) {
            throw new IllegalArgumentException("data: the network is conditional but the data carry no labels or values");
        }
    }
}
