package org.diffusion4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.cpu.CpuEngine;
import org.diffusion4j.engine.reference.ReferenceEngine;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.Precision;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.sampler.SamplerSpec;
import org.junit.jupiter.api.Test;

/**
 * network.precision on the engines without tensor cores: the reference computes in double and the cpu engine in FP32
 * whatever it says (results bit-identical to fp32's), and the cpu engine says so once, on stderr, however many
 * networks ask. A checkpoint's network matches a config's at any precision.
 */
class PrecisionFieldTest {
    private static final NetworkSpec NET = EngineAgreementTest.plain(new TimeEmbedding.Raw(0.1), new Conditioning.None(), Activation.SILU, 32, 24);
    private static final Ddpm DDPM = Ddpm.linear(20, 1e-3, 0.2);

    private static SamplingSetup sampling(Precision p) {
        NetworkSpec net = NET.withPrecision(p);
        ScoreSource source = new ScoreSource.Network(net, EngineAgreementTest.params(net, 3), Parameterization.EPSILON, Condition.NONE);
        return new SamplingSetup(DDPM, new SamplerSpec.Ddim(0.0), source, 20, 4, 7);
    }

    private static TrainingSetup training(Precision p) {
        Points data = Datasets.byName(Datasets.RING).sample(64, 1);
        return new TrainingSetup(NET.withPrecision(p), DDPM, new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), data, 32, 5);
    }

    private static float[] trained(Engine e, Precision p) {
        try (Trainer t = e.trainer(training(p), EngineAgreementTest.params(NET, 2))) {
            t.step();
            return t.parameters();
        }
    }

    @Test
    void theCpuEngineComputesFp32AndSaysSoOnce() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        double[] fp32;
        double[] tf32;
        float[] pFp32;
        float[] pTf32x3;
        try (CpuEngine cpu = new CpuEngine(1)) {
            fp32 = cpu.sample(sampling(Precision.FP32), Progress.NONE).xy();
            pFp32 = trained(cpu, Precision.FP32);
            assertEquals(0, captured.size());
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                tf32 = cpu.sample(sampling(Precision.TF32), Progress.NONE).xy();
                pTf32x3 = trained(cpu, Precision.TF32X3);
                cpu.sample(sampling(Precision.TF32X3), Progress.NONE);
            } finally {
                System.setErr(err);
            }
        }
        assertArrayEquals(fp32, tf32, "the cpu engine's samples do not depend on the precision");
        assertArrayEquals(pFp32, pTf32x3, "nor its training");
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of("warning: engine cpu: network.precision tf32 is for the cuda engine's tensor cores; the cpu engine computes FP32"),
                lines);
    }

    @Test
    void theReferenceComputesInDoubleWhateverThePrecision() {
        ReferenceEngine ref = new ReferenceEngine();
        double[] fp32 = ref.sample(sampling(Precision.FP32)).xy();
        for (Precision p : List.of(Precision.TF32X3, Precision.TF32)) {
            assertArrayEquals(fp32, ref.sample(sampling(p)).xy(), p.configName());
            assertArrayEquals(trained(ref, Precision.FP32), trained(ref, p), p.configName());
        }
    }

    @Test
    void aCheckpointMatchesANetworkOfAnyPrecision() {
        assertTrue(NET.sameModel(NET.withPrecision(Precision.TF32)));
        assertFalse(NET.equals(NET.withPrecision(Precision.TF32)), "the precision is part of the spec the engines see");
        NetworkSpec wider = EngineAgreementTest.plain(new TimeEmbedding.Raw(0.1), new Conditioning.None(), Activation.SILU, 32, 25);
        assertFalse(NET.sameModel(wider.withPrecision(Precision.FP32)));
        assertEquals(Precision.FP32, new NetworkSpec(NET.time(), NET.conditioning(), NET.body(), NET.activation()).precision());
    }
}
