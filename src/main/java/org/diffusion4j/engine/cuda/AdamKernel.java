package org.diffusion4j.engine.cuda;

import org.diffusion4j.objective.OptimizerSpec;

/**
 * Launches kernels/adam.cu's {@code d4j_adam}: one Adam / AdamW step on the device, with the bias corrections
 * {@code 1 - b^k} and the AdamW decay {@code 1 - lr wd} computed here in double (ReferenceOptimizer's update).
 */
final class AdamKernel {
    static final String MODULE = "adam";
    static final int BLOCK = 256;

    private final CudaContext context;
    private final OptimizerSpec spec;

    AdamKernel(CudaContext context, OptimizerSpec spec) {
        this.context = context;
        this.spec = spec;
    }

    /** Step k (1-based) on p with moments m and v, gradient grad scaled by 1 / totals[0]. */
    void step(DeviceBuffer p, DeviceBuffer m, DeviceBuffer v, DeviceBuffer grad, DeviceBuffer totals, int params, int k) {
        double lr = spec.learningRate();
        double decay = spec.kind() == OptimizerSpec.Kind.ADAMW ? 1 - lr * spec.weightDecay() : 1.0;
        int blocks = (int) Math.min(8192, ((long) params + BLOCK - 1) / BLOCK);
        new KernelLaunch().ptr(p).ptr(m).ptr(v).ptr(grad).ptr(totals).i32(params)
                .f32((float) lr).f32((float) spec.beta1()).f32((float) spec.beta2()).f32((float) spec.eps()).f32((float) decay)
                .f32((float) (1 - Math.pow(spec.beta1(), k))).f32((float) (1 - Math.pow(spec.beta2(), k)))
                .launch(context.function(MODULE, "d4j_adam"), blocks, BLOCK, 0);
    }
}
