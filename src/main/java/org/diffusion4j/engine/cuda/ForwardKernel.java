package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;

/**
 * Launches kernels/forward.cu's {@code d4j_forward}: the forward process of every data point in one launch, with the
 * frames, coefficients and noise layout of {@link ForwardSetup} (those of the reference and cpu engines).
 */
final class ForwardKernel {
    static final String MODULE = "forward";
    static final int BLOCK = 256;

    private final CudaContext context;

    ForwardKernel(CudaContext context) {
        this.context = context;
    }

    Samples run(ForwardSetup setup) {
        if (setup == null) {
            throw new IllegalArgumentException("forward: process, data and method are required");
        }
        setup.check();
        float[] x0 = setup.data().xyF32();
        int n = x0.length / 2;
        int[] frameOf = setup.frameOf();
        double[] times = setup.frameTimes(frameOf);
        int frames = times.length;
        float[][] c = setup.coefficients(frameOf);
        int blocks = (int) Math.min((long) context.multiprocessors() * 8, (n + BLOCK - 1) / BLOCK);
        try (DeviceBuffer data = DeviceBuffer.of(x0); DeviceBuffer ca = DeviceBuffer.of(c[0]); DeviceBuffer cs = DeviceBuffer.of(c[1]);
             DeviceBuffer frameTable = DeviceBuffer.of(frameOf); DeviceBuffer out = DeviceBuffer.floats(2L * n * frames)) {
            new KernelLaunch().ptr(data).i32(n).ptr(ca).ptr(cs).i32(setup.steps()).i32(setup.method() == ForwardSetup.Method.STEPWISE ? 1 : 0)
                    .i64(setup.seed()).ptr(frameTable).ptr(out)
                    .launch(context.function(MODULE, "d4j_forward"), Math.max(1, blocks), BLOCK, 0);
            List<double[]> kept = new ArrayList<>(frames);
            float[] f = new float[2 * n];
            for (int k = 0; k < frames; k++) {
                out.copyTo(f, 2L * n * k, 2 * n);
                kept.add(SampleKernel.widen(f));
            }
            return new Samples(kept.get(frames - 1).clone(), List.copyOf(kept), times);
        }
    }
}
