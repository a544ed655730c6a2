package org.diffusion4j.engine.reference;

import java.util.Arrays;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.model.Condition;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.ScoreField;

/**
 * The field of trained networks, in double precision. A network's output f(x, t) becomes the score by its
 * parameterization, affinely: {@code score = A f + B x} ({@link org.diffusion4j.objective.Parameterization#scoreAffine});
 * a velocity network gives u_t(x) = f. Document 002's pair takes the velocity from the flow network and the score
 * from the score network. A guided source evaluates each network twice, with its condition and with the null one.
 */
final class NetworkField implements ScoreField {
    private final ForwardProcess process;
    private final ReferenceNetwork scoreNet;
    private final ScoreSource.Network scoreSource;
    private final ReferenceNetwork flowNet;
    private final ScoreSource.Network flowSource;

    private NetworkField(ForwardProcess process, ScoreSource.Network score, ScoreSource.Network flow) {
        this.process = process;
        this.scoreSource = score;
        this.scoreNet = score == null ? null : new ReferenceNetwork(score.spec(), score.parameters());
        this.flowSource = flow;
        this.flowNet = flow == null ? null : new ReferenceNetwork(flow.spec(), flow.parameters());
    }

    /** The field of a network source (a single network or a flow-and-score pair). */
    static NetworkField of(ScoreSource source, ForwardProcess process) {
        if (source instanceof ScoreSource.ExactMixture || source == null) {
            throw new IllegalArgumentException("source: not a network source: " + source);
        }
        return new NetworkField(process, source.scoreNetwork(), source.velocityNetwork());
    }

    @Override
    public void score(double[] xy, double t, double[] out) {
        if (scoreNet == null) {
            throw new IllegalArgumentException("model: a velocity network alone gives no score; this sampler needs a score network too");
        }
        double[] f = guided(scoreNet, scoreSource, xy, t);
        double[] ab = scoreSource.parameterization().scoreAffine(process, t);
        for (int i = 0; i < f.length; i++) {
            out[i] = ab[0] * f[i] + ab[1] * xy[i];
        }
    }

    @Override
    public boolean hasVelocity() {
        return flowNet != null;
    }

    @Override
    public void velocity(double[] xy, double t, double[] out) {
        if (flowNet == null) {
            ScoreField.super.velocity(xy, t, out);
            return;
        }
        double[] f = guided(flowNet, flowSource, xy, t);
        System.arraycopy(f, 0, out, 0, f.length);
    }

    /** The output, guided where the source says: {@code f(null) + w (f(c) - f(null))}. */
    private static double[] guided(ReferenceNetwork net, ScoreSource.Network source, double[] xy, double t) {
        double[] f = evaluate(net, source.condition(), xy, t);
        if (!source.guided()) {
            return f;
        }
        double[] u = evaluate(net, Condition.none(source.spec().conditioning(), xy.length / 2), xy, t);
        double w = source.guidance();
        for (int i = 0; i < f.length; i++) {
            f[i] = u[i] + w * (f[i] - u[i]);
        }
        return f;
    }

    private static double[] evaluate(ReferenceNetwork net, Condition condition, double[] xy, double t) {
        double[] times = new double[xy.length / 2];
        Arrays.fill(times, t);
        return net.output(net.forward(xy, times, condition));
    }
}
