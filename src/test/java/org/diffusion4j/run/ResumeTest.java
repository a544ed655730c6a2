package org.diffusion4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.model.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Periodic training states and continuation: a run stopped and continued from its state equals the uninterrupted run
 * bit for bit on the cpu engine (parameters, EMA, loss history, samples), with a schedule, clipping and an EMA on.
 */
class ResumeTest {

    /** RunApiTest's tiny ring model with every part of the regimen and a state every 10 steps, the last 2 kept. */
    static final String CONFIG = RunApiTest.TINY.replace("[training]\n", """
            [training]
            lr_schedule = "cosine"
            warmup_steps = 5
            min_lr = 1e-4
            clip_grad_norm = 0.5
            ema_decay = 0.9
            ema_warmup = true
            checkpoint_every = 10
            keep_checkpoints = 2
            """);

    @Test
    void aStoppedRunContinuesBitForBit(@TempDir Path dir) throws IOException {
        assertContinuesBitForBit("cpu", dir);
    }

    /** The cuda engine: the same, where a GPU is (skipped, saying why, elsewhere). */
    @Test
    @org.junit.jupiter.api.Tag("gpu")
    void aStoppedRunContinuesBitForBitOnCuda(@TempDir Path dir) throws IOException {
        org.diffusion4j.engine.cuda.CudaProbe.Result probe = org.diffusion4j.engine.cuda.CudaProbe.probe();
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.available(), () -> "no GPU: " + probe.detail());
        assertContinuesBitForBit("cuda", dir);
    }

    static void assertContinuesBitForBit(String engine, Path dir) throws IOException {
        RunConfig c = ConfigToml.parse(CONFIG.replace("engine = \"cpu\"", "engine = \"" + engine + "\""));
        assertEquals(40, c.training().steps());
        try (Engine e = Engines.create(engine)) {
            TrainRun.Result whole = TrainRun.run(e, c, dir.resolve("whole"), false, Reporter.SILENT);
            assertTrue(whole.training().hasEma());
            // the states of a finished run with checkpoint_every move into its checkpoints/ folder, the last two kept
            assertEquals(List.of("state-0-eps-000000020.safetensors", "state-0-eps-000000030.safetensors"),
                    Training.states(whole.folder().resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList());
            assertFalse(Files.exists(RunFiles.stateFolder(whole.folder())));

            Path target = dir.resolve("split");
            AtomicInteger asked = new AtomicInteger();
            Training.Stopped stopped = assertThrows(Training.Stopped.class,
                    () -> TrainRun.run(e, c, target, false, null, null, () -> asked.incrementAndGet() >= 25, Reporter.SILENT));
            assertEquals(25, stopped.step());
            assertFalse(Files.exists(target), "no run folder for a stopped run");
            Path states = RunFiles.stateFolder(target);
            assertEquals(List.of("state-0-eps-000000020.safetensors", "state-0-eps-000000025.safetensors"),
                    Training.states(states).stream().map(p -> p.getFileName().toString()).toList());
            TrainingState state = TrainingState.read(stopped.state());
            assertEquals(25, state.step());
            assertEquals(25, state.losses().get("eps").length);

            TrainRun.Result continued = TrainRun.run(e, c, target, false, null, state, () -> false, Reporter.SILENT);
            assertArrayEquals(whole.training().parameters().get(0), continued.training().parameters().get(0));
            assertArrayEquals(whole.training().ema().get(0), continued.training().ema().get(0));
            assertArrayEquals(whole.training().losses().get("eps"), continued.training().losses().get("eps"));
            assertArrayEquals(whole.samples().xy(), continued.samples().xy());
            for (String f : List.of("model.safetensors", "model.ema.safetensors", "loss.csv", "samples.npy", "config.toml")) {
                assertArrayEquals(Files.readAllBytes(whole.folder().resolve(f)), Files.readAllBytes(continued.folder().resolve(f)), f);
            }
            assertFalse(Files.exists(states), "the state folder goes once the run is complete");
            // sampling takes the EMA weights by default; raw ones on request
            Model ema = Model.load(continued.folder());
            assertArrayEquals(whole.training().ema().get(0), ema.parameters().get(0));
            assertArrayEquals(whole.training().parameters().get(0), Model.load(continued.folder(), RunFiles.Weights.RAW).parameters().get(0));
            assertEquals("ema", Checkpoint.read(continued.folder().resolve("model.ema.safetensors")).metadata().get("weights"));
            assertArrayEquals(whole.samples().xy(), PointsNpy.read(continued.folder().resolve("samples.npy")).xy());
        }
    }

    /** A fresh run into a target whose unfinished run left states: refused, or with --overwrite started over. */
    @Test
    void aFreshRunDoesNotMixWithTheStatesOfAnUnfinishedOne(@TempDir Path dir) {
        RunConfig c = ConfigToml.parse(CONFIG);
        Path target = dir.resolve("r");
        try (Engine e = Engines.create("cpu")) {
            AtomicInteger asked = new AtomicInteger();
            assertThrows(Training.Stopped.class,
                    () -> TrainRun.run(e, c, target, false, null, null, () -> asked.incrementAndGet() >= 15, Reporter.SILENT));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> TrainRun.run(e, c, target, false, Reporter.SILENT));
            assertTrue(refused.getMessage().startsWith("--out: ") && refused.getMessage().contains("train --resume"), refused.getMessage());
            TrainRun.Result fresh = TrainRun.run(e, c, target, true, Reporter.SILENT);
            assertEquals(List.of("state-0-eps-000000020.safetensors", "state-0-eps-000000030.safetensors"),
                    Training.states(fresh.folder().resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aStateOfAnotherEngineOrConfigIsRefused(@TempDir Path dir) {
        RunConfig c = ConfigToml.parse(CONFIG);
        try (Engine cpu = Engines.create("cpu"); Engine ref = Engines.create("reference")) {
            AtomicInteger asked = new AtomicInteger();
            Training.Stopped s = assertThrows(Training.Stopped.class,
                    () -> TrainRun.run(cpu, c, dir.resolve("r"), false, null, null, () -> asked.incrementAndGet() >= 3, Reporter.SILENT));
            TrainingState state = TrainingState.read(s.state());
            IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                    () -> Training.train(ref, state.config().withEngine("reference"), new Training.Options(null, state, () -> false), Reporter.SILENT));
            assertTrue(other.getMessage().startsWith("--resume:"), other.getMessage());
        }
    }
}
