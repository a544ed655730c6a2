package org.diffusion4j.plot;

import static org.diffusion4j.plot.BoundsTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuiverPlotTest {
    @TempDir
    Path dir;

    static final Bounds BOX = new Bounds(-1, 1, -1, 1);

    /** Darkest channel sum over rows row-1 .. row+1 of column x: 765 is white. */
    static int darkest(BufferedImage image, int x, int row) {
        int best = 765;
        for (int y = row - 1; y <= row + 1; y++) {
            int c = image.getRGB(x, y);
            best = Math.min(best, ((c >> 16) & 255) + ((c >> 8) & 255) + (c & 255));
        }
        return best;
    }

    @Test
    void anArrowPointingRightInksPixelsRightOfItsPointOnlyAndTheScaleIsShared() throws IOException {
        // panel 0: |v| = 1 along +x; panel 1: |v| = 0.1 along +x. Reference (95th pct of {0.1, 1}) = 1:
        // one point per panel, cell = 2, so the arrows are 1.8 (clipped by the box at x = 1) and 0.18 long.
        Path file = dir.resolve("quiver.png");
        List<QuiverPlot.Panel> panels = List.of(
                new QuiverPlot.Panel("long", new double[] {0, 0}, new double[] {1, 0}, null),
                new QuiverPlot.Panel("short", new double[] {0, 0}, new double[] {0.1, 0}, null));
        QuiverPlot.write(file, "shared scale", BOX, panels);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(2 * QuiverPlot.PANEL_WIDTH, image.getWidth());
        assertEquals(QuiverPlot.HEIGHT, image.getHeight());

        Canvas left = QuiverPlot.canvas(BOX, 0);
        int row = (int) Math.round(left.py(0));
        int x0 = (int) Math.round(left.px(0));
        int inked = 0;
        for (double x = 0.05; x <= 0.9; x += 0.05) {
            if (darkest(image, (int) Math.round(left.px(x)), row) < 600) {
                inked++;
            }
        }
        assertTrue(inked >= 16, "inked samples right of the point: " + inked);
        assertEquals(0, Pixels.nonWhite(image, (int) left.px(-0.9), row - 4, x0 - 4, row + 5), "left of the point");
        assertEquals(0, Pixels.nonWhite(image, x0 - 3, (int) left.py(0.9), x0 + 4, row - 6), "above the point");

        Canvas right = QuiverPlot.canvas(BOX, 1);
        int r0 = (int) Math.round(right.px(0));
        assertTrue(darkest(image, (int) Math.round(right.px(0.08)), row) < 600, "short arrow present");
        // the short arrow ends at 0.18; the long one at the same place in its panel does not
        assertEquals(0, Pixels.nonWhite(image, (int) right.px(0.3), row - 4, (int) right.px(0.9), row + 5), "short arrow too long");
        assertTrue(darkest(image, (int) Math.round(left.px(0.5)), row) < 600);
        assertTrue(r0 > image.getWidth() / 2);
        assertEquals(List.of("quiver.png"), Pixels.files(dir));
    }

    @Test
    void vectorsAboveTheReferenceAreClippedAndDarkerAndNonFiniteOnesSkipped() throws IOException {
        Random random = new Random(7);
        Bounds box = new Bounds(-3, 3, -3, 3);
        double[] points = box.grid(12);
        double[] vectors = new double[points.length];
        for (int i = 0; i < points.length; i += 2) {
            // exactly |v| = 1, along one of the four axis directions
            int d = random.nextInt(4);
            vectors[i] = d == 0 ? 1 : d == 1 ? -1 : 0;
            vectors[i + 1] = d == 2 ? 1 : d == 3 ? -1 : 0;
        }
        // 144 vectors of length 1, one NaN, 3 far longer: the reference (rank 136 of 143) stays 1
        vectors[0] = 50;
        vectors[1] = 0;
        vectors[40] = Double.NaN;
        vectors[90] = -30;
        vectors[91] = 0;
        vectors[200] = 0;
        vectors[201] = 40;
        assertEquals(1.0, QuiverPlot.referenceMagnitude(List.of(new QuiverPlot.Panel("", points, vectors, null))), 1e-12);
        double[] data = Pixels.gaussian(random, 5000, 0, 0, 1);
        Path file = dir.resolve("clipped.png");
        QuiverPlot.write(file, "learned", box, List.of(new QuiverPlot.Panel("field", points, vectors, data)));
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(QuiverPlot.PANEL_WIDTH, image.getWidth());
        assertEquals(QuiverPlot.HEIGHT, image.getHeight());
        int normal = Pixels.count(image, QuiverPlot.ARROW, 10);
        int clipped = Pixels.count(image, QuiverPlot.CLIPPED_ARROW, 10);
        int grey = Pixels.count(image, Canvas.BACKGROUND_POINT, 6);
        assertTrue(normal > 300, "normal arrow pixels " + normal);
        assertTrue(clipped > 10 && clipped < normal / 10, "clipped arrow pixels " + clipped + " vs " + normal);
        assertTrue(grey > 1000, "background pixels " + grey);
        // the clipped arrow at point 0 (bottom left cell) points +x and is no longer than a normal one (0.9 cell = 0.45)
        Canvas c = QuiverPlot.canvas(box, 0);
        int row = (int) Math.round(c.py(points[1]));
        assertTrue(darkest(image, (int) Math.round(c.px(points[0] + 0.3)), row) < 600);
        assertEquals(0, Pixels.count(image, QuiverPlot.CLIPPED_ARROW, 10, (int) c.px(points[0] + 0.6), row - 3,
                (int) c.px(points[0] + 1.5), row + 4));
        double fraction = Pixels.nonWhiteFraction(image);
        assertTrue(fraction > 0.03 && fraction < 0.6, "non-white fraction " + fraction);
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        double[] p = {0, 0, 1, 1};
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new QuiverPlot.Panel("a", p, new double[] {1, 0}, null)),
                "quiver.panel.vectors");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new QuiverPlot.Panel("a", new double[] {0, 0, 1},
                new double[] {0, 0, 1}, null)), "quiver.panel.points");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new QuiverPlot.Panel("a", p, null, null)), "quiver.panel");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new QuiverPlot.Panel("a", p, p, new double[] {1})),
                "quiver.panel.background");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuiverPlot.write(dir.resolve("x.png"), "t", BOX, List.of()));
        assertOneLine(e, "quiver.panels");
        assertEquals("quiver.panels: at least 1 panel is needed, got 0", e.getMessage());
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> QuiverPlot.write(dir.resolve("x.png"), "t", null,
                List.of(new QuiverPlot.Panel("a", p, p, null)))), "quiver.bounds");
    }
}
