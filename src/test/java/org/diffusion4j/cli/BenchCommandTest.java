package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.config.Presets;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.model.NetworkFlops;
import org.diffusion4j.model.NetworkSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark driver on tiny workloads: its table and JSON, the FLOP count, and its refusals. */
class BenchCommandTest {

    @Test
    void benchWritesATableAndJsonWithEveryMeasurement(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("bench.json");
        String out = ok("bench", "--preset", "ddpm-ring", "--engines", "cpu,reference", "--particles", 64, "--train-batches", "0,16",
                "--train-steps", 2, "--repeats", 2, "--warmup", 0, "--out", json).out();
        assertTrue(out.contains("| preset | measurement | size | cpu | reference | cpu / reference |"), out);
        assertTrue(out.contains("| ddpm-ring | sample (particle-steps/s) | 64 |") && out.contains("| ddpm-ring | train (steps/s) | 256 |")
                && out.contains("| ddpm-ring | train (steps/s) | 16 |"), out);
        JsonNode rows = new ObjectMapper().readTree(json.toFile()).get("rows");
        assertEquals(6, rows.size(), "2 engines x (1 sampling + 2 training)");
        for (JsonNode r : rows) {
            assertEquals(2, r.get("repeats").size());
            assertTrue(r.get("median").asDouble() > 0, r.toString());
        }
    }

    @Test
    void threadsGiveACpuColumnEachAndTheirRatio(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("threads.json");
        String out = ok("bench", "--preset", "ddpm-ring", "--engines", "cpu", "--threads", "2,1", "--particles", 64, "--train-steps", 2,
                "--repeats", 1, "--warmup", 0, "--out", json).out();
        assertTrue(out.contains("bench: cpu-2t: cpu engine, 2 threads") && out.contains("bench: cpu-1t: cpu engine, 1 threads"), out);
        assertTrue(out.contains("| preset | measurement | size | cpu-2t | cpu-1t | cpu-2t / cpu-1t |"), out);
        JsonNode rows = new ObjectMapper().readTree(json.toFile()).get("rows");
        assertEquals(4, rows.size(), "2 thread counts x (sampling + training)");
        // measurements outer, engines inner: the two columns of a measurement run back to back
        assertEquals("cpu-2t", rows.get(0).get("engine").asText());
        assertEquals("cpu-1t", rows.get(1).get("engine").asText());
        assertEquals(rows.get(0).get("kind").asText(), rows.get(1).get("kind").asText());
    }

    @Test
    void flopsCountTheLinearLayersOfOneParticle() {
        // ddpm-ring: [x, y] -> 128 (time folded), 128 -> 128, 128 -> 2: 2 (256 + 16384 + 256) = 33792
        NetworkSpec ring = Presets.byName("ddpm-ring").networks().get(0).spec();
        assertEquals(33_792, NetworkFlops.perParticle(ring));
        // ddpm-spiral: residual 256, 3 blocks: 2 (256 * 2 + 3 * 2 * 65536 + 256 * 128 + 128 * 2)
        NetworkSpec spiral = Presets.byName("ddpm-spiral").networks().get(0).spec();
        assertEquals(2L * (512 + 6 * 65536 + 32768 + 256), NetworkFlops.perParticle(spiral));
        // the flow pair of flow-gmm11 sampled with langevin-flow: both networks every update
        var p = Presets.byName("flow-gmm11");
        long one = NetworkFlops.perParticle(p.networks().get(0).spec());
        assertEquals(2L * (1024 * 2 + 1024 * 16 + 16 * 2), one);
        var source = new ScoreSource.FlowAndScore(
                new ScoreSource.Network(p.networks().get(0).spec(), new float[org.diffusion4j.model.ParameterLayout.of(p.networks().get(0).spec()).size()],
                        org.diffusion4j.objective.Parameterization.VELOCITY, org.diffusion4j.model.Condition.NONE),
                new ScoreSource.Network(p.networks().get(1).spec(), new float[org.diffusion4j.model.ParameterLayout.of(p.networks().get(1).spec()).size()],
                        org.diffusion4j.objective.Parameterization.SCORE, org.diffusion4j.model.Condition.NONE));
        SamplingPlan plan = SamplingPlan.of(new SamplingSetup(p.process(), p.sampler(), source, 1, p.samplingSteps(), 1));
        assertEquals(2.0 * one, BenchCommand.flopsPerParticleStep(p, plan), 0.0);
    }

    @Test
    void badOptionsAreRefusedInOneLine() {
        refused(List.of("--engines: unknown engine 'gpu', allowed: cuda, cpu, reference"), "bench", "--engines", "gpu");
        refused(List.of("--what: unknown 'both', allowed: sample, train"), "bench", "--what", "both");
        refused(List.of("--particles: each must be >= 1"), "bench", "--particles", "0");
        refused(List.of("preset"), "bench", "--preset", "ddpm-moon");
        refused(List.of("--threads: each must be in 1..1024, got [0]"), "bench", "--threads", "0");
        refused(List.of("--threads: sets the cpu engine's threads, and --engines has no cpu"), "bench", "--engines", "reference", "--threads", "1");
        refused(List.of("--threads: each thread count once, got [2, 2]"), "bench", "--threads", "2,2");
    }
}
