package org.diffusion4j.engine.cpu;

import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Progress;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.ParameterLayout;

/**
 * The CPU engine: float32, parallel over tiles of particles on a fixed team of threads ({@link WorkerTeam}). A tile of up to 32
 * particles runs every layer of the network (each a small GEMM on register-blocked SIMD micro-kernels,
 * {@link CpuGemm}) and every update of a sampler in one pass with its state in per-thread scratch arrays. Work is split into units that do not depend on the number of threads
 * (tiles, fixed chunks of a training batch) and partial results are combined in a fixed order, so every result is
 * bit-identical for any thread count.
 */
public final class CpuEngine implements Engine {
    private final int threads;
    private final WorkerTeam team;
    private final java.util.concurrent.atomic.AtomicBoolean toldPrecision = new java.util.concurrent.atomic.AtomicBoolean();

    /** An engine using all available processors. */
    public CpuEngine() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** An engine with {@code threads} worker threads. */
    public CpuEngine(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads: must be > 0, got " + threads);
        }
        this.threads = threads;
        this.team = new WorkerTeam(threads, "diffusion4j-cpu");
    }

    @Override
    public String name() {
        return "cpu";
    }

    /** The matrix kernel in use: "vector (N floats)" (Vector API) or "scalar". */
    public String kernel() {
        return CpuGemm.INSTANCE.describe();
    }

    /** Number of worker threads. */
    public int threads() {
        return threads;
    }

    @Override
    public Trainer trainer(TrainingSetup setup, float[] initialParameters) {
        if (setup == null) {
            throw new IllegalArgumentException("setup: required");
        }
        int expected = ParameterLayout.of(setup.network()).size();
        if (initialParameters == null || initialParameters.length != expected) {
            throw new IllegalArgumentException("parameters: " + (initialParameters == null ? "none" : initialParameters.length)
                    + " floats do not fit the network, which has " + expected);
        }
        tellPrecision(setup.network());
        return new CpuTrainer(this, setup, initialParameters);
    }

    /** One warning line on stderr, the first time a network asks for tensor-core precision: the cpu engine computes FP32. */
    private void tellPrecision(org.diffusion4j.model.NetworkSpec spec) {
        if (spec != null && spec.precision().tensorCores() && toldPrecision.compareAndSet(false, true)) {
            System.err.println("warning: engine cpu: network.precision " + spec.precision().configName()
                    + " is for the cuda engine's tensor cores; the cpu engine computes FP32");
        }
    }

    @Override
    public Samples sample(SamplingSetup setup, Progress progress) {
        if (setup == null) {
            throw new IllegalArgumentException("setup: required");
        }
        if (setup.source().scoreNetwork() != null) {
            tellPrecision(setup.source().scoreNetwork().spec());
        }
        if (setup.source().velocityNetwork() != null) {
            tellPrecision(setup.source().velocityNetwork().spec());
        }
        return CpuSampler.sample(this, setup, progress == null ? Progress.NONE : progress);
    }

    @Override
    public Samples simulateForward(ForwardSetup setup) {
        return CpuForward.simulate(this, setup);
    }

    /** Ends the worker threads. */
    @Override
    public void close() {
        team.close();
    }

    /**
     * Runs {@code body} for units 0..units-1 on the team, each worker with its own scratch from {@code scratch}.
     * Units are independent: which worker runs a unit never changes its result.
     */
    <W> void parallel(int units, Supplier<W> scratch, WorkerTeam.Body<W> body) {
        team.run(units, k -> scratch.get(), body);
    }

    /**
     * As {@link #parallel(int, Supplier, WorkerTeam.Body)} with the scratch of worker slot k from {@code scratch.apply(k)}, k <
     * {@link #threads}; slot 0 runs on the calling thread, the others on the team.
     */
    <W> void parallel(int units, IntFunction<W> scratch, WorkerTeam.Body<W> body) {
        team.run(units, scratch, body);
    }

    /**
     * As {@link #parallel(int, Supplier, WorkerTeam.Body)} with unit k always on worker k mod {@link #threads}: for
     * passes that run every step over the same data (a training step's chunks, its parameter ranges), which then
     * stays in one core's caches.
     */
    <W> void parallelPinned(int units, IntFunction<W> scratch, WorkerTeam.Body<W> body) {
        team.runPinned(units, scratch, body);
    }

    /**
     * Splits units 0..cost.length-1 into {@code parts} contiguous ranges of about equal total cost: part k is
     * {@code [bounds[k], bounds[k + 1])}, where unit u belongs to the part its cost's midpoint falls in.
     */
    static int[] balance(long[] cost, int parts) {
        long total = 0;
        for (long c : cost) {
            total += c;
        }
        int[] bounds = new int[parts + 1];
        long before = 0;
        int part = 0;
        for (int u = 0; u < cost.length; u++) {
            long mid = 2 * before + cost[u];
            while (part < parts && mid >= 2 * total * (part + 1) / parts) {
                bounds[++part] = u;
            }
            before += cost[u];
        }
        while (part < parts) {
            bounds[++part] = cost.length;
        }
        return bounds;
    }
}
