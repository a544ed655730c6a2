package org.diffusion4j.sampler;

import java.util.Locale;

/**
 * The law a sampler draws its particles from ({@code [sampling] prior}):
 * <ul>
 *   <li>{@code standard}: N(0, I);</li>
 *   <li>{@code stationary}: the process's own noise-end law, its limit where it has one: OU's N(0, sigma^2 / (2 lambda) I),
 *       N(0, I) for DDPM and the Gaussian path, N(0, prior_std^2 I) for noise levels;</li>
 *   <li>{@code moment-matched}: the Gaussian with the mean and covariance of the forward marginal at the start time,
 *       {@code N(a m, a^2 C + s^2 I)} with m, C the training data's mean and covariance: of all Gaussians the closest to
 *       that marginal in KL(marginal || prior).</li>
 * </ul>
 */
public enum Prior {
    STANDARD, STATIONARY, MOMENT_MATCHED;

    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Prior byName(String name) {
        for (Prior p : values()) {
            if (p.configName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("sampling.prior: unknown prior '" + name + "', allowed: standard, stationary, moment-matched");
    }
}
