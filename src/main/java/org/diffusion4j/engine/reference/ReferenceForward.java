package org.diffusion4j.engine.reference;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.rng.NoiseStream;

/**
 * Reference forward simulation of a {@link ForwardSetup}, in double precision. Particle i is data point i; state k
 * (k = 0..steps) is the state after k forward steps, kept when k is 0, a multiple of recordEvery, or steps.
 *
 * <p>Grids and frame times (state 0 is the data):
 * <ul>
 *   <li>OU: {@code t_k = k h}, {@code h = tEnd / steps}.
 *       STEPWISE (Euler-Maruyama): {@code x += -lambda x h + sigma sqrt(h) z}, z of step k from
 *       {@code normals(seed, i, step k + 1)}.</li>
 *   <li>DDPM ({@code steps <= T}): state k >= 1 is x at index k-1, frame time k-1 (-1 for the data).
 *       STEPWISE: {@code x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) z}.</li>
 *   <li>Gaussian path (closed form only): {@code t_k = 1 - k / steps}, from data towards noise.</li>
 *   <li>Noise levels (closed form only, {@code steps <= L}): state k >= 1 at level L-k, frame time L-k (-1: data).</li>
 * </ul>
 * CLOSED_FORM draws every kept state independently: {@code x = a(t) x_0 + s(t) eps}, eps from
 * {@code normals(seed, i, step k)}; the data state is x_0 itself.
 */
public final class ReferenceForward {
    private ReferenceForward() {
    }

    /** Simulates the forward process of {@code setup} and returns the last state with the kept frames. */
    public static Samples simulate(ForwardSetup setup) {
        if (setup == null || setup.process() == null || setup.data() == null || setup.method() == null) {
            throw new IllegalArgumentException("forward: process, data and method are required");
        }
        ForwardProcess process = setup.process();
        int steps = setup.steps();
        if (process instanceof Ddpm ddpm && steps > ddpm.steps()) {
            throw new IllegalArgumentException("steps: ddpm forward simulation takes at most T = " + ddpm.steps() + " steps, got " + steps);
        }
        if (process instanceof NoiseLevels levels && steps > levels.levels()) {
            throw new IllegalArgumentException("steps: noise-levels forward simulation takes at most L = " + levels.levels() + " steps, got " + steps);
        }
        if (setup.method() == ForwardSetup.Method.STEPWISE && !(process instanceof OrnsteinUhlenbeck || process instanceof Ddpm)) {
            throw new IllegalArgumentException("method: stepwise simulation needs the ou or ddpm process, got " + process.name()
                    + "; use closed_form");
        }
        double[] x0 = setup.data().xy();
        NoiseStream stream = new NoiseStream(setup.seed());
        List<double[]> frames = new ArrayList<>();
        List<Double> times = new ArrayList<>();
        double[] x = x0.clone();
        double[] normals = new double[4];
        int n = x.length / 2;
        if (setup.method() == ForwardSetup.Method.CLOSED_FORM) {
            for (int k = 0; k <= steps; k++) {
                if (!kept(k, steps, setup.recordEvery())) {
                    continue;
                }
                double t = setup.stateTime(k);
                if (k > 0) {
                    for (int i = 0; i < n; i++) {
                        stream.normals(i, k, normals);
                        x[2 * i] = process.qSample(x0[2 * i], normals[0], t);
                        x[2 * i + 1] = process.qSample(x0[2 * i + 1], normals[1], t);
                    }
                }
                frames.add(x.clone());
                times.add(t);
            }
        } else {
            frames.add(x.clone());
            times.add(setup.stateTime(0));
            for (int k = 0; k < steps; k++) {
                double decay;
                double noise;
                if (process instanceof OrnsteinUhlenbeck ou) {
                    double h = ou.tEnd() / steps;
                    double tk = k * h;
                    decay = 1.0 - ou.driftRate(tk) * h;
                    noise = Math.sqrt(ou.diffusionSquared(tk) * h);
                } else {
                    Ddpm ddpm = (Ddpm) process;
                    decay = Math.sqrt(1.0 - ddpm.beta(k));
                    noise = Math.sqrt(ddpm.beta(k));
                }
                for (int i = 0; i < n; i++) {
                    stream.normals(i, k + 1L, normals);
                    x[2 * i] = decay * x[2 * i] + noise * normals[0];
                    x[2 * i + 1] = decay * x[2 * i + 1] + noise * normals[1];
                }
                if (kept(k + 1, steps, setup.recordEvery())) {
                    frames.add(x.clone());
                    times.add(setup.stateTime(k + 1));
                }
            }
        }
        double[] frameTimes = new double[times.size()];
        for (int i = 0; i < frameTimes.length; i++) {
            frameTimes[i] = times.get(i);
        }
        return new Samples(frames.get(frames.size() - 1).clone(), List.copyOf(frames), frameTimes);
    }

    private static boolean kept(int k, int steps, int every) {
        return k == 0 || k == steps || k % every == 0;
    }

}
