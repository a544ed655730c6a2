package org.diffusion4j.engine;

import org.diffusion4j.data.Points;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.process.ForwardProcess;

/**
 * A training run: minibatches of {@code batchSize} drawn with replacement from {@code data}.
 * Noise of optimizer step k (0-based) for batch slot i: words(seed, i, 2k) give the data index
 * ({@code index(w0, n)}) and the time ({@code process.trainingTime(uniform(w1))}); normals(seed, i, 2k + 1)
 * give eps (entries 0, 1). With label dropout p (classifier-free guidance), the sample's condition is replaced by
 * the null condition when {@code uniform(w2) < p}. The regimen gives each update's learning rate, the gradient
 * clipping and the EMA of the weights.
 */
public record TrainingSetup(NetworkSpec network, ForwardProcess process, Objective objective, OptimizerSpec optimizer, Points data,
                            int batchSize, long seed, double labelDropout, TrainingRegimen regimen) {
    public TrainingSetup {
        if (regimen == null) {
            regimen = TrainingRegimen.plain(Integer.MAX_VALUE);
        }
        regimen.check(optimizer);
        if (batchSize <= 0) {
            throw new IllegalArgumentException("training.batch_size: must be > 0, got " + batchSize);
        }
        if (!(labelDropout >= 0 && labelDropout < 1)) {
            throw new IllegalArgumentException("training.label_dropout: must be in [0, 1), got " + labelDropout);
        }
        if (labelDropout > 0 && !network.isConditional()) {
            throw new IllegalArgumentException("training.label_dropout: the network is unconditional; label dropout needs a conditional network");
        }
        objective.check(process);
        if (network.isConditional() && !data.hasLabels() && !data.hasValues()) {
            throw new IllegalArgumentException("data: the network is conditional but the data carry no labels or values");
        }
    }

    /** A setup with the plain regimen: constant learning rate, no clipping, no EMA. */
    public TrainingSetup(NetworkSpec network, ForwardProcess process, Objective objective, OptimizerSpec optimizer, Points data, int batchSize,
                         long seed, double labelDropout) {
        this(network, process, objective, optimizer, data, batchSize, seed, labelDropout, null);
    }

    /** A setup without label dropout. */
    public TrainingSetup(NetworkSpec network, ForwardProcess process, Objective objective, OptimizerSpec optimizer, Points data, int batchSize,
                         long seed) {
        this(network, process, objective, optimizer, data, batchSize, seed, 0.0, null);
    }

    /** Whether batch slot i of a step whose words are w drops its condition. */
    public boolean dropsCondition(int[] words) {
        return labelDropout > 0 && org.diffusion4j.rng.NoiseStream.uniform(words[2]) < labelDropout;
    }
}
