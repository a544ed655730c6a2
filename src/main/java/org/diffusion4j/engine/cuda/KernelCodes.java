package org.diffusion4j.engine.cuda;

import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.Precision;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;

/**
 * The kernels' codes of the specs: the enums of kernels/network.cuh (BodyKind, TimeKind, CondKind, ActivationId),
 * kernels/tile.cuh (Precision) and kernels/process.cuh (ProcessKind, ObjectiveKind). Every mapping names each case and throws on any other, so a new
 * spec type fails here in one line instead of running as some other kind.
 */
final class KernelCodes {
    private KernelCodes() {
    }

    static int body(Body b) {
        if (b instanceof Body.Plain) {
            return 0;
        }
        if (b instanceof Body.Residual) {
            return 1;
        }
        throw unknown("network.body", b);
    }

    static int time(TimeEmbedding t) {
        if (t instanceof TimeEmbedding.None) {
            return 0;
        }
        if (t instanceof TimeEmbedding.Raw) {
            return 1;
        }
        if (t instanceof TimeEmbedding.Sinusoidal) {
            return 2;
        }
        if (t instanceof TimeEmbedding.Table) {
            return 3;
        }
        throw unknown("network.time", t);
    }

    static int conditioning(Conditioning c) {
        if (c instanceof Conditioning.None) {
            return 0;
        }
        if (c instanceof Conditioning.OneHot) {
            return 1;
        }
        if (c instanceof Conditioning.Continuous) {
            return 2;
        }
        if (c instanceof Conditioning.LabelEmbedding) {
            return 3;
        }
        throw unknown("network.conditioning", c);
    }

    static int activation(Activation a) {
        return switch (a) {
            case RELU -> 0;
            case SILU -> 1;
            case SOFTPLUS -> 2;
        };
    }

    /** Precision of kernels/tile.cuh. */
    static int precision(Precision p) {
        return switch (p) {
            case FP32 -> 0;
            case TF32X3 -> 1;
            case TF32 -> 2;
        };
    }

    static int process(ForwardProcess p) {
        if (p instanceof OrnsteinUhlenbeck) {
            return 0;
        }
        if (p instanceof Ddpm) {
            return 1;
        }
        if (p instanceof GaussianPath) {
            return 2;
        }
        if (p instanceof NoiseLevels) {
            return 3;
        }
        throw unknown("process", p);
    }

    static int objective(Objective o) {
        if (o instanceof Objective.WeightedScoreMatching) {
            return 0;
        }
        if (o instanceof Objective.PredictionMatching p) {
            return switch (p.prediction()) {
                case EPSILON -> 1;
                case V -> 4;
                case X0 -> 5;
                case SCORE, VELOCITY -> throw unknown("objective", o);
            };
        }
        if (o instanceof Objective.ScoreMatching) {
            return 2;
        }
        if (o instanceof Objective.FlowMatching) {
            return 3;
        }
        throw unknown("objective", o);
    }

    private static IllegalArgumentException unknown(String field, Object spec) {
        return new IllegalArgumentException(field + ": " + (spec == null ? "null" : spec.getClass().getSimpleName())
                + " has no kernel code in the cuda engine");
    }
}
