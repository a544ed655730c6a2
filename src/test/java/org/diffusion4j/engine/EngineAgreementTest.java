package org.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.reference.ReferenceEngine;
import org.diffusion4j.engine.reference.ReferenceLoss;
import org.diffusion4j.engine.reference.ReferenceNetwork;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.Precision;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.rng.NoiseStream;
import org.diffusion4j.sampler.GaussianPrior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;
import org.junit.jupiter.api.Test;

/**
 * An engine (float32) against the reference engine (double), element by element: one training step of every objective
 * on every process it supports and of every network variant (its gradient, loss and Adam update); K updates of every
 * sampler on every process it supports, with network sources and the exact mixture; forward simulation. The
 * objectives and samplers under test are counted against {@link Objective#all()} and {@link SamplerSpec#all()}, so a
 * new one cannot go untested. Every engine's twin test extends this class (cpu, cuda).
 */
public abstract class EngineAgreementTest {
    /**
     * Forward pass: float32 rounding of each multiply-add (unit roundoff 6e-8) accumulated over sums of at most a few
     * hundred terms, relative to the size of the terms: |cpu - ref| <= 2e-5 (|ref| + rms(ref)) per output. The rms term
     * covers outputs that are small differences of large sums.
     */
    protected static final double FORWARD_TOL = 2e-5;
    /**
     * Parameter gradients sum over the batch with cancellation, so entries near zero carry the rounding of their large
     * terms: per tensor, max |cpu - ref| <= 1e-4 max |ref| (float32 rounding of the forward pass, of the backward
     * pass and of the batch sum, each ~1e-6 relative, with a margin).
     */
    protected static final double GRADIENT_TOL = 1e-4;
    /** Training loss: one float32 forward pass, summed in double: relative 1e-5. */
    protected static final double LOSS_TOL = 1e-5;
    /**
     * Sampling chains: K <= 20 float32 updates whose rounding (and the float Box-Muller's, ~4 ulp) is carried and
     * amplified by the Lipschitz constant of the field (up to ~1 / s(t)^2 for scores at small noise): |cpu - ref| <=
     * 2e-4 (1 + |ref|) per coordinate.
     */
    protected static final double SAMPLE_TOL = 2e-4;
    /** Forward simulation: a few float32 multiply-adds per step, at most 20 steps: 1e-5 (1 + |ref|). */
    protected static final double FORWARD_SIM_TOL = 1e-5;

    /**
     * TF32 (precision tf32): each GEMM operand is rounded to 11 significant bits, a relative error of at most 2^-11 (4.9e-4),
     * so a product is off by up to 2^-10 (9.8e-4) of its size and a layer's output by up to 2^-10 of the sum of its
     * terms' magnitudes (FP32 accumulation adds only float32 roundings). A training step chains about 2L + 1 GEMMs
     * (forward, dx and the weight gradient of L <= 4 layers): 9 x 2^-10 ~ 9e-3 of the
     * terms' size, and cancellation in the batch sum makes small entries carry the large terms' error, as for FP32:
     * per tensor max |engine - ref| <= 2e-2 max |ref|.
     */
    public static final double GRADIENT_TOL_TF32 = 2e-2;
    /** TF32 loss: the forward pass's output off by up to L x 2^-10 ~ 4e-3 relative; the loss is quadratic in it: 1e-2. */
    public static final double LOSS_TOL_TF32 = 1e-2;
    /**
     * TF32 sampling: the field off by up to ~4e-3 of its terms per evaluation (as the loss above), carried over K <= 20
     * updates like the float32 rounding of SAMPLE_TOL (each update moves a particle by a fraction of the field, and the
     * chain contracts or expands by the field's Lipschitz constant): 1e-2 (1 + |ref|) per coordinate.
     */
    public static final double SAMPLE_TOL_TF32 = 1e-2;

    protected static final ReferenceEngine REF = new ReferenceEngine();

    /** The engine under test. */
    protected abstract Engine engine();

    /**
     * The precision of the networks under test. tf32x3 keeps the FP32 tolerances: each product is off by the dropped
     * lo(w) lo(a) and the TF32 rounding of the lo parts, each at most 2^-22 of it, so 2^-21 (4.8e-7) in all: eight
     * float32 unit roundoffs, inside the margins each FP32 bound below has over the roundings it is derived from.
     */
    protected Precision precision() {
        return Precision.FP32;
    }

    /** A network of the tests at the precision under test. */
    protected NetworkSpec at(NetworkSpec spec) {
        return spec.withPrecision(precision());
    }

