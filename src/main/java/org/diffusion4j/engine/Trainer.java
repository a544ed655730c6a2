package org.diffusion4j.engine;

/** A running optimisation on one engine. */
public interface Trainer extends AutoCloseable {

    /** Runs one optimizer step and returns the loss of its minibatch (before the update). */
    double step();

    /** Optimizer steps done so far. */
    int stepsDone();

    /** A copy of the current parameters, in the network's layout. */
    float[] parameters();

    /** A copy of the EMA of the parameters ({@link TrainingSetup#regimen}), or null when the regimen keeps none. */
    float[] emaParameters();

    /** The state to continue from: {@link #restore} on a trainer of the same setup continues bit for bit. */
    TrainerState state();

    /** Continues from a state of a trainer of the same setup (same engine for bit-identical results). */
    void restore(TrainerState state);

    @Override
    default void close() {
    }
}
