package org.diffusion4j.engine;

import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.Precision;
import org.diffusion4j.objective.Parameterization;

/** Where a sampler's score (and velocity) comes from: trained networks or a closed form. */
public sealed interface ScoreSource {

    /** The network that gives the score (eps or score prediction), or null when there is none. */
    Network scoreNetwork();

    /** The network that gives the velocity, or null when there is none. */
    Network velocityNetwork();

    /** The same source with its networks computed at precision p (the cuda engine's layer GEMMs). */
    ScoreSource withPrecision(Precision p);

    /**
     * A trained network whose output means {@code parameterization}, with per-particle conditioning. A guidance weight
     * w other than 1 makes it a classifier-free guided field: {@code f = f(x, null) + w (f(x, c) - f(x, null))}
     * (eps_uncond + w (eps_cond - eps_uncond) for eps prediction; the same for scores and velocities, which are linear
     * in the output), with the null condition of {@link Condition#none}; w = 0 is the unconditional model.
     */
    record Network(NetworkSpec spec, float[] parameters, Parameterization parameterization, Condition condition, double guidance)
            implements ScoreSource {
        public Network {
            if (parameters.length != org.diffusion4j.model.ParameterLayout.of(spec).size()) {
                throw new IllegalArgumentException("parameters: " + parameters.length + " floats do not fit the network, which has "
                        + org.diffusion4j.model.ParameterLayout.of(spec).size());
            }
            if (!Double.isFinite(guidance)) {
                throw new IllegalArgumentException("guidance: must be a finite number, got " + guidance);
            }
            if (guidance != 1.0 && !spec.isConditional()) {
                throw new IllegalArgumentException("guidance: the model is unconditional; classifier-free guidance needs a conditional model");
            }
        }

        /** An unguided network (guidance 1). */
        public Network(NetworkSpec spec, float[] parameters, Parameterization parameterization, Condition condition) {
            this(spec, parameters, parameterization, condition, 1.0);
        }

        @Override
        public Network scoreNetwork() {
            return parameterization == Parameterization.VELOCITY ? null : this;
        }

        @Override
        public Network velocityNetwork() {
            return parameterization == Parameterization.VELOCITY ? this : null;
        }

        /** Whether the field is guided (two evaluations per point: with the condition and with the null condition). */
        public boolean guided() {
            return guidance != 1.0;
        }

        @Override
        public Network withPrecision(Precision p) {
            return new Network(spec.withPrecision(p), parameters, parameterization, condition, guidance);
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

        @Override
        public Network scoreNetwork() {
            return score;
        }

        @Override
        public Network velocityNetwork() {
            return flow;
        }

        @Override
        public FlowAndScore withPrecision(Precision p) {
            return new FlowAndScore(flow.withPrecision(p), score.withPrecision(p));
        }
    }

    /** The closed-form score and velocity of a Gaussian mixture pushed through the forward process. */
    record ExactMixture(GaussianMixture mixture) implements ScoreSource {
        @Override
        public Network scoreNetwork() {
            return null;
        }

        @Override
        public Network velocityNetwork() {
            return null;
        }

        @Override
        public ExactMixture withPrecision(Precision p) {
            return this;
        }
    }
}
