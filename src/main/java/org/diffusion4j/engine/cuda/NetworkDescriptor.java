package org.diffusion4j.engine.cuda;

import java.util.List;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;

/**
 * The {@code Net} struct of kernels/network.cuh as {@value #INTS} ints: the network's kinds, widths and the offset of
 * every tensor of its {@link ParameterLayout} in the flat parameter buffer. The field order is the struct's; the tape
 * size repeats {@code tape_layout} of network.cuh (the native host tests check the two agree).
 */
public final class NetworkDescriptor {

    /** Ints of the struct (NET_INTS). */
    public static final int INTS = 104;
    /** Hidden layers of a plain trunk and blocks of a residual trunk the kernels take (NET_MAX_LAYERS, NET_MAX_BLOCKS). */
    public static final int MAX_LAYERS = 8;
    public static final int MAX_BLOCKS = 8;
    /** Widest time feature vector the kernels take. */
    public static final int MAX_TIME_FEATURES = 64;

    // field indices, in struct order
    static final int BODY = 0;
    static final int ACT = 1;
    static final int TIME_KIND = 2;
    static final int TIME_DIM = 3;
    static final int TIME_STEPS = 4;
    static final int TIME_SCALE = 5;
    static final int COND_KIND = 6;
    static final int COND_DIM = 7;
    static final int IN_WIDTH = 8;
    static final int LAYERS = 9;
    static final int WIDTH = 10;
    static final int TIME_TABLE = WIDTH + MAX_LAYERS;
    static final int TIME_MLP = TIME_TABLE + 1;
    static final int COND_MLP = TIME_MLP + 4;
    static final int LABEL_TABLE = COND_MLP + 4;
    static final int LIN = LABEL_TABLE + 1;
    static final int BLK = LIN + 2 * (MAX_LAYERS + 1);
    static final int OUT = BLK + 6 * MAX_BLOCKS;
    static final int TIME_WIDTH = OUT + 6;
    static final int TAPE = TIME_WIDTH + 1;
    static final int PARAMS = TAPE + 1;
    static final int PRECISION = PARAMS + 1;

    private NetworkDescriptor() {
    }

