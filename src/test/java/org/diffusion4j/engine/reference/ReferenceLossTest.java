package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
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
import org.diffusion4j.objective.Objective;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The reference loss of every objective on every process it supports: its gradient against finite differences of
 * the loss itself, and hand-computed values.
 *
 * <p>Tolerance: max over parameters of {@code |g_fd - g| / max(|g_fd|, |g|, floor)} <= 1e-6 with
 * {@code floor = 1e-4 max_k |g_k|}: the losses here reach O(100) (score targets -eps / s with s down to 0.1), so
 * the stencil's rounding error (about 2e-12 |L|, see {@link FiniteDifference}) is bounded relative to the largest
 * gradient entry, not in absolute terms.
 */
class ReferenceLossTest {
    static final double TOLERANCE = 1e-6;
    static final int BATCH = 4;

    /** One instance of every forward process, with the source documents' settings. */
    static List<ForwardProcess> processes() {
        return List.of(OrnsteinUhlenbeck.document000(), Ddpm.linear(200, 1e-4, 0.02), GaussianPath.document002(),
                NoiseLevels.single(0.5, 2.0));
    }

    record Case(Objective objective, ForwardProcess process) {
        @Override
        public String toString() {
            return label(objective) + " on " + process.name();
        }
    }

    /** The config name, with the prediction type of the prediction objective. */
    static String label(Objective o) {
        return o instanceof Objective.PredictionMatching p ? o.name() + " (" + p.prediction().predictionName() + ")" : o.name();
    }

