package org.diffusion4j.engine.reference;

import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Condition;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.rng.NoiseStream;

/**
 * Reference training: per optimizer step, a minibatch drawn with the noise layout of {@link TrainingSetup}, the loss
 * and its gradient from {@link ReferenceLoss}, then Adam/AdamW in double. Parameters are kept in double.
 */
final class ReferenceTrainer implements Trainer {
    private final TrainingSetup setup;
    private final ReferenceLoss loss;
    private final ReferenceOptimizer optimizer;
    private final NoiseStream noise;
    private final double[] params;
    private int step;

    ReferenceTrainer(TrainingSetup setup, float[] initial) {
        this.setup = setup;
        this.loss = new ReferenceLoss(setup.objective(), setup.process());
        this.params = new double[initial.length];
        for (int i = 0; i < initial.length; i++) {
            params[i] = initial[i];
        }
        this.optimizer = new ReferenceOptimizer(setup.optimizer(), params.length);
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

    /** The current parameters in double. */
    double[] parametersF64() {
        return params.clone();
    }
}
