package org.diffusion4j.sampler;

import java.util.Locale;

/**
 * Which of DDPM's T step indices a sampler with n <= T updates visits, noise end first (the names and meanings of
 * diffusers' {@code timestep_spacing} and of the DDIM paper's skip types):
 * <pre>
 *   uniform     t_i = i floor(T / n),                          i = n-1 .. 0   (diffusers "leading", DDIM "uniform")
 *   trailing    t_i = round(T - i T / n) - 1 (half to even),   i = 0 .. n-1   (diffusers "trailing": starts at T-1)
 *   quadratic   t_i = floor((i sqrt(0.8 T) / (n - 1))^2),      i = n-1 .. 0   (DDIM "quad"; i = 0 for n = 1)
 * </pre>
 * At n = T uniform and trailing are every index T-1 .. 0. Quadratic spacing repeats indices when n is large; such a
 * grid is refused.
 */
public enum Spacing {
    UNIFORM, TRAILING, QUADRATIC;

    /** The config name. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Spacing byName(String name) {
        for (Spacing s : values()) {
            if (s.configName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("sampling.spacing: unknown spacing '" + name + "', allowed: uniform, trailing, quadratic");
    }

    /** The n step indices, strictly decreasing, for a DDPM of T steps. */
    public int[] steps(int T, int n) {
        if (n < 1 || n > T) {
            throw new IllegalArgumentException("steps: a ddpm model of T = " + T + " steps samples in 1 to " + T + " steps, got " + n);
        }
        int[] t = raw(T, n);
        for (int i = 1; i < n; i++) {
            if (t[i] >= t[i - 1]) {
                int most = n - 1;
                while (most > 1 && !distinct(raw(T, most))) {
                    most--;
                }
                throw new IllegalArgumentException("sampling.spacing: " + configName() + " spacing repeats a step index at " + n
                        + " steps of T = " + T + "; take at most " + most + " steps or spacing trailing");
            }
        }
        return t;
    }

    private static boolean distinct(int[] t) {
        for (int i = 1; i < t.length; i++) {
            if (t[i] >= t[i - 1]) {
                return false;
            }
        }
        return true;
    }

    private int[] raw(int T, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            int j = n - 1 - i;
            t[i] = switch (this) {
                case UNIFORM -> j * (T / n);
                case TRAILING -> (int) Math.rint(T - i * ((double) T / n)) - 1;
                case QUADRATIC -> {
                    double u = n == 1 ? 0.0 : j * Math.sqrt(0.8 * T) / (n - 1);
                    yield (int) Math.floor(u * u);
                }
            };
        }
        return t;
    }
}
