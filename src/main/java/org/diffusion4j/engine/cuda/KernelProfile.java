package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUevent;
import jcuda.driver.JCudaDriver;

/**
 * Times kernels with CUDA events: while a profile is active on a context, every launch through {@link KernelLaunch}
 * is bracketed by two events on the default stream; {@link #collect} waits for them and sums the elapsed GPU time
 * and the launch count per kernel. The benchmark driver uses it for kernel times and launches per training step.
 */
public final class KernelProfile implements AutoCloseable {

    /** Launches and GPU milliseconds of one kernel. */
    public record Stat(long launches, double milliseconds) {
    }

    private record Pending(String kernel, CUevent start, CUevent stop) {
    }

    private final List<Pending> pending = new ArrayList<>();
    private final Map<String, Stat> totals = new LinkedHashMap<>();

    KernelProfile() {
    }

    /** Records the start event of a launch; returns the token for {@link #stop}. */
    Object start(String kernel) {
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(stop, 0);
        JCudaDriver.cuEventRecord(start, null);
        Pending p = new Pending(kernel, start, stop);
        pending.add(p);
        return p;
    }

    void stop(Object token) {
        JCudaDriver.cuEventRecord(((Pending) token).stop(), null);
    }

    /** Waits for every recorded launch and adds it to the totals. */
    public Map<String, Stat> collect() {
        for (Pending p : pending) {
            JCudaDriver.cuEventSynchronize(p.stop());
            float[] ms = new float[1];
            JCudaDriver.cuEventElapsedTime(ms, p.start(), p.stop());
            totals.merge(p.kernel(), new Stat(1, ms[0]), (a, b) -> new Stat(a.launches() + b.launches(), a.milliseconds() + b.milliseconds()));
            JCudaDriver.cuEventDestroy(p.start());
            JCudaDriver.cuEventDestroy(p.stop());
        }
        pending.clear();
        return new LinkedHashMap<>(totals);
    }

    /** Total launches and GPU milliseconds over every kernel. */
    public Stat total() {
        long n = 0;
        double ms = 0;
        for (Stat s : collect().values()) {
            n += s.launches();
            ms += s.milliseconds();
        }
        return new Stat(n, ms);
    }

    /** Forgets everything recorded so far. */
    public void reset() {
        collect();
        totals.clear();
    }

    @Override
    public void close() {
        collect();
    }
}
