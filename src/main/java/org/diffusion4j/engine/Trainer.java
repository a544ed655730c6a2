package org.diffusion4j.engine;

/** A running optimisation on one engine. */
public interface Trainer extends AutoCloseable {

    /** Runs one optimizer step and returns the loss of its minibatch (before the update). */
    double step();

    /**
     * Runs {@code count} optimizer steps, the loss of each into {@code loss[from ..]}. An engine may run them without
     * waiting on each (the cuda engine reads the losses once at the end); by default, {@link #step()} in turn.
     */
    default void steps(double[] loss, int from, int count) {
        for (int k = 0; k < count; k++) {
            loss[from + k] = step();
        }
    }

    /** Optimizer steps done so far. */
    int stepsDone();

    /** A copy of the current parameters, in the network's layout. */
    float[] parameters();

    @Override
    default void close() {
    }
}
