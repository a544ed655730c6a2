package org.diffusion4j.engine.cuda;

import java.util.function.BooleanSupplier;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainerState;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;

/**
 * Training on the CUDA engine: parameters, Adam moments, the gradient and the EMA stay on the device. An optimizer step
 * is two launches, {@code d4j_train} ({@link TrainKernel}: the tiles' gradient and loss subtrees) and
 * {@code d4j_train_update} (the rest of the summation tree, Adam / AdamW at the regimen's learning rate of the step, the
 * EMA, the step's loss into a ring buffer); with gradient-norm clipping {@code d4j_train_norm} between them sums the
 * tree into the gradient and the squared norm per chunk, and the update scales by the clipping factor. The host does
 * not wait on a step: {@link #steps} launches a run of steps and reads their losses once at the end.
 */
final class CudaTrainer implements Trainer {
    /** Bytes of UpdateArgs (the static_assert of train_tile.cuh). */
    static final int UPDATE_ARGS_BYTES = 13 * 8 + 3 * 4 + 9 * 4;
    /** Losses kept on the device between reads: the most steps launched without a copy back. */
    static final int RING = 1024;
    /** Threads of d4j_train_norm and d4j_train_update: UPDATE_BLOCK of train_tile.cuh (their fixed summation order). */
    private static final int UPDATE_BLOCK = 256;
    /** Parameters per squared-norm partial: NORM_CHUNK of train_tile.cuh. */
    private static final int NORM_CHUNK = 8 * UPDATE_BLOCK;

    private final CudaContext context;
    private final OptimizerSpec optimizer;
    private final TrainingRegimen regimen;
    private final TrainKernel train;
    private final DeviceBuffer params;
    private final DeviceBuffer m;
    private final DeviceBuffer v;
    private final DeviceBuffer grad;
    private final DeviceBuffer totals;
    private final DeviceBuffer losses;
    /** The EMA of the parameters, null without one. */
    private final DeviceBuffer ema;
    /** The squared gradient norm per chunk (d4j_train_norm), null without clipping. */
    private final DeviceBuffer normPartials;
    private final int size;
    private int step;

    CudaTrainer(CudaContext context, TrainingSetup setup, float[] initial, LaunchShape shape) {
        TrainKernel t = new TrainKernel(context, setup, shape);
        DeviceBuffer[] made = new DeviceBuffer[8];
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
            made[6] = setup.regimen().hasEma() ? DeviceBuffer.of(initial) : null;
            made[7] = setup.regimen().clips() ? DeviceBuffer.doubles((int) normChunks(initial.length)) : null;
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
        this.regimen = setup.regimen();
        this.train = t;
        this.params = made[0];
        this.m = made[1];
        this.v = made[2];
        this.grad = made[3];
        this.totals = made[4];
        this.losses = made[5];
        this.ema = made[6];
        this.normPartials = made[7];
        this.size = initial.length;
    }

    private static long normChunks(long params) {
        return (params + NORM_CHUNK - 1) / NORM_CHUNK;
    }

    /**
     * Launches optimizer step `step` (0-based): the tiles, with clipping the gradient's norm, then the reduction and the
     * update, with the regimen's learning rate and EMA decay of update k = step + 1.
     */
    private void launch() {
        train.launch(params, step);
        int k = step + 1;
        double lr = regimen.learningRate(optimizer.learningRate(), k);
        double decay = switch (optimizer.kind()) {
            case ADAM -> 1.0;
            case ADAMW -> 1 - lr * optimizer.weightDecay();
        };
        double d = regimen.hasEma() ? regimen.emaDecay(k) : 0.0;
        KernelStruct a = new KernelStruct("UpdateArgs").ptr(params).ptr(m).ptr(v).ptr(grad).ptr(train.partials()).ptr(train.lossPartials())
                .ptr(totals).ptr(losses).ptrOrNull(ema).ptrOrNull(normPartials).i64(step)
                .f64(regimen.clips() ? regimen.clipNorm() : 0.0).f64(TrainingRegimen.CLIP_EPS).i32(size).i32(train.tiles()).i32(RING)
                .f32((float) lr).f32((float) optimizer.beta1()).f32((float) optimizer.beta2()).f32((float) optimizer.eps()).f32((float) decay)
                .f32((float) (1 - Math.pow(optimizer.beta1(), k))).f32((float) (1 - Math.pow(optimizer.beta2(), k)))
                .f32((float) d).f32((float) (1 - d))
                .expectSize(UPDATE_ARGS_BYTES);
        int maxBlocks = 4 * context.multiprocessors();
        if (normPartials != null) {
            int blocks = (int) Math.min(maxBlocks, normChunks(size));
            new KernelLaunch().struct(a).launch(context.function(TrainKernel.MODULE, "d4j_train_norm"), blocks, UPDATE_BLOCK, 0);
        }
        int blocks = (int) Math.min(maxBlocks, ((long) size + UPDATE_BLOCK - 1) / UPDATE_BLOCK);
        new KernelLaunch().struct(a).launch(context.function(TrainKernel.MODULE, "d4j_train_update"), blocks, UPDATE_BLOCK, 0);
        step++;
    }

    @Override
    public double step() {
        double[] loss = new double[1];
        steps(loss, 0, 1);
        return loss[0];
    }

    /**
     * Launches up to `count` steps back to back, asking `stop` after each launch (no wait on the device); their losses
     * are read in one copy per {@link #RING} steps.
     */
    @Override
    public int steps(double[] loss, int from, int count, BooleanSupplier stop) {
        int done = 0;
        boolean stopped = false;
        while (done < count && !stopped) {
            int limit = Math.min(RING, count - done);
            int first = step;
            int run = 0;
            while (run < limit && !stopped) {
                launch();
                run++;
                stopped = stop.getAsBoolean();
            }
            double[] ring = new double[RING];
            losses.copyTo(ring);
            for (int k = 0; k < run; k++) {
                loss[from + done + k] = ring[(first + k) % RING];
            }
            done += run;
        }
        return done;
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
    public float[] emaParameters() {
        if (ema == null) {
            return null;
        }
        float[] out = new float[size];
        ema.copyTo(out);
        return out;
    }

    private double[] download(DeviceBuffer b) {
        float[] f = new float[size];
        b.copyTo(f);
        return TrainerState.doubles(f);
    }

    @Override
    public TrainerState state() {
        return new TrainerState(step, download(params), download(m), download(v), ema == null ? null : download(ema));
    }

    @Override
    public void restore(TrainerState s) {
        if (s.parameters().length != size) {
            throw new IllegalArgumentException("state: " + s.parameters().length + " parameters, the network has " + size);
        }
        if ((s.ema() == null) != (ema == null)) {
            throw new IllegalArgumentException("state: " + (ema == null ? "has an EMA the regimen does not keep" : "lacks the EMA the regimen keeps"));
        }
        params.copyFrom(TrainerState.floats(s.parameters()));
        m.copyFrom(TrainerState.floats(s.m()));
        v.copyFrom(TrainerState.floats(s.v()));
        if (ema != null) {
            ema.copyFrom(TrainerState.floats(s.ema()));
        }
        step = s.step();
    }

    @Override
    public void close() {
        if (normPartials != null) {
            normPartials.close();
        }
        if (ema != null) {
            ema.close();
        }
        losses.close();
        totals.close();
        grad.close();
        v.close();
        m.close();
        params.close();
        train.close();
    }
}
