package org.diffusion4j.engine;

import org.diffusion4j.data.Points;
import org.diffusion4j.process.ForwardProcess;

/**
 * Forward-process simulation of data points, recorded at the given times.
 * <ul>
 *   <li>CLOSED_FORM: {@code x_t = a(t) x_0 + s(t) eps} drawn independently at each recorded time k with
 *       {@code normals(seed, i, step k)};</li>
 *   <li>STEPWISE: the Markov chain itself, Euler-Maruyama {@code x += -k x h + g sqrt(h) z} for the OU SDE
 *       (h = tEnd / steps, from t = 0), or {@code x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z}
 *       for DDPM; step k draws {@code normals(seed, i, step k + 1)}.</li>
 * </ul>
 */
public record ForwardSetup(ForwardProcess process, Points data, Method method, int steps, int recordEvery, long seed) {
    public enum Method {
        CLOSED_FORM, STEPWISE
    }

    public ForwardSetup {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps: must be > 0, got " + steps);
        }
        if (recordEvery <= 0) {
            throw new IllegalArgumentException("record_every: must be > 0, got " + recordEvery);
        }
    }
}
