package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.refused;
import static org.diffusion4j.cli.CommandsTest.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.model.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training sets from files ({@code [data] path}): .npy of (n, 2) or (n, 3), .csv with a label or value column, and their refusals. */
class DataFileTest {

    /** CommandsTest's tiny DDPM with its [data] table replaced by {@code data} and the network conditioned by {@code conditioning}. */
    static String config(String data, String conditioning) {
        String c = CommandsTest.TINY.replace("engine = \"reference\"", "engine = \"cpu\"")
                .replace("[data]\nname = \"ring\"\nsize = 400\nseed = 3\n", "[data]\n" + data + "\n");
        return conditioning == null ? c : c.replace("body = { kind = \"plain\", hidden = [16, 16] }",
                "body = { kind = \"plain\", hidden = [16, 16] }\nconditioning = " + conditioning);
    }

    /** An .npy of shape (n, cols), float64, C order, from rows of cols values. */
    static Path npy(Path file, int cols, double[] rowMajor) throws IOException {
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + rowMajor.length / cols + ", " + cols + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 8 * rowMajor.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (double v : rowMajor) {
            b.putDouble(v);
        }
        Files.write(file, b.array());
        return file;
    }

    static double[] rows(Points p, boolean third) {
        int cols = third ? 3 : 2;
        double[] out = new double[cols * p.size()];
        for (int i = 0; i < p.size(); i++) {
            out[cols * i] = p.x(i);
            out[cols * i + 1] = p.y(i);
            if (third) {
                out[cols * i + 2] = p.hasLabels() ? p.label(i) : p.value(i);
            }
        }
        return out;
    }

    static float[] params(Path run) {
        return Checkpoint.read(run.resolve("model.safetensors")).parameters();
    }

    /** A file holding the points a named dataset draws trains the same network, bit for bit, as the named dataset. */
    @Test
    void npyAndCsvTrainingSetsTrainAsTheNamedDataWould(@TempDir Path dir) throws IOException {
        Points ring = Datasets.byName("ring").sample(400, 3);
        Path named = dir.resolve("named");
        ok("train", "--config", write(dir, "named.toml", config("name = \"ring\"\nsize = 400\nseed = 3", null)), "--out", named);
        Path npyFile = npy(dir.resolve("ring.npy"), 2, rows(ring, false));
        Path fromNpy = dir.resolve("npy");
        ok("train", "--config", write(dir, "npy.toml", config("path = \"ring.npy\"\nseed = 3", null)), "--out", fromNpy);
        assertArrayEquals(params(named), params(fromNpy));
        String toml = Files.readString(fromNpy.resolve("config.toml"));
        assertTrue(toml.contains("path = \"" + npyFile.toAbsolutePath() + "\""), toml);
        assertTrue(Files.readString(fromNpy.resolve("metrics.json")).contains("\"dataset\" : \"file:ring.npy\""));
        // the run's config.toml repeats the run from anywhere (the path is absolute)
        Path again = dir.resolve("again");
        ok("train", "--config", fromNpy.resolve("config.toml"), "--out", again);
        assertArrayEquals(params(fromNpy), params(again));

        // labels: an (n, 3) .npy, the third column declared as the label
        Path labelled = dir.resolve("labelled");
        npy(dir.resolve("ring-labels.npy"), 3, rows(ring, true));
        Path namedOnehot = dir.resolve("named-onehot");
        ok("train", "--config", write(dir, "named-onehot.toml", config("name = \"ring\"\nsize = 400\nseed = 3", "{ kind = \"onehot\", classes = 8 }")),
                "--out", namedOnehot);
        ok("train", "--config", write(dir, "labels.toml", config("path = \"ring-labels.npy\"\ncolumn = \"label\"\nseed = 3",
                "{ kind = \"onehot\", classes = 8 }")), "--out", labelled);
        assertArrayEquals(params(namedOnehot), params(labelled));
        ok("sample", "--run", labelled, "--label", 3, "--particles", 50, "--out", dir.resolve("l3.npy"));

        // values: a .csv with a header x,y,value
        Points radius = Datasets.byName("ring-radius").sample(400, 3);
        PointsCsv.write(dir.resolve("radius.csv"), radius);
        Path namedValue = dir.resolve("named-value");
        ok("train", "--config", write(dir, "named-value.toml", config("name = \"ring-radius\"\nsize = 400\nseed = 3",
                "{ kind = \"continuous\", dim = 4 }")), "--out", namedValue);
        Path valued = dir.resolve("valued");
        ok("train", "--config", write(dir, "value.toml", config("path = \"radius.csv\"\nseed = 3", "{ kind = \"continuous\", dim = 4 }")),
                "--out", valued);
        // CSV stores the shortest decimal that reads back as the same double: the same training points
        assertArrayEquals(params(namedValue), params(valued));
        assertEquals(400, PointsNpy.read(valued.resolve("samples.npy")).size() * 2, "200 particles");
    }

    @Test
    void badTrainingFilesAreRefusedInOneLineNamingTheField(@TempDir Path dir) throws IOException {
        Points ring = Datasets.byName("ring").sample(20, 3);
        double[] nan = rows(ring, false);
        nan[7] = Double.NaN;
        npy(dir.resolve("nan.npy"), 2, nan);
        refused(List.of("data.path:", "NaN", "finite"), "train", "--config", write(dir, "a.toml", config("path = \"nan.npy\"", null)));
        double[] half = rows(ring, true);
        half[5] = 2.5;
        npy(dir.resolve("half.npy"), 3, half);
        refused(List.of("data.path:", "label = 2.5", "integers"), "train", "--config",
                write(dir, "b.toml", config("path = \"half.npy\"\ncolumn = \"label\"", null)));
        refused(List.of("data.path:", "(20, 3)", "(n, 2)"), "train", "--config", write(dir, "c.toml", config("path = \"half.npy\"", null)));
        PointsCsv.write(dir.resolve("plain.csv"), Points.of(ring.xy()));
        refused(List.of("data.column:", "no value column"), "train", "--config",
                write(dir, "d.toml", config("path = \"plain.csv\"\ncolumn = \"value\"", null)));
        refused(List.of("data.name:", "not with data.path"), "train", "--config",
                write(dir, "e.toml", config("path = \"plain.csv\"\nname = \"ring\"", null)));
        refused(List.of("data.path:", "no such file"), "train", "--config", write(dir, "f.toml", config("path = \"missing.npy\"", null)));
        refused(List.of("data.path:", ".npy or .csv"), "train", "--config", write(dir, "g.toml", config("path = \"ring.txt\"", null)));
        npy(dir.resolve("tiny.npy"), 2, new double[] {0, 0, 1, 1});
        refused(List.of("data.path:", "at least 6"), "train", "--config", write(dir, "h.toml", config("path = \"tiny.npy\"", null)));
        refused(List.of("network[0].conditioning.kind:", "labelled"), "train", "--config",
                write(dir, "i.toml", config("path = \"plain.csv\"", "{ kind = \"onehot\", classes = 8 }")));
    }
}
