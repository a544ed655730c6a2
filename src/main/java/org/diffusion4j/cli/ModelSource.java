package org.diffusion4j.cli;

import java.nio.file.Path;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.Presets;
import org.diffusion4j.config.RunConfig;
import picocli.CommandLine.Option;

/** {@code --preset NAME | --config FILE}: exactly one, as a picocli argument group. */
final class ModelSource {
    /** Data, training and sampling seed of a preset when no --seed is given. */
    static final long DEFAULT_SEED = 42;

    @Option(names = "--preset", paramLabel = "NAME", required = true, description = "a preset: ou-halfcircles, dsm-ring, ddpm-ring, ddpm-ring-onehot, "
            + "ddpm-ring-radius, flow-gmm11, ddpm-spiral, ddpm-shapes, ddpm-swissroll")
    String preset;

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "a TOML run config (for example a run folder's config.toml)")
    Path config;

    /** The preset's config (seed 42) or the file's. */
    RunConfig load() {
        if (preset != null) {
            return RunConfig.fromPreset(Presets.byName(preset), DEFAULT_SEED);
        }
        try {
            return ConfigToml.read(config);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("--config:") ? e : new IllegalArgumentException(config + ": " + e.getMessage(), e);
        }
    }
}
