package org.diffusion4j.engine.cuda;

import java.util.Optional;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Progress;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;

/**
 * The CUDA engine: hand-written kernels (kernels/*.cu, bundled as fatbins) launched through the JCuda driver API, one
 * launcher class per kernel file ({@link SampleKernel}, {@link TrainKernel} with
 * {@link CudaTrainer}, {@link ForwardKernel}). It owns one CUDA context, created on the thread that opens the engine; closing the engine
 * frees every device buffer with it.
 */
public final class CudaEngine implements Engine {
    private final CudaContext context;
    private final LaunchShape shape;

    /**
     * Opens device 0.
     *
     * @throws IllegalArgumentException in one line when there is no usable GPU, the driver is too old, or the build
     *                                  carries no kernels
     */
    public CudaEngine() {
        this(null);
    }

    /** Opens device 0 with a fixed launch shape of the tile kernels (null: chosen per network), for tests of shapes. */
    CudaEngine(LaunchShape shape) {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            throw new IllegalArgumentException("engine: cuda is unavailable: " + probe.detail());
        }
        for (String module : new String[] {SampleKernel.MODULE, TrainKernel.MODULE, ForwardKernel.MODULE}) {
            if (!KernelBundle.isBundled(module)) {
                throw new IllegalArgumentException("engine: cuda is unavailable: kernels/" + module + ".fatbin is not bundled in this build "
                        + "(it was built without nvcc)");
            }
        }
        this.context = CudaContext.open();
        this.shape = shape;
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public long freeDeviceMemory() {
        return context.memoryInfo()[0];
    }

    @Override
    public Trainer trainer(TrainingSetup setup, float[] initialParameters) {
        context.makeCurrent();
        return new CudaTrainer(context, setup, initialParameters, shape);
    }

    @Override
    public Samples sample(SamplingSetup setup, Progress progress) {
        context.makeCurrent();
        return new SampleKernel(context, shape).run(setup, progress);
    }

    @Override
    public Samples simulateForward(ForwardSetup setup) {
        context.makeCurrent();
        return new ForwardKernel(context).run(setup);
    }

    /** On the simulated GPU: that it is one, and what that means. */
    @Override
    public Optional<String> notice() {
        return context.simulated() ? Optional.of("cuda: " + context + " is " + CudaProbe.SIMULATED_NOTE) : Optional.empty();
    }

    /** Whether the device is the simulated GPU (native-tests/sim). */
    public boolean simulated() {
        return context.simulated();
    }

    /** Starts timing every kernel launch of this engine with CUDA events (see {@link KernelProfile}). */
    public KernelProfile startProfile() {
        context.makeCurrent();
        return context.startProfile();
    }

    /** Stops timing launches. */
    public void stopProfile() {
        context.stopProfile();
    }

    /** Waits for every launch of this engine to finish. */
    public void synchronize() {
        context.synchronize();
    }

    /** The device this engine runs on, in one line. */
    public String device() {
        return context.toString();
    }

    @Override
    public void close() {
        context.close();
    }
}
