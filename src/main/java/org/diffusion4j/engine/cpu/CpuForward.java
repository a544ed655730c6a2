package org.diffusion4j.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;
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
        if (setup == null) {
            throw new IllegalArgumentException("forward: process, data and method are required");
        }
        setup.check();
        int steps = setup.steps();
        boolean stepwise = setup.method() == ForwardSetup.Method.STEPWISE;
        float[] x0 = setup.data().xyF32();
        int n = x0.length / 2;
        int[] frameOf = setup.frameOf();
        double[] frameTimes = setup.frameTimes(frameOf);
        int frames = frameTimes.length;
        double[][] frameData = new double[frames][2 * n];
        float[][] coefficients = setup.coefficients(frameOf);
        float[] ca = coefficients[0];
        float[] cs = coefficients[1];
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
        List<double[]> list = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) {
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
