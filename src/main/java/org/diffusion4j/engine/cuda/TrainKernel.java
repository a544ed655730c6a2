package org.diffusion4j.engine.cuda;

import jcuda.driver.CUfunction;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;

/**
 * Launches kernels/train.cu: per chunk of the batch {@code d4j_train_chunk} (noising, forward, loss and backward of
 * every sample into its own gradient column) and {@code d4j_reduce_gradient} (columns summed in a fixed order), then
 * {@code d4j_reduce_loss}. The chunk is the whole batch unless the per-sample gradients and tapes would pass
 * {@link #CHUNK_BYTES}; the result does not depend on the chunking order beyond float summation in chunk order.
 * Holds the data, the process table and the scratch of one training run on the device.
 */
final class TrainKernel implements AutoCloseable {
    static final String MODULE = "train";
    static final int BLOCK = 128;
    /** Most bytes of per-sample gradient columns and tapes at once. */
    static final long CHUNK_BYTES = 1L << 30;

    private final CudaContext context;
    private final TrainingSetup setup;
    private final int[] descriptor;
    private final int params;
    private final int chunk;
    private final DeviceBuffer desc;
    private final DeviceBuffer data;
    private final DeviceBuffer labels;
    private final DeviceBuffer values;
    private final DeviceBuffer table;
    private final DeviceBuffer tape;
    private final DeviceBuffer columns;
    private final DeviceBuffer weight;
    private final DeviceBuffer residual;
    private final DeviceBuffer totals;
    private final int processKind;
    private final int processSteps;
    private final double[] processParams = new double[5];
    private final int objectiveKind;
    private final double wMin;
    private final double wMax;
    /** The sum of raw weights of the last gradient pass (0 before the first). */
    private double weightTotal;

    TrainKernel(CudaContext context, TrainingSetup setup) {
        this.context = context;
        this.setup = setup;
        this.descriptor = NetworkDescriptor.encode(setup.network());
        this.params = descriptor[NetworkDescriptor.PARAMS];
        int batch = setup.batchSize();
        long perSample = 4L * (params + NetworkDescriptor.tape(descriptor));
        this.chunk = (int) Math.max(1, Math.min(batch, CHUNK_BYTES / perSample));
        ForwardProcess p = setup.process();
        double[] tableValues;
        if (p instanceof OrnsteinUhlenbeck ou) {
            processKind = 0;
            processSteps = ou.steps();
            processParams[0] = ou.lambda();
            processParams[1] = ou.sigma();
            processParams[2] = ou.tEnd();
            processParams[3] = ou.tMin();
            tableValues = new double[1];
        } else if (p instanceof Ddpm ddpm) {
            processKind = 1;
            processSteps = ddpm.steps();
            tableValues = new double[ddpm.steps()];
            for (int t = 0; t < ddpm.steps(); t++) {
                tableValues[t] = ddpm.alphaBar(t);
            }
        } else if (p instanceof GaussianPath path) {
            processKind = 2;
            processSteps = path.steps();
            processParams[4] = path.tMax();
            tableValues = new double[1];
        } else {
            NoiseLevels levels = (NoiseLevels) p;
            processKind = 3;
            processSteps = levels.levels();
            tableValues = new double[levels.levels()];
            for (int l = 0; l < levels.levels(); l++) {
                tableValues[l] = levels.sigma(l);
            }
        }
        Objective o = setup.objective();
        objectiveKind = o instanceof Objective.WeightedScoreMatching ? 0 : o instanceof Objective.PredictionMatching pm ? epsilonOnly(pm)
                : o instanceof Objective.ScoreMatching ? 2 : 3;
        wMin = o instanceof Objective.WeightedScoreMatching w ? w.minWeight() : 0;
        wMax = o instanceof Objective.WeightedScoreMatching w ? w.maxWeight() : 0;
        Points d = setup.data();
        Conditioning conditioning = setup.network().conditioning();
        DeviceBuffer[] made = new DeviceBuffer[10];
        try {
            made[0] = DeviceBuffer.of(descriptor);
            made[1] = DeviceBuffer.of(d.xy());
            made[2] = conditioning instanceof Conditioning.OneHot || conditioning instanceof Conditioning.LabelEmbedding
                    ? DeviceBuffer.of(d.labels()) : null;
            made[3] = conditioning instanceof Conditioning.Continuous ? DeviceBuffer.of(toFloat(d.values())) : null;
            made[4] = DeviceBuffer.of(tableValues);
            made[5] = DeviceBuffer.floats((long) NetworkDescriptor.tape(descriptor) * chunk);
            made[6] = DeviceBuffer.floats((long) params * chunk);
            made[7] = DeviceBuffer.doubles(batch);
            made[8] = DeviceBuffer.doubles(batch);
            made[9] = DeviceBuffer.doubles(2);
        } catch (RuntimeException e) {
            for (DeviceBuffer b : made) {
                if (b != null) {
                    b.close();
                }
            }
            throw e;
        }
        desc = made[0];
        data = made[1];
        labels = made[2];
        values = made[3];
        table = made[4];
        tape = made[5];
        columns = made[6];
        weight = made[7];
        residual = made[8];
        totals = made[9];
    }

