package org.diffusion4j.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Vector fields as arrows (a quiver plot), several panels side by side in one PNG, for example a learned score next
 * to the exact one. All panels share one arrow scale: with the reference magnitude {@code r} = the 95th percentile
 * (nearest rank) of |v| over the finite vectors of all panels, the arrow of v starts at its point, points along v and
 * is {@code 0.9 c min(1, |v| / r)} long, where {@code c = sqrt(bounds.width bounds.height / n)} is the grid cell size of
 * the panel's n points ({@code span / sqrt(n)} for square bounds). Arrows with {@code |v| > r} are clipped to the full
 * length and drawn in a darker colour. Points or vectors with a non-finite coordinate, and zero vectors, draw no arrow.
 * The image is {@code panels * PANEL_WIDTH} x {@code HEIGHT} pixels; each panel's data box is at most
 * {@code PANEL_SIZE} pixels a side.
 */
public final class QuiverPlot {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Largest side of a panel's data box, in pixels. */
    public static final int PANEL_SIZE = 480;
    /** Width of one panel, data box plus tick-label margins, in pixels. */
    public static final int PANEL_WIDTH = PANEL_SIZE + Canvas.LEFT + Canvas.RIGHT;
    /** Height of the band above the panels: the title and a line on the arrow scale. */
    static final int HEADER = 48;
    /** Height of the image, in pixels. */
    public static final int HEIGHT = HEADER + PANEL_SIZE + Canvas.TOP + Canvas.BOTTOM;
    /** Most background points drawn per panel (a strided subsample beyond that). */
    public static final int MAX_BACKGROUND = 3000;
    /** The quantile of |v| that gets the full arrow length. */
    public static final double REFERENCE_QUANTILE = 0.95;
    /** Full arrow length as a fraction of the grid cell size. */
    public static final double ARROW_FRACTION = 0.9;

    static final Color ARROW = new Color(33, 102, 172);
    static final Color CLIPPED_ARROW = new Color(120, 20, 20);

    /**
     * One panel: arrows {@code vectors} (interleaved (vx, vy)) at {@code points} (interleaved (x, y)), drawn over the
     * grey {@code background} points (interleaved (x, y); null for none).
     */
    public record Panel(String title, double[] points, double[] vectors, double[] background) {
        public Panel {
            if (points == null || vectors == null) {
                throw new IllegalArgumentException("quiver.panel: points and vectors are required, got "
                        + (points == null ? "null" : "an array") + " and " + (vectors == null ? "null" : "an array"));
            }
            if (points.length % 2 != 0) {
                throw new IllegalArgumentException("quiver.panel.points: interleaved (x, y) needs an even length, got " + points.length);
            }
            if (vectors.length != points.length) {
                throw new IllegalArgumentException("quiver.panel.vectors: must have the length of points (2 per point), got "
                        + vectors.length + " for " + points.length);
            }
            if (background == null) {
                background = new double[0];
            }
            if (background.length % 2 != 0) {
                throw new IllegalArgumentException("quiver.panel.background: interleaved (x, y) needs an even length, got "
                        + background.length);
            }
            if (title == null) {
                title = "";
            }
        }
    }

    private QuiverPlot() {
    }

    /** Writes the panels side by side, with the shared arrow scale, as a PNG (atomically). */
    public static void write(Path file, String title, Bounds bounds, List<Panel> panels) {
        if (bounds == null) {
            throw new IllegalArgumentException("quiver.bounds: required, got null");
        }
        if (panels == null || panels.isEmpty()) {
            throw new IllegalArgumentException("quiver.panels: at least 1 panel is needed, got " + (panels == null ? "null" : "0"));
        }
        for (int p = 0; p < panels.size(); p++) {
            if (panels.get(p) == null) {
                throw new IllegalArgumentException("quiver.panels[" + p + "]: a panel is needed, got null");
            }
        }
        double reference = referenceMagnitude(panels);
        int width = panels.size() * PANEL_WIDTH;
        BufferedImage image = Canvas.image(width, HEIGHT);
        Graphics2D g = Canvas.graphics(image);
        Canvas.imageTitle(g, title, width);
        String note = "arrow length ~ |v|, full at |v| = " + Canvas.number(reference) + " (95th percentile"
                + (panels.size() > 1 ? " of all panels" : "") + "); longer: clipped, dark";
        Canvas.centred(g, note, Canvas.NOTE_FONT, 0.5 * width, HEADER - 8, width - 16);
        for (int p = 0; p < panels.size(); p++) {
            Panel panel = panels.get(p);
            Canvas canvas = canvas(bounds, p);
            canvas.title(g, panel.title());
            canvas.points(g, panel.background(), MAX_BACKGROUND, Canvas.BACKGROUND_POINT, 1.3);
            arrows(g, canvas, bounds, panel, reference);
            canvas.axes(g);
        }
        g.dispose();
        Canvas.writePng(file, image);
    }

