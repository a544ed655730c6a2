package org.diffusion4j.engine;

import java.util.ArrayList;
import java.util.List;
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
     * Whether a GPU is present and the build bundles the kernels (what {@code auto} needs to pick cuda). The
     * simulated GPU is not one: it checks the kernels, slower than the cpu engine, so only {@code --engine cuda} uses it.
     */
    private static boolean cudaUsable(CudaProbe.Result cuda) {
        return cuda.available() && !cuda.simulated() && KernelBundle.isBundled("sample");
    }

    /**
     * The engine for a name; {@code auto} picks cuda where a GPU is present and the build bundles the kernels, and
     * falls back to cpu when the CUDA engine cannot start (the reason is the message of {@code --engine cuda}).
     */
    public static Engine create(String name) {
        switch (name) {
            case "auto": {
                if (cudaUsable(CudaProbe.probe())) {
                    try {
                        return new CudaEngine();
                    } catch (RuntimeException e) {
                        return new CpuEngine();
                    }
                }
                return new CpuEngine();
            }
            case "cpu":
                return new CpuEngine();
            case "reference":
                return new ReferenceEngine();
            case "cuda":
                return new CudaEngine();
            default:
                throw new IllegalArgumentException("engine: unknown engine '" + name + "', allowed: " + String.join(", ", NAMES));
        }
    }
}
