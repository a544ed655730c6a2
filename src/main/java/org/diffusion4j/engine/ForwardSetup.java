package org.diffusion4j.engine;

import org.diffusion4j.data.Points;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;

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

    /**
     * The process time of state k (k = 0..steps; state 0 is the data): OU {@code k tEnd / steps}; DDPM the index
     * k - 1 (-1 for the data); Gaussian path {@code 1 - k / steps}; noise levels L - k (-1 for the data).
     */
    public double stateTime(int k) {
        if (process instanceof OrnsteinUhlenbeck ou) {
            return k == steps ? ou.tEnd() : k * (ou.tEnd() / steps);
        }
        if (process instanceof Ddpm) {
            return k - 1;
        }
        if (process instanceof GaussianPath) {
            return 1.0 - (double) k / steps;
        }
        NoiseLevels levels = (NoiseLevels) process;
        return k == 0 ? -1 : levels.levels() - k;
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