    protected double gradientTol() {
        return precision() == Precision.TF32 ? GRADIENT_TOL_TF32 : GRADIENT_TOL;
    }

    protected double lossTol() {
        return precision() == Precision.TF32 ? LOSS_TOL_TF32 : LOSS_TOL;
    }

    protected double sampleTol() {
        return precision() == Precision.TF32 ? SAMPLE_TOL_TF32 : SAMPLE_TOL;
    }

    /** The (normalised) loss gradient of a trainer's last step, in the network's layout. */
    protected abstract float[] lastGradient(Trainer trainer);

    // ------------------------------------------------------------------------------------------ networks

    public static NetworkSpec plain(TimeEmbedding time, Conditioning c, Activation act, Integer... hidden) {
        return new NetworkSpec(time, c, new Body.Plain(List.of(hidden)), act);
    }

    public static NetworkSpec residual(TimeEmbedding time, Conditioning c, Activation act, int width, int blocks) {
        return new NetworkSpec(time, c, new Body.Residual(width, blocks), act);
    }

    /** Network variants: together every body, time embedding, conditioning and activation kind. */
    public static List<NetworkSpec> variants() {
        return List.of(
                plain(new TimeEmbedding.None(), new Conditioning.None(), Activation.SOFTPLUS, 24, 20, 18),
                plain(new TimeEmbedding.Raw(0.01), new Conditioning.None(), Activation.RELU, 40, 33),
                plain(new TimeEmbedding.Table(30, 8), new Conditioning.OneHot(4), Activation.RELU, 32, 32),
                plain(new TimeEmbedding.Table(30, 8), new Conditioning.Continuous(6), Activation.SILU, 20),
                plain(new TimeEmbedding.Sinusoidal(8), new Conditioning.LabelEmbedding(3), Activation.SILU, 24, 12),
                plain(new TimeEmbedding.Raw(1.0), new Conditioning.None(), Activation.SILU, 300, 16),
                residual(new TimeEmbedding.Sinusoidal(16), new Conditioning.None(), Activation.SILU, 32, 2),
                residual(new TimeEmbedding.Sinusoidal(8), new Conditioning.LabelEmbedding(3), Activation.RELU, 20, 1),
                residual(new TimeEmbedding.Table(30, 6), new Conditioning.OneHot(3), Activation.SOFTPLUS, 16, 2),
                residual(new TimeEmbedding.Raw(0.1), new Conditioning.Continuous(5), Activation.SILU, 18, 0),
                residual(new TimeEmbedding.None(), new Conditioning.None(), Activation.RELU, 12, 1));
    }

    /** Initial parameters plus a perturbation, so that LayerNorm gains and biases are not 1 and 0. */
    public static float[] params(NetworkSpec spec, long seed) {
        float[] p = NetworkInit.initialize(spec, seed);
        Random r = new Random(seed);
        for (int i = 0; i < p.length; i++) {
            p[i] += (float) (0.1 * r.nextGaussian());
        }
        return p;
    }

    /** Random labels or values, every fourth one the null condition of classifier-free guidance. */
    public static Condition condition(NetworkSpec spec, int n, Random r) {
        Conditioning c = spec.conditioning();
        if (c instanceof Conditioning.OneHot o) {
            return Condition.labels(withNulls(r.ints(n, 0, o.classes()).toArray()));
        }
        if (c instanceof Conditioning.LabelEmbedding l) {
            return Condition.labels(withNulls(r.ints(n, 0, l.classes()).toArray()));
        }
        if (c instanceof Conditioning.Continuous) {
            double[] v = r.doubles(n, 0.5, 4.0).toArray();
            for (int i = 3; i < n; i += 4) {
                v[i] = Double.NaN;
            }
            return Condition.values(v);
        }
        return Condition.NONE;
    }

    private static int[] withNulls(int[] labels) {
        for (int i = 3; i < labels.length; i += 4) {
            labels[i] = Condition.NULL_LABEL;
        }
        return labels;
    }

    /** Per tensor: max |cpu - ref| <= GRADIENT_TOL max |ref|, and every tensor of the layout is compared. */
    protected static void assertGradientsAgree(NetworkSpec spec, float[] gCpu, double[] gRef, String what) {
        assertGradientsAgree(spec, gCpu, gRef, GRADIENT_TOL, what);
    }

