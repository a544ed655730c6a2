package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.EngineAgreementTest;
import org.diffusion4j.engine.MixtureSlots;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.engine.reference.ReferenceEngine;
import org.diffusion4j.engine.reference.ReferenceLoss;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.sampler.SamplerSpec;
import org.junit.jupiter.api.Test;

/**
 * The reference vectors of the kernels' bodies, run on the host by native-tests/host/test_kernels_host.cpp:
 * <ul>
 *   <li>sampling.txt: for every sampler on every process it supports, with a network source and with the exact
 *       mixture (and v and x0 prediction for the few-step samplers), everything d4j_sample reads (descriptors,
 *       parameters, SamplingPlan's device table, slot times and the score's affine conversion, MixtureSlots, the prior,
 *       conditions) and the reference engine's final positions;</li>
 *   <li>training.txt: for every objective on every process it supports, and for conditional networks, everything
 *       d4j_train reads and the reference loss and gradient of step 0 on the rebuilt minibatch.</li>
 * </ul>
 * The files must equal what this test generates; rewrite them after a deliberate change with
 * {@code mvn test -Dtest=KernelVectorsTest -Dd4j.writeVectors=true}.
 */
class KernelVectorsTest {
    static final Path SAMPLING = Path.of("native-tests", "vectors", "sampling.txt");
    static final Path TRAINING = Path.of("native-tests", "vectors", "training.txt");
    static final int PARTICLES = 5;

    private static String hex(float f) {
        return Integer.toHexString(Float.floatToRawIntBits(f));
    }

    private static void floats(StringBuilder b, String label, float[] v) {
        b.append(label).append(' ').append(v.length);
        for (float f : v) {
            b.append(' ').append(hex(f));
        }
        b.append('\n');
    }

    private static void ints(StringBuilder b, String label, int[] v) {
        b.append(label).append(' ').append(v.length);
        for (int i : v) {
            b.append(' ').append(i);
        }
        b.append('\n');
    }

    private static void doubles(StringBuilder b, String label, double[] v) {
        b.append(label).append(' ').append(v.length);
        for (double d : v) {
            b.append(String.format(Locale.ROOT, " %.17g", d));
        }
        b.append('\n');
    }

    private static void network(StringBuilder b, ScoreSource.Network n) {
        if (n == null) {
            b.append("net 0\n");
            return;
        }
        b.append("net 1\n");
        ints(b, "desc", NetworkDescriptor.encode(n.spec()));
        floats(b, "params", n.parameters());
    }