    /** The descriptor of a network; a network beyond the kernels' limits is refused in one line. */
    public static int[] encode(NetworkSpec spec) {
        ParameterLayout layout = ParameterLayout.of(spec);
        int[] d = new int[INTS];
        boolean plain = spec.body() instanceof Body.Plain;
        d[BODY] = KernelCodes.body(spec.body());
        d[ACT] = KernelCodes.activation(spec.activation());
        TimeEmbedding te = spec.time();
        d[TIME_KIND] = KernelCodes.time(te);
        d[TIME_DIM] = te.features();
        if (te.features() > MAX_TIME_FEATURES) {
            throw new IllegalArgumentException("network.time.dim: the cuda engine takes at most " + MAX_TIME_FEATURES + " time features, got "
                    + te.features());
        }
        d[TIME_STEPS] = te instanceof TimeEmbedding.Table t ? t.steps() : 0;
        d[TIME_SCALE] = Float.floatToRawIntBits(te instanceof TimeEmbedding.Raw r ? (float) r.scale() : 0f);
        Conditioning c = spec.conditioning();
        d[COND_KIND] = KernelCodes.conditioning(c);
        d[COND_DIM] = c instanceof Conditioning.OneHot o ? o.classes() : c instanceof Conditioning.Continuous k ? k.embedDim()
                : c instanceof Conditioning.LabelEmbedding l ? l.classes() : 0;
        d[IN_WIDTH] = spec.inputWidth();
        if (plain) {
            List<Integer> hidden = ((Body.Plain) spec.body()).hidden();
            if (hidden.size() > MAX_LAYERS) {
                throw new IllegalArgumentException("network.body.hidden: the cuda engine takes at most " + MAX_LAYERS + " hidden layers, got "
                        + hidden.size());
            }
            d[LAYERS] = hidden.size();
            for (int i = 0; i < hidden.size(); i++) {
                d[WIDTH + i] = hidden.get(i);
            }
            for (int i = 0; i <= hidden.size(); i++) {
                d[LIN + 2 * i] = layout.tensor("layers." + i + ".weight").offset();
                d[LIN + 2 * i + 1] = layout.tensor("layers." + i + ".bias").offset();
            }
        } else {
            Body.Residual res = (Body.Residual) spec.body();
            if (res.blocks() > MAX_BLOCKS) {
                throw new IllegalArgumentException("network.body.blocks: the cuda engine takes at most " + MAX_BLOCKS + " blocks, got "
                        + res.blocks());
            }
            d[LAYERS] = res.blocks();
            d[WIDTH] = res.width();
            d[LIN] = layout.tensor("input.weight").offset();
            d[LIN + 1] = layout.tensor("input.bias").offset();
            for (int j = 0; j < res.blocks(); j++) {
                String b = "blocks." + j + ".";
                int at = BLK + 6 * j;
                d[at] = layout.tensor(b + "norm.weight").offset();
                d[at + 1] = layout.tensor(b + "norm.bias").offset();
                d[at + 2] = layout.tensor(b + "0.weight").offset();
                d[at + 3] = layout.tensor(b + "0.bias").offset();
                d[at + 4] = layout.tensor(b + "1.weight").offset();
                d[at + 5] = layout.tensor(b + "1.bias").offset();
            }
            d[OUT] = layout.tensor("output.norm.weight").offset();
            d[OUT + 1] = layout.tensor("output.norm.bias").offset();
            d[OUT + 2] = layout.tensor("output.0.weight").offset();
            d[OUT + 3] = layout.tensor("output.0.bias").offset();
            d[OUT + 4] = layout.tensor("output.1.weight").offset();
            d[OUT + 5] = layout.tensor("output.1.bias").offset();
        }
        d[TIME_TABLE] = offset(layout, "time.table");
        d[TIME_MLP] = offset(layout, "time_mlp.0.weight");
        d[TIME_MLP + 1] = offset(layout, "time_mlp.0.bias");
        d[TIME_MLP + 2] = offset(layout, "time_mlp.1.weight");
        d[TIME_MLP + 3] = offset(layout, "time_mlp.1.bias");
        d[COND_MLP] = offset(layout, "cond_mlp.0.weight");
        d[COND_MLP + 1] = offset(layout, "cond_mlp.0.bias");
        d[COND_MLP + 2] = offset(layout, "cond_mlp.1.weight");
        d[COND_MLP + 3] = offset(layout, "cond_mlp.1.bias");
        d[LABEL_TABLE] = offset(layout, "label.table");
        d[TIME_WIDTH] = spec.firstHiddenWidth();
        d[TAPE] = tapeFloats(d) + d[TIME_WIDTH];
        d[PARAMS] = layout.size();
        d[PRECISION] = KernelCodes.precision(spec.precision());
        return d;
    }

    private static int offset(ParameterLayout layout, String name) {
        return layout.has(name) ? layout.tensor(name).offset() : 0;
    }

    /** tape_layout(n).total of network.cuh: forward values, then 3 max_width + 8 floats of backward workspace. */
    static int tapeFloats(int[] d) {
        boolean plain = d[BODY] == 0;
        int timeFeatures = d[TIME_KIND] == 0 ? 0 : d[TIME_DIM];
        int o = d[IN_WIDTH] + timeFeatures;
        o += d[COND_KIND] == 2 ? d[COND_DIM] : 0;
        o += !plain && d[TIME_KIND] != 0 ? d[WIDTH] : 0;
        int maxWidth = d[IN_WIDTH];
        if (plain) {
            for (int i = 0; i < d[LAYERS]; i++) {
                o += d[WIDTH + i];
                maxWidth = Math.max(maxWidth, d[WIDTH + i]);
            }
        } else {
            int h = d[WIDTH];
            o += (d[LAYERS] + 1) * h + d[LAYERS] * h + h / 2;
            maxWidth = Math.max(maxWidth, h);
        }
        return o + 3 * maxWidth + 8;
    }

    /** Floats of one sample's tape (the kernels' per-thread storage). */
    public static int tape(int[] descriptor) {
        return descriptor[TAPE];
    }

    /** Floats of the time terms of one time. */
    public static int timeWidth(int[] descriptor) {
        return descriptor[TIME_WIDTH];
    }
}
