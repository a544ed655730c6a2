package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import jcuda.driver.CUfunction;
import org.diffusion4j.engine.MixtureSlots;
import org.diffusion4j.engine.Progress;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.GaussianPrior;

/**
 * Launches kernels/sample.cu: {@code d4j_time_terms} once per network (the time terms of every slot of the plan),
 * then {@code d4j_sample}, which runs every update of the {@link SamplingPlan} for all particles in one launch.
 *
 * <p>Tiles: a block owns {@link LaunchShape#tile()} particles through every update, its networks evaluated as tile
 * GEMMs from shared memory; the grid is as many blocks as fit on the GPU at once (persistent blocks taking tiles with
 * the grid's stride). The default shape is the largest tile whose shared memory (asked of the kernels,
 * {@code d4j_sample_shared}) fits in the device's opt-in limit.
 */
final class SampleKernel {
    static final String MODULE = "sample";
    /** Bytes of SampleArgs and TimeTermsArgs (the static_asserts of sample_run.cuh and sample.cu). */
    static final int SAMPLE_ARGS_BYTES = 2 * (32 + NetworkDescriptor.INTS * 4) + 10 * 8 + 14 * 4;
    static final int TIME_TERMS_ARGS_BYTES = 40 + NetworkDescriptor.INTS * 4;
    /** Threads of d4j_time_terms' blocks (one per slot). */
    private static final int TIME_BLOCK = 128;
    /** Most floats of positions and frames a launch keeps on the device (1 GiB). */
    static final long CHUNK_FLOATS = 1L << 28;

    private final CudaContext context;
    private final LaunchShape shape;

    /** A launcher with a fixed launch shape, or the default (null). */
    SampleKernel(CudaContext context, LaunchShape shape) {
        this.context = context;
        this.shape = shape;
    }

    /** One network of the field: descriptor, parameters, time terms of every slot and (score) the output's conversion. */
    private static final class NetBuffers implements AutoCloseable {
        final int[] descriptor;
        final float guidance;
        final List<DeviceBuffer> owned = new ArrayList<>();
        DeviceBuffer params;
        DeviceBuffer timeTerms;
        DeviceBuffer affine;

        NetBuffers(int[] descriptor, float guidance) {
            this.descriptor = descriptor;
            this.guidance = guidance;
        }

        DeviceBuffer own(DeviceBuffer b) {
            owned.add(b);
            return b;
        }

        @Override
        public void close() {
            for (DeviceBuffer b : owned) {
                b.close();
            }
        }
    }

    /** The Field struct of sample_run.cuh for a network, or an absent one. */
    private static void field(KernelStruct a, NetBuffers b) {
        if (b == null) {
            a.ptrOrNull(null).ptrOrNull(null).ptrOrNull(null).f32(1f).i32(0).ints(new int[NetworkDescriptor.INTS]);
        } else {
            a.ptr(b.params).ptr(b.timeTerms).ptrOrNull(b.affine).f32(b.guidance).i32(1).ints(b.descriptor);
        }
    }

