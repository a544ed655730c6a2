package org.diffusion4j.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;

/**
 * The memory a run needs, estimated from what the engines allocate before they allocate it, so that a run that
 * cannot fit is refused in one line instead of failing with an OutOfMemoryError after minutes. Every part names the
 * config field or option that sets its size. The counts follow the engines' buffers (P parameters of a network, B the
 * batch, n the particles, W the widest layer, L the sum of the hidden widths, T the threads):
 * <ul>
 *   <li>cpu training, per network: the initial and the trained parameters (2 x 4P bytes), the engine's weights and
 *       their transpose (8P), its copy of the parameters and Adam's two moments and per-segment parameters (16P), one
 *       gradient per batch chunk (4P each, at most {@value #CPU_GRAD_CHUNKS}, one per 16 samples), and per thread a
 *       tile of 32 samples' activations (4 x 32 x (2L + 6W)); reference training keeps the parameters, gradient, moments and per-pass
 *       weight matrices in double (48P) and whole-batch activations (8 x 8 x B x L); cuda keeps 16P and 4 x 4 x B x L on
 *       the device and 8P on the host.</li>
 *   <li>sampling: the engine's copy of the weights (8P on cpu, 8P on reference, 4P on the device), one context row per
 *       time of the plan (4 x W each), and per particle the final points and every recorded frame in double (16 bytes
 *       each), a copy to write them (16) and, for a conditional model, its condition (8); the reference engine's whole-set activations
 *       (8 x 4 x n x L).</li>
 * </ul>
 * The estimate leaves out the metrics and figures (at most 10^4 points) and the JVM's own overhead, so it is a lower
 * bound of the real peak: a run it refuses cannot fit, one it lets through may still be tight.
 */
public final class MemoryEstimate {
    /** At most this many gradient chunks on the cpu engine (CpuTrainer.MAX_CHUNKS). */
    static final int CPU_GRAD_CHUNKS = 2;
    /** The smallest gradient chunk of the cpu engine (CpuTrainer.MIN_CHUNK). */
    private static final int CPU_MIN_CHUNK = 16;
    /** Particles per tile of the cpu engine (CpuNetwork.TILE). */
    private static final int TILE = 32;

    /** One part of the estimate: the field that sets its size, what it holds, its bytes, and where it lives. */
    public record Part(String field, String what, long bytes, boolean device) {
    }

    private final String engine;
    private final int threads;
    private final List<Part> parts = new ArrayList<>();

    private MemoryEstimate(String engine, int threads) {
        this.engine = engine;
        this.threads = threads;
    }

    /** An empty estimate for an engine (reference, cpu or cuda) running on {@code threads} threads. */
    public static MemoryEstimate of(String engine, int threads) {
        return new MemoryEstimate(engine, threads);
    }

    /** Adds training one network of {@code spec} (named by {@code field}) at batch size {@code batch}. */
    public MemoryEstimate training(String field, NetworkSpec spec, String batchField, int batch) {
        return training(field, spec, batchField, batch, false);
    }

    /**
     * As {@link #training(String, NetworkSpec, String, int)}; {@code ema}: the run also keeps an exponential moving
     * average of the weights (the engine's copy and the copy handed back, 2 x 4P, in double on the reference engine).
     */
    public MemoryEstimate training(String field, NetworkSpec spec, String batchField, int batch, boolean ema) {
        long p = ParameterLayout.count(spec);
        if (ema) {
            add(field, "the EMA of the weights", (engine.equals("reference") ? 12L : 8L) * p, false);
        }
        long l = hiddenSum(spec);
        long w = widest(spec);
        switch (engine) {
            case "reference":
                add(field, "parameters, gradient and Adam state in double", Math.multiplyExact(48 + 8L, p), false);
                add(batchField, "whole-batch activations in double", 64L * batch * l, false);
                break;
            case "cuda":
                add(field, "host copies of the parameters", 8L * p, false);
                add(field, "parameters, gradient and Adam state on the device", 16L * p, true);
                add(batchField, "batch activations on the device", 16L * batch * l, true);
                break;
            default:
                long chunks = Math.min(CPU_GRAD_CHUNKS, Math.max(1, (batch + CPU_MIN_CHUNK - 1) / CPU_MIN_CHUNK));
                add(field, "parameters, weights, Adam state and " + chunks + " chunk gradients", Math.multiplyExact(8 + 8 + 16 + 4 * chunks, p), false);
                add(field, "per-thread activations of a tile", 4L * TILE * (2 * l + 6 * w) * threads, false);
                break;
        }
        return this;
    }