    static String sampling() {
        StringBuilder b = new StringBuilder("# diffusion4j sampling vectors: written by KernelVectorsTest (reference engine, double)\n");
        List<String> blocks = new ArrayList<>();
        ReferenceEngine ref = new ReferenceEngine();
        for (SamplerSpec sampler : SamplerSpec.all()) {
            List<EngineAgreementTest.Case> cases = EngineAgreementTest.casesFor(sampler);
            for (EngineAgreementTest.Case c : cases) {
                List<ScoreSource> sources = new ArrayList<>();
                ScoreSource first = EngineAgreementTest.networkSources(c.process(), PARTICLES).get(0);
                sources.add(first);
                if (first instanceof ScoreSource.Network n && n.spec().isConditional()) {
                    // classifier-free guidance: the conditional network with w = 2.5
                    sources.add(new ScoreSource.Network(n.spec(), n.parameters(), n.parameterization(), n.condition(), 2.5));
                }
                if ((sampler instanceof SamplerSpec.Ddim || sampler instanceof SamplerSpec.DpmSolverPlusPlus) && c == cases.get(0)) {
                    // v and x0 prediction (the score affine in x), on the sampler's first case
                    for (ScoreSource other : EngineAgreementTest.networkSources(c.process(), PARTICLES)) {
                        if (other instanceof ScoreSource.Network n
                                && (n.parameterization() == Parameterization.V || n.parameterization() == Parameterization.X0)) {
                            sources.add(other);
                        }
                    }
                }
                sources.add(new ScoreSource.ExactMixture(EngineAgreementTest.MIXTURE));
                for (ScoreSource source : sources) {
                    SamplingSetup setup = c.setup(source, PARTICLES, 77, 0);
                    SamplingPlan plan = SamplingPlan.of(setup);
                    StringBuilder e = new StringBuilder();
                    e.append("case ").append(sampler.name()).append(sampler instanceof SamplerSpec.Ddim d ? "-eta" + d.eta() : "").append('/')
                            .append(c.process().name())
                            .append(c.process() instanceof Ddpm d && c.steps() < d.steps() ? "-" + c.steps() + "-" + c.spacing().configName() : "").append('/')
                            .append(source.getClass().getSimpleName()).append(source instanceof ScoreSource.Network g && g.guided() ? "-guided" : "")
                            .append(source instanceof ScoreSource.Network g && g.parameterization() != Parameterization.EPSILON
                                    ? "-" + g.parameterization().name().toLowerCase(Locale.ROOT) : "")
                            .append(setup.prior().isCentredIsotropic() ? "" : "-skewed")
                            .append('\n');
                    ScoreSource.Network score = null;
                    ScoreSource.Network flow = null;
                    if (source instanceof ScoreSource.Network n) {
                        score = n.parameterization() == Parameterization.VELOCITY ? null : n;
                        flow = n.parameterization() == Parameterization.VELOCITY ? n : null;
                    } else if (source instanceof ScoreSource.FlowAndScore pair) {
                        score = pair.score();
                        flow = pair.flow();
                    }
                    score = plan.useScore ? score : null;
                    flow = plan.useVelocity ? flow : null;
                    network(e, score);
                    network(e, flow);
                    int slots = plan.times.size();
                    double[] slotTimes = new double[slots];
                    float[] times = new float[slots];
                    for (int k = 0; k < slots; k++) {
                        slotTimes[k] = plan.times.get(k);
                        times[k] = (float) slotTimes[k];
                    }
                    floats(e, "times", times);
                    floats(e, "affine", score != null ? SampleKernel.scoreAffine(score, c.process(), slotTimes) : new float[0]);
                    if (source instanceof ScoreSource.ExactMixture m) {
                        floats(e, "means", MixtureSlots.means(m.mixture()));
                        floats(e, "slots", MixtureSlots.table(m.mixture(), c.process(), plan));
                    } else {
                        e.append("means 0\nslots 0\n");
                    }
                    ints(e, "plan", plan.deviceTable());
                    e.append("use ").append(plan.useScore ? 1 : 0).append(' ').append(plan.useVelocity ? 1 : 0).append(' ').append(plan.keeps ? 1 : 0)
                            .append('\n');
                    e.append("guidance ").append(hex(score == null ? 1f : (float) score.guidance())).append(' ')
                            .append(hex(flow == null ? 1f : (float) flow.guidance())).append('\n');
                    GaussianPrior g = setup.prior();
                    floats(e, "prior", new float[] {(float) g.mx(), (float) g.my(), (float) g.l11(), (float) g.l21(), (float) g.l22()});
                    e.append("seed 77\n");
                    Condition cond = score != null ? score.condition() : flow != null ? flow.condition() : Condition.NONE;
                    int[] labels = cond.labels() != null ? cond.labels() : new int[PARTICLES];
                    float[] values = new float[PARTICLES];
                    for (int i = 0; i < PARTICLES; i++) {
                        values[i] = cond.values() != null ? (float) cond.values()[i] : 0f;
                    }
                    ints(e, "labels", labels);
                    floats(e, "values", values);
                    Samples out = ref.sample(setup);
                    doubles(e, "ref", out.xy());
                    blocks.add(e.toString());
                }
            }
        }
        b.append("cases ").append(blocks.size()).append('\n');
        blocks.forEach(b::append);
        return b.toString();
    }

