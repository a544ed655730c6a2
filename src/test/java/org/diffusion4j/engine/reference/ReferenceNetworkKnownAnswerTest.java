package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;
import org.junit.jupiter.api.Test;

/** Hand-computed forward and backward values of tiny networks, and the refusal of bad input. */
class ReferenceNetworkKnownAnswerTest {
    /**
     * Tolerance for values computed by hand: the inputs are decimal fractions (0.1, 0.2) that double cannot hold
     * exactly, so results may differ from the decimal answer by a few ulps of numbers below 20.
     */
    static final double HAND = 1e-14;

    static final NetworkSpec TINY = new NetworkSpec(new TimeEmbedding.None(), new Conditioning.None(),
            new Body.Plain(List.of(1)), Activation.RELU);

    /** Writes values into the named tensor of a flat buffer. */
    static void set(double[] p, ParameterLayout layout, String name, double... values) {
        ParameterLayout.Tensor t = layout.tensor(name);
        assertEquals(t.size(), values.length, name);
        System.arraycopy(values, 0, p, t.offset(), values.length);
    }

    /**
     * Plain ReLU network 2 -> 1 -> 2: layers.0 = w (2, -1), b 0.5; layers.1 = W (3, -2)^T, b (0.1, 0.2).
     * <pre>
     *   sample (1, 1):  z = 2 - 1 + 0.5 = 1.5 > 0,  h = 1.5,  f = (3 * 1.5 + 0.1, -2 * 1.5 + 0.2) = (4.6, -2.8)
     *   sample (0, 2):  z = 0 - 2 + 0.5 = -1.5,     h = 0,    f = (0.1, 0.2)
     * backward with dOut = ((1, 0), (0, 1)):
     *   layers.1.weight = dOut^T h = (1 * 1.5 + 0 * 0, 0 * 1.5 + 1 * 0) = (1.5, 0),  layers.1.bias = (1, 1)
     *   dh = dOut W = (3, -2),  dz = dh relu'(z) = (3, 0)
     *   layers.0.weight = dz^T X = 3 (1, 1) = (3, 3),  layers.0.bias = 3,  dX = dz w = ((6, -3), (0, 0))
     * </pre>
     */
    @Test
    void tinyReluNetworkByHand() {
        ParameterLayout layout = ParameterLayout.of(TINY);
        assertEquals(7, layout.size());
        double[] p = new double[layout.size()];
        set(p, layout, "layers.0.weight", 2, -1);
        set(p, layout, "layers.0.bias", 0.5);
        set(p, layout, "layers.1.weight", 3, -2);
        set(p, layout, "layers.1.bias", 0.1, 0.2);
        ReferenceNetwork net = new ReferenceNetwork(TINY, p);
        ReferenceNetwork.Pass pass = net.forward(new double[] {1, 1, 0, 2}, null, Condition.NONE);
        assertArrayEquals(new double[] {4.6, -2.8, 0.1, 0.2}, net.output(pass), HAND);
        double[] dOut = {1, 0, 0, 1};
        double[] expected = new double[7];
        double[] g = net.backward(pass, dOut);
        double[] w0 = {3, 3};
        System.arraycopy(w0, 0, expected, layout.tensor("layers.0.weight").offset(), 2);
        expected[layout.tensor("layers.0.bias").offset()] = 3;
        expected[layout.tensor("layers.1.weight").offset()] = 1.5;
        expected[layout.tensor("layers.1.weight").offset() + 1] = 0;
        expected[layout.tensor("layers.1.bias").offset()] = 1;
        expected[layout.tensor("layers.1.bias").offset() + 1] = 1;
        assertArrayEquals(expected, g, HAND);
        assertArrayEquals(new double[] {6, -3, 0, 0}, net.inputGradient(pass, dOut), HAND);
        assertEquals(1.5, pass.minAbsPreActivation(), HAND);
    }