    /** Per tensor: max |cpu - ref| <= tol max |ref|, and every tensor of the layout is compared. */
    protected static void assertGradientsAgree(NetworkSpec spec, float[] gCpu, double[] gRef, double tol, String what) {
        assertEquals(gRef.length, gCpu.length);
        for (ParameterLayout.Tensor tensor : ParameterLayout.of(spec).tensors()) {
            double max = 0;
            double err = 0;
            for (int k = tensor.offset(); k < tensor.offset() + tensor.size(); k++) {
                max = Math.max(max, Math.abs(gRef[k]));
                err = Math.max(err, Math.abs(gCpu[k] - gRef[k]));
            }
            assertTrue(err <= tol * max + 1e-12, what + ": gradient of " + tensor.name() + " off by " + err + " (max " + max + ")");
        }
    }

    // ------------------------------------------------------------------------------------------ training

    public static List<ForwardProcess> trainingProcesses() {
        return List.of(new OrnsteinUhlenbeck(0.5, 0.5, 1.0, 1e-5, 50), Ddpm.linear(50, 1e-4, 0.02), new GaussianPath(0.999, 20),
                new NoiseLevels(1.0, 0.1, 5, 1.0));
    }

    @Test
    void oneTrainingStepOfEveryObjectiveAgrees() {
        Points data = Datasets.byName(Datasets.RING).sample(300, 11);
        NetworkSpec spec = at(plain(new TimeEmbedding.Raw(0.1), new Conditioning.None(), Activation.SILU, 32, 24));
        Set<String> covered = new TreeSet<>();
        for (Objective objective : Objective.all()) {
            for (ForwardProcess process : trainingProcesses()) {
                if (!objective.supports(process)) {
                    continue;
                }
                for (OptimizerSpec opt : List.of(OptimizerSpec.adam(1e-3), OptimizerSpec.adamW(1e-2))) {
                    TrainingSetup setup = new TrainingSetup(spec, process, objective, opt, data, 50, 17);
                    String prediction = objective instanceof Objective.PredictionMatching p ? "(" + p.prediction().predictionName() + ")" : "";
                    compareStep(setup, params(spec, 5), objective.name() + prediction + "/" + process.name() + "/" + opt.kind());
                }
                covered.add(objective.name());
            }
        }
        assertEquals(Objective.all().stream().map(Objective::name).collect(Collectors.toCollection(TreeSet::new)), covered);
    }