    Samples run(SamplingSetup setup, Progress progress) {
        SamplingPlan plan = SamplingPlan.of(setup);
        ForwardProcess process = setup.process();
        ScoreSource source = setup.source();
        int n = setup.particles();
        ScoreSource.ExactMixture mixture = source instanceof ScoreSource.ExactMixture m ? m : null;
        SamplingPlan.Networks nets = plan.networks(setup);
        ScoreSource.Network s = nets.score();
        ScoreSource.Network u = nets.velocity();
        Condition condition = s != null ? s.condition() : u != null ? u.condition() : Condition.NONE;
        int slots = plan.times.size();
        double[] times = new double[slots];
        for (int k = 0; k < slots; k++) {
            times[k] = plan.times.get(k);
        }
        int[] frameOf = plan.frameOf(setup.recordEvery());
        int frames = SamplingPlan.frames(frameOf);
        List<DeviceBuffer> owned = new ArrayList<>();
        try (NetBuffers sb = s == null ? null : upload(s, process, times, true);
             NetBuffers ub = u == null ? null : upload(u, process, times, false)) {
            DeviceBuffer means = null;
            DeviceBuffer mixtureSlots = null;
            int components = 0;
            if (mixture != null) {
                means = own(owned, DeviceBuffer.of(MixtureSlots.means(mixture.mixture())));
                mixtureSlots = own(owned, DeviceBuffer.of(MixtureSlots.table(mixture.mixture(), process, plan)));
                components = mixture.mixture().components();
            }
            DeviceBuffer labels = null;
            DeviceBuffer values = null;
            Conditioning conditioning = s != null ? s.spec().conditioning() : u != null ? u.spec().conditioning() : null;
            if (conditioning != null) {
                condition.check(conditioning, n);
                if (condition.labels() != null) {
                    labels = own(owned, DeviceBuffer.of(condition.labels()));
                }
                if (condition.values() != null) {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) {
                        v[i] = (float) condition.values()[i];
                    }
                    values = own(owned, DeviceBuffer.of(v));
                }
            }
            DeviceBuffer table = own(owned, DeviceBuffer.of(plan.deviceTable()));
            int chunk = chunk(n, frames);
            DeviceBuffer xy = own(owned, DeviceBuffer.floats(2L * chunk));
            DeviceBuffer frameTable = frames == 0 ? null : own(owned, DeviceBuffer.of(frameOf));
            DeviceBuffer frameData = frames == 0 ? null : own(owned, DeviceBuffer.floats(2L * chunk * frames));
            CUfunction kernel = context.function(MODULE, "d4j_sample");
            final DeviceBuffer m = means;
            final DeviceBuffer ms = mixtureSlots;
            final DeviceBuffer lb = labels;
            final DeviceBuffer vb = values;
            final int comps = components;
            final GaussianPrior prior = setup.prior();
            // SampleArgs for a chunk [first, first + count) at a shape
            BiFunction<int[], LaunchShape, KernelStruct> args = (range, sh) -> {
                KernelStruct a = new KernelStruct("SampleArgs");
                field(a, sb);
                field(a, ub);
                a.ptrOrNull(m).ptrOrNull(ms).ptrOrNull(lb).ptrOrNull(vb).ptr(table).ptrOrNull(frameTable).ptrOrNull(frameData).ptr(xy)
                        .i64(setup.seed()).i64(range[0]).i32(comps).i32(plan.updates).i32(range[1])
                        .i32(plan.useScore ? 1 : 0).i32(plan.useVelocity ? 1 : 0).i32(sh.tile()).i32(sh.threads()).i32(plan.keeps ? 1 : 0)
                        .f32((float) prior.mx()).f32((float) prior.my()).f32((float) prior.l11()).f32((float) prior.l21()).f32((float) prior.l22())
                        .i32(0);
                return a.expectSize(SAMPLE_ARGS_BYTES);
            };
            LaunchShape sh = shape;
            int shared = -1;
            for (LaunchShape candidate : shape != null ? shape.candidates() : LaunchShape.DEFAULTS) {
                shared = sharedBytes(args.apply(new int[] {0, 0}, candidate));
                sh = candidate;
                if (shared >= 0 && shared <= context.sharedMemoryPerBlockOptin()) {
                    break;
                }
            }
            if (shared < 0) {
                throw new IllegalArgumentException(LaunchShape.refusal(sh, "particles"));
            }
            if (shared > context.sharedMemoryPerBlockOptin()) {
                throw new IllegalArgumentException("engine: cuda: the network needs " + shared + " bytes of shared memory for a tile of "
                        + sh.tile() + " particles, this GPU has " + context.sharedMemoryPerBlockOptin() + " per block");
            }
            int fitting = context.blocksPerMultiprocessor(kernel, sh.threads(), shared) * context.multiprocessors();
            double[] result = new double[2 * n];
            List<double[]> kept = new ArrayList<>(frames);
            for (int k = 0; k < frames; k++) {
                kept.add(new double[2 * n]);
            }
            float[] f = new float[2 * chunk];
            long total = (long) n * plan.updates;
            for (int first = 0; first < n; first += chunk) {
                int count = Math.min(chunk, n - first);
                long tiles = (count + sh.tile() - 1L) / sh.tile();
                new KernelLaunch().struct(args.apply(new int[] {first, count}, sh)).launch(kernel, sh.blocks(tiles, fitting), sh.threads(), shared);
                xy.copyTo(f, 0, 2 * count);
                for (int i = 0; i < 2 * count; i++) {
                    result[2 * first + i] = f[i];
                }
                for (int k = 0; k < frames; k++) {
                    frameData.copyTo(f, 2L * count * k, 2 * count);
                    double[] frame = kept.get(k);
                    for (int i = 0; i < 2 * count; i++) {
                        frame[2 * first + i] = f[i];
                    }
                }
                progress.update((long) (first + count) * plan.updates, total);
            }
            return new Samples(result, List.copyOf(kept), plan.frameTimes(frameOf));
        } finally {
            for (DeviceBuffer b : owned) {
                b.close();
            }
        }
    }

    /** Bytes of dynamic shared memory d4j_sample needs for these arguments (-1: a shape the kernels do not run). */
    private int sharedBytes(KernelStruct args) {
        try (DeviceBuffer out = DeviceBuffer.ints(1)) {
            new KernelLaunch().struct(args).ptr(out).launch(context.function(MODULE, "d4j_sample_shared"), 1, 1, 0);
            int[] bytes = new int[1];
            out.copyTo(bytes);
            return bytes[0];
        }
    }

    /**
     * A network's buffers and the time terms of every slot (d4j_time_terms); a score network also gets the conversion
     * of its output f to the score, {A, B} per slot of {@code A f + B x} ({@link org.diffusion4j.objective.Parameterization#scoreAffine}).
     */
    private NetBuffers upload(ScoreSource.Network net, ForwardProcess process, double[] times, boolean score) {
        NetBuffers b = new NetBuffers(NetworkDescriptor.encode(net.spec()), (float) net.guidance());
        try {
            b.params = b.own(DeviceBuffer.of(net.parameters()));
            int slots = times.length;
            b.timeTerms = b.own(DeviceBuffer.floats((long) slots * NetworkDescriptor.timeWidth(b.descriptor)));
            float[] networkTimes = new float[slots];
            for (int k = 0; k < slots; k++) {
                networkTimes[k] = (float) times[k];
            }
            try (DeviceBuffer t = DeviceBuffer.of(networkTimes);
                 DeviceBuffer scratch = DeviceBuffer.floats((long) slots * NetworkDescriptor.tape(b.descriptor))) {
                KernelStruct a = new KernelStruct("TimeTermsArgs").ptr(b.params).ptr(t).ptr(scratch).ptr(b.timeTerms).i32(slots).i32(0)
                        .ints(b.descriptor).expectSize(TIME_TERMS_ARGS_BYTES);
                new KernelLaunch().struct(a).launch(context.function(MODULE, "d4j_time_terms"), (slots + TIME_BLOCK - 1) / TIME_BLOCK, TIME_BLOCK, 0);
            }
            if (score) {
                b.affine = b.own(DeviceBuffer.of(scoreAffine(net, process, times)));
            }
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** {A, B} of the score A f + B x of a score network's output f at every slot, as floats [slot][2]. */
    static float[] scoreAffine(ScoreSource.Network net, ForwardProcess process, double[] times) {
        float[] affine = new float[2 * times.length];
        for (int k = 0; k < times.length; k++) {
            double[] ab = net.parameterization().scoreAffine(process, times[k]);
            affine[2 * k] = (float) ab[0];
            affine[2 * k + 1] = (float) ab[1];
        }
        return affine;
    }

    /**
     * Particles per launch: all of them up to {@link #CHUNK_FLOATS} floats of positions and frames on the device, else
     * chunks of that size (a run of 10^8 particles then takes several launches, each a full run of its particles).
     */
    static int chunk(int n, int frames) {
        long perParticle = 2L * (1 + frames);
        return (int) Math.max(1, Math.min(n, CHUNK_FLOATS / perParticle));
    }

    private static DeviceBuffer own(List<DeviceBuffer> owned, DeviceBuffer b) {
        owned.add(b);
        return b;
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
