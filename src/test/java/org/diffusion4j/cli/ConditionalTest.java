package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.refused;
import static org.diffusion4j.cli.CommandsTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.data.Points;
import org.diffusion4j.model.Condition;
import org.diffusion4j.run.Evaluation;
import org.diffusion4j.run.Sampling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conditional runs through the command line: label dropout, --label, --value, --guidance, the accuracy metrics, refusals. */
class ConditionalTest {

    /** The tiny DDPM ring of CommandsTest, one-hot conditioned on the 8 modes, with label dropout 0.2. */
    static final String ONEHOT = CommandsTest.TINY.replace("name = \"tiny\"", "name = \"tiny-onehot\"")
            .replace("body = { kind = \"plain\", hidden = [16, 16] }", "body = { kind = \"plain\", hidden = [16, 16] }\nconditioning = { kind = \"onehot\", classes = 8 }")
            .replace("[training]\n", "[training]\nlabel_dropout = 0.2\n");

    @Test
    void conditionalMetricsFollowTheirDefinitions() {
        GaussianMixture ring = Datasets.RING_MIXTURE;
        // every point at its mode: accuracy 1; at the next mode: 0; the null label is left out
        double[] xy = new double[16];
        int[] right = new int[8];
        int[] wrong = new int[8];
        for (int k = 0; k < 8; k++) {
            xy[2 * k] = ring.mean(k)[0];
            xy[2 * k + 1] = ring.mean(k)[1];
            right[k] = k;
            wrong[k] = (k + 1) % 8;
        }
        right[7] = Condition.NULL_LABEL;
        assertEquals(1.0, (double) Evaluation.conditional("ring", xy, Condition.labels(right), 1).asMap().get("conditional_accuracy"), 0.0);
        assertEquals(0.0, (double) Evaluation.conditional("ring", xy, Condition.labels(wrong), 1).asMap().get("conditional_accuracy"), 0.0);
        // radius: points at radius 3 asked for 3 and for 3.5
        double[] asked = {3, 3, 3, 3, 3.5, 3.5, 3.5, 3.5};
        assertEquals(0.25, (double) Evaluation.conditional("ring-radius", xy, Condition.values(asked), 1).asMap().get("radius_abs_error"), 1e-12);
        // shapes: fresh data of each label is as close to the data as a second draw
        Points shapes = Sampling.fresh(Datasets.byName("shapes"), 2000, 5);
        Map<String, Object> m = Evaluation.conditional("shapes", shapes.xy(), Condition.labels(shapes.labels()), 5).asMap();
        for (int k = 0; k < 2; k++) {
            double sw = (double) m.get("sliced_wasserstein_label_" + k);
            double base = (double) m.get("sliced_wasserstein_label_" + k + "_data_to_data");
            assertTrue(sw < 3 * base + 0.02, "label " + k + ": " + sw + " vs " + base);
        }
        // swapped labels put each shape against the other: far
        int[] swapped = shapes.labels().clone();
        for (int i = 0; i < swapped.length; i++) {
            swapped[i] = 1 - swapped[i];
        }
        double far = (double) Evaluation.conditional("shapes", shapes.xy(), Condition.labels(swapped), 5).asMap().get("sliced_wasserstein_label_0");
        assertTrue(far > 5 * (double) m.get("sliced_wasserstein_label_0"), "swapped " + far);
        assertTrue(Evaluation.conditional("ring", xy, Condition.NONE, 1).isEmpty());
    }

    @Test
    void aGuidedConditionalRunEndToEnd(@TempDir Path dir) throws IOException {
        Path config = write(dir, "onehot.toml", ONEHOT);
        assertEquals(0.2, ConfigToml.parse(ONEHOT).training().labelDropout(), 0.0);
        Path run = dir.resolve("run");
        ok("train", "--config", config, "--engine", "cpu", "--out", run);
        JsonNode metrics = new ObjectMapper().readTree(run.resolve("metrics.json").toFile());
        double accuracy = metrics.get("conditional_accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1, metrics.toString());
        assertTrue(ConfigToml.read(run.resolve("config.toml")).training().labelDropout() == 0.2, "the run's config keeps the dropout");
        String eval = ok("eval", "--run", run).out();
        assertTrue(eval.contains("conditional accuracy") && eval.contains(String.format(java.util.Locale.ROOT, "%.5f", accuracy)), eval);

        String sampled = ok("sample", "--run", run, "--label", 3, "--guidance", 2.5, "--particles", 300, "--out", dir.resolve("g.npy")).out();
        assertTrue(sampled.contains("conditional accuracy: "), sampled);
        ok("sample", "--run", run, "--guidance", 0, "--particles", 50, "--engine", "reference", "--out", dir.resolve("u.npy"));

        refused(List.of("--label: 8 is outside the trained classes 0..7"), "sample", "--run", run, "--label", 8, "--out", dir.resolve("x.npy"));
        refused(List.of("--value: the model is conditioned on a label, not a value; use --label"), "sample", "--run", run, "--value", 3,
                "--out", dir.resolve("x.npy"));
        refused(List.of("--label, --value: give one of them, not both"), "sample", "--run", run, "--label", 1, "--value", 3, "--out",
                dir.resolve("x.npy"));
        assertFalse(java.nio.file.Files.exists(dir.resolve("x.npy")));
    }

    @Test
    void conditioningOptionsOnAnUnconditionalModelAreRefused(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("plain");
        ok("train", "--config", write(dir, "tiny.toml", CommandsTest.TINY), "--steps", 3, "--out", run);
        refused(List.of("--label: the model is unconditional; it takes no label"), "sample", "--run", run, "--label", 1, "--out", dir.resolve("a.npy"));
        refused(List.of("--value: the model is unconditional; it takes no value"), "sample", "--run", run, "--value", 1, "--out", dir.resolve("a.npy"));
        refused(List.of("sampling.guidance: the model is unconditional"), "sample", "--run", run, "--guidance", 2, "--out", dir.resolve("a.npy"));
        refused(List.of("training.label_dropout: the model is unconditional"), "train", "--config",
                write(dir, "drop.toml", CommandsTest.TINY.replace("[training]\n", "[training]\nlabel_dropout = 0.1\n")), "--out", dir.resolve("b"));
        refused(List.of("training.label_dropout: must be a number in [0.0, 1.0)"), "train", "--config",
                write(dir, "drop2.toml", ONEHOT.replace("label_dropout = 0.2", "label_dropout = 1.0")), "--out", dir.resolve("c"));
    }

    @Test
    void aValueOutsideTheTrainedRangeIsSampledWithAWarning(@TempDir Path dir) throws IOException {
        String radius = CommandsTest.TINY.replace("name = \"tiny\"", "name = \"tiny-radius\"").replace("name = \"ring\"", "name = \"ring-radius\"")
                .replace("body = { kind = \"plain\", hidden = [16, 16] }", "body = { kind = \"plain\", hidden = [16, 16] }\nconditioning = { kind = \"continuous\", dim = 4 }");
        Path run = dir.resolve("radius");
        ok("train", "--config", write(dir, "radius.toml", radius), "--steps", 5, "--out", run);
        String inside = ok("sample", "--run", run, "--value", 3.0, "--particles", 40, "--out", dir.resolve("in.npy")).out();
        assertFalse(inside.contains("warning"), inside);
        assertTrue(inside.contains("radius abs error: "), inside);
        String outside = ok("sample", "--run", run, "--value", 7.5, "--particles", 40, "--out", dir.resolve("out.npy")).out();
        assertTrue(outside.lines().anyMatch(l -> l.startsWith("warning: --value 7.5 is outside the trained range [")), outside);
    }
}
