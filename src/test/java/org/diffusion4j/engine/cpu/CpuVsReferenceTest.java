package org.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.EngineAgreementTest;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.reference.ReferenceNetwork;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.TimeEmbedding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The cpu engine against the reference: the generic agreement tests of {@link EngineAgreementTest}, and the network
 * forward and backward passes of {@link CpuNetwork} over variants covering every body, time embedding, conditioning
 * and activation.
 */
class CpuVsReferenceTest extends EngineAgreementTest {
    static final CpuEngine CPU = new CpuEngine(2);

    @AfterAll
    static void close() {
        CPU.close();
    }

    @Override
    protected Engine engine() {
        return CPU;
    }

    @Override
    protected float[] lastGradient(Trainer trainer) {
        return ((CpuTrainer) trainer).lastGradient();
    }

    @Test
    void networkVariantsCoverEveryKind() {
        Set<String> time = new TreeSet<>();
        Set<String> cond = new TreeSet<>();
        Set<String> body = new TreeSet<>();
        Set<Activation> act = new TreeSet<>();
        for (NetworkSpec s : variants()) {
            time.add(s.time().kind());
            cond.add(s.conditioning().kind());
            body.add(s.body().kind());
            act.add(s.activation());
        }
        assertEquals(Set.of("none", "raw", "sinusoidal", "table"), time);
        assertEquals(Set.of("none", "onehot", "continuous", "label"), cond);
        assertEquals(Set.of("plain", "residual"), body);
        assertEquals(Set.of(Activation.values()), act);
    }

    @Test
    void networkForwardAndBackwardAgree() {
        int n = 37; // two full tiles and a partial one
        for (NetworkSpec spec : variants()) {
            Random r = new Random(7);
            float[] p = params(spec, 3);
            double[] xy = r.doubles(2 * n, -3, 3).toArray();
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = spec.time() instanceof TimeEmbedding.Table table ? r.nextInt(table.steps()) : r.nextDouble() * 20;
            }
            Condition c = condition(spec, n, r);
            double[] dOut = r.doubles(2 * n, -1, 1).toArray();

            ReferenceNetwork ref = new ReferenceNetwork(spec, p);
            ReferenceNetwork.Pass pass = ref.forward(xy, t, c);
            double[] fRef = ref.output(pass);
            double[] gRef = ref.backward(pass, dOut);
            CpuNetwork cpu = new CpuNetwork(spec, p);
            float[] fCpu = cpu.outputs(xy, t, c);
            float[] gCpu = cpu.gradient(xy, t, c, dOut);

            double rms = Math.sqrt(java.util.Arrays.stream(fRef).map(v -> v * v).average().orElse(0));
            for (int i = 0; i < fRef.length; i++) {
                double tol = FORWARD_TOL * (Math.abs(fRef[i]) + rms);
                assertTrue(Math.abs(fCpu[i] - fRef[i]) <= tol, spec + ": output " + i + " cpu " + fCpu[i] + " ref " + fRef[i]);
            }
            assertGradientsAgree(spec, gCpu, gRef, spec.toString());
        }
    }
}
