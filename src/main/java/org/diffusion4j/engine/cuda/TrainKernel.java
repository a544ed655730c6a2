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
 * Launches {@code d4j_train} of kernels/train.cu: every tile of the batch (minibatch, forward, loss, backward and the
 * tile's subtree of the gradient and the loss totals, train_tile.cuh) into {@code partials} and {@code lossPartials},
 * which {@code d4j_train_update} ({@link CudaTrainer}) reduces and applies. Holds the data, the process table and the
 * per-tile partials of one training run on the device.
 *
 * <p>Shape: the largest tile of {@link LaunchShape#DEFAULTS} whose shared memory (asked of the kernels,
 * {@code d4j_train_shared}) fits, one block per tile up to what fits on the GPU at once.
 */
final class TrainKernel implements AutoCloseable {
    static final String MODULE = "train";
    /** Bytes of TrainArgs (the static_assert of train_tile.cuh). */
    static final int TRAIN_ARGS_BYTES = 6 * 8 + 3 * 8 + 56 + 24 + 4 * 4 + NetworkDescriptor.INTS * 4;

    private final CudaContext context;
    private final TrainingSetup setup;
    private final int[] descriptor;
    private final int params;
    private final LaunchShape shape;
    private final int shared;
    private final int tiles;
    private final int blocks;
    private final DeviceBuffer data;
    private final DeviceBuffer labels;
    private final DeviceBuffer values;
    private final DeviceBuffer table;
    private final DeviceBuffer partials;
    private final DeviceBuffer lossPartials;
    private final double[] processParams = new double[5];
    private final int processKind;
    private final int processSteps;
    private final int objectiveKind;
    private final double wMin;
    private final double wMax;

    TrainKernel(CudaContext context, TrainingSetup setup, LaunchShape fixed) {
        this.context = context;
        this.setup = setup;
        this.descriptor = NetworkDescriptor.encode(setup.network());
        this.params = descriptor[NetworkDescriptor.PARAMS];
        ForwardProcess p = setup.process();
        processKind = KernelCodes.process(p);
        double[] tableValues = new double[1];
        if (p instanceof OrnsteinUhlenbeck ou) {
            processSteps = ou.steps();
            processParams[0] = ou.lambda();
            processParams[1] = ou.sigma();
            processParams[2] = ou.tEnd();
            processParams[3] = ou.tMin();
        } else if (p instanceof Ddpm ddpm) {
            processSteps = ddpm.steps();
            tableValues = new double[ddpm.steps()];
            for (int t = 0; t < ddpm.steps(); t++) {
                tableValues[t] = ddpm.alphaBar(t);
            }
        } else if (p instanceof GaussianPath path) {
            processSteps = path.steps();
            processParams[4] = path.tMax();
        } else if (p instanceof NoiseLevels levels) {
            processSteps = levels.levels();
            tableValues = new double[levels.levels()];
            for (int l = 0; l < levels.levels(); l++) {
                tableValues[l] = levels.sigma(l);
            }
        } else {
            throw new IllegalArgumentException("process: " + p.getClass().getSimpleName() + " has no kernel code in the cuda engine");
        }
        Objective o = setup.objective();
        objectiveKind = KernelCodes.objective(o);
        wMin = o instanceof Objective.WeightedScoreMatching w ? w.minWeight() : 0;
        wMax = o instanceof Objective.WeightedScoreMatching w ? w.maxWeight() : 0;
        Points d = setup.data();
        Conditioning conditioning = setup.network().conditioning();
        DeviceBuffer[] made = new DeviceBuffer[6];
        try {
            made[0] = DeviceBuffer.of(d.xy());
            made[1] = conditioning instanceof Conditioning.OneHot || conditioning instanceof Conditioning.LabelEmbedding
                    ? DeviceBuffer.of(d.labels()) : null;
            made[2] = conditioning instanceof Conditioning.Continuous ? DeviceBuffer.of(toFloat(d.values())) : null;
            made[3] = DeviceBuffer.of(tableValues);
            data = made[0];
            labels = made[1];
            values = made[2];
            table = made[3];
            CUfunction kernel = context.function(MODULE, "d4j_train");
            LaunchShape chosen = null;
            int bytes = -1;
            for (LaunchShape candidate : fixed != null ? fixed.candidates() : LaunchShape.DEFAULTS) {
                chosen = candidate;
                bytes = sharedBytes(candidate);
                if (bytes >= 0 && bytes <= context.sharedMemoryPerBlockOptin()) {
                    break;
                }
            }
            if (bytes < 0) {
                throw new IllegalArgumentException(LaunchShape.refusal(chosen, "samples"));
            }
            if (bytes > context.sharedMemoryPerBlockOptin()) {
                throw new IllegalArgumentException("engine: cuda: training this network needs " + bytes + " bytes of shared memory for a tile of "
                        + chosen.tile() + " samples, this GPU has " + context.sharedMemoryPerBlockOptin() + " per block");
            }
            this.shape = chosen;
            this.shared = bytes;
            this.tiles = (setup.batchSize() + shape.tile() - 1) / shape.tile();
            this.blocks = shape.blocks(tiles, context.blocksPerMultiprocessor(kernel, shape.threads(), shared) * context.multiprocessors());
            made[4] = DeviceBuffer.floats((long) tiles * params);
            made[5] = DeviceBuffer.doubles(2L * tiles);
            partials = made[4];
            lossPartials = made[5];
        } catch (RuntimeException e) {
            for (DeviceBuffer b : made) {
                if (b != null) {
                    b.close();
                }
            }
            throw e;
        }
    }

    /** TrainArgs of train_tile.cuh for optimizer step k (0-based) at a shape. */
    private KernelStruct args(DeviceBuffer parameters, long step, LaunchShape sh) {
        KernelStruct a = new KernelStruct("TrainArgs");
        a.ptrOrNull(parameters).ptr(data).ptrOrNull(labels).ptrOrNull(values).ptrOrNull(partials).ptrOrNull(lossPartials)
                .i64(setup.seed()).i64(step).f64(setup.labelDropout());
        // Proc: kind, steps, lambda, sigma, t_end, t_min, t_max, table; Obj: kind, w_min, w_max
        a.i32(processKind).i32(processSteps);
        for (double v : processParams) {
            a.f64(v);
        }
        a.ptr(table);
        a.i32(objectiveKind).f64(wMin).f64(wMax);
        a.i32(setup.data().size()).i32(setup.batchSize()).i32(sh.tile()).i32(sh.threads()).ints(descriptor);
        return a.expectSize(TRAIN_ARGS_BYTES);
    }

    private int sharedBytes(LaunchShape sh) {
        try (DeviceBuffer out = DeviceBuffer.ints(1)) {
            new KernelLaunch().struct(args(null, 0, sh)).ptr(out).launch(context.function(MODULE, "d4j_train_shared"), 1, 1, 0);
            int[] bytes = new int[1];
            out.copyTo(bytes);
            return bytes[0];
        }
    }

    /** Launches d4j_train for optimizer step k (0-based) on the parameters. */
    void launch(DeviceBuffer parameters, long step) {
        new KernelLaunch().struct(args(parameters, step, shape)).launch(context.function(MODULE, "d4j_train"), blocks, shape.threads(), shared);
    }

    DeviceBuffer partials() {
        return partials;
    }

    DeviceBuffer lossPartials() {
        return lossPartials;
    }

    int tiles() {
        return tiles;
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
        for (DeviceBuffer b : new DeviceBuffer[] {data, labels, values, table, partials, lossPartials}) {
            if (b != null) {
                b.close();
            }
        }
    }
}
