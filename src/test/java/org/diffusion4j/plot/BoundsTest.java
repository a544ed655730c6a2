package org.diffusion4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BoundsTest {

    static void assertOneLine(IllegalArgumentException e, String field) {
        assertTrue(e.getMessage().startsWith(field + ":") || e.getMessage().startsWith(field + "."), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aroundWidensByTheMarginAndSquaresAroundTheCentre() {
        Bounds b = Bounds.around(0.1, new double[] {0, 0, 2, 1});
        // size max(2, 1) = 2, widened by 0.2 each side: side 2.4, centred on (1, 0.5)
        assertEquals(-0.2, b.xMin(), 1e-12);
        assertEquals(2.2, b.xMax(), 1e-12);
        assertEquals(-0.7, b.yMin(), 1e-12);
        assertEquals(1.7, b.yMax(), 1e-12);
        assertEquals(b.width(), b.height(), 1e-12);
        Bounds tall = Bounds.around(0, new double[] {5, -3}, new double[] {5.5, 1});
        assertEquals(4, tall.width(), 1e-12);
        assertEquals(4, tall.height(), 1e-12);
        assertEquals(5.25, 0.5 * (tall.xMin() + tall.xMax()), 1e-12);
        assertEquals(-1, 0.5 * (tall.yMin() + tall.yMax()), 1e-12);
    }

    @Test
    void aroundIgnoresNonFinitePointsAndRejectsWhenNoneIsLeft() {
        Bounds clean = Bounds.around(0.05, new double[] {-1, 2, 3, 0.5});
        Bounds dirty = Bounds.around(0.05, new double[] {-1, 2, Double.NaN, 100, 3, 0.5, 1e9, Double.POSITIVE_INFINITY},
                new double[] {Double.NEGATIVE_INFINITY, 0});
        assertEquals(clean, dirty);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bounds.around(0.1, new double[] {Double.NaN, 1, 2, Double.NaN}, new double[0]));
        assertOneLine(e, "bounds.sets");
        assertTrue(e.getMessage().contains("finite"), e.getMessage());
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bounds.around(0.1)), "bounds.sets");
    }

    @Test
    void aSinglePointGetsSpanOnePlusMargins() {
        Bounds b = Bounds.around(0.25, new double[] {3, -2, 3, -2});
        assertEquals(1.5, b.width(), 1e-12);
        assertEquals(1.5, b.height(), 1e-12);
        assertEquals(3, 0.5 * (b.xMin() + b.xMax()), 1e-12);
        assertEquals(-2, 0.5 * (b.yMin() + b.yMax()), 1e-12);
        // points on a vertical line: the y span is used for both
        Bounds line = Bounds.around(0, new double[] {1, 0, 1, 4});
        assertEquals(4, line.width(), 1e-12);
        assertEquals(-1, line.xMin(), 1e-12);
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new Bounds(1, 1, 0, 1)), "bounds.x");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new Bounds(0, 1, Double.NaN, 1)), "bounds.y");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> new Bounds(0, Double.POSITIVE_INFINITY, 0, 1)), "bounds.x");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bounds.around(-0.1, new double[] {0, 0})), "bounds.margin");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bounds.around(0.1, new double[] {0, 0, 1})), "bounds.sets[0]");
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> Bounds.around(0.1, new double[] {0, 0}, null)), "bounds.sets[1]");
        Bounds b = new Bounds(0, 1, 0, 1);
        assertOneLine(assertThrows(IllegalArgumentException.class, () -> b.grid(0)), "bounds.grid");
    }

    @Test
    void gridHasNTimesNDistinctCellCentresInsideTheBox() {
        Bounds b = new Bounds(-2, 2, 1, 3);
        int n = 7;
        double[] g = b.grid(n);
        assertEquals(2 * n * n, g.length);
        Set<String> seen = new HashSet<>();
        double meanX = 0;
        double meanY = 0;
        for (int i = 0; i < n * n; i++) {
            double x = g[2 * i];
            double y = g[2 * i + 1];
            assertTrue(x > b.xMin() && x < b.xMax() && y > b.yMin() && y < b.yMax(), x + ", " + y);
            assertTrue(seen.add(x + "," + y));
            meanX += x / (n * n);
            meanY += y / (n * n);
        }
        // the cells cover the box evenly: first centre half a cell in, mean at the box centre
        assertEquals(-2 + 4.0 / (2 * n), g[0], 1e-12);
        assertEquals(1 + 2.0 / (2 * n), g[1], 1e-12);
        assertEquals(2 - 4.0 / (2 * n), g[2 * n * n - 2], 1e-12);
        assertEquals(0, meanX, 1e-12);
        assertEquals(2, meanY, 1e-12);
        assertEquals(2, b.grid(1).length);
    }
}
