package org.diffusion4j.plot;

import static org.diffusion4j.plot.BoundsTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
    @TempDir
    Path dir;

    /** Pixels with a clear hue: max channel - min channel above 80. */
    static int coloured(BufferedImage image) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int c = image.getRGB(x, y);
                int r = (c >> 16) & 255;
                int g = (c >> 8) & 255;
                int b = c & 255;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 80) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void densityHasAreaOneOverFiniteValuesAndUsesTheSharedRange() {
        double[] values = {0, 0.1, 0.9, 1, Double.NaN, 0.55, Double.NEGATIVE_INFINITY};
        double[] d = Plots.density(values, 0, 1, 4);
        // 5 finite values, width 0.25: bins [0, .25) 2, [.25, .5) 0, [.5, .75) 1, [.75, 1] 2
        assertArrayEquals(new double[] {2 / 1.25, 0, 1 / 1.25, 2 / 1.25}, d, 1e-12);
        double area = 0;
        for (double v : d) {
            area += v * 0.25;
        }
        assertEquals(1, area, 1e-12);
        assertArrayEquals(new double[3], Plots.density(new double[] {Double.NaN}, 0, 1, 3));
    }

    @Test
    void histogramsWriteAColouredPlotOfTheDocumentedSize() throws IOException {
        Random random = new Random(21);
        Map<String, double[]> series = new LinkedHashMap<>();
        double[] prior = new double[3000];
        double[] samples = new double[3000];
        for (int i = 0; i < prior.length; i++) {
            prior[i] = random.nextGaussian();
            samples[i] = (random.nextBoolean() ? 2 : -2) + 0.3 * random.nextGaussian();
        }
        samples[5] = Double.NaN;
        series.put("prior draw", prior);
        series.put("samples", samples);
        series.put("data", new double[] {-2, 2, -2.1, 1.9});
        Path file = dir.resolve("hist.png");
        Plots.histograms(file, "x at the start and the end", "x", series, 40);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(Plots.WIDTH, image.getWidth());
        assertEquals(Plots.HEIGHT, image.getHeight());
        assertTrue(coloured(image) > 1000, "coloured pixels " + coloured(image));
        assertEquals(List.of("hist.png"), Pixels.files(dir));
    }

    @Test
    void scatterGridPlacesEachPanelInItsCellWithDataAndPoints() throws IOException {
        Random random = new Random(5);
        double[] data = Pixels.gaussian(random, 4000, 0, 0, 1);
        Bounds bounds = Bounds.around(0.05, data);
        List<Plots.ScatterPanel> panels = new ArrayList<>();
        for (int p = 0; p < 5; p++) {
            panels.add(new Plots.ScatterPanel("sampler " + p, data, Pixels.gaussian(random, 1000, 0, 0, 0.3 + 0.2 * p)));
        }
        Path file = dir.resolve("grid.png");
        Plots.scatterGrid(file, "samplers x steps", 3, bounds, panels);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(3 * Plots.GRID_PANEL, image.getWidth());
        assertEquals(Plots.GRID_TITLE + 2 * Plots.GRID_PANEL, image.getHeight());
        for (int p = 0; p < 5; p++) {
            int x0 = (p % 3) * Plots.GRID_PANEL;
            int y0 = Plots.GRID_TITLE + (p / 3) * Plots.GRID_PANEL;
            int points = Pixels.count(image, Canvas.POINT, 12, x0, y0, x0 + Plots.GRID_PANEL, y0 + Plots.GRID_PANEL);
            int grey = Pixels.count(image, Canvas.BACKGROUND_POINT, 6, x0, y0, x0 + Plots.GRID_PANEL, y0 + Plots.GRID_PANEL);
            assertTrue(points > 200, "panel " + p + ": point pixels " + points);
            assertTrue(grey > 100, "panel " + p + ": data pixels " + grey);
            Canvas c = Plots.gridCanvas(bounds, 3, p);
            assertTrue(c.box().getMinX() >= x0 && c.box().getMaxX() <= x0 + Plots.GRID_PANEL);
        }
        // the sixth cell is empty
        assertEquals(0, Pixels.nonWhite(image, 2 * Plots.GRID_PANEL, Plots.GRID_TITLE + Plots.GRID_PANEL, image.getWidth(),
                image.getHeight()));
        // fewer panels than columns: the image is as wide as the panels
        Plots.scatterGrid(dir.resolve("row.png"), "one", 4, bounds, panels.subList(0, 2));
        BufferedImage row = ImageIO.read(dir.resolve("row.png").toFile());
        assertEquals(2 * Plots.GRID_PANEL, row.getWidth());
        assertEquals(Plots.GRID_TITLE + Plots.GRID_PANEL, row.getHeight());
        assertEquals(List.of("grid.png", "row.png"), Pixels.files(dir));
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        Path file = dir.resolve("bad.png");
        Map<String, double[]> one = Map.of("a", new double[] {1, 2});
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Plots.histograms(file, "t", "x", one, 0)), "histogram.bins");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Plots.histograms(file, "t", "x", Map.of(), 10)),
                "histogram.series");
        assertOneLine(assertThrows(IllegalArgumentException.class,
                () -> Plots.histograms(file, "t", "x", Map.of("a", new double[] {Double.NaN}), 10)), "histogram.series");
        Bounds b = new Bounds(0, 1, 0, 1);
        List<Plots.ScatterPanel> panels = List.of(new Plots.ScatterPanel("a", null, new double[] {0.5, 0.5}));
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Plots.scatterGrid(file, "t", 0, b, panels)), "scatter.columns");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Plots.scatterGrid(file, "t", 2, b, List.of())), "scatter.panels");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new Plots.ScatterPanel("a", null, new double[] {1})),
                "scatter.panel.points");
        assertTrue(!file.toFile().exists());
    }
}
