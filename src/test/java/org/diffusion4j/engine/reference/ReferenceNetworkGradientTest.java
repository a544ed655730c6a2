package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Finite-difference checks of the hand-derived backward pass, for every combination of time feature,
 * conditioning, trunk and activation (so every layer kind: Linear, activation, LayerNorm, residual sum, time
 * table, label table, one-hot, cond MLP, time MLP).
 *
 * <p>The checked scalar is {@code L = sum_k r_k f_k} for a fixed random r, whose gradient is
 * {@code backward(pass, r)}. Tolerance: max over entries of {@code |g_fd - g| / max(|g_fd|, |g|, 1e-4)} <= 1e-6.
 * The floor 1e-4 turns the test into an absolute check of 1e-10 for entries smaller than 1e-4 (the stencil's own
 * error is about 1e-12 there, see {@link FiniteDifference}; the largest relative error measured over all cases is
 * 3e-8), where a relative check would measure rounding noise.
 *
 * <p>ReLU: the network is piecewise smooth; a probe of 2h = 6e-4 in one parameter moves a pre-activation z by at
 * most 6e-4 |dz/dp|, and |dz/dp| stays below 10 in these small networks (|inputs| of a few units, weights O(1)). So each ReLU case draws its batch
 * (seeded) until every pre-activation satisfies |z| >= 0.05 (asserted), and no probe crosses a kink; a crossing
 * would show as an O(1) error, not as a pass.
 */
class ReferenceNetworkGradientTest {
    static final double TOLERANCE = 1e-6;
    static final double FLOOR = 1e-4;
    static final double RELU_MARGIN = 0.05;

    static final int BATCH = 3;
    static final int TABLE_STEPS = 5;
    static final int CLASSES = 3;

    /** One instance of every time feature. */
    static List<TimeEmbedding> timeKinds() {
        return List.of(new TimeEmbedding.None(), new TimeEmbedding.Raw(0.7), new TimeEmbedding.Sinusoidal(4),
                new TimeEmbedding.Table(TABLE_STEPS, 3));
    }

    /** One instance of every conditioning input. */
    static List<Conditioning> conditioningKinds() {
        return List.of(new Conditioning.None(), new Conditioning.OneHot(CLASSES), new Conditioning.Continuous(3),
                new Conditioning.LabelEmbedding(CLASSES));
    }

    /** One instance of every trunk. */
    static List<Body> bodyKinds() {
        return List.of(new Body.Plain(List.of(5, 4)), new Body.Residual(4, 2));
    }

    /** Every combination of the above with every activation. */
    static List<NetworkSpec> cases() {
        List<NetworkSpec> cases = new ArrayList<>();
        for (Body body : bodyKinds()) {
            for (TimeEmbedding time : timeKinds()) {
                for (Conditioning cond : conditioningKinds()) {
                    for (Activation act : Activation.values()) {
                        cases.add(new NetworkSpec(time, cond, body, act));
                    }
                }
            }
        }
        return cases;
    }

    @Test
    void caseListCoversEveryKind() {
        assertEquals(Set.of(TimeEmbedding.class.getPermittedSubclasses()),
                timeKinds().stream().map(Object::getClass).collect(Collectors.toSet()), "time features");
        assertEquals(Set.of(Conditioning.class.getPermittedSubclasses()),
                conditioningKinds().stream().map(Object::getClass).collect(Collectors.toSet()), "conditioning inputs");
        assertEquals(Set.of(Body.class.getPermittedSubclasses()),
                bodyKinds().stream().map(Object::getClass).collect(Collectors.toSet()), "trunks");
        assertEquals(EnumSet.allOf(Activation.class), cases().stream().map(NetworkSpec::activation).collect(Collectors.toSet()));
        assertEquals(timeKinds().size() * conditioningKinds().size() * bodyKinds().size() * Activation.values().length, cases().size());
    }

    /** A batch and parameters for one case. */
    record Problem(NetworkSpec spec, double[] params, double[] xy, double[] t, Condition condition, double[] r) {
        ReferenceNetwork network(double[] p) {
            return new ReferenceNetwork(spec, p);
        }

        /** L = sum_k r_k f_k(params, xy). */
        double scalar(double[] p, double[] positions) {
            ReferenceNetwork net = network(p);
            double[] f = net.output(net.forward(positions, t, condition));
            double s = 0;
            for (int k = 0; k < f.length; k++) {
                s += r[k] * f[k];
            }
            return s;
        }
    }

