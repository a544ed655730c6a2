package org.diffusion4j.engine;

/** A running optimisation on one engine. */
public interface Trainer extends AutoCloseable {

    /** Runs one optimizer step and returns the loss of its minibatch (before the update). */
    double step();

    /** Optimizer steps done so far. */
    int stepsDone();

    /** A copy of the current parameters, in the network's layout. */
    float[] parameters();

    @Override
    default void close() {
    }
}
