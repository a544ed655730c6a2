package org.diffusion4j.engine.reference;

import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Progress;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.ScoreField;

/**
 * The reference engine: textbook formulas with Commons Math, double precision, one thread. It is the oracle
 * every other engine is tested against, not a fast path.
 */
public final class ReferenceEngine implements Engine {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Trainer trainer(TrainingSetup setup, float[] initialParameters) {
        int expected = ParameterLayout.of(setup.network()).size();
        if (initialParameters.length != expected) {
            throw new IllegalArgumentException("parameters: " + initialParameters.length + " floats do not fit the network, which has " + expected);
        }
        return new ReferenceTrainer(setup, initialParameters);
    }

    /** Runs the sampler; progress is reported once, at the end (the reference engine is not for long runs). */
    @Override
    public Samples sample(SamplingSetup setup, Progress progress) {
        Samples samples = ReferenceSamplers.sample(setup, field(setup.source(), setup.process()));
        long total = (long) setup.particles() * ReferenceSamplers.totalUpdates(setup);
        progress.update(total, total);
        return samples;
    }

    /**
     * The field a sampler reads, in double precision: the trained networks of a source (conditions as the source
     * gives them, one per point) or the closed-form noised mixture. Plots evaluate learned fields through it.
     */
    public static ScoreField field(ScoreSource source, ForwardProcess process) {
        if (source instanceof ScoreSource.ExactMixture) {
            return ReferenceSamplers.exactField(source, process);
        }
        return NetworkField.of(source, process);
    }

    @Override
    public Samples simulateForward(ForwardSetup setup) {
        return ReferenceForward.simulate(setup);
    }
}
