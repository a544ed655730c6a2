package org.diffusion4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named layout of a network's parameters inside one flat float buffer. Linear weights are row-major
 * {@code [out, in]} and every name follows PyTorch's, so a checkpoint reads as a state dict.
 *
 * <pre>
 *   time.table                      [T, d]          learned time table
 *   time_mlp.{0,1}.{weight,bias}    [H, F], [H, H]  residual trunk: time features -> H
 *   cond_mlp.{0,1}.{weight,bias}    [e, 1], [e, e]  continuous conditioning embedding
 *   label.table                     [K, H1]         label embedding, added to the first hidden state
 *   plain:    layers.{i}.{weight,bias}              i = 0..L, the last maps to 2
 *   residual: input.{weight,bias}, blocks.{j}.norm.{weight,bias}, blocks.{j}.{0,1}.{weight,bias},
 *             output.norm.{weight,bias}, output.{0,1}.{weight,bias}
 * </pre>
 */
public final class ParameterLayout {

    /**
     * The most floats one flat buffer can hold: the longest Java array HotSpot allocates (Integer.MAX_VALUE - 8; a few
     * header words are reserved), and what a 32-bit index into the buffer reaches.
     */
    public static final int MAX_PARAMETERS = Integer.MAX_VALUE - 8;

    /** How a tensor is initialised (PyTorch's defaults). */
    public enum Init {
        /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for Linear weights and biases. */
        LINEAR,
        /** N(0, 1) for embedding tables. */
        NORMAL,
        /** 1 for LayerNorm gains. */
        ONES,
        /** 0 for LayerNorm biases. */
        ZEROS
    }

    /** One named tensor: its shape, its offset in the flat buffer, its initialisation and fan-in. */
    public record Tensor(String name, int[] shape, int offset, Init init, int fanIn) {
        public int size() {
            int n = 1;
            for (int d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        public int rows() {
            return shape[0];
        }

        public int cols() {
            return shape.length > 1 ? shape[1] : 1;
        }
    }

    private final NetworkSpec spec;
    private final Map<String, Tensor> tensors;
    private final int size;

    private ParameterLayout(NetworkSpec spec, Map<String, Tensor> tensors, int size) {
        this.spec = spec;
        this.tensors = tensors;
        this.size = size;
    }

    /**
     * The layout of a network's parameters.
     *
     * @throws IllegalArgumentException in one line when the network has more than {@link #MAX_PARAMETERS} parameters
     */
    public static ParameterLayout of(NetworkSpec spec) {
        long count = count(spec);
        if (count > MAX_PARAMETERS) {
            throw new IllegalArgumentException("network: " + count + " parameters, more than the " + MAX_PARAMETERS
                    + " one float buffer holds; use narrower or fewer layers");
        }
        Builder b = new Builder();
        if (spec.time() instanceof TimeEmbedding.Table table) {
            b.add("time.table", Init.NORMAL, 0, table.steps(), table.dim());
        }
        if (spec.body() instanceof Body.Residual res && spec.time().features() > 0) {
            b.linear("time_mlp.0", spec.time().features(), res.width());
            b.linear("time_mlp.1", res.width(), res.width());
        }
        if (spec.conditioning() instanceof Conditioning.Continuous c) {
            b.linear("cond_mlp.0", 1, c.embedDim());
            b.linear("cond_mlp.1", c.embedDim(), c.embedDim());
        }
        if (spec.conditioning() instanceof Conditioning.LabelEmbedding l) {
            b.add("label.table", Init.NORMAL, 0, l.classes(), spec.firstHiddenWidth());
        }
        if (spec.body() instanceof Body.Plain plain) {
            int in = spec.inputWidth();
            List<Integer> hidden = plain.hidden();
            for (int i = 0; i < hidden.size(); i++) {
                b.linear("layers." + i, in, hidden.get(i));
                in = hidden.get(i);
            }
            b.linear("layers." + hidden.size(), in, 2);
        } else {
            Body.Residual res = (Body.Residual) spec.body();
            int h = res.width();
            b.linear("input", spec.inputWidth(), h);
            for (int j = 0; j < res.blocks(); j++) {
                b.norm("blocks." + j + ".norm", h);
                b.linear("blocks." + j + ".0", h, h);
                b.linear("blocks." + j + ".1", h, h);
            }
            b.norm("output.norm", h);
            b.linear("output.0", h, h / 2);
            b.linear("output.1", h / 2, 2);
        }
        return new ParameterLayout(spec, Collections.unmodifiableMap(b.tensors), b.offset);
    }

    /**
     * The number of parameters of a network, in long arithmetic (it can exceed what an int holds): the sum over the
     * tensors of {@link #of} of the product of their shapes.
     */
    public static long count(NetworkSpec spec) {
        long n = 0;
        int h1 = spec.firstHiddenWidth();
        if (spec.time() instanceof TimeEmbedding.Table table) {
            n += (long) table.steps() * table.dim();
        }
        if (spec.body() instanceof Body.Residual res && spec.time().features() > 0) {
            n += linear(spec.time().features(), res.width()) + linear(res.width(), res.width());
        }
        if (spec.conditioning() instanceof Conditioning.Continuous c) {
            n += linear(1, c.embedDim()) + linear(c.embedDim(), c.embedDim());
        }
        if (spec.conditioning() instanceof Conditioning.LabelEmbedding l) {
            n += (long) l.classes() * h1;
        }
        if (spec.body() instanceof Body.Plain plain) {
            int in = spec.inputWidth();
            for (int w : plain.hidden()) {
                n += linear(in, w);
                in = w;
            }
            n += linear(in, 2);
        } else {
            Body.Residual res = (Body.Residual) spec.body();
            long h = res.width();
            n += linear(spec.inputWidth(), h) + res.blocks() * (2 * h + 2 * linear(h, h)) + 2 * h + linear(h, h / 2) + linear(h / 2, 2);
        }
        return n;
    }

    /** Weights and biases of a Linear layer. */
    private static long linear(long in, long out) {
        return out * in + out;
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** Total number of floats. */
    public int size() {
        return size;
    }

    /** Tensors in buffer order. */
    public List<Tensor> tensors() {
        return new ArrayList<>(tensors.values());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no parameter tensor '" + name + "' in this network; it has " + tensors.keySet());
        }
        return t;
    }

    private static final class Builder {
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
        int offset;

        void add(String name, Init init, int fanIn, int... shape) {
            Tensor t = new Tensor(name, shape, offset, init, fanIn);
            tensors.put(name, t);
            offset = Math.addExact(offset, t.size());
        }

        void linear(String name, int in, int out) {
            add(name + ".weight", Init.LINEAR, in, out, in);
            add(name + ".bias", Init.LINEAR, in, out);
        }

        void norm(String name, int width) {
            add(name + ".weight", Init.ONES, 0, width);
            add(name + ".bias", Init.ZEROS, 0, width);
        }
    }
}
