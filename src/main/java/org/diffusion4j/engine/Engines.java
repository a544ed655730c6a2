package org.diffusion4j.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.diffusion4j.engine.cpu.CpuEngine;
import org.diffusion4j.engine.cuda.CudaEngine;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.diffusion4j.engine.cuda.KernelBundle;
import org.diffusion4j.engine.reference.ReferenceEngine;

/** Creates engines by name and says which are usable on this machine. */
public final class Engines {

    /** Engine names accepted by {@code --engine}. */
    public static final List<String> NAMES = List.of("auto", "cuda", "cpu", "reference");

    private Engines() {
    }

    /** One line per engine: name, whether usable here, and why (not). */
    public static List<String> describe() {
        List<String> lines = new ArrayList<>();
        CudaProbe.Result cuda = CudaProbe.probe();
        boolean cudaUsable = cudaUsable(cuda);
        if (cuda.simulated() && KernelBundle.isBundled("sample")) {
            lines.add("cuda       available on " + cuda.detail() + ", kernels " + KernelBundle.describe() + ": " + CudaProbe.SIMULATED_NOTE
                    + " (--engine cuda only)");
        } else {
            lines.add(cudaUsable ? "cuda       available: " + cuda.detail() + ", kernels " + KernelBundle.describe() + " (the default here)"
                    : "cuda       unavailable: " + (cuda.available() ? "GPU found (" + cuda.detail() + ") but this build bundles no kernels"
                    : cuda.detail()));
        }
        lines.add("cpu        available: fused float32 loops, " + Runtime.getRuntime().availableProcessors() + " threads"
                + (cudaUsable ? "" : " (the default here)"));
        lines.add("reference  available: Commons Math, double precision, single thread (the oracle)");
        return lines;
    }

    /**
     * {@code auto}'s choice given what the probe found, whether the kernels are bundled and how to open the CUDA engine:
     * cuda when it opens; cpu silently when there is nothing to use (no driver, no GPU, or only the simulated GPU, which checks
     * the kernels but is slower than the cpu engine, so only {@code --engine cuda} uses it); else cpu with one warning line.
     */
    static Engine auto(CudaProbe.Result probe, boolean kernelsBundled, Supplier<Engine> cuda, Consumer<String> warnings) {
        if (probe.absent() || probe.simulated()) {
            return new CpuEngine();
        }
        String reason;
        if (!probe.available()) {
            reason = probe.detail();
        } else if (!kernelsBundled) {
            reason = "a GPU is present (" + probe.detail() + ") but this build bundles no CUDA kernels (it was built without nvcc)";
        } else {
            try {
                return cuda.get();
            } catch (RuntimeException | LinkageError e) {
                String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
                reason = "the cuda engine failed to start on " + probe.detail() + ": " + msg;
            }
        }
        warnings.accept("warning: engine auto: " + reason + "; running on the cpu engine instead");
        return new CpuEngine();
    }

    /** Whether a GPU (not the simulated one) is present and the build bundles the kernels. */
    private static boolean cudaUsable(CudaProbe.Result cuda) {
        return cuda.available() && !cuda.simulated() && KernelBundle.isBundled("sample");
    }

    /** The engine for a name, with the warnings of {@code auto} on stderr (see {@link #create(String, Consumer)}). */
    public static Engine create(String name) {
        return create(name, System.err::println);
    }

    /**
     * The engine for a name. {@code auto} picks cuda where a GPU is present and the build bundles the kernels; it falls
     * back to cpu silently where there is no CUDA driver or no GPU, and otherwise (a GPU that the driver cannot use, a
     * build without kernels, a CUDA engine that fails to start) with one warning line with the reason. The engine's
     * {@link Engine#notice() notice} (that the GPU is simulated) goes to {@code warnings} too.
     */
    public static Engine create(String name, Consumer<String> warnings) {
        switch (name) {
            case "auto":
                return auto(CudaProbe.probe(), KernelBundle.isBundled("sample"), CudaEngine::new, warnings);
            case "cpu":
                return new CpuEngine();
            case "reference":
                return new ReferenceEngine();
            case "cuda":
                Engine cuda = new CudaEngine();
                cuda.notice().ifPresent(n -> warnings.accept("warning: " + n));
                return cuda;
            default:
                throw new IllegalArgumentException("engine: unknown engine '" + name + "', allowed: " + String.join(", ", NAMES));
        }
    }
}
