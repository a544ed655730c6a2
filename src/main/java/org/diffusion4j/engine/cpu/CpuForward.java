package org.diffusion4j.engine.cpu;

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
 * Forward simulation on the CPU engine, in float, tiles of particles in parallel; the grids, frames, frame times
 * and noise layout of the reference ({@code org.diffusion4j.engine.reference.ReferenceForward}):
 * <pre>
 *   CLOSED_FORM  state k = a(t_k) x_0 + s(t_k) (n0, n1),  normals(seed, i, step k), the data itself at k = 0
 *   STEPWISE     x = decay_k x + noise_k (n0, n1),  normals(seed, i, step k + 1);
 *                OU: decay = 1 - lambda h, noise = sigma sqrt(h);  DDPM: decay = sqrt(1 - beta_k), noise = sqrt(beta_k)
 * </pre>
 * with the float Box-Muller of {@link NoiseStream#boxMullerF32}.
 */
final class CpuForward {
    private CpuForward() {
    }

    static Samples simulate(CpuEngine engine, ForwardSetup setup) {
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
        boolean stepwise = setup.method() == ForwardSetup.Method.STEPWISE;
        if (stepwise && !(process instanceof OrnsteinUhlenbeck || process instanceof Ddpm)) {
            throw new IllegalArgumentException("method: stepwise simulation needs the ou or ddpm process, got " + process.name()
                    + "; use closed_form");
        }
        float[] x0 = setup.data().xyF32();
        int n = x0.length / 2;
        int every = setup.recordEvery();
        int[] frameOf = new int[steps + 1];
        List<Double> times = new ArrayList<>();
        for (int k = 0; k <= steps; k++) {
            boolean kept = k == 0 || k == steps || k % every == 0;
            frameOf[k] = kept ? times.size() : -1;
            if (kept) {
                times.add(setup.stateTime(k));
            }
        }
        int frames = times.size();
        double[][] frameData = new double[frames][2 * n];
        // per-state coefficients, in double rounded to float
        float[] ca = new float[steps + 1];
        float[] cs = new float[steps + 1];
        for (int k = 0; k <= steps; k++) {
            if (stepwise) {
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
                double t = times.get(frameOf[k]);
                ca[k] = (float) process.signal(t);
                cs[k] = (float) process.noise(t);
            }
        }
        NoiseStream stream = new NoiseStream(setup.seed());
        int tiles = (n + CpuNetwork.TILE - 1) / CpuNetwork.TILE;
        engine.parallel(tiles, () -> new Object[] {new int[4], new float[4]}, (w, u) -> {
            int[] words = (int[]) w[0];
            float[] z = (float[]) w[1];
            int from = u * CpuNetwork.TILE;
            int to = Math.min(n, from + CpuNetwork.TILE);
            for (int i = from; i < to; i++) {
                float x = x0[2 * i];
                float y = x0[2 * i + 1];
                store(frameData, frameOf[0], i, x, y);
                for (int k = 1; k <= steps; k++) {
                    if (stepwise) {
                        stream.words(i, k, words);
                        NoiseStream.boxMullerF32(words[0], words[1], z, 0);
                        x = ca[k - 1] * x + cs[k - 1] * z[0];
                        y = ca[k - 1] * y + cs[k - 1] * z[1];
                        store(frameData, frameOf[k], i, x, y);
                    } else if (frameOf[k] >= 0) {
                        stream.words(i, k, words);
                        NoiseStream.boxMullerF32(words[0], words[1], z, 0);
                        store(frameData, frameOf[k], i, ca[k] * x0[2 * i] + cs[k] * z[0], ca[k] * x0[2 * i + 1] + cs[k] * z[1]);
                    }
                }
            }
        });
        double[] frameTimes = new double[frames];
        List<double[]> list = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) {
            frameTimes[f] = times.get(f);
            list.add(frameData[f]);
        }
        return new Samples(frameData[frames - 1].clone(), List.copyOf(list), frameTimes);
    }

    private static void store(double[][] frames, int frame, int i, float x, float y) {
        if (frame >= 0) {
            frames[frame][2 * i] = x;
            frames[frame][2 * i + 1] = y;
        }
    }

}
