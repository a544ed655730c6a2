package org.diffusion4j.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Pointwise activations with their derivatives (the formulas every engine and kernel implements). */
public enum Activation {
    /** max(0, x); derivative 1 for x > 0, else 0. */
    RELU,
    /** x sigmoid(x); derivative sigmoid(x) (1 + x (1 - sigmoid(x))). */
    SILU,
    /** ln(1 + e^x) (PyTorch: x itself above 20); derivative sigmoid(x). */
    SOFTPLUS;

    /** PyTorch's Softplus threshold: above it, softplus(x) = x. */
    public static final double SOFTPLUS_THRESHOLD = 20.0;

    public double apply(double x) {
        switch (this) {
            case RELU:
                return x > 0 ? x : 0.0;
            case SILU:
                return x * sigmoid(x);
            default:
                return x > SOFTPLUS_THRESHOLD ? x : Math.log1p(Math.exp(x));
        }
    }

    public double derivative(double x) {
        switch (this) {
            case RELU:
                return x > 0 ? 1.0 : 0.0;
            case SILU: {
                double s = sigmoid(x);
                return s * (1 + x * (1 - s));
            }
            default:
                return x > SOFTPLUS_THRESHOLD ? 1.0 : sigmoid(x);
        }
    }

    public static double sigmoid(double x) {
        return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
    }

    /** The config name: relu, silu, softplus. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Activation byName(String name) {
        for (Activation a : values()) {
            if (a.configName().equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("network.activation: unknown activation '" + name + "', allowed: "
                + Arrays.stream(values()).map(Activation::configName).collect(Collectors.joining(", ")));
    }
}
