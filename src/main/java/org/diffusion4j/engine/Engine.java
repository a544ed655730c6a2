package org.diffusion4j.engine;

import java.util.Optional;

/**
 * A backend: reference (Commons Math, double), cpu (fused float loops) or cuda (kernels). All take the same
 * specs and the same noise stream, so their results compare element by element.
 */
public interface Engine extends AutoCloseable {

    /** reference, cpu or cuda. */
    String name();

    /** A line the user should see before the engine's results, if any (e.g. that its GPU is simulated). */
    default Optional<String> notice() {
        return java.util.Optional.empty();
    }

    /** Starts training from the given parameters (copied). */
    Trainer trainer(TrainingSetup setup, float[] initialParameters);

    /**
     * Refuses, in one line naming the field, a sampling setup this engine does not run, before any work (every engine
     * runs every setup unless it says otherwise). {@link #sample(SamplingSetup, Progress)} refuses the same setups.
     */
    default void checkSampling(SamplingSetup setup) {
    }

    /** Runs a sampler from the prior. */
    default Samples sample(SamplingSetup setup) {
        return sample(setup, Progress.NONE);
    }

    /** Runs a sampler from the prior, reporting particle-steps done. */
    Samples sample(SamplingSetup setup, Progress progress);

    /** Simulates the forward process from data. */
    Samples simulateForward(ForwardSetup setup);

    /** Free memory of the device this engine computes on, in bytes; -1 for an engine that computes in the JVM heap. */
    default long freeDeviceMemory() {
        return -1;
    }

    @Override
    default void close() {
    }
}
