package org.diffusion4j.run;

import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.model.Checkpoint;

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

    /**
     * The model of a run folder written by {@code train} or {@link TrainRun}: its config.toml and checkpoints, with the
     * EMA weights where the run kept them.
     */
    public static Model load(Path runFolder) {
        return load(runFolder, RunFiles.Weights.AUTO);
    }

    /** As {@link #load(Path)}, with the weights asked for. */
    public static Model load(Path runFolder, RunFiles.Weights weights) {
        RunConfig c = RunFiles.readRunConfig("--run", runFolder);
        return new Model(c, RunFiles.loadParameters(c, runFolder, weights));
    }

    /**
     * The model of a checkpoint, whose metadata carries the resolved config: the weights of the named file, whatever it
     * is called; a model of two networks finds the other checkpoint beside it under the name the metadata gives.
     */
    public static Model fromCheckpoint(Path checkpoint) {
        return fromCheckpoint(checkpoint, RunFiles.Weights.AUTO);
    }

    /**
     * As {@link #fromCheckpoint(Path)}, with the weights asked for: the named file must hold them (AUTO: whichever it
     * holds), and a two-network model's partner is the one of the same weights.
     */
    public static Model fromCheckpoint(Path checkpoint, RunFiles.Weights weights) {
        Checkpoint ckpt = Checkpoint.read(checkpoint);
        RunConfig c = RunFiles.checkpointConfig(checkpoint, ckpt);
        return new Model(c, RunFiles.checkpointParameters(c, checkpoint, ckpt, weights));
    }

    /** The same networks under another config (which must describe the same networks). */
    public Model withConfig(RunConfig c) {
        return new Model(c, parameters);
    }
}
