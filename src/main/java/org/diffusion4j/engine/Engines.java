package org.diffusion4j.engine;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.diffusion4j.engine.cpu.CpuEngine;
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
        lines.add("cuda       unavailable: " + (cuda.available() ? "GPU found (" + cuda.detail() + ") but the CUDA engine is not part of this build"
                : cuda.detail()));
        lines.add("cpu        available: fused float32 loops, " + Runtime.getRuntime().availableProcessors() + " threads"
                + (cuda.available() ? "" : " (the default here)"));
        lines.add("reference  available: Commons Math, double precision, single thread (the oracle)");
        return lines;
    }

    /** The engine for a name; {@code auto} picks the best usable one (cpu until the CUDA engine is part of the build). */
    public static Engine create(String name) {
        switch (name) {
            case "auto":
            case "cpu":
                return new CpuEngine();
            case "reference":
                return new ReferenceEngine();
            case "cuda": {
                CudaProbe.Result cuda = CudaProbe.probe();
                throw new IllegalArgumentException("engine: cuda is unavailable: " + (cuda.available()
                        ? "the CUDA engine is not part of this build" : cuda.detail()));
            }
            default:
                throw new IllegalArgumentException("engine: unknown engine '" + name + "', allowed: " + String.join(", ", NAMES));
        }
    }
}
