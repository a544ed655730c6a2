package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandsTest.assertPlot;
import static org.diffusion4j.cli.CommandsTest.ok;
import static org.diffusion4j.cli.CommandsTest.refused;
import static org.diffusion4j.cli.CommandsTest.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.diffusion4j.plot.Animation;
import org.diffusion4j.plot.Plots;
import org.diffusion4j.plot.QuiverPlot;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures of a run through the command line: sizes, frame counts, not blank; plot and compare; their refusals. */
class FiguresTest {

    @TempDir
    static Path dir;
    static Path ring;

    /** The tiny DDPM ring run (T = 20, 200 particles) on the cpu engine, shared by the tests. */
    @BeforeAll
    static void trainTheTinyRing() throws IOException {
        ring = dir.resolve("ring");
        ok("train", "--config", write(dir, "tiny.toml", CommandsTest.TINY), "--engine", "cpu", "--out", ring);
    }

    /** The frames of a GIF, read back. */
    static List<BufferedImage> gifFrames(Path gif) throws IOException {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            int n = reader.getNumImages(true);
            List<BufferedImage> frames = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                frames.add(reader.read(i));
            }
            return frames;
        } finally {
            reader.dispose();
        }
    }

    /** Pixels that differ from white, and distinct colours. */
    static long[] ink(BufferedImage img) {
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        long inked = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                inked += rgb == 0xFFFFFF ? 0 : 1;
            }
        }
        return new long[] {inked, colours.size()};
    }

    static long differing(BufferedImage a, BufferedImage b) {
        long d = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                d += a.getRGB(x, y) == b.getRGB(x, y) ? 0 : 1;
            }
        }
        return d;
    }

    static void assertAnimation(Path gif, int frames) throws IOException {
        List<BufferedImage> f = gifFrames(gif);
        assertEquals(frames, f.size(), gif + " frames");
        for (BufferedImage img : f) {
            assertEquals(Animation.WIDTH, img.getWidth());
            assertEquals(Animation.HEIGHT, img.getHeight());
        }
        long[] first = ink(f.get(0));
        assertTrue(first[0] > Animation.WIDTH * Animation.HEIGHT / 100 && first[1] > 4, gif + ": first frame blank " + first[0]);
        // the particles move: the first and the last frames differ in many pixels
        assertTrue(differing(f.get(0), f.get(f.size() - 1)) > 500, gif + ": first and last frames alike");
    }

    static void assertQuiver(Path png, int panels) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(panels * QuiverPlot.PANEL_WIDTH, img.getWidth(), png.toString());
        assertEquals(QuiverPlot.HEIGHT, img.getHeight(), png.toString());
        long[] ink = ink(img);
        assertTrue(ink[0] > img.getWidth() * img.getHeight() / 50 && ink[1] > 10, png + ": blank");
    }

    @Test
    void aRunHasItsFieldsHistogramsKlAndAnimations() throws IOException {
        // ring is a mixture: learned and exact side by side at the default times (T - 1, the middle, 0)
        for (String t : List.of("19", "9", "0")) {
            assertQuiver(ring.resolve("score-field-t" + t + ".png"), 2);
        }
        assertPlot(ring.resolve("histograms.png"));
        assertPlot(ring.resolve("forward-kl.png"));
        // 20 steps, all recorded: 21 states of the reverse chain (prior draw first) and of the forward chain (data first)
        assertAnimation(ring.resolve("reverse.gif"), 21);
        assertAnimation(ring.resolve("forward.gif"), 21);
        List<String> kl = Files.readAllLines(ring.resolve("forward-kl.csv"));
        assertEquals("frame,time,kl_to_standard_normal,kl_to_prior", kl.get(0));
        assertEquals(22, kl.size());
        String metrics = Files.readString(ring.resolve("metrics.json"));
        for (String key : List.of("energy_distance", "kl_to_data", "mode_counts", "mode_kl_to_uniform", "in_mode_fraction", "prior_gap_kl")) {
            assertTrue(metrics.contains("\"" + key + "\""), key + " in " + metrics);
        }
    }

    @Test
    void plotDrawsTheFieldAtChosenTimesAndRefusesTimesOutsideTheProcess() throws IOException {
        Path out = dir.resolve("figures");
        ok("plot", "--run", ring, "--field-times", "3,17", "--out", out);
        assertQuiver(out.resolve("score-field-t3.png"), 2);
        assertQuiver(out.resolve("score-field-t17.png"), 2);
        assertAnimation(out.resolve("reverse.gif"), 21);
        refused(List.of("--field-times: 20 is outside the ddpm process's times; allowed: step indices 0 to 19"), "plot", "--run", ring,
                "--field-times", "20");
        refused(List.of("--field-times: 2.5 is outside"), "plot", "--run", ring, "--field-times", "2.5");
        refused(List.of("--field-times: 'soon' is not a number"), "plot", "--run", ring, "--field-times", "1,soon");
        // train checks the times before it trains: nothing is written
        Path never = dir.resolve("never");
        refused(List.of("--field-times: -1 is outside"), "train", "--config", dir.resolve("tiny.toml"), "--field-times", "-1", "--out", never);
        assertFalse(Files.exists(never));
    }

    @Test
    void continuousProcessesDrawTheirFieldsInTheirOwnTime() throws IOException {
        // the flow pair on gmm11 (Gaussian path, t in [0, 0.999]) and 000's OU on half circles (no mixture: one panel)
        Path flow = dir.resolve("flow");
        ok("train", "--config", write(dir, "flow.toml", CommandsTest.TINY_FLOW), "--engine", "cpu", "--out", flow);
        assertQuiver(flow.resolve("score-field-t0.png"), 2);
        assertQuiver(flow.resolve("score-field-t0.4995.png"), 2);
        assertQuiver(flow.resolve("score-field-t0.999.png"), 2);
        assertAnimation(flow.resolve("reverse.gif"), 11);
        Path ou = dir.resolve("ou");
        String out = ok("train", "--preset", "ou-halfcircles", "--steps", 3, "--particles", 100, "--engine", "cpu", "--field-times", "0.5",
                "--out", ou).err();
        assertTrue(out.contains("warning: the ou marginal of halfcircles") && out.contains("use a longer process.t_end"), out);
        assertQuiver(ou.resolve("score-field-t0.5.png"), 1);
        refused(List.of("--field-times: 0 is outside the ou process's times; allowed: t in [0.00001, 1] (t_min to t_end)"), "plot", "--run", ou, "--field-times", "0");
        assertPlot(ou.resolve("forward-kl.png"));
        // on a continuous-time process every sampler runs at any step count: 2 x 2 rows, none skipped
        Path cmp = dir.resolve("ou-cmp");
        ok("compare", "--run", ou, "--samplers", "reverse-sde,pf-heun", "--steps", "5,20", "--particles", 100, "--out", cmp);
        List<String> rows = Files.readAllLines(cmp.resolve("compare.csv"));
        assertEquals(5, rows.size());
        for (String r : rows.subList(1, 5)) {
            assertTrue(r.endsWith(",") && !r.contains(",,"), "ran: " + r);
        }
        assertTrue(rows.get(4).startsWith("pf-heun,20,100,cpu,"), rows.get(4));
        List<String> kl = Files.readAllLines(ou.resolve("forward-kl.csv"));
        String[] last = kl.get(kl.size() - 1).split(",");
        assertTrue(Double.parseDouble(last[3]) > 0.5, "000's OU ends far from its own prior: " + kl.get(kl.size() - 1));
    }

    @Test
    void compareTabulatesSamplersTimesStepsAndSkipsWhatCannotRun() throws IOException {
        Path cmp = dir.resolve("cmp");
        String log = ok("compare", "--run", ring, "--samplers", "ddpm,pf-euler", "--steps", "20,10", "--particles", 150, "--out", cmp).out();
        assertTrue(log.contains("skipped ddpm x 10: sampling.steps: ddpm samples the ddpm process in exactly process.steps = 20 steps"), log);
        List<String> csv = Files.readAllLines(cmp.resolve("compare.csv"));
        assertEquals("sampler,steps,particles,engine,seconds,particle_steps_per_second,sliced_wasserstein,mmd,energy_distance,kl_to_data,"
                + "kl_to_standard_normal,mode_kl_to_uniform,modes_covered,in_mode_fraction,skipped", csv.get(0));
        assertEquals(5, csv.size());
        assertTrue(csv.get(1).startsWith("ddpm,20,150,cpu,"), csv.get(1));
        assertTrue(csv.get(2).startsWith("ddpm,10,150,cpu,,") && csv.get(2).contains("steps, got 10; ddim, dpm-solver++"), csv.get(2));
        // ddpm takes exactly T; the probability flow runs on the respaced grid of 10 of DDPM's 20 steps
        assertTrue(csv.get(4).startsWith("pf-euler,10,150,cpu,") && !csv.get(4).startsWith("pf-euler,10,150,cpu,,"), csv.get(4));
        for (int r : new int[] {1, 3, 4}) {
            String[] cells = csv.get(r).split(",");
            assertTrue(Double.parseDouble(cells[6]) > 0 && Double.parseDouble(cells[8]) > -1e-3, csv.get(r));
        }
        String md = Files.readString(cmp.resolve("compare.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("| sampler | steps | wall s | sliced W | MMD^2 | energy | KL to data | KL to N(0, I) | mode KL | in mode |"), md);
        assertTrue(md.contains("\n| pf-euler | 20 |") && md.contains("\n| data (second fresh draw) |"), md);
        assertTrue(md.contains("skipped: ddpm x 10:"), md);
        BufferedImage grid = ImageIO.read(cmp.resolve("compare.png").toFile());
        assertEquals(2 * Plots.GRID_PANEL, grid.getWidth(), "two step counts, two columns");
        assertEquals(Plots.GRID_TITLE + 2 * Plots.GRID_PANEL, grid.getHeight(), "two samplers, two rows");
        assertTrue(ink(grid)[0] > grid.getWidth() * grid.getHeight() / 50);

        refused(List.of("sampler: unknown sampler 'nope', allowed: ddpm, ddpm-posterior"), "compare", "--run", ring, "--samplers", "nope",
                "--out", dir.resolve("cmp2"));
        refused(List.of("--steps: each must be an integer in [1, "), "compare", "--run", ring, "--steps", "0", "--out", dir.resolve("cmp3"));
        refused(List.of("--samplers/--steps: no combination runs on this model"), "compare", "--run", ring, "--samplers", "annealed-langevin",
                "--out", dir.resolve("cmp4"));
        assertFalse(Files.exists(dir.resolve("cmp4")));
    }

    /** A .npy file of float64 with the given shape (a header padded to 64 bytes, then the values). */
    static Path npy(Path file, int rows, int cols, double fill) throws IOException {
        String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int pad = 64 - (10 + header.length() + 1) % 64;
        header = header + " ".repeat(pad % 64) + "\n";
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + header.length() + 8 * rows * cols).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < rows * cols; i++) {
            b.putDouble(i == rows * cols - 1 ? fill : i * 0.1);
        }
        Files.write(file, b.array());
        return file;
    }

    @Test
    void evalRefusesBadFilesAndNamesInOneLine() throws IOException {
        String good = ok("eval", npy(dir.resolve("good.npy"), 50, 2, 1.0), "--dataset", "ring").out();
        assertTrue(good.contains("energy distance") && good.contains("KL to data") && good.contains("modes "), good);
        refused(List.of("shape (40, 3) is not supported; allowed: (n, 2)"), "eval", npy(dir.resolve("wide.npy"), 40, 3, 1.0), "--dataset", "ring");
        refused(List.of("nan.npy: point 39 has y = NaN; allowed: finite numbers only"), "eval", npy(dir.resolve("nan.npy"), 40, 2, Double.NaN), "--dataset", "ring");
        Path csv = write(dir, "inf.csv", "x,y\n0,1\n2,inf\n");
        refused(List.of("nan.csv line 2: x 'NaN' is not allowed; allowed: a finite decimal number"), "eval", write(dir, "nan.csv", "x,y\nNaN,1\n"),
                "--dataset", "ring");
        refused(List.of("inf.csv line 3: y 'inf' is not a number; allowed: a finite decimal number"), "eval", csv, "--dataset", "ring");
        refused(List.of("dataset: unknown dataset 'rings', allowed: halfcircles, ring,"), "eval", dir.resolve("good.npy"), "--dataset", "rings");
        refused(List.of("samples: at least 6 finite points are needed"), "eval", npy(dir.resolve("few.npy"), 3, 2, 1.0), "--dataset", "ring");
    }
}
