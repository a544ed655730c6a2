package org.diffusion4j.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.testing.TinyConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library API used as a program would, without the command line: train, sample, evaluate, write and read a run. */
class RunApiTest {

    /** DDPM on the ring, T = 20, a 16-wide network: well under a second on the cpu engine. */
    static final String TINY = TinyConfigs.ddpmRing("api", "cpu", 40, "ddpm", 300);

    /** Records what a run reports, to show that the library talks only through its Reporter. */
    static final class Recorder implements Reporter {
        final List<String> lines = new ArrayList<>();
        final List<String> tasks = new ArrayList<>();
        long lastDone;

        @Override
        public Task start(String task, String unit, long total) {
            tasks.add(task);
            return new Task() {
                @Override
                public void update(long done, long all) {
                    lastDone = done;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void info(String line) {
            lines.add(line);
        }

        @Override
        public void warn(String line) {
            lines.add(line);
        }
    }

    @Test
    void trainSampleEvaluateAndReadBackARunFolder(@TempDir Path dir) {
        RunConfig c = ConfigToml.parse(TINY);
        Recorder rec = new Recorder();
        try (Engine e = Engines.create("cpu")) {
            Training.Result trained = Training.train(e, c, rec);
            assertEquals(List.of("train eps"), rec.tasks);
            assertEquals(40, rec.lastDone);
            assertEquals(40, trained.losses().get("eps").length);
            Samples direct = Sampling.sample(e, trained.model(), Reporter.SILENT);
            assertEquals(300, direct.size());
            Map<String, Object> m = Evaluation.distances("ring", direct.xy(), c.sampling().seed());
            assertTrue((double) m.get("sliced_wasserstein") > 0);

            TrainRun.Result run = TrainRun.run(e, c, dir.resolve("run"), false, Reporter.SILENT);
            assertTrue(Files.isRegularFile(run.folder().resolve("model.safetensors")));
            assertTrue(Files.isRegularFile(run.folder().resolve("metrics.json")));
            // the same config on the same engine: the same parameters and samples, bit for bit
            assertArrayEquals(trained.parameters().get(0), run.training().parameters().get(0));
            assertArrayEquals(direct.xy(), run.samples().xy());
            assertEquals(m.get("sliced_wasserstein"), run.metrics().get("sliced_wasserstein"));

            Model loaded = Model.load(run.folder());
            assertEquals("cpu", loaded.config().engine());
            assertArrayEquals(trained.parameters().get(0), loaded.parameters().get(0));
            assertArrayEquals(direct.xy(), Sampling.sample(e, loaded, Reporter.SILENT).xy());
            assertArrayEquals(direct.xy(), PointsNpy.read(run.folder().resolve("samples.npy")).xy());
            Model fromCheckpoint = Model.fromCheckpoint(run.folder().resolve("model.safetensors"));
            assertEquals(loaded.config(), fromCheckpoint.config());

            IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                    () -> TrainRun.run(e, c, run.folder(), false, Reporter.SILENT));
            assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
        }
    }
}
