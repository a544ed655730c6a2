package org.diffusion4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.junit.jupiter.api.Test;

/** The parameter count in long arithmetic, the layout's refusal past one float buffer, and the value-embedding overflow check. */
class ParameterCountTest {

    @Test
    void countAgreesWithTheLayoutForEveryPresetAndTestNetwork() {
        int checked = 0;
        for (Preset p : Presets.all()) {
            for (Preset.Net n : p.networks()) {
                assertEquals(ParameterLayout.of(n.spec()).size(), ParameterLayout.count(n.spec()), p.name() + " " + n.role());
                checked++;
            }
        }
        for (NetworkSpec s : List.of(NetworkInitTest.RESIDUAL, NetworkInitTest.PLAIN)) {
            assertEquals(ParameterLayout.of(s).size(), ParameterLayout.count(s));
            checked++;
        }
        assertTrue(checked >= 10, "presets seen: " + checked);
    }

    @Test
    void countByHandAndRefusalPastTheBuffer() {
        // [x, y, t] -> 46341 -> 46341 -> 2: 3*46341 + 46341 + 46341^2 + 46341 + 46341*2 + 2 = 2147812670 > 2^31 - 1
        NetworkSpec wide = new NetworkSpec(new TimeEmbedding.Raw(1), new Conditioning.None(), new Body.Plain(List.of(46341, 46341)),
                Activation.RELU);
        assertEquals(2147812670L, ParameterLayout.count(wide));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParameterLayout.of(wide));
        assertTrue(e.getMessage().contains("2147812670 parameters"), e.getMessage());
        // a residual trunk of width 65536 and 64 blocks: 64 * 2 * 65536^2 alone is 5.5e11
        NetworkSpec deep = new NetworkSpec(new TimeEmbedding.Sinusoidal(32), new Conditioning.None(), new Body.Residual(65536, 64), Activation.SILU);
        assertTrue(ParameterLayout.count(deep) > 5.4e11);
        assertThrows(IllegalArgumentException.class, () -> ParameterLayout.of(deep));
    }

    /** All weights 1 and biases 0 with ReLU: features f_i = sum_j relu(v) = e v; the first layer adds at most (inputs) * e v. */
    @Test
    void valueFeaturesOverflowAtTheHandComputedValue() {
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.Raw(1), new Conditioning.Continuous(4), new Body.Plain(List.of(8)), Activation.RELU);
        float[] p = new float[ParameterLayout.of(spec).size()];
        for (ParameterLayout.Tensor t : ParameterLayout.of(spec).tensors()) {
            Arrays.fill(p, t.offset(), t.offset() + t.size(), t.name().endsWith(".bias") ? 0f : 1f);
        }
        // inputs x, y, t and 4 features: 7 columns of ones; the bound is 7 * 4 v = 28 v <= 3.4028235e38 for v <= 1.215e37
        assertNull(ValueFeatures.overflow(spec, p, 1.2e37));
        assertTrue(ValueFeatures.overflow(spec, p, 1.3e37).contains("first layer"));
        // features 4 v beyond float range from v = 8.5e37 on
        assertTrue(ValueFeatures.overflow(spec, p, 9e37).contains("features"));
        assertTrue(ValueFeatures.overflow(spec, p, 1e308).contains("float range"));
        assertNull(ValueFeatures.overflow(spec, p, -3.0));
    }
}