    /** The canvas of panel {@code index}. */
    static Canvas canvas(Bounds bounds, int index) {
        return new Canvas(bounds, index * PANEL_WIDTH, HEADER, PANEL_WIDTH, HEIGHT - HEADER);
    }

    /**
     * The 95th percentile (nearest rank) of |v| over the finite vectors of all panels; 0 where there are none. Where it
     * is 0 every non-zero vector is longer, so all arrows are clipped to the full length.
     */
    static double referenceMagnitude(List<Panel> panels) {
        int total = 0;
        for (Panel p : panels) {
            total += p.vectors().length / 2;
        }
        double[] norms = new double[total];
        int m = 0;
        for (Panel p : panels) {
            double[] v = p.vectors();
            for (int i = 0; i < v.length; i += 2) {
                double norm = Math.hypot(v[i], v[i + 1]);
                if (Double.isFinite(norm)) {
                    norms[m++] = norm;
                }
            }
        }
        if (m == 0) {
            return 0;
        }
        Arrays.sort(norms, 0, m);
        int rank = (int) Math.ceil(REFERENCE_QUANTILE * m);
        return norms[Math.max(rank, 1) - 1];
    }

    private static void arrows(Graphics2D g, Canvas canvas, Bounds bounds, Panel panel, double reference) {
        int n = panel.points().length / 2;
        if (n == 0) {
            return;
        }
        double cellPixels = Math.sqrt(bounds.width() * bounds.height() / n) * canvas.scale();
        double fullPixels = ARROW_FRACTION * cellPixels;
        double[] p = panel.points();
        double[] v = panel.vectors();
        Shape clip = g.getClip();
        g.clip(canvas.box());
        g.setStroke(new BasicStroke((float) Math.min(1.6, Math.max(0.8, fullPixels / 12)), BasicStroke.CAP_ROUND,
                BasicStroke.JOIN_ROUND));
        Line2D.Double shaft = new Line2D.Double();
        Path2D.Double head = new Path2D.Double();
        for (int i = 0; i < n; i++) {
            double x = p[2 * i];
            double y = p[2 * i + 1];
            double vx = v[2 * i];
            double vy = v[2 * i + 1];
            double norm = Math.hypot(vx, vy);
            if (!Double.isFinite(x) || !Double.isFinite(y) || !Double.isFinite(norm) || norm == 0) {
                continue;
            }
            boolean clipped = norm > reference;
            double length = clipped ? fullPixels : fullPixels * norm / reference;
            // unit direction in pixels: rows grow downwards
            double ux = vx / norm;
            double uy = -vy / norm;
            double sx = canvas.px(x);
            double sy = canvas.py(y);
            double tx = sx + ux * length;
            double ty = sy + uy * length;
            double headLength = Math.min(0.4 * length, Math.max(3, Math.min(8, 0.3 * fullPixels)));
            double headHalf = 0.45 * headLength;
            double bx = tx - ux * headLength;
            double by = ty - uy * headLength;
            g.setColor(clipped ? CLIPPED_ARROW : ARROW);
            shaft.setLine(sx, sy, bx, by);
            g.draw(shaft);
            head.reset();
            head.moveTo(tx, ty);
            head.lineTo(bx - uy * headHalf, by + ux * headHalf);
            head.lineTo(bx + uy * headHalf, by - ux * headHalf);
            head.closePath();
            g.fill(head);
        }
        g.setClip(clip);
    }
}
