package org.diffusion4j.run;

import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.config.RunConfig;

/**
 * A trained model: its resolved config and the parameters of each network, in the config's order. The config's
 * sampling section says how {@link Sampling#sample} draws from it; {@link #withConfig} changes it (another sampler,
 * seed, particle count) with the same networks.
 */
public record Model(RunConfig config, List<float[]> parameters) {

    public Model {
        if (parameters.size() != config.networks().size()) {
            throw new IllegalArgumentException("parameters: " + parameters.size() + " networks given, the config has " + config.networks().size());
        }
        parameters = List.copyOf(parameters);
    }

    /** The model of a run folder written by {@code train} or {@link TrainRun}: its config.toml and checkpoints. */
    public static Model load(Path runFolder) {
        RunConfig c = RunFiles.readRunConfig("--run", runFolder);
        return new Model(c, RunFiles.loadParameters(c, runFolder));
    }

    /**
     * The model of a checkpoint, whose metadata carries the resolved config; a model of two networks finds the other
     * checkpoint beside it.
     */
    public static Model fromCheckpoint(Path checkpoint) {
        RunConfig c = RunFiles.checkpointConfig(checkpoint);
        return new Model(c, RunFiles.loadParameters(c, checkpoint.toAbsolutePath().getParent()));
    }

    /** The same networks under another config (which must describe the same networks). */
    public Model withConfig(RunConfig c) {
        return new Model(c, parameters);
    }
}