    /**
     * Adds sampling {@code particles} particles (named by {@code particlesField}) through the networks, keeping
     * {@code frames} frames, over a plan of {@code times} distinct times.
     */
    public MemoryEstimate sampling(List<NetworkSpec> specs, String particlesField, int particles, int frames, int times) {
        for (NetworkSpec spec : specs) {
            long p = ParameterLayout.count(spec);
            add("network", "the sampler's copy of the weights", (engine.equals("cuda") ? 4L : 8L) * p, engine.equals("cuda"));
            add("network", "time contexts", 4L * widest(spec) * times, engine.equals("cuda"));
            if (engine.equals("reference")) {
                add(particlesField, "whole-set activations in double", 32L * particles * hiddenSum(spec), false);
            }
        }
        boolean conditional = specs.stream().anyMatch(NetworkSpec::isConditional);
        add(particlesField, "points, " + frames + " recorded frames" + (conditional ? " and conditions" : ""),
                (16L * (frames + 2) + (conditional ? 8 : 0)) * particles, false);
        if (engine.equals("cuda")) {
            add(particlesField, "particle states and frames on the device", (8L * (frames + 1)) * particles, true);
        }
        return this;
    }

    private void add(String field, String what, long bytes, boolean device) {
        parts.add(new Part(field, what, bytes, device));
    }

    /** Bytes the JVM heap must hold. */
    public long heapBytes() {
        return parts.stream().filter(p -> !p.device()).mapToLong(Part::bytes).sum();
    }

    /** Bytes the device must hold (0 off the GPU). */
    public long deviceBytes() {
        return parts.stream().filter(Part::device).mapToLong(Part::bytes).sum();
    }

    /**
     * Refuses, in one line naming the field of the largest part, a run whose heap part exceeds {@code heapLimit}
     * (the JVM's -Xmx) or whose device part exceeds {@code deviceFree} (negative: no device).
     */
    public void require(long heapLimit, long deviceFree) {
        if (heapBytes() > heapLimit) {
            throw refusal(false, heapLimit, "the JVM heap limit (raise it with java -Xmx)");
        }
        if (deviceFree >= 0 && deviceBytes() > deviceFree) {
            throw refusal(true, deviceFree, "the free GPU memory");
        }
    }

    private IllegalArgumentException refusal(boolean device, long limit, String what) {
        Part largest = parts.stream().filter(p -> p.device() == device).max(Comparator.comparingLong(Part::bytes)).orElseThrow();
        return new IllegalArgumentException(String.format(Locale.ROOT,
                "%s: the run needs about %s of %s memory on the %s engine (largest part: %s, %s), more than the %s of %s; use a smaller size",
                largest.field(), bytes(device ? deviceBytes() : heapBytes()), device ? "GPU" : "heap", engine, largest.what(), bytes(largest.bytes()),
                bytes(limit), what));
    }

    /** Bytes in a short human form (binary units). */
    public static String bytes(long b) {
        if (b < 1L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
    }

    /** The sum of the hidden widths (the activations a sample keeps for the backward pass). */
    private static long hiddenSum(NetworkSpec spec) {
        if (spec.body() instanceof Body.Plain plain) {
            return plain.hidden().stream().mapToLong(Integer::longValue).sum();
        }
        Body.Residual r = (Body.Residual) spec.body();
        return (long) r.width() * (5L * r.blocks() + 4);
    }

    /** The widest layer. */
    private static long widest(NetworkSpec spec) {
        if (spec.body() instanceof Body.Plain plain) {
            return Math.max(spec.inputWidth(), plain.hidden().stream().mapToLong(Integer::longValue).max().orElse(2));
        }
        return Math.max(spec.inputWidth(), ((Body.Residual) spec.body()).width());
    }
}
