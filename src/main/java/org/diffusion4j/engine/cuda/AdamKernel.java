package org.diffusion4j.engine.cuda;

import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;

/**
 * Launches kernels/adam.cu's {@code d4j_adam}: one Adam / AdamW step on the device, with the regimen's learning rate
 * of the update, the bias corrections {@code 1 - b^k} and the AdamW decay {@code 1 - lr wd} computed here in double
 * (ReferenceOptimizer's update); before it {@code d4j_clip} where the regimen clips, after it {@code d4j_ema} where it
 * keeps an EMA.
 */
final class AdamKernel {
    static final String MODULE = "adam";
    static final int BLOCK = 256;

    /** Threads of d4j_clip's single block (D4J_CLIP_BLOCK of adam.cu). */
    static final int CLIP_BLOCK = 512;

    private final CudaContext context;
    private final OptimizerSpec spec;
    private final TrainingRegimen regimen;

    AdamKernel(CudaContext context, OptimizerSpec spec, TrainingRegimen regimen) {
        this.context = context;
        this.spec = spec;
        this.regimen = regimen;
    }

    /**
     * Step k (1-based) on p with moments m and v, gradient grad scaled by 1 / totals[0] (clipped first where the regimen
     * says), then the EMA e (null without one).
     */
    void step(DeviceBuffer p, DeviceBuffer m, DeviceBuffer v, DeviceBuffer grad, DeviceBuffer totals, int params, int k, DeviceBuffer e) {
        if (regimen.clips()) {
            new KernelLaunch().ptr(grad).ptr(totals).i32(params).f64(regimen.clipNorm())
                    .launch(context.function(MODULE, "d4j_clip"), 1, CLIP_BLOCK, 0);
        }
        double lr = regimen.learningRate(spec.learningRate(), k);
        double decay = spec.kind() == OptimizerSpec.Kind.ADAMW ? 1 - lr * spec.weightDecay() : 1.0;
        int blocks = (int) Math.min(8192, ((long) params + BLOCK - 1) / BLOCK);
        new KernelLaunch().ptr(p).ptr(m).ptr(v).ptr(grad).ptr(totals).i32(params)
                .f32((float) lr).f32((float) spec.beta1()).f32((float) spec.beta2()).f32((float) spec.eps()).f32((float) decay)
                .f32((float) (1 - Math.pow(spec.beta1(), k))).f32((float) (1 - Math.pow(spec.beta2(), k)))
                .launch(context.function(MODULE, "d4j_adam"), blocks, BLOCK, 0);
        if (e != null) {
            double d = regimen.emaDecay(k);
            new KernelLaunch().ptr(e).ptr(p).i32(params).f32((float) d).f32((float) (1 - d))
                    .launch(context.function(MODULE, "d4j_ema"), blocks, BLOCK, 0);
        }
    }
}
