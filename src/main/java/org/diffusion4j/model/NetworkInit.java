package org.diffusion4j.model;

import org.diffusion4j.rng.NoiseStream;

/**
 * Reproducible initial parameters, PyTorch's default initialisation drawn from the engine's noise stream.
 *
 * <p>Element k of the flat buffer (k = tensor offset + index inside the tensor) uses the four Philox words of
 * {@code (particle = k, step = 0)} of {@link NoiseStream}{@code (seed)}:
 * <pre>
 *   LINEAR:  p = bound (2 u - 1),  u = uniform(w0),  bound = 1 / sqrt(fanIn)      U(-bound, bound)
 *   NORMAL:  p = r sin v  (the first Box-Muller normal of w0, w1, in double)    N(0, 1)
 *   ONES:    p = 1
 *   ZEROS:   p = 0
 * </pre>
 * each computed in double and rounded once to float, so any engine or language can reproduce the buffer.
 */
public final class NetworkInit {
    private NetworkInit() {
    }

    /** The initial flat parameter buffer of {@code spec}, in the order of {@link ParameterLayout#of}. */
    public static float[] initialize(NetworkSpec spec, long seed) {
        if (spec == null) {
            throw new IllegalArgumentException("network: required to initialise parameters");
        }
        ParameterLayout layout = ParameterLayout.of(spec);
        NoiseStream noise = new NoiseStream(seed);
        float[] params = new float[layout.size()];
        int[] words = new int[4];
        double[] normal = new double[2];
        for (ParameterLayout.Tensor tensor : layout.tensors()) {
            double bound = tensor.init() == ParameterLayout.Init.LINEAR ? 1.0 / Math.sqrt(tensor.fanIn()) : 0.0;
            for (int i = 0; i < tensor.size(); i++) {
                int k = tensor.offset() + i;
                params[k] = (float) value(tensor.init(), bound, noise, k, words, normal);
            }
        }
        return params;
    }

    private static double value(ParameterLayout.Init init, double bound, NoiseStream noise, int k, int[] words, double[] normal) {
        switch (init) {
            case LINEAR:
                noise.words(k, 0, words);
                return bound * (2.0 * NoiseStream.uniform(words[0]) - 1.0);
            case NORMAL:
                noise.words(k, 0, words);
                NoiseStream.boxMuller(words[0], words[1], normal, 0);
                return normal[0];
            case ONES:
                return 1.0;
            default:
                return 0.0;
        }
    }
}
