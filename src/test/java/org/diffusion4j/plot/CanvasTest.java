package org.diffusion4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CanvasTest {

    @Test
    void ticksAreRoundMultiplesInsideTheRange() {
        double[] t = Canvas.ticks(-3.0085, 3.094, 5);
        assertEquals(1, t[0], 1e-12);
        assertEquals(7, t.length - 1);
        assertEquals(-3, t[1], 1e-12);
        assertEquals(3, t[7], 1e-12);
        double[] small = Canvas.ticks(0.013, 0.087, 4);
        assertEquals(0.02, small[0], 1e-15);
        assertEquals("0.02", Canvas.tickLabel(small[1], small[0]));
        assertEquals("0.08", Canvas.tickLabel(small[small.length - 1], small[0]));
        assertEquals("0.0", Canvas.tickLabel(-1e-17, 0.5));
        assertEquals("0", Canvas.tickLabel(-1e-15, 1));
        assertEquals("-2.5", Canvas.tickLabel(-2.5, 0.5));
        assertEquals("200", Canvas.tickLabel(200, 50));
    }

    @Test
    void numbersKeepFourSignificantDigits() {
        assertEquals("0.4925", Canvas.number(0.49246231));
        assertEquals("1", Canvas.number(1.0));
        assertEquals("0", Canvas.number(0));
        assertEquals("1.000e-05", Canvas.number(1e-5));
        assertEquals("-12.35", Canvas.number(-12.345678));
    }

    @Test
    void bothAxesGetTheSameScaleAndTheBoxIsCentred() {
        Canvas c = new Canvas(new Bounds(0, 2, 0, 1), 100, 50, 400, 400);
        double sx = c.px(1) - c.px(0);
        double sy = c.py(0) - c.py(1);
        assertEquals(sx, sy, 1e-12);
        assertEquals(c.scale(), sx, 1e-12);
        assertTrue(c.box().getWidth() > 1.99 * c.box().getHeight());
        assertTrue(c.px(0) >= 100 + Canvas.LEFT - 1 && c.px(2) <= 500 - Canvas.RIGHT + 1);
        assertTrue(c.py(1) > 50 + Canvas.TOP && c.py(0) < 450 - Canvas.BOTTOM);
    }
}
