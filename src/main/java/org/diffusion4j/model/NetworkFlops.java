package org.diffusion4j.model;

import java.util.List;

/**
 * Floating-point operations of one network evaluation for one particle while sampling, counted as 2 per
 * multiply-add of the linear layers (activations, LayerNorm and additions are not counted: at the widths of the
 * presets they are below 2% of the total). The time terms of the first layer (time features through their weight
 * columns, and the residual trunk's time MLP) are computed once per time for all particles and are not counted.
 *
 * <pre>
 *   plain     2 (h_0 (2 + c) + sum_i h_{i-1} h_i + 2 h_L) + cond MLP 2 (e + e^2)
 *   residual  2 (H (2 + c) + B 2 H^2 + H H/2 + H) + cond MLP
 * </pre>
 * with c the one-hot or continuous conditioning columns.
 */
public final class NetworkFlops {
    private NetworkFlops() {
    }

    /** FLOPs of one forward evaluation of one particle, time terms excluded. */
    public static long perParticle(NetworkSpec spec) {
        long c = 0;
        long macs = 0;
        Conditioning cond = spec.conditioning();
        if (cond instanceof Conditioning.OneHot o) {
            c = o.classes();
        } else if (cond instanceof Conditioning.Continuous k) {
            c = k.embedDim();
            macs += k.embedDim() + (long) k.embedDim() * k.embedDim();
        }
        if (spec.body() instanceof Body.Plain plain) {
            List<Integer> h = plain.hidden();
            macs += h.get(0) * (2 + c);
            for (int i = 1; i < h.size(); i++) {
                macs += (long) h.get(i - 1) * h.get(i);
            }
            macs += 2L * h.get(h.size() - 1);
        } else {
            Body.Residual r = (Body.Residual) spec.body();
            long H = r.width();
            macs += H * (2 + c) + r.blocks() * 2 * H * H + H * (H / 2) + (H / 2) * 2;
        }
        return 2 * macs;
    }
}
