package org.diffusion4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;

class NetworkInitTest {
    /** Document 003's residual network with a label embedding, and a plain one with a large time table. */
    static final NetworkSpec RESIDUAL = new NetworkSpec(new TimeEmbedding.Sinusoidal(32), new Conditioning.LabelEmbedding(2),
            new Body.Residual(256, 3), Activation.SILU);
    static final NetworkSpec PLAIN = new NetworkSpec(new TimeEmbedding.Table(1000, 64), new Conditioning.Continuous(16),
            new Body.Plain(List.of(512, 512)), Activation.RELU);

    @Test
    void testSpecsCoverEveryInitKind() {
        Set<ParameterLayout.Init> seen = List.of(RESIDUAL, PLAIN).stream()
                .flatMap(s -> ParameterLayout.of(s).tensors().stream()).map(ParameterLayout.Tensor::init).collect(Collectors.toSet());
        assertEquals(EnumSet.allOf(ParameterLayout.Init.class), seen);
    }

    @Test
    void reproducibleAndSeedDependent() {
        float[] a = NetworkInit.initialize(RESIDUAL, 42);
        assertArrayEquals(a, NetworkInit.initialize(RESIDUAL, 42));
        float[] b = NetworkInit.initialize(RESIDUAL, 43);
        assertFalse(Arrays.equals(a, b));
        assertEquals(ParameterLayout.of(RESIDUAL).size(), a.length);
    }

    /** Entries recomputed from the documented formula on the noise stream (particle = flat index, step = 0). */
    @Test
    void entriesFollowTheDocumentedFormula() {
        long seed = 7;
        float[] p = NetworkInit.initialize(PLAIN, seed);
        NoiseStream noise = new NoiseStream(seed);
        int[] w = new int[4];
        double[] n = new double[2];
        for (ParameterLayout.Tensor t : ParameterLayout.of(PLAIN).tensors()) {
            for (int i : new int[] {0, t.size() / 2, t.size() - 1}) {
                int k = t.offset() + i;
                noise.words(k, 0, w);
                double expected;
                if (t.init() == ParameterLayout.Init.LINEAR) {
                    expected = (2 * NoiseStream.uniform(w[0]) - 1) / Math.sqrt(t.fanIn());
                } else {
                    NoiseStream.boxMuller(w[0], w[1], n, 0);
                    expected = n[0];
                }
                assertEquals((float) expected, p[k], 0.0f, t.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void distributionsMatchPyTorchDefaults() {
        float[] p = NetworkInit.initialize(PLAIN, 1);
        ParameterLayout layout = ParameterLayout.of(PLAIN);
        // U(-b, b), b = 1/sqrt(512): 262144 values; mean within 5 standard errors (b / sqrt(3 N)), variance b^2 / 3
        // within 5 standard errors of the sample variance (b^2 sqrt(4 / (45 N)) for a uniform)
        ParameterLayout.Tensor w = layout.tensor("layers.1.weight");
        double b = 1 / Math.sqrt(512);
        double[] s = stats(p, w);
        assertTrue(s[2] <= b && s[3] >= -b, "inside the bound");
        assertTrue(s[2] > 0.99 * b && s[3] < -0.99 * b, "reaches near the bound");
        assertEquals(0, s[0], 5 * b / Math.sqrt(3.0 * w.size()));
        assertEquals(b * b / 3, s[1], 5 * b * b * Math.sqrt(4.0 / (45 * w.size())));
        // N(0, 1): 64000 values; mean within 5 / sqrt(N), variance within 5 sqrt(2 / N)
        ParameterLayout.Tensor table = layout.tensor("time.table");
        double[] t = stats(p, table);
        assertEquals(0, t[0], 5 / Math.sqrt(table.size()));
        assertEquals(1, t[1], 5 * Math.sqrt(2.0 / table.size()));
        // fan-in 1 (cond_mlp.0): U(-1, 1)
        double[] c = stats(p, layout.tensor("cond_mlp.0.weight"));
        assertTrue(c[2] <= 1 && c[3] >= -1 && c[2] > 0.5);
    }

    @Test
    void layerNormGainsAreOnesAndBiasesZeros() {
        float[] p = NetworkInit.initialize(RESIDUAL, 3);
        int checked = 0;
        for (ParameterLayout.Tensor t : ParameterLayout.of(RESIDUAL).tensors()) {
            if (t.init() == ParameterLayout.Init.ONES || t.init() == ParameterLayout.Init.ZEROS) {
                float v = t.init() == ParameterLayout.Init.ONES ? 1f : 0f;
                for (int k = t.offset(); k < t.offset() + t.size(); k++) {
                    assertEquals(v, p[k], 0f, t.name());
                }
                checked++;
            }
        }
        assertEquals(2 * 4, checked, "3 block norms and the output norm, gain and bias each");
    }

    @Test
    void refusesMissingSpec() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetworkInit.initialize(null, 1));
        assertTrue(e.getMessage().startsWith("network:"));
    }

    /** {mean, biased variance, max, min} of a tensor. */
    static double[] stats(float[] p, ParameterLayout.Tensor t) {
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        for (int k = t.offset(); k < t.offset() + t.size(); k++) {
            sum += p[k];
            max = Math.max(max, p[k]);
            min = Math.min(min, p[k]);
        }
        double mean = sum / t.size();
        double var = 0;
        for (int k = t.offset(); k < t.offset() + t.size(); k++) {
            var += (p[k] - mean) * (p[k] - mean);
        }
        return new double[] {mean, var / t.size(), max, min};
    }
}
