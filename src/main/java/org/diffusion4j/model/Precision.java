package org.diffusion4j.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The arithmetic of a network's layer GEMMs (the matrix products of its linear layers, forward and backward) in the
 * cuda engine's tile kernels; activations, LayerNorm, the sampler's updates and the loss stay FP32 whatever it says.
 * The reference engine computes in double and the cpu engine in FP32 for every precision.
 */
public enum Precision {
    /** FP32 fused multiply-adds (the default). */
    FP32,
    /**
     * Tensor cores, 3xTF32: each operand split x = hi + lo (hi = x rounded to TF32, lo = the rest rounded to TF32), and
     * hi_w hi_a + hi_w lo_a + lo_w hi_a accumulated in FP32: FP32-class products (the dropped lo_w lo_a is ~2^-22 of one).
     */
    TF32X3,
    /** Tensor cores, TF32: operands rounded to 11 significant bits (relative error up to 2^-11 each), FP32 accumulation. */
    TF32;

    /** The config name: fp32, tf32x3, tf32. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the layer GEMMs run on tensor cores. */
    public boolean tensorCores() {
        return this != FP32;
    }

    /** The precision of a config name; unknown names are refused in one line naming {@code field}. */
    public static Precision byName(String name, String field) {
        for (Precision p : values()) {
            if (p.configName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(field + ": unknown precision '" + name + "', allowed: " + names());
    }

    /** The config names, comma separated. */
    public static String names() {
        return Arrays.stream(values()).map(Precision::configName).collect(Collectors.joining(", "));
    }
}