    /**
     * One eps-MSE step on DDPM for every network variant whose conditioning fits the ring data (8 mode labels, or the
     * radius as a value), and for one-hot and label-embedding networks of 8 classes.
     */
    @Test
    void trainingStepOfEveryNetworkVariantAgrees() {
        Ddpm ddpm = Ddpm.linear(30, 1e-4, 0.02);
        Points labelled = Datasets.byName(Datasets.RING).sample(200, 3);
        Points valued = Datasets.byName(Datasets.RING_RADIUS).sample(200, 3);
        for (NetworkSpec variant : variants()) {
            NetworkSpec spec = at(variant);
            if (spec.time() instanceof TimeEmbedding.Table table && table.steps() < ddpm.steps()) {
                continue;
            }
            boolean byValue = spec.conditioning() instanceof Conditioning.Continuous;
            Points data = byValue ? valued : labelled;
            if (spec.conditioning() instanceof Conditioning.OneHot o && o.classes() < 8
                    || spec.conditioning() instanceof Conditioning.LabelEmbedding l && l.classes() < 8) {
                continue;
            }
            TrainingSetup setup = new TrainingSetup(spec, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), data, 40, 9);
            compareStep(setup, params(spec, 4), spec.toString());
        }
        NetworkSpec onehot = at(plain(new TimeEmbedding.Table(30, 8), new Conditioning.OneHot(8), Activation.RELU, 32, 32));
        compareStep(new TrainingSetup(onehot, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), labelled, 40, 9),
                params(onehot, 4), "onehot");
        NetworkSpec label = at(residual(new TimeEmbedding.Sinusoidal(8), new Conditioning.LabelEmbedding(8), Activation.SILU, 16, 2));
        compareStep(new TrainingSetup(label, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), labelled, 40, 9),
                params(label, 4), "label");
        // label dropout of classifier-free guidance: about a third of the batch trains the null condition
        compareStep(new TrainingSetup(onehot, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), labelled, 40, 9, 0.3),
                params(onehot, 4), "onehot, label dropout 0.3");
        compareStep(new TrainingSetup(label, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), labelled, 40, 9, 0.3),
                params(label, 4), "label, label dropout 0.3");
    }

    /**
     * One optimizer step on both engines: the losses, the gradients (against {@link ReferenceLoss} on the minibatch
     * rebuilt from the layout of {@link TrainingSetup}) and the parameter updates. Adam's first update is
     * {@code lr g / (|g| + eps)} per entry (m and v bias-corrected), whose derivative in g is at most
     * {@code lr / (|g| + eps)}: a gradient error d moves it by at most {@code lr d / (|g| + eps)}. The bound on each
     * update is that, with d the gradient tolerance of its tensor, plus 1e-4 lr for float32 rounding of the update
     * itself.
     */
    protected void compareStep(TrainingSetup setup, float[] init, String what) {
        Trainer ref = REF.trainer(setup, init);
        Trainer cpu = engine().trainer(setup, init);
        double lossRef = ref.step();
        double lossCpu = cpu.step();
        assertEquals(lossRef, lossCpu, lossTol() * Math.abs(lossRef), what + ": loss");

        // the minibatch of step 0, rebuilt from the documented layout; its loss must be the reference trainer's
        ReferenceLoss.Result result = referenceStep(setup, init);
        assertEquals(lossRef, result.loss(), 1e-12 * Math.abs(lossRef), what + ": rebuilt minibatch");
        float[] gCpu = lastGradient(cpu);
        assertGradientsAgree(setup.network(), gCpu, result.gradient(), gradientTol(), what);

        float[] pRef = ref.parameters();
        float[] pCpu = cpu.parameters();
        OptimizerSpec opt = setup.optimizer();
        double lr = setup.regimen().learningRate(opt.learningRate(), 1);
        for (ParameterLayout.Tensor tensor : ParameterLayout.of(setup.network()).tensors()) {
            double gMax = 0;
            for (int k = tensor.offset(); k < tensor.offset() + tensor.size(); k++) {
                gMax = Math.max(gMax, Math.abs(result.gradient()[k]));
            }
            double d = gradientTol() * gMax;
            for (int k = tensor.offset(); k < tensor.offset() + tensor.size(); k++) {
                double bound = lr * (1e-4 + d / (Math.abs(result.gradient()[k]) + opt.eps())) + 2 * Math.ulp(Math.abs(pRef[k]));
                double deltaRef = (double) pRef[k] - init[k];
                double deltaCpu = (double) pCpu[k] - init[k];
                assertTrue(Math.abs(deltaCpu - deltaRef) <= bound, what + ": update of " + tensor.name() + "[" + (k - tensor.offset())
                        + "] cpu " + deltaCpu + " ref " + deltaRef + " bound " + bound);
            }
        }
        assertEquals(1, cpu.stepsDone());
        if (setup.regimen().hasEma()) {
            // e_1 = d_1 p_0 + (1 - d_1) p_1: the engines' EMAs differ by (1 - d_1) times their updates' difference, plus
            // float rounding of the two products and their sum (3 ulps of the larger of |e|, |p|)
            double d = setup.regimen().emaDecay(1);
            float[] eRef = ref.emaParameters();
            float[] eCpu = cpu.emaParameters();
            for (int k = 0; k < init.length; k++) {
                double bound = (1 - d) * Math.abs((double) pCpu[k] - pRef[k]) + 3 * Math.ulp(Math.max(Math.abs(eRef[k]), Math.abs(pRef[k])) + 1e-30f);
                assertTrue(Math.abs((double) eCpu[k] - eRef[k]) <= bound + 1e-12, what + ": EMA[" + k + "] cpu " + eCpu[k] + " ref " + eRef[k]);
                double expected = d * init[k] + (1 - d) * pRef[k];
                assertTrue(Math.abs(eRef[k] - expected) <= 2 * Math.ulp((float) expected) + 1e-30, what + ": reference EMA[" + k + "]");
            }
        } else {
            assertNull(cpu.emaParameters(), what + ": no EMA without ema_decay");
        }
    }

    /**
     * The regimen in a step: the warm-up's learning rate (lr / W at update 1), clipping (Adam's first update is
     * invariant to the gradient's scale but for eps, so the bounds of compareStep hold) and the EMA, on every engine.
     */
    @Test
    void aStepWithScheduleClippingAndEmaAgrees() {
        Points data = Datasets.byName(Datasets.RING).sample(300, 11);
        NetworkSpec spec = at(plain(new TimeEmbedding.Raw(0.1), new Conditioning.None(), Activation.SILU, 32, 24));
        Ddpm ddpm = Ddpm.linear(30, 1e-4, 0.02);
        for (TrainingRegimen r : List.of(new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 4, 100, 1e-4, 0.05, 0.9, true),
                new TrainingRegimen(TrainingRegimen.Schedule.LINEAR, 0, 100, 0, 1e6, 0.99, false))) {
            TrainingSetup setup = new TrainingSetup(spec, ddpm, new Objective.PredictionMatching(), OptimizerSpec.adamW(1e-2), data, 50, 17, 0.0, r);
            compareStep(setup, params(spec, 5), "regimen " + r);
        }
    }

    /**
     * Clipping, the schedule and the EMA over three steps, where the clipping factor matters (Adam's first update is
     * invariant to the gradient's scale, later ones are not when the factors of the steps differ): the engine's
     * parameters against AdamW in double driven by the engine's own unclipped gradients ({@link #lastGradient}), each
     * clipped by {@code TrainingRegimen.clipFactor} of its norm, and its EMA against the EMA of its own parameters. A
     * wrong factor, a factor applied to the wrong steps or a missing one moves the later updates by about the relative
     * difference of the steps' factors (here a few percent); the bound is far below that.
     *
     * <p>Bound per parameter, summed over the steps so far (an update's error stays in the parameter): the engine rounds
     * each of the ~12 float operations of an update with relative error 2^-24 (6e-8), a few more on the simulated GPU;
     * relative to the magnitudes of the update's terms ({@code lr} times |m| summed in absolute value over the steps,
     * over sqrt(v) + eps, and {@code lr} for the decay) that is below 1e-6; 1e-5 leaves a margin of 10; plus 4 ulps of
     * the parameter per step for its own roundings. The EMA: 3 float roundings per step of terms at most
     * max(|e|, |p|): 3 ulps per step.
     */
    @Test
    void clippingTakesEachStepsNormOverSeveralSteps() {
        Points data = Datasets.byName(Datasets.RING).sample(300, 11);
        NetworkSpec spec = plain(new TimeEmbedding.Raw(0.1), new Conditioning.None(), Activation.SILU, 32, 24);
        TrainingRegimen r = new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 2, 3, 1e-4, 0.05, 0.9, true);
        OptimizerSpec opt = OptimizerSpec.adamW(1e-2);
        TrainingSetup setup = new TrainingSetup(spec, Ddpm.linear(30, 1e-4, 0.02), new Objective.PredictionMatching(), opt, data, 50, 17, 0.0, r);
        float[] init = params(spec, 5);
        int n = init.length;
        double[] p = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        double[] mAbs = new double[n];
        double[] err = new double[n];
        double[] e = new double[n];
        float[] eEngine = init.clone();
        double[] factors = new double[3];
        for (int i = 0; i < n; i++) {
            p[i] = init[i];
            e[i] = init[i];
        }
        try (Trainer t = engine().trainer(setup, init)) {
            for (int k = 1; k <= 3; k++) {
                t.step();
                float[] g = lastGradient(t);
                double sq = 0;
                for (float x : g) {
                    sq += (double) x * x;
                }
                factors[k - 1] = r.clipFactor(Math.sqrt(sq));
                assertTrue(factors[k - 1] < 1, "step " + k + ": clipped (norm " + Math.sqrt(sq) + ")");
                double lr = r.learningRate(opt.learningRate(), k);
                double c1 = 1 - Math.pow(opt.beta1(), k);
                double c2 = 1 - Math.pow(opt.beta2(), k);
                double d = r.emaDecay(k);
                float[] pEngine = t.parameters();
                float[] eNow = t.emaParameters();
                for (int i = 0; i < n; i++) {
                    double gi = factors[k - 1] * g[i];
                    m[i] = opt.beta1() * m[i] + (1 - opt.beta1()) * gi;
                    mAbs[i] = opt.beta1() * mAbs[i] + (1 - opt.beta1()) * Math.abs(gi);
                    v[i] = opt.beta2() * v[i] + (1 - opt.beta2()) * gi * gi;
                    double scale = lr / (c1 * (Math.sqrt(v[i] / c2) + opt.eps()));
                    p[i] = p[i] * (1 - lr * opt.weightDecay()) - m[i] * scale;
                    err[i] += 1e-5 * (lr + mAbs[i] * scale) + 4 * Math.ulp((float) p[i]);
                    double bound = err[i];
                    assertTrue(Math.abs(pEngine[i] - p[i]) <= bound, "step " + k + " parameter " + i + ": engine " + pEngine[i]
                            + ", AdamW with clipping " + p[i] + ", bound " + bound);
                    double eExpected = d * eEngine[i] + (1 - d) * pEngine[i];
                    double eBound = 3 * Math.ulp(Math.max(Math.abs(eEngine[i]), Math.abs(pEngine[i])) + 1e-30f);
                    assertTrue(Math.abs(eNow[i] - eExpected) <= eBound, "step " + k + " EMA " + i + ": engine " + eNow[i] + ", " + eExpected);
                }
                eEngine = eNow;
            }
        }
        assertTrue(Math.abs(factors[1] / factors[2] - 1) > 1e-3 || Math.abs(factors[0] / factors[1] - 1) > 1e-3,
                "the steps' clipping factors differ, so the test can tell them apart: " + java.util.Arrays.toString(factors));
    }

    /**
     * The reference loss and gradient of optimizer step 0, on the minibatch rebuilt from the noise layout of
     * {@link TrainingSetup} (data index and time from words(seed, i, 0), eps from normals(seed, i, 1)).
     */
    public static ReferenceLoss.Result referenceStep(TrainingSetup setup, float[] init) {
        int b = setup.batchSize();
        NoiseStream noise = new NoiseStream(setup.seed());
        double[] x0 = new double[2 * b];
        double[] eps = new double[2 * b];
        double[] t = new double[b];
        int[] labels = new int[b];
        double[] values = new double[b];
        int[] w = new int[4];
        double[] z = new double[4];
        for (int i = 0; i < b; i++) {
            noise.words(i, 0, w);
            int j = NoiseStream.index(w[0], setup.data().size());
            t[i] = setup.process().trainingTime(NoiseStream.uniform(w[1]));
            noise.normals(i, 1, z);
            x0[2 * i] = setup.data().x(j);
            x0[2 * i + 1] = setup.data().y(j);
            eps[2 * i] = z[0];
            eps[2 * i + 1] = z[1];
            boolean drop = setup.dropsCondition(w);
            labels[i] = drop ? Condition.NULL_LABEL : setup.data().hasLabels() ? setup.data().label(j) : 0;
            values[i] = drop ? Double.NaN : setup.data().hasValues() ? setup.data().value(j) : 0;
        }
        Conditioning c = setup.network().conditioning();
        Condition condition = c instanceof Conditioning.None ? Condition.NONE
                : c instanceof Conditioning.Continuous ? Condition.values(values) : Condition.labels(labels);
        return new ReferenceLoss(setup.objective(), setup.process())
                .evaluate(new ReferenceNetwork(setup.network(), init), x0, eps, t, condition);
    }

    // ------------------------------------------------------------------------------------------ sampling

    public static final GaussianMixture MIXTURE = Datasets.RING_MIXTURE;
    static final Ddpm DDPM = Ddpm.linear(12, 1e-3, 0.2);
    static final OrnsteinUhlenbeck OU = new OrnsteinUhlenbeck(1.0, Math.sqrt(2), 2.0, 1e-2, 10);
    static final GaussianPath PATH = new GaussianPath(0.999, 10);
    static final NoiseLevels LEVELS = new NoiseLevels(3.0, 0.3, 3, 3.0);

    /** A sampler on a process with its number of updates (K <= 20), the DDPM spacing and the prior. */
    public record Case(SamplerSpec sampler, ForwardProcess process, int steps, Spacing spacing, GaussianPrior prior) {
        /** Trailing spacing, the process's prior N(0, priorStd^2 I). */
        public Case(SamplerSpec sampler, ForwardProcess process, int steps) {
            this(sampler, process, steps, Spacing.TRAILING, GaussianPrior.isotropic(process.priorStd()));
        }

        public Case(SamplerSpec sampler, ForwardProcess process, int steps, Spacing spacing) {
            this(sampler, process, steps, spacing, GaussianPrior.isotropic(process.priorStd()));
        }

        public SamplingSetup setup(ScoreSource source, int particles, long seed, int recordEvery) {
            return new SamplingSetup(process, sampler, source, particles, steps, seed, recordEvery, spacing, prior);
        }
    }

    /** A moment-matched-like prior: shifted, correlated, not isotropic. */
    public static final GaussianPrior SKEWED = new GaussianPrior(0.3, -0.2, 0.9, 0.25, 0.7);

    public static List<Case> casesFor(SamplerSpec sampler) {
        List<Case> cases = new ArrayList<>();
        switch (sampler.name()) {
            case "ddpm", "ddpm-posterior" -> cases.add(new Case(sampler, DDPM, DDPM.steps()));
            case "reverse-sde" -> {
                cases.add(new Case(sampler, OU, 10));
                cases.add(new Case(sampler, OU, 10, Spacing.TRAILING, SKEWED));
                cases.add(new Case(sampler, DDPM, DDPM.steps()));
                cases.add(new Case(sampler, DDPM, 5, Spacing.UNIFORM));
            }
            case "pf-euler", "pf-heun" -> {
                cases.add(new Case(sampler, OU, 10));
                cases.add(new Case(sampler, DDPM, DDPM.steps()));
                cases.add(new Case(sampler, DDPM, 5, Spacing.UNIFORM));
                cases.add(new Case(sampler, PATH, 10));
            }
            case "ddim", "dpm-solver++", "dpm-solver++-sde" -> {
                cases.add(new Case(sampler, DDPM, DDPM.steps()));
                cases.add(new Case(sampler, DDPM, 5, Spacing.UNIFORM, SKEWED));
                cases.add(new Case(sampler, DDPM, 6, Spacing.TRAILING));
                cases.add(new Case(sampler, DDPM, 4, Spacing.QUADRATIC));
            }
            case "langevin-flow" -> cases.add(new Case(sampler, PATH, 10));
            // 5 updates per level over 3 levels (K = 15), 100 x the default step size so that every update moves the particles
            case "annealed-langevin" -> cases.add(new Case(new SamplerSpec.AnnealedLangevin(5, ((SamplerSpec.AnnealedLangevin) sampler).stepSize() * 100),
                    LEVELS, 1));
            default -> fail("sampler " + sampler.name() + " of SamplerSpec.all() has no case in this test");
        }
        return cases;
    }

    /** Network sources for a process: eps (table or residual sinusoidal) for DDPM, score nets, the flow-and-score pair. */
    public static List<ScoreSource> networkSources(ForwardProcess process, int n) {
        List<ScoreSource> sources = new ArrayList<>();
        Random r = new Random(21);
        if (process instanceof GaussianPath) {
            NetworkSpec net = plain(new TimeEmbedding.Raw(1.0), new Conditioning.None(), Activation.SILU, 48, 16);
            ScoreSource.Network flow = new ScoreSource.Network(net, params(net, 1), Parameterization.VELOCITY, Condition.NONE);
            sources.add(new ScoreSource.FlowAndScore(flow, new ScoreSource.Network(net, params(net, 2), Parameterization.SCORE, Condition.NONE)));
            sources.add(new ScoreSource.FlowAndScore(flow, new ScoreSource.Network(net, params(net, 3), Parameterization.EPSILON, Condition.NONE)));
            sources.add(new ScoreSource.FlowAndScore(flow, new ScoreSource.Network(net, params(net, 8), Parameterization.V, Condition.NONE)));
            sources.add(new ScoreSource.FlowAndScore(flow, new ScoreSource.Network(net, params(net, 9), Parameterization.X0, Condition.NONE)));
            return sources;
        }
        if (process instanceof Ddpm) {
            NetworkSpec table = plain(new TimeEmbedding.Table(DDPM.steps(), 8), new Conditioning.OneHot(4), Activation.RELU, 32, 32);
            Condition labels = condition(table, n, r);
            sources.add(new ScoreSource.Network(table, params(table, 4), Parameterization.EPSILON, labels));
            // v and x0 prediction: the score is affine in x (a shift as well as a scale)
            sources.add(new ScoreSource.Network(table, params(table, 8), Parameterization.V, labels));
            sources.add(new ScoreSource.Network(table, params(table, 9), Parameterization.X0, labels));
            // classifier-free guidance, w = 2.5: eps(null) + w (eps(c) - eps(null))
            sources.add(new ScoreSource.Network(table, params(table, 4), Parameterization.EPSILON, labels, 2.5));
            NetworkSpec res = residual(new TimeEmbedding.Sinusoidal(8), new Conditioning.Continuous(4), Activation.SILU, 24, 2);
            sources.add(new ScoreSource.Network(res, params(res, 5), Parameterization.EPSILON, condition(res, n, r)));
            return sources;
        }
        NetworkSpec score = plain(process instanceof NoiseLevels ? new TimeEmbedding.None() : new TimeEmbedding.Raw(1.0),
                new Conditioning.LabelEmbedding(3), Activation.SOFTPLUS, 32, 32);
        sources.add(new ScoreSource.Network(score, params(score, 6), Parameterization.SCORE, condition(score, n, r)));
        NetworkSpec eps = residual(new TimeEmbedding.Raw(1.0), new Conditioning.None(), Activation.SILU, 16, 1);
        sources.add(new ScoreSource.Network(eps, params(eps, 7), Parameterization.EPSILON, Condition.NONE));
        return sources;
    }

    @Test
    void kStepsOfEverySamplerAgree() {
        int n = 40;
        Set<String> covered = new TreeSet<>();
        for (SamplerSpec sampler : SamplerSpec.all()) {
            for (Case c : casesFor(sampler)) {
                List<ScoreSource> sources = new ArrayList<>(networkSources(c.process(), n).stream().map(x -> x.withPrecision(precision())).toList());
                sources.add(new ScoreSource.ExactMixture(MIXTURE));
                for (ScoreSource source : sources) {
                    SamplingSetup setup = c.setup(source, n, 77, 3);
                    Samples ref = REF.sample(setup);
                    long[] last = {0};
                    Samples cpu = engine().sample(setup, (done, total) -> {
                        assertTrue(done >= last[0] && done <= total);
                        last[0] = done;
                    });
                    String what = sampler + " on " + c.process().name() + " in " + c.steps() + " steps " + c.spacing() + " with " + source;
                    assertEquals((long) n * org.diffusion4j.engine.reference.ReferenceSamplers.totalUpdates(setup), last[0], what + ": progress");
                    assertClose(ref.xy(), cpu.xy(), sampleTol(), what);
                    assertArrayEquals(ref.frameTimes(), cpu.frameTimes(), what + ": frame times");
                    assertEquals(ref.frames().size(), cpu.frames().size(), what + ": frames");
                    assertTrue(ref.frames().size() >= 3, what + ": frames recorded");
                    for (int f = 0; f < ref.frames().size(); f++) {
                        assertClose(ref.frames().get(f), cpu.frames().get(f), sampleTol(), what + ": frame " + f);
                    }
                }
            }
            covered.add(sampler.name());
        }
        assertEquals(SamplerSpec.all().stream().map(SamplerSpec::name).collect(Collectors.toCollection(TreeSet::new)), covered);
    }

    protected static void assertClose(double[] ref, double[] cpu, double tol, String what) {
        assertEquals(ref.length, cpu.length, what);
        for (int i = 0; i < ref.length; i++) {
            assertTrue(Double.isFinite(cpu[i]), what + ": entry " + i + " is " + cpu[i]);
            assertTrue(Math.abs(cpu[i] - ref[i]) <= tol * (1 + Math.abs(ref[i])), what + ": entry " + i + " cpu " + cpu[i] + " ref " + ref[i]);
        }
    }

    // ------------------------------------------------------------------------------------------ forward simulation

    @Test
    void forwardSimulationAgrees() {
        Points data = Datasets.byName(Datasets.RING).sample(50, 2);
        List<ForwardSetup> setups = List.of(
                new ForwardSetup(OU, data, ForwardSetup.Method.CLOSED_FORM, 20, 3, 5),
                new ForwardSetup(OU, data, ForwardSetup.Method.STEPWISE, 20, 3, 5),
                new ForwardSetup(DDPM, data, ForwardSetup.Method.CLOSED_FORM, 12, 5, 5),
                new ForwardSetup(DDPM, data, ForwardSetup.Method.STEPWISE, 12, 5, 5),
                new ForwardSetup(PATH, data, ForwardSetup.Method.CLOSED_FORM, 10, 4, 5),
                new ForwardSetup(LEVELS, data, ForwardSetup.Method.CLOSED_FORM, 3, 1, 5));
        for (ForwardSetup setup : setups) {
            Samples ref = REF.simulateForward(setup);
            Samples cpu = engine().simulateForward(setup);
            String what = setup.process().name() + " " + setup.method();
            assertArrayEquals(ref.frameTimes(), cpu.frameTimes(), what);
            assertEquals(ref.frames().size(), cpu.frames().size(), what);
            for (int f = 0; f < ref.frames().size(); f++) {
                assertClose(ref.frames().get(f), cpu.frames().get(f), FORWARD_SIM_TOL, what + ": frame " + f);
            }
            assertClose(ref.xy(), cpu.xy(), FORWARD_SIM_TOL, what);
        }
    }
}
