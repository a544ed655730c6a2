package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.List;
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

/**
 * Launches kernels/sample.cu: {@code d4j_time_terms} once per network (the time terms of every slot of the plan),
 * then {@code d4j_sample}, which runs every update of the {@link SamplingPlan} for all particles in one launch.
 *
 * <p>Threads: {@link #BLOCK} per block, {@link #BLOCKS_PER_SM} blocks per multiprocessor (each thread walks particles
 * with the grid's stride), so the per-thread tape is {@code tape floats x threads}, independent of the particle
 * count. Network parameters go to shared memory when both networks fit in the device's opt-in limit.
 */
final class SampleKernel {
    static final String MODULE = "sample";
    static final int BLOCK = 128;
    static final int BLOCKS_PER_SM = 4;
    /** Static shared memory of d4j_sample (two Net structs) plus headroom, left out of the parameter budget. */
    private static final int STATIC_SHARED = 1024;
    /** Most floats of positions and frames a launch keeps on the device (1 GiB). */
    static final long CHUNK_FLOATS = 1L << 28;

    private final CudaContext context;

    SampleKernel(CudaContext context) {
        this.context = context;
    }

    /** One network of the field: descriptor, parameters, time terms of every slot and (score) the output scale. */
    private static final class NetBuffers implements AutoCloseable {
        final int[] descriptor;
        final List<DeviceBuffer> owned = new ArrayList<>();
        DeviceBuffer desc;
        DeviceBuffer params;
        DeviceBuffer timeTerms;
        DeviceBuffer scale;

        NetBuffers(int[] descriptor) {
            this.descriptor = descriptor;
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
        int threads = (int) Math.min((long) context.multiprocessors() * BLOCKS_PER_SM * BLOCK, roundUp(n, BLOCK));
        int blocks = (threads + BLOCK - 1) / BLOCK;
        threads = blocks * BLOCK;
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
            int tape = (sb == null ? 0 : NetworkDescriptor.tape(sb.descriptor)) + (ub == null ? 0 : NetworkDescriptor.tape(ub.descriptor));
            DeviceBuffer tapeBuffer = own(owned, DeviceBuffer.floats(Math.max(1L, (long) tape * threads)));
            int chunk = chunk(n, frames);
            DeviceBuffer xy = own(owned, DeviceBuffer.floats(2L * chunk));
            DeviceBuffer frameTable = frames == 0 ? null : own(owned, DeviceBuffer.of(frameOf));
            DeviceBuffer frameData = frames == 0 ? null : own(owned, DeviceBuffer.floats(2L * chunk * frames));
            long paramFloats = (sb == null ? 0 : sb.params.size()) + (ub == null ? 0 : ub.params.size());
            boolean inShared = mixture == null && paramFloats * 4 + STATIC_SHARED <= context.sharedMemoryPerBlockOptin();
            CUfunction kernel = context.function(MODULE, "d4j_sample");
            double[] result = new double[2 * n];
            List<double[]> kept = new ArrayList<>(frames);
            for (int k = 0; k < frames; k++) {
                kept.add(new double[2 * n]);
            }
            float[] f = new float[2 * chunk];
            long total = (long) n * plan.updates;
            for (int first = 0; first < n; first += chunk) {
                int count = Math.min(chunk, n - first);
                new KernelLaunch()
                        .ptrOrNull(sb == null ? null : sb.desc).ptrOrNull(sb == null ? null : sb.params)
                        .ptrOrNull(sb == null ? null : sb.timeTerms).ptrOrNull(sb == null ? null : sb.scale)
                        .ptrOrNull(ub == null ? null : ub.desc).ptrOrNull(ub == null ? null : ub.params).ptrOrNull(ub == null ? null : ub.timeTerms)
                        .ptrOrNull(means).i32(components).ptrOrNull(mixtureSlots)
                        .ptrOrNull(labels).ptrOrNull(values)
                        .ptr(table).i32(plan.updates).f32((float) setup.prior().l11()).i64(setup.seed()).i64(first).i32(count)
                        .i32(plan.useScore ? 1 : 0).i32(plan.useVelocity ? 1 : 0).i32(inShared ? 1 : 0)
                        .f32(s == null ? 1f : (float) s.guidance()).f32(u == null ? 1f : (float) u.guidance())
                        .ptr(tapeBuffer).ptr(xy).ptrOrNull(frameTable).ptrOrNull(frameData)
                        .launch(kernel, (int) Math.min(blocks, (count + BLOCK - 1L) / BLOCK), BLOCK, inShared ? (int) (paramFloats * 4) : 0);
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

    /** A network's buffers and the time terms of every slot (d4j_time_terms); score networks also get their scale. */
    private NetBuffers upload(ScoreSource.Network net, ForwardProcess process, double[] times, boolean score) {
        NetBuffers b = new NetBuffers(NetworkDescriptor.encode(net.spec()));
        try {
            b.desc = b.own(DeviceBuffer.of(b.descriptor));
            b.params = b.own(DeviceBuffer.of(net.parameters()));
            int slots = times.length;
            b.timeTerms = b.own(DeviceBuffer.floats((long) slots * NetworkDescriptor.timeWidth(b.descriptor)));
            float[] networkTimes = new float[slots];
            for (int k = 0; k < slots; k++) {
                networkTimes[k] = (float) times[k];
            }
            try (DeviceBuffer t = DeviceBuffer.of(networkTimes);
                 DeviceBuffer scratch = DeviceBuffer.floats((long) slots * NetworkDescriptor.tape(b.descriptor))) {
                new KernelLaunch().ptr(b.desc).ptr(b.params).ptr(t).i32(slots).ptr(scratch).ptr(b.timeTerms)
                        .launch(context.function(MODULE, "d4j_time_terms"), (slots + BLOCK - 1) / BLOCK, BLOCK, 0);
                context.synchronize();
            }
            if (score) {
                float[] scale = new float[slots];
                for (int k = 0; k < slots; k++) {
                    scale[k] = (float) net.parameterization().scoreScale(process, times[k]);
                }
                b.scale = b.own(DeviceBuffer.of(scale));
            }
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
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

    private static long roundUp(long n, int m) {
        return (n + m - 1) / m * m;
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
