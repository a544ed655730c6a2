package org.diffusion4j.engine;

import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.objective.Parameterization;

/** Where a sampler's score (and velocity) comes from: trained networks or a closed form. */
public sealed interface ScoreSource {

    /** A trained network whose output means {@code parameterization}, with per-particle conditioning. */
    record Network(NetworkSpec spec, float[] parameters, Parameterization parameterization, Condition condition) implements ScoreSource {
        public Network {
            if (parameters.length != org.diffusion4j.model.ParameterLayout.of(spec).size()) {
                throw new IllegalArgumentException("parameters: " + parameters.length + " floats do not fit the network, which has "
                        + org.diffusion4j.model.ParameterLayout.of(spec).size());
            }
        }
    }

    /** Document 002's pair: a flow-matching network for u_t and a score-matching network for the score. */
    record FlowAndScore(Network flow, Network score) implements ScoreSource {
        public FlowAndScore {
            if (flow.parameterization() != Parameterization.VELOCITY) {
                throw new IllegalArgumentException("flow network: must predict the velocity, it predicts " + flow.parameterization());
            }
            if (score.parameterization() == Parameterization.VELOCITY) {
                throw new IllegalArgumentException("score network: must predict the score or eps, it predicts the velocity");
            }
        }
    }

    /** The closed-form score and velocity of a Gaussian mixture pushed through the forward process. */
    record ExactMixture(GaussianMixture mixture) implements ScoreSource {
    }
}
