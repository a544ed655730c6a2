package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.plot.Bounds;
import org.diffusion4j.run.Evaluation;
import org.diffusion4j.run.RunFigures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a new user meets first: help texts that say what happens, the version, suggestions for typos. */
class RoughEdgesTest {

    @Test
    void demoHelpStatesTheStepsEachEngineTrains() {
        String help = ok("demo", "--help").out();
        int preset = Presets.byName(DemoCommand.PRESET).trainingSteps();
        assertEquals(preset, DemoCommand.demoSteps("cpu"));
        assertEquals(preset, DemoCommand.demoSteps("cuda"));
        assertTrue(help.replaceAll("\\s+", " ").contains(preset + " on cuda and cpu, " + DemoCommand.demoSteps("reference") + " on reference"), help);
    }

    @Test
    void versionIsTheProjectVersion() {
        String v = ok("--version").out().trim();
        assertTrue(v.matches("diffusion4j \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), v);
    }

    @Test
    void aMistypedSubcommandGetsASuggestion() {
        CommandsTest.Result r = run("trian", "--preset", "ddpm-ring");
        assertEquals(Main.BAD_INPUT, r.code());
        CommandsTest.assertOneLine(r.err());
        assertTrue(r.err().contains("did you mean train?"), r.err());
        CommandsTest.Result far = run("xyzzy");
        assertFalse(far.err().contains("did you mean"), far.err());
    }

    /**
     * Samples of one class are measured against that class's data: points of ring mode 3 are as close to mode 3's
     * data as a second draw of it (within 3 times the data-to-data distance of 2000 points), and far from the whole ring.
     */
    @Test
    void samplesOfOneLabelAreMeasuredAgainstThatLabelsData() {
        Dataset ring = Datasets.byName("ring");
        Points draw = ring.sample(20_000, 99);
        double[] mode3 = new double[2 * 2000];
        int k = 0;
        for (int i = 0; i < draw.size() && k < 2000; i++) {
            if (draw.label(i) == 3) {
                mode3[2 * k] = draw.x(i);
                mode3[2 * k + 1] = draw.y(i);
                k++;
            }
        }
        assertEquals(2000, k);
        Map<String, Object> own = Evaluation.distances(ring, mode3, 5, 3);
        Map<String, Object> whole = Evaluation.distances(ring, mode3, 5, null);
        assertEquals(3, own.get("label"));
        assertTrue((double) own.get("sliced_wasserstein") < 3 * (double) own.get("sliced_wasserstein_data_to_data"), own.toString());
        assertTrue((double) whole.get("sliced_wasserstein") > 1.0, whole.toString());
    }

    /** A conditional run's samples.csv and a sample --out .csv carry each sample's label beside x and y. */
    @Test
    void conditionalSamplesCarryTheirLabels(@TempDir Path dir) throws IOException {
        String onehot = CommandsTest.TINY.replace("body = { kind = \"plain\", hidden = [16, 16] }",
                "body = { kind = \"plain\", hidden = [16, 16] }\nconditioning = { kind = \"onehot\", classes = 8 }");
        Path run = dir.resolve("onehot");
        ok("train", "--config", CommandsTest.write(dir, "onehot.toml", onehot), "--steps", 3, "--no-figures", "--out", run);
        Points samples = PointsCsv.read(run.resolve("samples.csv"));
        assertTrue(samples.hasLabels());
        assertEquals(Files.readAllLines(run.resolve("samples.csv")).get(0), "x,y,label");
        assertFalse(Files.exists(run.resolve("samples.png")), "--no-figures");
        assertFalse(Files.exists(run.resolve("reverse.gif")), "--no-figures");
        String out = ok("sample", "--run", run, "--label", 5, "--particles", 40, "--out", dir.resolve("five.csv")).out();
        assertTrue(out.contains("sliced Wasserstein to fresh data of label 5: "), out);
        Points five = PointsCsv.read(dir.resolve("five.csv"));
        assertEquals(40, five.size());
        for (int i = 0; i < five.size(); i++) {
            assertEquals(5, five.label(i));
        }
    }

    /** The score field is drawn over the data (spiral within +-1), not over the prior draw's +-4.5. */
    @Test
    void theScoreFieldWindowHugsTheData() {
        Points spiral = Datasets.byName("spiral").sample(2000, 1);
        Bounds b = RunFigures.fieldBounds(spiral.xy());
        double[] box = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE};
        for (int i = 0; i < spiral.size(); i++) {
            box[0] = Math.min(box[0], spiral.x(i));
            box[1] = Math.max(box[1], spiral.x(i));
            box[2] = Math.min(box[2], spiral.y(i));
            box[3] = Math.max(box[3], spiral.y(i));
        }
        assertTrue(box[1] - box[0] < 2.5 && box[3] - box[2] < 2.5, "spiral extent");
        // the window: the data's box and 15% of its larger extent on each side, square
        double extent = Math.max(box[1] - box[0], box[3] - box[2]);
        assertTrue(b.xMax() - b.xMin() <= 1.3 * extent + 1e-9 && b.yMax() - b.yMin() <= 1.3 * extent + 1e-9, b.toString());
        assertTrue(b.xMin() <= box[0] && b.xMax() >= box[1] && b.yMin() <= box[2] && b.yMax() >= box[3], b.toString());
    }
}
