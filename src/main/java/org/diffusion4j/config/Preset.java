package org.diffusion4j.config;

import java.util.List;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.Precision;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.SamplerSpec;

/**
 * A source document's model with its hyperparameters: data, forward process, the network(s) and their objective,
 * optimizer, batch size, training steps, and the sampler it is drawn with.
 *
 * @param document  the source document (000 .. 004)
 * @param dataset   a name of {@link org.diffusion4j.data.Datasets}
 * @param dataSize  number of training points
 * @param networks  the trained networks: one, or document 002's flow and score pair (roles "flow", "score")
 */
public record Preset(String name, String document, String dataset, int dataSize, ForwardProcess process, List<Net> networks,
                     OptimizerSpec optimizer, int batchSize, int trainingSteps, SamplerSpec sampler, int samplingSteps, int particles) {

    /** One trained network: its role, its spec and the objective it learns. */
    public record Net(String role, NetworkSpec spec, Objective objective) {
    }

    /** The same preset with every network computed at precision p (the cuda engine's layer GEMMs). */
    public Preset withPrecision(Precision p) {
        List<Net> nets = networks.stream().map(n -> new Net(n.role(), n.spec().withPrecision(p), n.objective())).toList();
        return new Preset(name, document, dataset, dataSize, process, nets, optimizer, batchSize, trainingSteps, sampler, samplingSteps, particles);
    }

    public Preset {
        networks = List.copyOf(networks);
        if (networks.isEmpty()) {
            throw new IllegalArgumentException("preset " + name + ": at least one network is required");
        }
        for (Net n : networks) {
            n.objective().check(process);
        }
        sampler.check(process);
    }
}
