package org.diffusion4j.engine;

import java.util.function.BooleanSupplier;

/** A running optimisation on one engine. */
public interface Trainer extends AutoCloseable {

    /** Runs one optimizer step and returns the loss of its minibatch (before the update). */
    double step();

    /**
     * Runs {@code count} optimizer steps, the loss of each into {@code loss[from ..]}. An engine may run them without
     * waiting on each (the cuda engine reads the losses once at the end); by default, {@link #step()} in turn.
     */
    default void steps(double[] loss, int from, int count) {
        steps(loss, from, count, () -> false);
    }

    /**
     * Runs up to {@code count} optimizer steps, asking {@code stop} after each and ending early when it says so, the loss
     * of each step run into {@code loss[from ..]}; returns the steps run. The question is asked on the host as the steps
     * are issued, so an engine that runs them without waiting (cuda) still stops at the step the answer came after.
     */
    default int steps(double[] loss, int from, int count, BooleanSupplier stop) {
        for (int k = 0; k < count; k++) {
            loss[from + k] = step();
            if (stop.getAsBoolean()) {
                return k + 1;
            }
        }
        return count;
    }

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