    /** The training cases: every objective on every process it supports, and conditional networks on DDPM. */
    static List<TrainingSetup> trainingSetups() {
        List<TrainingSetup> setups = new ArrayList<>();
        Points ring = Datasets.byName(Datasets.RING).sample(120, 11);
        NetworkSpec plain = EngineAgreementTest.plain(new TimeEmbedding.Raw(0.1), new Conditioning.None(), Activation.SILU, 12, 10);
        for (Objective objective : Objective.all()) {
            for (ForwardProcess process : EngineAgreementTest.trainingProcesses()) {
                if (objective.supports(process)) {
                    setups.add(new TrainingSetup(plain, process, objective, OptimizerSpec.adam(1e-3), ring, 12, 17));
                }
            }
        }
        Ddpm ddpm = Ddpm.linear(30, 1e-4, 0.02);
        Points radius = Datasets.byName(Datasets.RING_RADIUS).sample(120, 3);
        setups.add(new TrainingSetup(EngineAgreementTest.plain(new TimeEmbedding.Table(30, 4), new Conditioning.OneHot(8), Activation.RELU, 12, 12),
                ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), ring, 12, 9));
        setups.add(new TrainingSetup(EngineAgreementTest.residual(new TimeEmbedding.Sinusoidal(8), new Conditioning.LabelEmbedding(8), Activation.SILU, 10, 2),
                ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), ring, 12, 9));
        setups.add(new TrainingSetup(EngineAgreementTest.residual(new TimeEmbedding.Table(30, 4), new Conditioning.Continuous(4), Activation.SOFTPLUS, 8, 1),
                ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), radius, 12, 9));
        // label dropout (classifier-free guidance) on a one-hot and a continuous network
        setups.add(new TrainingSetup(EngineAgreementTest.plain(new TimeEmbedding.Table(30, 4), new Conditioning.OneHot(8), Activation.RELU, 12, 12),
                ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), ring, 12, 9, 0.4));
        setups.add(new TrainingSetup(EngineAgreementTest.residual(new TimeEmbedding.Table(30, 4), new Conditioning.Continuous(4), Activation.SOFTPLUS, 8, 1),
                ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), radius, 12, 9, 0.4));
        return setups;
    }

    static String training() {
        StringBuilder b = new StringBuilder("# diffusion4j training vectors: written by KernelVectorsTest (reference engine, double)\n");
        List<TrainingSetup> setups = trainingSetups();
        b.append("cases ").append(setups.size()).append('\n');
        int c = 0;
        for (TrainingSetup s : setups) {
            float[] init = EngineAgreementTest.params(s.network(), 5 + c++);
            b.append("case ").append(s.objective().name())
                    .append(s.objective() instanceof Objective.PredictionMatching pm && pm.prediction() != Parameterization.EPSILON
                            ? "-" + pm.prediction().predictionName() : "").append('/').append(s.process().name()).append('/').append(s.network().body().kind())
                    .append('-').append(s.network().conditioning().kind()).append('\n');
            ints(b, "desc", NetworkDescriptor.encode(s.network()));
            floats(b, "params", init);
            List<ParameterLayout.Tensor> tensors = ParameterLayout.of(s.network()).tensors();
            int[] bounds = new int[2 * tensors.size()];
            for (int k = 0; k < tensors.size(); k++) {
                bounds[2 * k] = tensors.get(k).offset();
                bounds[2 * k + 1] = tensors.get(k).size();
            }
            ints(b, "tensors", bounds);
            Points d = s.data();
            doubles(b, "data", d.xy());
            Conditioning cd = s.network().conditioning();
            boolean byLabel = cd instanceof Conditioning.OneHot || cd instanceof Conditioning.LabelEmbedding;
            ints(b, "labels", byLabel ? d.labels() : new int[0]);
            float[] values = new float[cd instanceof Conditioning.Continuous ? d.size() : 0];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) d.value(i);
            }
            floats(b, "values", values);
            ForwardProcess p = s.process();
            double[] table = new double[0];
            int steps;
            double[] pp = new double[5];
            if (p instanceof OrnsteinUhlenbeck ou) {
                steps = ou.steps();
                pp = new double[] {ou.lambda(), ou.sigma(), ou.tEnd(), ou.tMin(), 0};
            } else if (p instanceof Ddpm ddpm) {
                steps = ddpm.steps();
                table = new double[steps];
                for (int t = 0; t < steps; t++) {
                    table[t] = ddpm.alphaBar(t);
                }
            } else if (p instanceof GaussianPath path) {
                steps = path.steps();
                pp[4] = path.tMax();
            } else {
                NoiseLevels levels = (NoiseLevels) p;
                steps = levels.levels();
                table = new double[steps];
                for (int l = 0; l < steps; l++) {
                    table[l] = levels.sigma(l);
                }
            }
            b.append("process ").append(KernelCodes.process(p)).append(' ').append(steps);
            for (double v : pp) {
                b.append(String.format(Locale.ROOT, " %.17g", v));
            }
            b.append('\n');
            doubles(b, "table", table);
            Objective o = s.objective();
            int okind = KernelCodes.objective(o);
            double wmin = o instanceof Objective.WeightedScoreMatching w ? w.minWeight() : 0;
            double wmax = o instanceof Objective.WeightedScoreMatching w ? w.maxWeight() : 0;
            b.append(String.format(Locale.ROOT, "objective %d %.17g %.17g%n", okind, wmin, wmax));
            b.append("seed ").append(s.seed()).append(" batch ").append(s.batchSize()).append(String.format(Locale.ROOT, " dropout %.17g%n", s.labelDropout()));
            ReferenceLoss.Result r = EngineAgreementTest.referenceStep(s, init);
            b.append(String.format(Locale.ROOT, "loss %.17g%n", r.loss()));
            doubles(b, "grad", r.gradient());
        }
        return b.toString();
    }

    private static void check(Path file, String text) throws IOException {
        if (Boolean.getBoolean("d4j.writeVectors")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
        assertTrue(Files.isRegularFile(file), file + " is missing; write it with -Dd4j.writeVectors=true");
        assertEquals(text, Files.readString(file, StandardCharsets.UTF_8),
                file + " is stale; rewrite it with mvn test -Dtest=KernelVectorsTest -Dd4j.writeVectors=true");
    }

    @Test
    void theSamplingVectorsAreTheReferenceEnginesOutput() throws IOException {
        check(SAMPLING, sampling());
    }

    @Test
    void theTrainingVectorsAreTheReferenceEnginesOutput() throws IOException {
        check(TRAINING, training());
    }
}
