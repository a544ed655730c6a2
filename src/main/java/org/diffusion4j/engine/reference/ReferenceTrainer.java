package org.diffusion4j.engine.reference;

import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainerState;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Condition;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.rng.NoiseStream;

/**
 * Reference training: per optimizer step, a minibatch drawn with the noise layout of {@link TrainingSetup}, the loss
 * and its gradient from {@link ReferenceLoss}, then Adam/AdamW in double (with the regimen's learning rate and clipping)
 * and the EMA of the weights. Parameters are kept in double.
 */
final class ReferenceTrainer implements Trainer {
    private final TrainingSetup setup;
    private final ReferenceLoss loss;
    private final ReferenceOptimizer optimizer;
    private final NoiseStream noise;
    private final double[] params;
    private final double[] ema;
    private int step;

    ReferenceTrainer(TrainingSetup setup, float[] initial) {
        this.setup = setup;
        this.loss = new ReferenceLoss(setup.objective(), setup.process());
        this.params = new double[initial.length];
        for (int i = 0; i < initial.length; i++) {
            params[i] = initial[i];
        }
        this.optimizer = new ReferenceOptimizer(setup.optimizer(), setup.regimen(), params.length);
        this.ema = setup.regimen().hasEma() ? params.clone() : null;
        this.noise = new NoiseStream(setup.seed());
    }

    /** The minibatch of optimizer step k: data indices, times and eps from the shared noise stream. */
    static Batch batch(TrainingSetup setup, NoiseStream noise, int k) {
        Points data = setup.data();
        ForwardProcess process = setup.process();
        int b = setup.batchSize();
        int n = data.size();
        double[] x0 = new double[2 * b];
        double[] eps = new double[2 * b];
        double[] t = new double[b];
        int[] labels = data.hasLabels() ? new int[b] : null;
        double[] values = data.hasValues() ? new double[b] : null;
        int[] w = new int[4];
        double[] z = new double[4];
        for (int i = 0; i < b; i++) {
            noise.words(i, 2L * k, w);
            int j = NoiseStream.index(w[0], n);
            t[i] = process.trainingTime(NoiseStream.uniform(w[1]));
            noise.normals(i, 2L * k + 1, z);
            x0[2 * i] = data.x(j);
            x0[2 * i + 1] = data.y(j);
            eps[2 * i] = z[0];
            eps[2 * i + 1] = z[1];
            boolean drop = setup.dropsCondition(w);
            if (labels != null) {
                labels[i] = drop ? Condition.NULL_LABEL : data.label(j);
            }
            if (values != null) {
                values[i] = drop ? Double.NaN : data.value(j);
            }
        }
        Condition condition = !setup.network().isConditional() ? Condition.NONE
                : setup.network().conditioning() instanceof org.diffusion4j.model.Conditioning.Continuous
                ? new Condition(null, values) : new Condition(labels, null);
        return new Batch(x0, eps, t, condition);
    }

    /** One minibatch: data, noise, times and conditioning. */
    record Batch(double[] x0, double[] eps, double[] t, Condition condition) {
    }

    @Override
    public double step() {
        Batch batch = batch(setup, noise, step);
        ReferenceNetwork network = new ReferenceNetwork(setup.network(), params);
        ReferenceLoss.Result result = loss.evaluate(network, batch.x0(), batch.eps(), batch.t(), batch.condition());
        optimizer.update(params, result.gradient());
        step++;
        if (ema != null) {
            double d = setup.regimen().emaDecay(step);
            for (int i = 0; i < params.length; i++) {
                ema[i] = d * ema[i] + (1 - d) * params[i];
            }
        }
        return result.loss();
    }

    @Override
    public int stepsDone() {
        return step;
    }

    @Override
    public float[] parameters() {
        float[] out = new float[params.length];
        for (int i = 0; i < params.length; i++) {
            out[i] = (float) params[i];
        }
        return out;
    }

    @Override
    public float[] emaParameters() {
        return ema == null ? null : TrainerState.floats(ema);
    }

    @Override
    public TrainerState state() {
        return new TrainerState(step, params.clone(), optimizer.m().clone(), optimizer.v().clone(), ema == null ? null : ema.clone());
    }

    @Override
    public void restore(TrainerState s) {
        if (s.parameters().length != params.length) {
            throw new IllegalArgumentException("state: " + s.parameters().length + " parameters, the network has " + params.length);
        }
        if ((s.ema() == null) != (ema == null)) {
            throw new IllegalArgumentException("state: " + (ema == null ? "has an EMA the regimen does not keep" : "lacks the EMA the regimen keeps"));
        }
        System.arraycopy(s.parameters(), 0, params, 0, params.length);
        if (ema != null) {
            System.arraycopy(s.ema(), 0, ema, 0, ema.length);
        }
        optimizer.restore(s.step(), s.m(), s.v());
        step = s.step();
    }

    /** The current parameters in double. */
    double[] parametersF64() {
        return params.clone();
    }
}
