package org.diffusion4j.engine.cuda;

import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainerState;
import org.diffusion4j.engine.TrainingSetup;

/**
 * Training on the CUDA engine: parameters, Adam moments and the gradient stay on the device; per optimizer step the
 * launches of {@link TrainKernel} (one chunk for batches up to about 10^4 samples of the preset networks: three
 * launches) and one of {@link AdamKernel} (two more with clipping and an EMA); the loss (two doubles) is the only copy back.
 */
final class CudaTrainer implements Trainer {
    private final TrainKernel train;
    private final AdamKernel adam;
    private final DeviceBuffer params;
    private final DeviceBuffer m;
    private final DeviceBuffer v;
    private final DeviceBuffer grad;
    /** The EMA of the parameters, null without one. */
    private final DeviceBuffer ema;
    private final int size;
    private int step;

    CudaTrainer(CudaContext context, TrainingSetup setup, float[] initial) {
        TrainKernel t = new TrainKernel(context, setup);
        DeviceBuffer[] made = new DeviceBuffer[5];
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
            made[4] = setup.regimen().hasEma() ? DeviceBuffer.of(initial) : null;
        } catch (RuntimeException e) {
            for (DeviceBuffer b : made) {
                if (b != null) {
                    b.close();
                }
            }
            t.close();
            throw e;
        }
        this.train = t;
        this.adam = new AdamKernel(context, setup.optimizer(), setup.regimen());
        this.params = made[0];
        this.m = made[1];
        this.v = made[2];
        this.grad = made[3];
        this.ema = made[4];
        this.size = initial.length;
    }

    @Override
    public double step() {
        double loss = train.gradient(params, grad, step);
        step++;
        adam.step(params, m, v, grad, train.totals(), size, step, ema);
        return loss;
    }

    /**
     * The loss gradient of the last step (the summed columns divided by the sum of the raw weights), before any
     * clipping (d4j_clip scales the device's weight total instead of the columns), for tests.
     */
    float[] lastGradient() {
        float[] g = new float[size];
        grad.copyTo(g);
        double total = train.weightTotal();
        for (int i = 0; i < size; i++) {
            g[i] = (float) (g[i] / total);
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
        if (ema != null) {
            ema.close();
        }
        grad.close();
        v.close();
        m.close();
        params.close();
        train.close();
    }
}
