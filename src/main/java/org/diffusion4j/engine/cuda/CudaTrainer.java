package org.diffusion4j.engine.cuda;

import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.objective.OptimizerSpec;

/**
 * Training on the CUDA engine: parameters, Adam moments and the gradient stay on the device. An optimizer step is two
 * launches, {@code d4j_train} ({@link TrainKernel}: the tiles' gradient and loss subtrees) and
 * {@code d4j_train_update} (the rest of the summation tree, Adam / AdamW, the step's loss into a ring buffer). The
 * host does not wait on a step: {@link #steps} launches a run of steps and reads their losses once at the end.
 */
final class CudaTrainer implements Trainer {
    /** Bytes of UpdateArgs (the static_assert of train_tile.cuh). */
    static final int UPDATE_ARGS_BYTES = 9 * 8 + 4 * 4 + 8 * 4;
    /** Losses kept on the device between reads: the most steps launched without a copy back. */
    static final int RING = 1024;
    private static final int UPDATE_BLOCK = 256;

    private final CudaContext context;
    private final OptimizerSpec optimizer;
    private final TrainKernel train;
    private final DeviceBuffer params;
    private final DeviceBuffer m;
    private final DeviceBuffer v;
    private final DeviceBuffer grad;
    private final DeviceBuffer totals;
    private final DeviceBuffer losses;
    private final int size;
    private int step;

    CudaTrainer(CudaContext context, TrainingSetup setup, float[] initial, LaunchShape shape) {
        TrainKernel t = new TrainKernel(context, setup, shape);
        DeviceBuffer[] made = new DeviceBuffer[6];
        try {
            if (initial.length != t.params()) {
                throw new IllegalArgumentException("parameters: " + initial.length + " floats do not fit the network, which has " + t.params());
            }
            made[0] = DeviceBuffer.of(initial);
            made[1] = DeviceBuffer.floats(initial.length);
            made[1].zero();
            made[2] = DeviceBuffer.floats(initial.length);
            made[2].zero();
            made[3] = DeviceBuffer.floats(initial.length);
            made[4] = DeviceBuffer.doubles(2);
            made[5] = DeviceBuffer.doubles(RING);
        } catch (RuntimeException e) {
            for (DeviceBuffer b : made) {
                if (b != null) {
                    b.close();
                }
            }
            t.close();
            throw e;
        }
        this.context = context;
        this.optimizer = setup.optimizer();
        this.train = t;
        this.params = made[0];
        this.m = made[1];
        this.v = made[2];
        this.grad = made[3];
        this.totals = made[4];
        this.losses = made[5];
        this.size = initial.length;
    }

    /** Launches optimizer step `step` (0-based): the tiles, then the reduction and the update. */
    private void launch() {
        train.launch(params, step);
        int k = step + 1;
        double lr = optimizer.learningRate();
        double decay = switch (optimizer.kind()) {
            case ADAM -> 1.0;
            case ADAMW -> 1 - lr * optimizer.weightDecay();
        };
        KernelStruct a = new KernelStruct("UpdateArgs").ptr(params).ptr(m).ptr(v).ptr(grad).ptr(train.partials()).ptr(train.lossPartials())
                .ptr(totals).ptr(losses).i64(step).i32(size).i32(train.tiles()).i32(RING)
                .f32((float) lr).f32((float) optimizer.beta1()).f32((float) optimizer.beta2()).f32((float) optimizer.eps()).f32((float) decay)
                .f32((float) (1 - Math.pow(optimizer.beta1(), k))).f32((float) (1 - Math.pow(optimizer.beta2(), k))).i32(0)
                .expectSize(UPDATE_ARGS_BYTES);
        int blocks = (int) Math.min(4L * context.multiprocessors(), ((long) size + UPDATE_BLOCK - 1) / UPDATE_BLOCK);
        new KernelLaunch().struct(a).launch(context.function(TrainKernel.MODULE, "d4j_train_update"), blocks, UPDATE_BLOCK, 0);
        step++;
    }

    @Override
    public double step() {
        double[] loss = new double[1];
        steps(loss, 0, 1);
        return loss[0];
    }

    /** Runs `count` steps, launched back to back; their losses are read in one copy per {@link #RING} steps. */
    @Override
    public void steps(double[] loss, int from, int count) {
        int done = 0;
        while (done < count) {
            int run = Math.min(RING, count - done);
            int first = step;
            for (int k = 0; k < run; k++) {
                launch();
            }
            double[] ring = new double[RING];
            losses.copyTo(ring);
            for (int k = 0; k < run; k++) {
                loss[from + done + k] = ring[(first + k) % RING];
            }
            done += run;
        }
    }

    /** The loss gradient of the last step (the summed gradient divided by the sum of the raw weights), for tests. */
    float[] lastGradient() {
        float[] g = new float[size];
        grad.copyTo(g);
        double[] t = new double[2];
        totals.copyTo(t);
        for (int i = 0; i < size; i++) {
            g[i] = (float) (g[i] / t[0]);
        }
        return g;
    }

    @Override
    public int stepsDone() {
        return step;
    }

    @Override
    public float[] parameters() {
        float[] out = new float[size];
        params.copyTo(out);
        return out;
    }

    @Override
    public void close() {
        losses.close();
        totals.close();
        grad.close();
        v.close();
        m.close();
        params.close();
        train.close();
    }
}
