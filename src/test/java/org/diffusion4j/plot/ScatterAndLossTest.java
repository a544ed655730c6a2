package org.diffusion4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** samples.png keeps circles round; loss.png labels its log axis inside one decade and its steps briefly. */
class ScatterAndLossTest {

    /** Pixels at the bottom of a scatter plot that hold the x-axis title and the legend below it. */
    static final int LEGEND_BAND = 60;

    /** Points on an ellipse x = 3 cos t, y = sin t: a wide shape that a stretched plot would show as a circle. */
    static double[] ellipse(int n, double a, double b) {
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double t = 2 * Math.PI * i / n;
            xy[2 * i] = a * Math.cos(t);
            xy[2 * i + 1] = b * Math.sin(t);
        }
        return xy;
    }

    /**
     * {min x, max x, min y, max y} of the pixels that are markedly blue (the data series) or orange (samples), above the
     * bottom band of the axis title and the legend (whose markers are coloured too).
     */
    static int[] coloured(BufferedImage img) {
        int[] box = {Integer.MAX_VALUE, -1, Integer.MAX_VALUE, -1};
        for (int y = 0; y < img.getHeight() - LEGEND_BAND; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 255;
                int b = rgb & 255;
                if (Math.abs(r - b) > 60) {
                    box[0] = Math.min(box[0], x);
                    box[1] = Math.max(box[1], x);
                    box[2] = Math.min(box[2], y);
                    box[3] = Math.max(box[3], y);
                }
            }
        }
        return box;
    }

    /**
     * An ellipse of axes 3 and 1 must be drawn 3 times as wide as high (and one of 1 and 2 half as wide). The legend
     * sits below the plot; the marker (3 px) and pixel rounding add at most 4 px to each extent, about 2% of the
     * ellipse's height of some 200 px at equal scale: 3% tolerance.
     */
    @Test
    void scatterPlotsHaveEqualScaleOnBothAxes(@TempDir Path dir) throws IOException {
        for (double[] ab : new double[][] {{3, 1}, {1, 2}}) {
            Path file = dir.resolve("s" + ab[0] + ".png");
            Plots.scatter(file, "ellipse", ellipse(2000, ab[0], ab[1]), ellipse(500, ab[0], ab[1]));
            BufferedImage img = ImageIO.read(file.toFile());
            assertEquals(Plots.WIDTH, img.getWidth());
            int[] box = coloured(img);
            double ratio = (double) (box[1] - box[0]) / (box[3] - box[2]);
            assertEquals(ab[0] / ab[1], ratio, 0.03 * ab[0] / ab[1], "width / height of the drawn ellipse " + ab[0] + " x " + ab[1]);
        }
    }

    @Test
    void lossTicksAreLabelledInsideOneDecadeAndStepsStayShort(@TempDir Path dir) throws IOException {
        assertEquals("0.350", Plots.logLossLabel(Math.log10(0.35)));
        assertEquals("1.00", Plots.logLossLabel(0.0));
        assertEquals("2500", Plots.stepLabel(2500.0));
        assertEquals("20k", Plots.stepLabel(20_000.0));
        assertEquals("12.5k", Plots.stepLabel(12_500.0));
        // a loss between 0.3 and 0.8 over 20000 steps: the y tick labels (left of the plot) are drawn, several of them
        double[] loss = new double[20_000];
        for (int i = 0; i < loss.length; i++) {
            loss[i] = 0.3 + 0.5 * Math.exp(-i / 3000.0);
        }
        Path file = dir.resolve("loss.png");
        Plots.lossCurve(file, Map.of("eps", loss));
        BufferedImage img = ImageIO.read(file.toFile());
        // rows with dark text between x = 25 and 70 (after the rotated axis title, before the plot's edge): one band per label
        int bands = 0;
        boolean in = false;
        for (int y = 0; y < img.getHeight(); y++) {
            boolean dark = false;
            for (int x = 25; x < 70; x++) {
                int rgb = img.getRGB(x, y);
                if (((rgb >> 16) & 255) < 100 && ((rgb >> 8) & 255) < 100 && (rgb & 255) < 100) {
                    dark = true;
                    break;
                }
            }
            bands += dark && !in ? 1 : 0;
            in = dark;
        }
        assertTrue(bands >= 4, "y tick labels drawn: " + bands);
    }
}