    /** Every (objective, process) pair the objective supports. */
    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Objective o : Objective.all()) {
            for (ForwardProcess p : processes()) {
                if (o.supports(p)) {
                    cases.add(new Case(o, p));
                }
            }
        }
        return cases;
    }

    @Test
    void caseListCoversEveryObjectiveAndProcess() {
        assertEquals(Set.of(ForwardProcess.class.getPermittedSubclasses()),
                processes().stream().map(Object::getClass).collect(Collectors.toSet()));
        assertEquals(Set.copyOf(Objective.all()), cases().stream().map(Case::objective).collect(Collectors.toSet()));
        // distinct objectives; the prediction types share the config name epsilon-mse and differ by [network] prediction
        assertEquals(Objective.all().size(), Set.copyOf(Objective.all().stream().map(ReferenceLossTest::label).toList()).size());
    }

    static final NetworkSpec SPEC = new NetworkSpec(new TimeEmbedding.Sinusoidal(4), new Conditioning.None(),
            new Body.Plain(List.of(6, 5)), Activation.SILU);

    @TestFactory
    Stream<DynamicTest> lossGradientMatchesFiniteDifferences() {
        List<Case> cases = cases();
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            SplittableRandom rnd = new SplittableRandom(500 + cases.indexOf(c));
            double[] params = widen(NetworkInit.initialize(SPEC, rnd.nextLong()));
            double[] x0 = new double[2 * BATCH];
            double[] eps = new double[2 * BATCH];
            double[] t = new double[BATCH];
            for (int k = 0; k < x0.length; k++) {
                x0[k] = 2 * ReferenceNetworkGradientTest.gaussian(rnd);
                eps[k] = ReferenceNetworkGradientTest.gaussian(rnd);
            }
            for (int i = 0; i < BATCH; i++) {
                // away from the ends, where score and flow targets grow like 1 / s(t)
                t[i] = c.process().trainingTime(rnd.nextDouble(0.05, 0.95));
            }
            ReferenceLoss loss = new ReferenceLoss(c.objective(), c.process());
            ReferenceLoss.Result result = loss.evaluate(new ReferenceNetwork(SPEC, params), x0, eps, t, Condition.NONE);
            double[] numeric = FiniteDifference.gradient(
                    q -> loss.evaluate(new ReferenceNetwork(SPEC, q), x0, eps, t, Condition.NONE).loss(), params.clone());
            double largest = Arrays.stream(result.gradient()).map(Math::abs).max().orElse(0);
            assertTrue(largest > 1e-3, c + ": gradient is nearly zero, the check would be empty");
            double err = FiniteDifference.maxRelativeError(numeric, result.gradient(), 1e-4 * largest);
            assertTrue(err <= TOLERANCE, c + ": relative error " + err);
            double mean = Arrays.stream(result.weights()).average().orElse(0);
            assertEquals(1.0, mean, 1e-15, "weights have batch mean 1 (to rounding)");
        }));
    }

    /**
     * Epsilon-MSE on DDPM with every weight 0 and output bias b = (0.5, 0.5), so f = b for every input:
     * <pre>
     *   eps = ((1, 0), (0, -1)):  residuals f - eps = ((-0.5, 0.5), (0.5, 1.5))
     *   L = (0.25 + 0.25 + 0.25 + 2.25) / (2 * 2) = 0.75
     *   dL/db = (1 / 2) ((-0.5 + 0.5), (0.5 + 1.5)) = (0, 1),  every other gradient entry 0 except the last
     *   layer's weight, whose input (act(bias) = act(0)) is 0 for SiLU.
     * </pre>
     */
    @Test
    void epsilonLossByHand() {
        ParameterLayout layout = ParameterLayout.of(SPEC);
        double[] params = new double[layout.size()];
        int bias = layout.tensor("layers.2.bias").offset();
        params[bias] = 0.5;
        params[bias + 1] = 0.5;
        ReferenceLoss loss = new ReferenceLoss(new Objective.PredictionMatching(), Ddpm.linear(200, 1e-4, 0.02));
        ReferenceLoss.Result r = loss.evaluate(new ReferenceNetwork(SPEC, params), new double[] {3, 4, -1, 2},
                new double[] {1, 0, 0, -1}, new double[] {10, 150}, Condition.NONE);
        assertEquals(0.75, r.loss(), 1e-15);
        double[] expected = new double[layout.size()];
        expected[bias + 1] = 1;
        assertArrayEquals(expected, r.gradient(), 1e-15);
        assertArrayEquals(new double[] {1, 0, 0, -1}, r.targets(), 0.0);
    }

    /**
     * Weighted DSM on OU (lambda = sigma = 0.5): s(t)^2 = 0.25 (1 - e^{-t}); raw weights clamp(s^2, 1e-3, 10) are
     * s^2 here, normalised to mean 1; targets -eps / s(t).
     */
    @Test
    void weightedScoreMatchingWeightsAndTargetsByHand() {
        ReferenceLoss loss = new ReferenceLoss(Objective.byName("weighted-dsm"), OrnsteinUhlenbeck.document000());
        double s1 = 0.25 * (1 - Math.exp(-1.0));
        double s2 = 0.25 * (1 - Math.exp(-0.5));
        double[] w = loss.weights(new double[] {1.0, 0.5});
        // relative rounding of a few operations on numbers near 1
        assertArrayEquals(new double[] {2 * s1 / (s1 + s2), 2 * s2 / (s1 + s2)}, w, 1e-15);
        double[] params = new double[ParameterLayout.of(SPEC).size()];
        ReferenceLoss.Result r = loss.evaluate(new ReferenceNetwork(SPEC, params), new double[] {0, 0, 0, 0},
                new double[] {1, -2, 0.5, 0}, new double[] {1.0, 0.5}, Condition.NONE);
        assertArrayEquals(new double[] {-1 / Math.sqrt(s1), 2 / Math.sqrt(s1), -0.5 / Math.sqrt(s2), 0}, r.targets(), 1e-14);
        // f = 0: L = (1 / 4) sum_i w_i |target_i|^2 = (1 / 4) (w_1 5 / s1 + w_2 0.25 / s2)
        assertEquals((w[0] * 5 / s1 + w[1] * 0.25 / s2) / 4, r.loss(), 1e-13);
    }

    /**
     * Flow matching on the Gaussian path at t = 0.5 with eps = 0: x_t = 0.5 x_0, beta'/beta = -1 / (2 (1 - t)) = -1,
     * u = (1 - (-1) 0.5) x_0 + (-1) x_t = 1.5 x_0 - 0.5 x_0 = x_0.
     */
    @Test
    void flowMatchingTargetByHand() {
        ReferenceLoss loss = new ReferenceLoss(Objective.byName("flow-matching"), GaussianPath.document002());
        ReferenceLoss.Result r = loss.evaluate(new ReferenceNetwork(SPEC, new double[ParameterLayout.of(SPEC).size()]),
                new double[] {1, 2}, new double[] {0, 0}, new double[] {0.5}, Condition.NONE);
        assertArrayEquals(new double[] {0.5, 1}, r.xt(), 1e-15);
        assertArrayEquals(new double[] {1, 2}, r.targets(), 1e-15);
    }

    @Test
    void refusesBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ReferenceLoss(Objective.byName("flow-matching"), OrnsteinUhlenbeck.document000()));
        assertTrue(e.getMessage().startsWith("objective:"), e.getMessage());
        ReferenceLoss loss = new ReferenceLoss(new Objective.PredictionMatching(), Ddpm.linear(200, 1e-4, 0.02));
        ReferenceNetwork net = new ReferenceNetwork(SPEC, new double[ParameterLayout.of(SPEC).size()]);
        e = assertThrows(IllegalArgumentException.class, () -> loss.evaluate(net, new double[] {0, 0}, new double[] {0}, new double[] {1}, Condition.NONE));
        assertTrue(e.getMessage().startsWith("eps:"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        e = assertThrows(IllegalArgumentException.class, () -> loss.evaluate(net, new double[] {0}, new double[] {0, 0}, new double[] {1}, Condition.NONE));
        assertTrue(e.getMessage().startsWith("x0:"), e.getMessage());
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
