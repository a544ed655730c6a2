package org.diffusion4j.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;

/**
 * A fixed team of threads that runs one parallel job at a time: the caller is member 0, the others wait between
 * jobs by spinning for {@link #SPIN_NANOS} and then parking. A training step of the presets runs several jobs of
 * 0.05 to 1 ms each; handing a job to a spinning member costs well under a microsecond, where a thread pool's
 * submit and get (a park and an unpark on each side) cost tens of microseconds per job, which on the smallest
 * presets' steps is more than a second core gives back.
 *
 * <p>Units of a job are claimed from one counter, or, for a pinned job, unit k runs on member k mod size (so that
 * what a unit writes stays in one core's caches from job to job); which member runs a unit never changes its result.
 * A job started
 * while another runs (a second thread on the same engine, or a job inside a job) runs on its caller alone.
 */
final class WorkerTeam implements AutoCloseable {
    /**
     * How long a member spins for the next job before it parks: longer than the serial gap between the jobs of a
     * training step (the loss sum, the optimizer's scalars: a few microseconds) with a wide margin, short enough
     * that an idle engine gives its cores back at once on a human scale.
     */
    static final long SPIN_NANOS = 200_000;

    /** The body of one unit of parallel work with a per-member scratch. */
    @FunctionalInterface
    interface Body<W> {
        void run(W scratch, int unit);
    }

    private static final class Job<W> {
        final int units;
        final IntFunction<W> scratch;
        final Body<W> body;
        /** Members, when units are pinned to members; 0 when claimed. */
        final int stride;
        final AtomicInteger next = new AtomicInteger();
        volatile Throwable failure;

        Job(int units, IntFunction<W> scratch, Body<W> body, int stride) {
            this.units = units;
            this.scratch = scratch;
            this.body = body;
            this.stride = stride;
        }

        /** Runs units until none is left; the first failure stops the claiming of new units. */
        void work(int member) {
            try {
                W w = null;
                if (stride > 0) {
                    for (int u = member; u < units && failure == null; u += stride) {
                        if (w == null) {
                            w = scratch.apply(member);
                        }
                        body.run(w, u);
                    }
                    return;
                }
                for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                    if (w == null) {
                        w = scratch.apply(member);
                    }
                    body.run(w, u);
                }
            } catch (Throwable t) {
                synchronized (this) {
                    if (failure == null) {
                        failure = t;
                    }
                }
                next.set(units);
            }
        }
    }

    private final int size;
    private final Thread[] members;
    /** Whether a member may spin: only with a processor for each member, or spinning would take the caller's. */
    private final boolean spin;
    private final ReentrantLock running = new ReentrantLock();
    /** Members still working on the current job. */
    private final AtomicInteger busy = new AtomicInteger();
    /** Incremented for each job (its volatile write publishes {@link #job}) and on close. */
    private volatile int epoch;
    private volatile Job<?> job;
    private volatile boolean closed;
    /** Members parked (or about to park) waiting for a job. */
    private final AtomicInteger[] parked;

    /** A team of {@code size} members: the caller and {@code size - 1} daemon threads named {@code prefix-k}. */
    WorkerTeam(int size, String prefix) {
        if (size <= 0) {
            throw new IllegalArgumentException("threads: must be > 0, got " + size);
        }
        this.size = size;
        this.spin = size <= Runtime.getRuntime().availableProcessors();
        this.members = new Thread[size];
        this.parked = new AtomicInteger[size];
        for (int k = 1; k < size; k++) {
            int member = k;
            parked[k] = new AtomicInteger();
            Thread t = new Thread(() -> serve(member), prefix + "-" + k);
            t.setDaemon(true);
            members[k] = t;
        }
        for (int k = 1; k < size; k++) {
            members[k].start();
        }
    }

    /** Members, the caller included. */
    int size() {
        return size;
    }

    /**
     * Runs {@code body} for units 0..units-1, member k (k < {@link #size}) with the scratch {@code scratch.apply(k)},
     * member 0 on the calling thread; returns when every unit has run, rethrowing the first failure.
     */
    <W> void run(int units, IntFunction<W> scratch, Body<W> body) {
        run(new Job<>(units, scratch, body, 0));
    }

    /** As {@link #run}, unit k on member k mod {@link #size}. */
    <W> void runPinned(int units, IntFunction<W> scratch, Body<W> body) {
        run(new Job<>(units, scratch, body, size));
    }

    private <W> void run(Job<W> j) {
        if (j.units <= 0) {
            return;
        }
        if (size == 1 || j.units == 1 || closed || running.isHeldByCurrentThread() || !running.tryLock()) {
            for (int member = 0; member < (j.stride > 0 ? j.stride : 1); member++) {
                j.work(member);
            }
            rethrow(j.failure);
            return;
        }
        try {
            busy.set(size - 1);
            job = j;
            epoch++;
            for (int k = 1; k < size; k++) {
                if (parked[k].get() != 0) {
                    LockSupport.unpark(members[k]);
                }
            }
            j.work(0);
            awaitMembers();
            job = null;
        } finally {
            running.unlock();
        }
        rethrow(j.failure);
    }

    /** Waits until every member has finished the current job: spinning first, since they end within a unit. */
    private void awaitMembers() {
        long start = System.nanoTime();
        while (busy.get() != 0) {
            if (spin && System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void serve(int member) {
        int seen = 0;
        while (true) {
            int e = awaitJob(member, seen);
            if (closed) {
                return;
            }
            seen = e;
            Job<?> j = job;
            if (j != null) {
                j.work(member);
            }
            busy.decrementAndGet();
        }
    }

    /** The epoch of the next job after {@code seen}, spinning then parking. */
    private int awaitJob(int member, int seen) {
        long start = System.nanoTime();
        int e;
        while ((e = epoch) == seen && !closed) {
            if (spin && System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            parked[member].set(1);
            // the caller bumps the epoch, then reads the flag: one of the two sees the other's write
            if (epoch == seen && !closed) {
                LockSupport.park(this);
            }
            parked[member].set(0);
        }
        return e;
    }

    private static void rethrow(Throwable t) {
        if (t == null) {
            return;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new IllegalStateException("cpu engine: " + t, t);
    }

    /** Ends the members once the current job, if any, is done. */
    @Override
    public void close() {
        running.lock();
        try {
            closed = true;
            epoch++;
        } finally {
            running.unlock();
        }
        for (int k = 1; k < size; k++) {
            LockSupport.unpark(members[k]);
        }
    }
}