    /**
     * Residual trunk of width 2 with no blocks: input = identity with bias (1, -1); output.norm gain (2, 3), bias
     * (0.5, 0); output.0 = (1, -1), bias 0; output.1 = (1, 2)^T, bias (0, 1); ReLU.
     * <pre>
     *   (x, y) = (2, 2):  h = (3, 1),  mean 2,  biased var 1,  xh = (1, -1) / sqrt(1 + 1e-5) = (r, -r)
     *   LayerNorm out = (2 r + 0.5, -3 r),  z = 2 r + 0.5 + 3 r = 5 r + 0.5 > 0
     *   f = (5 r + 0.5, 2 (5 r + 0.5) + 1) = (5 r + 0.5, 10 r + 2),  r = 0.99999500003749968...
     *     = (5.4999750001874984, 11.999950000374997)
     * </pre>
     */
    @Test
    void residualTrunkWithLayerNormByHand() {
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.None(), new Conditioning.None(), new Body.Residual(2, 0), Activation.RELU);
        ParameterLayout layout = ParameterLayout.of(spec);
        double[] p = new double[layout.size()];
        set(p, layout, "input.weight", 1, 0, 0, 1);
        set(p, layout, "input.bias", 1, -1);
        set(p, layout, "output.norm.weight", 2, 3);
        set(p, layout, "output.norm.bias", 0.5, 0);
        set(p, layout, "output.0.weight", 1, -1);
        set(p, layout, "output.0.bias", 0);
        set(p, layout, "output.1.weight", 1, 2);
        set(p, layout, "output.1.bias", 0, 1);
        ReferenceNetwork net = new ReferenceNetwork(spec, p);
        double[] f = net.output(net.forward(new double[] {2, 2}, null, Condition.NONE));
        assertArrayEquals(new double[] {5.4999750001874984, 11.999950000374997}, f, HAND);
    }

    /**
     * A plain ReLU network 2+F -> 1 -> 2 whose first unit reads input column {@code column} (+ 2 to stay on the
     * linear side of ReLU) and whose first output is that unit - 2, so f_x = the input column itself.
     */
    static double[] probe(NetworkSpec spec, int column) {
        ParameterLayout layout = ParameterLayout.of(spec);
        double[] p = new double[layout.size()];
        double[] w = new double[spec.inputWidth()];
        if (column >= 0) {
            w[column] = 1;
        }
        set(p, layout, "layers.0.weight", w);
        set(p, layout, "layers.0.bias", 2);
        set(p, layout, "layers.1.weight", 1, 0);
        set(p, layout, "layers.1.bias", -2, 0);
        return p;
    }

    static NetworkSpec plainProbe(TimeEmbedding time, Conditioning cond) {
        return new NetworkSpec(time, cond, new Body.Plain(List.of(1)), Activation.RELU);
    }

    /** Sinusoidal(4) at t = 3: w_0 = 1, w_1 = 10000^(-2/4) = 0.01, features (sin 3, cos 3, sin 0.03, cos 0.03). */
    @Test
    void sinusoidalFeaturesAreInterleavedSinCos() {
        NetworkSpec spec = plainProbe(new TimeEmbedding.Sinusoidal(4), new Conditioning.None());
        double[] expected = {Math.sin(3), Math.cos(3), Math.sin(0.03), Math.cos(0.03)};
        for (int k = 0; k < 4; k++) {
            ReferenceNetwork net = new ReferenceNetwork(spec, probe(spec, 2 + k));
            double fx = net.output(net.forward(new double[] {0, 0}, new double[] {3}, Condition.NONE))[0];
            assertEquals(expected[k], fx, HAND, "feature " + k);
        }
    }

    /** Raw(0.5) at t = 3 gives the feature 1.5; Table(3, 2) at t = 2 gives row 2 of the table. */
    @Test
    void rawAndTableFeatures() {
        NetworkSpec raw = plainProbe(new TimeEmbedding.Raw(0.5), new Conditioning.None());
        ReferenceNetwork rawNet = new ReferenceNetwork(raw, probe(raw, 2));
        assertEquals(1.5, rawNet.output(rawNet.forward(new double[] {0, 0}, new double[] {3}, Condition.NONE))[0], HAND);

        NetworkSpec table = plainProbe(new TimeEmbedding.Table(3, 2), new Conditioning.None());
        for (int k = 0; k < 2; k++) {
            double[] p = probe(table, 2 + k);
            set(p, ParameterLayout.of(table), "time.table", 0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
            ReferenceNetwork net = new ReferenceNetwork(table, p);
            assertEquals(k == 0 ? 0.5 : 0.6, net.output(net.forward(new double[] {0, 0}, new double[] {2}, Condition.NONE))[0], HAND);
        }
    }

    /**
     * One-hot(3), label 1: columns (0, 1, 0). Continuous(1) with cond_mlp (2c + 0.5 -> ReLU -> 3a - 1) at c = 1:
     * 3 * 2.5 - 1 = 6.5. Label embedding: the table row of the label is added to the first pre-activation.
     */
    @Test
    void conditioningInputs() {
        NetworkSpec oneHot = plainProbe(new TimeEmbedding.None(), new Conditioning.OneHot(3));
        for (int k = 0; k < 3; k++) {
            ReferenceNetwork net = new ReferenceNetwork(oneHot, probe(oneHot, 2 + k));
            assertEquals(k == 1 ? 1.0 : 0.0, net.output(net.forward(new double[] {0, 0}, null, Condition.label(1, 1)))[0], HAND);
        }

        NetworkSpec cont = plainProbe(new TimeEmbedding.None(), new Conditioning.Continuous(1));
        double[] p = probe(cont, 2);
        ParameterLayout layout = ParameterLayout.of(cont);
        set(p, layout, "cond_mlp.0.weight", 2);
        set(p, layout, "cond_mlp.0.bias", 0.5);
        set(p, layout, "cond_mlp.1.weight", 3);
        set(p, layout, "cond_mlp.1.bias", -1);
        ReferenceNetwork net = new ReferenceNetwork(cont, p);
        assertEquals(6.5, net.output(net.forward(new double[] {0, 0}, null, Condition.value(1.0, 1)))[0], HAND);

        NetworkSpec label = plainProbe(new TimeEmbedding.None(), new Conditioning.LabelEmbedding(2));
        double[] q = probe(label, -1);
        set(q, ParameterLayout.of(label), "label.table", 0.25, 0.75);
        ReferenceNetwork labelNet = new ReferenceNetwork(label, q);
        double[] f = labelNet.output(labelNet.forward(new double[] {5, 5, 5, 5}, null, Condition.labels(new int[] {0, 1})));
        // z = 0 * x + 2 + table[label]; f_x = relu(z) - 2 = table[label]
        assertEquals(0.25, f[0], HAND);
        assertEquals(0.75, f[2], HAND);
    }

    @Test
    void refusesBadInputWithOneLineMessages() {
        NetworkSpec table = plainProbe(new TimeEmbedding.Table(3, 2), new Conditioning.None());
        ReferenceNetwork net = new ReferenceNetwork(table, probe(table, 2));
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, 0}, new double[] {1.5}, Condition.NONE)), "t:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, 0}, new double[] {3}, Condition.NONE)), "t:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, 0}, new double[] {-1}, Condition.NONE)), "t:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, 0}, null, Condition.NONE)), "t:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, 0, 1}, new double[] {1}, Condition.NONE)), "xy:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, Double.NaN}, new double[] {1}, Condition.NONE)), "xy:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.forward(new double[] {0, 0}, new double[] {1}, Condition.label(0, 1))), "condition:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new ReferenceNetwork(table, new double[3])), "parameters:");
        ReferenceNetwork other = new ReferenceNetwork(table, probe(table, 3));
        ReferenceNetwork.Pass pass = net.forward(new double[] {0, 0}, new double[] {1}, Condition.NONE);
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> other.backward(pass, new double[] {1, 0})), "pass:");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> net.backward(pass, new double[] {1})), "dOutput:");
    }

    static void assertOneLine(IllegalArgumentException e, String field) {
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
