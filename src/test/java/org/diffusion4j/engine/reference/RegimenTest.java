package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainerState;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.process.Ddpm;
import org.junit.jupiter.api.Test;

/** The training regimen (learning-rate schedules, gradient clipping, EMA) on the reference engine, against values worked by hand. */
class RegimenTest {

    /**
     * lr = 1e-2, warm-up W = 2, N = 6 updates, floor 1e-3. Warm-up: lr k / W = 5e-3, 1e-2. Then p = (k - 2) / 4:
     * cosine 1e-3 + 9e-3 (1 + cos(pi p)) / 2 = 1e-3 + 9e-3 (2 + sqrt 2) / 4 = 0.0086819805 (p = 1/4), 0.0055 (p = 1/2),
     * 1e-3 + 9e-3 (2 - sqrt 2) / 4 = 0.0023180195 (p = 3/4), 1e-3 (p = 1); linear 1e-2 - 9e-3 p = 0.00775, 0.0055,
     * 0.00325, 0.001; constant 1e-2 after the warm-up. Exact but for double rounding: 1e-15.
     */
    @Test
    void learningRateSchedulesMatchTheirFormulas() {
        double[] cosine = {0.005, 0.01, 1e-3 + 9e-3 * (2 + Math.sqrt(2)) / 4, 0.0055, 1e-3 + 9e-3 * (2 - Math.sqrt(2)) / 4, 0.001};
        double[] linear = {0.005, 0.01, 0.00775, 0.0055, 0.00325, 0.001};
        double[] constant = {0.005, 0.01, 0.01, 0.01, 0.01, 0.01};
        TrainingRegimen cos = new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 2, 6, 1e-3, 0, 0, false);
        TrainingRegimen lin = new TrainingRegimen(TrainingRegimen.Schedule.LINEAR, 2, 6, 1e-3, 0, 0, false);
        TrainingRegimen con = new TrainingRegimen(TrainingRegimen.Schedule.CONSTANT, 2, 6, 0, 0, 0, false);
        for (int k = 1; k <= 6; k++) {
            assertEquals(cosine[k - 1], cos.learningRate(1e-2, k), 1e-15, "cosine " + k);
            assertEquals(linear[k - 1], lin.learningRate(1e-2, k), 1e-15, "linear " + k);
            assertEquals(constant[k - 1], con.learningRate(1e-2, k), 1e-15, "constant " + k);
        }
        assertEquals(0.0086819805153394, cosine[2], 1e-15);
        assertEquals(1e-2, TrainingRegimen.plain(6).learningRate(1e-2, 3));
        // EMA warm-up: d_k = min(d, (1 + k) / (10 + k)): 2/11, 3/12, then d once (1 + k) / (10 + k) passes it
        TrainingRegimen ema = new TrainingRegimen(TrainingRegimen.Schedule.CONSTANT, 0, 1000, 0, 0, 0.9, true);
        assertEquals(2.0 / 11, ema.emaDecay(1), 1e-16);
        assertEquals(0.25, ema.emaDecay(2), 1e-16);
        assertEquals(0.9, ema.emaDecay(81), 1e-16);
        assertEquals(0.9, ema.emaDecay(500), 1e-16);
        assertEquals(0.9, new TrainingRegimen(TrainingRegimen.Schedule.CONSTANT, 0, 10, 0, 0, 0.9, false).emaDecay(1));
        // clipping: c / (|g| + 1e-6) below 1, else 1
        TrainingRegimen clip = new TrainingRegimen(TrainingRegimen.Schedule.CONSTANT, 0, 10, 0, 1.0, 0, false);
        assertEquals(1.0 / (5 + 1e-6), clip.clipFactor(5), 1e-16);
        assertEquals(1.0, clip.clipFactor(0.5));
    }

    @Test
    void badRegimensAreRefusedNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 7, 6, 0, 0, 0, false)).getMessage().startsWith("training.warmup_steps:"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 0, 6, 0, 0, 1.0, false)).getMessage().startsWith("training.ema_decay:"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 0, 6, 0, -1, 0, false)).getMessage().startsWith("training.clip_grad_norm:"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new TrainingRegimen(TrainingRegimen.Schedule.COSINE, 0, 6, 0.5, 0, 0, false).check(OptimizerSpec.adam(0.1)))
                .getMessage().startsWith("training.min_lr:"));
    }

    /**
     * Two Adam updates of p = (1, -1), lr 0.1, linear schedule with W = 1 over N = 2 to the floor 0.02, clipping at 1.
     * Update 1: g = (3, 4), |g| = 5, clipped by f = 1 / (5 + 1e-6) to (0.59999988, 0.79999984); lr_1 = 0.1 (warm-up 1/1);
     * Adam's first step moves each entry by lr g / (|g| + eps) (mHat = g, vHat = g^2): p = (0.9000000016667,
     * -1.0999999987500) (the 1e-8 eps leaves 1.7e-9). Update 2: g = (0.3, -0.4), |g| = 0.5, not clipped; p = (2 - 1) / 1
     * = 1 gives lr_2 = 0.02; m = 0.9 m + 0.1 g = (0.0839999892, 0.0319999856), v = 0.999 v + 0.001 g^2 =
     * (4.496398561e-4, 7.993597443e-4), mHat = m / 0.19, vHat = v / 0.001999, p -= 0.02 mHat / (sqrt(vHat) + 1e-8):
     * p = (0.8813564086982, -1.1053267379140). Double arithmetic in another order differs by a few ulps: 1e-12.
     */
    @Test
    void clippingAndScheduleEnterAdamAsWorkedByHand() {
        TrainingRegimen r = new TrainingRegimen(TrainingRegimen.Schedule.LINEAR, 1, 2, 0.02, 1.0, 0, false);
        ReferenceOptimizer opt = new ReferenceOptimizer(OptimizerSpec.adam(0.1), r, 2);
        double[] p = {1, -1};
        double[] g1 = {3, 4};
        opt.update(p, g1);
        assertArrayEquals(new double[] {0.599999880000024, 0.799999840000032}, g1, 1e-15, "the clipped gradient");
        assertArrayEquals(new double[] {0.9000000016666669, -1.0999999987499998}, p, 1e-12, "after update 1");
        opt.update(p, new double[] {0.3, -0.4});
        assertArrayEquals(new double[] {0.0839999892, 0.0319999856}, opt.m(), 1e-12, "m after update 2");
        assertArrayEquals(new double[] {0.8813564086981951, -1.1053267379140466}, p, 1e-12, "after update 2");
    }

    /**
     * The EMA of the reference trainer: e_0 = p_0 and e_k = d_k e_{k-1} + (1 - d_k) p_k with the warm-up decays
     * d_1 = 2/11, d_2 = 3/12, d_3 = 4/13 (below 0.95), computed here from the parameters after each update. Doubles
     * throughout, the same operations: equal to 1e-15 relative (the float rounding of emaParameters() is applied to both).
     */
    @Test
    void theEmaFollowsItsRecursion() {
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.Raw(0.1), new Conditioning.None(), new Body.Plain(List.of(8)), Activation.SILU);
        Points data = Datasets.byName(Datasets.RING).sample(64, 1);
        TrainingRegimen r = new TrainingRegimen(TrainingRegimen.Schedule.CONSTANT, 0, 3, 0, 0, 0.95, true);
        TrainingSetup setup = new TrainingSetup(spec, Ddpm.linear(10, 1e-3, 0.2), new Objective.PredictionMatching(), OptimizerSpec.adam(1e-2),
                data, 16, 3, 0.0, r);
        float[] init = NetworkInit.initialize(spec, 3);
        double[] e = TrainerState.doubles(init);
        double[] decays = {2.0 / 11, 3.0 / 12, 4.0 / 13};
        try (Trainer t = new ReferenceEngine().trainer(setup, init)) {
            for (int k = 1; k <= 3; k++) {
                t.step();
                double[] p = t.state().parameters();
                for (int i = 0; i < e.length; i++) {
                    e[i] = decays[k - 1] * e[i] + (1 - decays[k - 1]) * p[i];
                }
                assertArrayEquals(e, t.state().ema(), 1e-15, "EMA after update " + k);
            }
            assertArrayEquals(TrainerState.floats(e), t.emaParameters());
        }
        TrainingSetup plain = new TrainingSetup(spec, Ddpm.linear(10, 1e-3, 0.2), new Objective.PredictionMatching(), OptimizerSpec.adam(1e-2),
                data, 16, 3);
        try (Trainer t = new ReferenceEngine().trainer(plain, init)) {
            t.step();
            assertNull(t.emaParameters());
        }
    }
}