    /**
     * Seeded problem for a case, redrawn until every tensor's gradient has an entry above the floor (so that no
     * check is empty: with ReLU, dead units can silence a whole tensor) and, for ReLU, no pre-activation is within
     * RELU_MARGIN of the kink.
     */
    static Problem problem(NetworkSpec spec, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int attempt = 0; attempt < 10_000; attempt++) {
            Problem p = draw(spec, rnd);
            ReferenceNetwork net = p.network(p.params);
            ReferenceNetwork.Pass pass = net.forward(p.xy, p.t, p.condition);
            boolean clearOfKinks = spec.activation() != Activation.RELU || pass.minAbsPreActivation() >= RELU_MARGIN;
            if (clearOfKinks && deadTensor(spec, net.backward(pass, p.r)) == null) {
                return p;
            }
        }
        throw new AssertionError("no batch with live tensors and ReLU margin " + RELU_MARGIN + " for " + spec);
    }

    /** The first tensor whose gradient has no entry above the floor, or null. */
    static String deadTensor(NetworkSpec spec, double[] gradient) {
        for (ParameterLayout.Tensor tensor : ParameterLayout.of(spec).tensors()) {
            double max = 0;
            for (int k = tensor.offset(); k < tensor.offset() + tensor.size(); k++) {
                max = Math.max(max, Math.abs(gradient[k]));
            }
            if (max <= FLOOR) {
                return tensor.name();
            }
        }
        return null;
    }

    private static Problem draw(NetworkSpec spec, SplittableRandom rnd) {
        float[] init = NetworkInit.initialize(spec, rnd.nextLong());
        double[] params = new double[init.length];
        for (int k = 0; k < params.length; k++) {
            // perturbed so that LayerNorm gains are not all 1 and biases not all 0
            params[k] = init[k] + 0.3 * gaussian(rnd);
        }
        double[] xy = new double[2 * BATCH];
        double[] r = new double[2 * BATCH];
        for (int k = 0; k < xy.length; k++) {
            xy[k] = 1.5 * gaussian(rnd);
            r[k] = gaussian(rnd);
        }
        double[] t = new double[BATCH];
        for (int i = 0; i < BATCH; i++) {
            t[i] = spec.time() instanceof TimeEmbedding.Table ? rnd.nextInt(TABLE_STEPS) : rnd.nextDouble(0.0, 3.0);
        }
        if (spec.time() instanceof TimeEmbedding.None) {
            t = null;
        }
        Condition condition;
        if (spec.conditioning() instanceof Conditioning.OneHot || spec.conditioning() instanceof Conditioning.LabelEmbedding) {
            int[] labels = new int[BATCH];
            for (int i = 0; i < BATCH; i++) {
                labels[i] = rnd.nextInt(CLASSES);
            }
            condition = Condition.labels(labels);
        } else if (spec.conditioning() instanceof Conditioning.Continuous) {
            double[] values = new double[BATCH];
            for (int i = 0; i < BATCH; i++) {
                values[i] = rnd.nextDouble(0.5, 3.0);
            }
            condition = Condition.values(values);
        } else {
            condition = Condition.NONE;
        }
        return new Problem(spec, params, xy, t, condition, r);
    }

    static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(Double.MIN_NORMAL, 1.0);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    static String describe(NetworkSpec s) {
        return s.body().kind() + "/" + s.time().kind() + "/" + s.conditioning().kind() + "/" + s.activation().configName();
    }

    @TestFactory
    Stream<DynamicTest> parameterGradientMatchesFiniteDifferences() {
        List<NetworkSpec> cases = cases();
        return cases.stream().map(spec -> DynamicTest.dynamicTest(describe(spec), () -> {
            Problem p = problem(spec, 1000L + cases.indexOf(spec));
            ReferenceNetwork net = p.network(p.params);
            double[] analytic = net.backward(net.forward(p.xy, p.t, p.condition), p.r);
            double[] numeric = FiniteDifference.gradient(q -> p.scalar(q, p.xy), p.params.clone());
            double err = FiniteDifference.maxRelativeError(numeric, analytic, FLOOR);
            int worst = FiniteDifference.worstIndex(numeric, analytic, FLOOR);
            assertTrue(err <= TOLERANCE, describe(spec) + ": relative error " + err + " at " + nameOf(spec, worst)
                    + " (fd " + numeric[worst] + ", backward " + analytic[worst] + ")");
            assertEquals(null, deadTensor(spec, numeric), describe(spec) + ": a tensor without gradient makes an empty check");
        }));
    }

    @TestFactory
    Stream<DynamicTest> inputGradientMatchesFiniteDifferences() {
        List<NetworkSpec> cases = cases();
        return cases.stream().map(spec -> DynamicTest.dynamicTest(describe(spec), () -> {
            Problem p = problem(spec, 2000L + cases.indexOf(spec));
            ReferenceNetwork net = p.network(p.params);
            double[] analytic = net.inputGradient(net.forward(p.xy, p.t, p.condition), p.r);
            double[] numeric = FiniteDifference.gradient(q -> p.scalar(p.params, q), p.xy.clone());
            double err = FiniteDifference.maxRelativeError(numeric, analytic, FLOOR);
            assertTrue(err <= TOLERANCE, describe(spec) + ": relative error " + err + ", fd " + Arrays.toString(numeric)
                    + ", backward " + Arrays.toString(analytic));
            assertTrue(Arrays.stream(analytic).anyMatch(g -> Math.abs(g) > FLOOR), "input gradient is zero, the check would be empty");
        }));
    }

    private static String nameOf(NetworkSpec spec, int index) {
        for (ParameterLayout.Tensor t : ParameterLayout.of(spec).tensors()) {
            if (index >= t.offset() && index < t.offset() + t.size()) {
                return t.name() + "[" + (index - t.offset()) + "]";
            }
        }
        return "#" + index;
    }
}
