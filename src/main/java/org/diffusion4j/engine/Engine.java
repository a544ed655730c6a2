package org.diffusion4j.engine;

/**
 * A backend: reference (Commons Math, double), cpu (fused float loops) or cuda (kernels). All take the same
 * specs and the same noise stream, so their results compare element by element.
 */
public interface Engine extends AutoCloseable {

    /** reference, cpu or cuda. */
    String name();

    /** A line the user should see before the engine's results, if any (e.g. that its GPU is simulated). */
    default java.util.Optional<String> notice() {
        return java.util.Optional.empty();
    }

    /** Starts training from the given parameters (copied). */
    Trainer trainer(TrainingSetup setup, float[] initialParameters);

    /** Runs a sampler from the prior. */
    default Samples sample(SamplingSetup setup) {
        return sample(setup, Progress.NONE);
    }

    /** Runs a sampler from the prior, reporting particle-steps done. */
    Samples sample(SamplingSetup setup, Progress progress);

    /** Simulates the forward process from data. */
    Samples simulateForward(ForwardSetup setup);

    @Override
    default void close() {
    }
}
