package org.diffusion4j.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The CPU engine: float32, parallel over tiles of particles on a fixed-size thread pool. A tile of up to 32
 * particles runs every layer of the network (each a small GEMM on register-blocked SIMD micro-kernels,
 * {@link CpuGemm}) and every update of a sampler in one pass with its state in per-thread scratch arrays. Work is split into units that do not depend on the number of threads
 * (tiles, fixed chunks of a training batch) and partial results are combined in a fixed order, so every result is
 * bit-identical for any thread count.
 */
public final class CpuEngine implements Engine {
    private final int threads;
    private final ExecutorService pool;
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
        AtomicInteger count = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, "diffusion4j-cpu-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.pool = Executors.newFixedThreadPool(threads, factory);
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

    /** Shuts the thread pool down. */
    @Override
    public void close() {
        pool.shutdown();
    }

    /** The body of one unit of parallel work with a per-worker scratch. */
    @FunctionalInterface
    interface Body<W> {
        void run(W scratch, int unit);
    }

    /**
     * Runs {@code body} for units 0..units-1 on the pool, each worker with its own scratch from {@code scratch}.
     * Units are independent: which worker runs a unit never changes its result.
     */
    <W> void parallel(int units, Supplier<W> scratch, Body<W> body) {
        parallel(units, k -> scratch.get(), body);
    }

    /**
     * As {@link #parallel(int, Supplier, Body)} with the scratch of worker slot k from {@code scratch.apply(k)}, k <
     * {@link #threads}; slot 0 runs on the calling thread, the others on the pool.
     */
    <W> void parallel(int units, IntFunction<W> scratch, Body<W> body) {
        if (units <= 0) {
            return;
        }
        int workers = Math.min(threads, units);
        if (workers == 1) {
            W w = scratch.apply(0);
            for (int u = 0; u < units; u++) {
                body.run(w, u);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>(workers - 1);
        for (int k = 1; k < workers; k++) {
            int slot = k;
            futures.add(pool.submit(() -> work(scratch.apply(slot), next, units, body)));
        }
        RuntimeException failure = null;
        try {
            work(scratch.apply(0), next, units, body);
        } catch (RuntimeException e) {
            failure = e;
            next.set(units);
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("cpu engine: interrupted", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (failure != null) {
                    continue;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("cpu engine: " + cause, cause);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static <W> void work(W w, AtomicInteger next, int units, Body<W> body) {
        for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
            body.run(w, u);
        }
    }
}