    /** The gradient of optimizer step k into grad (unscaled: the Adam kernel divides by totals[0]); returns the loss. */
    double gradient(DeviceBuffer parameters, DeviceBuffer grad, int step) {
        int batch = setup.batchSize();
        CUfunction chunkKernel = context.function(MODULE, "d4j_train_chunk");
        CUfunction reduce = context.function(MODULE, "d4j_reduce_gradient");
        for (int first = 0; first < batch; first += chunk) {
            int count = Math.min(chunk, batch - first);
            columns.zero();
            new KernelLaunch().ptr(desc).ptr(parameters).ptr(data).ptrOrNull(labels).ptrOrNull(values).i32(setup.data().size())
                    .i32(processKind).i32(processSteps).f64(processParams[0]).f64(processParams[1]).f64(processParams[2])
                    .f64(processParams[3]).f64(processParams[4]).ptr(table)
                    .i32(objectiveKind).f64(wMin).f64(wMax).f64(setup.labelDropout()).i64(setup.seed()).i64(step)
                    .i32(first).i32(count).ptr(tape).ptr(columns).ptr(weight).ptr(residual)
                    .launch(chunkKernel, (count + BLOCK - 1) / BLOCK, BLOCK, 0);
            int warpsPerBlock = 256 / 32;
            int blocks = (int) Math.min(4096, ((long) params + warpsPerBlock - 1) / warpsPerBlock);
            new KernelLaunch().ptr(columns).i32(params).i32(count).i32(first == 0 ? 0 : 1).ptr(grad)
                    .launch(reduce, blocks, 256, 0);
        }
        new KernelLaunch().ptr(weight).ptr(residual).i32(batch).ptr(totals)
                .launch(context.function(MODULE, "d4j_reduce_loss"), 1, 256, 0);
        double[] t = new double[2];
        totals.copyTo(t);
        weightTotal = t[0];
        return t[1] / (2 * t[0]);
    }

    /**
     * The sum of raw weights of the last {@link #gradient} pass, as it left that pass (d4j_clip then rescales the
     * device copy so that the update reads the clipped gradient).
     */
    double weightTotal() {
        return weightTotal;
    }

    /** The device buffer of the loss totals {sum of raw weights, sum of weighted squared residuals}. */
    DeviceBuffer totals() {
        return totals;
    }

    int params() {
        return params;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Override
    public void close() {
        for (DeviceBuffer b : new DeviceBuffer[] {desc, data, labels, values, table, tape, columns, weight, residual, totals}) {
            if (b != null) {
                b.close();
            }
        }
    }

    /** The kernels' code of a prediction objective: they train eps prediction only so far. */
    private static int epsilonOnly(Objective.PredictionMatching p) {
        return switch (p.prediction()) {
            case EPSILON -> 1;
            case V, X0 -> throw new IllegalArgumentException("network.prediction: " + p.prediction().predictionName()
                    + " is not yet trained by the cuda engine; use --engine cpu");
            case SCORE, VELOCITY -> throw new IllegalStateException("prediction " + p.prediction());
        };
    }
}
