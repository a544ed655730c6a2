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

    /** Refuses a setup the simulation cannot run, in one line naming the field. */
    public void check() {
        if (process == null || data == null || method == null) {
            throw new IllegalArgumentException("forward: process, data and method are required");
        }
        if (process instanceof Ddpm ddpm && steps > ddpm.steps()) {
            throw new IllegalArgumentException("steps: ddpm forward simulation takes at most T = " + ddpm.steps() + " steps, got " + steps);
        }
        if (process instanceof NoiseLevels levels && steps > levels.levels()) {
            throw new IllegalArgumentException("steps: noise-levels forward simulation takes at most L = " + levels.levels() + " steps, got " + steps);
        }
        if (method == Method.STEPWISE && !(process instanceof OrnsteinUhlenbeck || process instanceof Ddpm)) {
            throw new IllegalArgumentException("method: stepwise simulation needs the ou or ddpm process, got " + process.name()
                    + "; use closed_form");
        }
    }

    /** The frame each state k = 0..steps is kept in, or -1: the data, every recordEvery-th state and the last. */
    public int[] frameOf() {
        int[] frameOf = new int[steps + 1];
        int frames = 0;
        for (int k = 0; k <= steps; k++) {
            frameOf[k] = k == 0 || k == steps || k % recordEvery == 0 ? frames++ : -1;
        }
        return frameOf;
    }

    /** The process time of every kept frame. */
    public double[] frameTimes(int[] frameOf) {
        int frames = 0;
        for (int f : frameOf) {
            frames += f >= 0 ? 1 : 0;
        }
        double[] times = new double[frames];
        for (int k = 0; k <= steps; k++) {
            if (frameOf[k] >= 0) {
                times[frameOf[k]] = stateTime(k);
            }
        }
        return times;
    }

    /**
     * Per-state coefficients {ca, cs} in double rounded to float: STEPWISE step k (0-based) maps
     * {@code x -> ca[k] x + cs[k] z} (OU: {@code 1 - lambda h, sigma sqrt(h)}; DDPM: {@code sqrt(1 - beta_k), sqrt(beta_k)});
     * CLOSED_FORM state k is {@code ca[k] x_0 + cs[k] z} (a(t_k), s(t_k)) for every kept k > 0.
     */
    public float[][] coefficients(int[] frameOf) {
        float[] ca = new float[steps + 1];
        float[] cs = new float[steps + 1];
        for (int k = 0; k <= steps; k++) {
            if (method == Method.STEPWISE) {
                if (k == steps) {
                    break;
                }
                if (process instanceof OrnsteinUhlenbeck ou) {
                    double h = ou.tEnd() / steps;
                    double tk = k * h;
                    ca[k] = (float) (1.0 - ou.driftRate(tk) * h);
                    cs[k] = (float) Math.sqrt(ou.diffusionSquared(tk) * h);
                } else {
                    Ddpm ddpm = (Ddpm) process;
                    ca[k] = (float) Math.sqrt(1.0 - ddpm.beta(k));
                    cs[k] = (float) Math.sqrt(ddpm.beta(k));
                }
            } else if (k > 0 && frameOf[k] >= 0) {
                double t = stateTime(k);
                ca[k] = (float) process.signal(t);
                cs[k] = (float) process.noise(t);
            }
        }
        return new float[][] {ca, cs};
    }
}
