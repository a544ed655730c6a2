package org.diffusion4j.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.diffusion4j.data.AtomicFiles;

/**
 * One 2D plot panel drawn with Java2D: a rectangle of the image (the panel) holds a title band, a framed data box with
 * rounded tick labels below and left of it, and the mapping from data to pixels. Both axes get the same scale,
 * {@code min(innerWidth / bounds.width, innerHeight / bounds.height)} pixels per unit, and the data box is centred in
 * the panel's inner area (the panel less the margins below).
 */
final class Canvas {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Panel margins around the data box, in pixels: tick labels on the left and below, the panel title above. */
    static final int LEFT = 56;
    static final int RIGHT = 16;
    static final int TOP = 28;
    static final int BOTTOM = 32;
    /** Height of the band at the top of an image that holds the image's title. */
    static final int TITLE_BAND = 34;

    static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 16);
    static final Font PANEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    static final Font NOTE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /** Colours of the frame and text, of background (data) points, and of the points of interest. */
    static final Color INK = new Color(51, 51, 51);
    static final Color BACKGROUND_POINT = new Color(190, 190, 190);
    static final Color POINT = new Color(204, 51, 0);

    private final Bounds bounds;
    private final int panelX;
    private final int panelWidth;
    private final int panelY;
    private final double scale;
    private final double boxX;
    private final double boxY;
    private final double boxWidth;
    private final double boxHeight;

    /** A panel at pixel (x, y) of size width x height showing {@code bounds}. */
    Canvas(Bounds bounds, int x, int y, int width, int height) {
        this.bounds = bounds;
        this.panelX = x;
        this.panelY = y;
        this.panelWidth = width;
        int innerWidth = width - LEFT - RIGHT;
        int innerHeight = height - TOP - BOTTOM;
        if (innerWidth < 16 || innerHeight < 16) {
            throw new IllegalArgumentException("canvas: a panel of " + width + " x " + height + " px is too small");
        }
        this.scale = Math.min(innerWidth / bounds.width(), innerHeight / bounds.height());
        this.boxWidth = bounds.width() * scale;
        this.boxHeight = bounds.height() * scale;
        this.boxX = Math.round(x + LEFT + 0.5 * (innerWidth - boxWidth));
        this.boxY = Math.round(y + TOP + 0.5 * (innerHeight - boxHeight));
    }

    /** A white RGB image. */
    static BufferedImage image(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    /** Graphics of an image with antialiasing on for shapes and text. */
    static Graphics2D graphics(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_SPEED);
        return g;
    }

    /** Writes an image as a PNG, atomically. */
    static void writePng(Path file, BufferedImage image) {
        try {
            AtomicFiles.write(file, out -> {
                if (!ImageIO.write(image, "png", out)) {
                    throw new IOException("no PNG writer");
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("plot " + file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The image title, centred in the band of height TITLE_BAND at the top of an image of the given width. */
    static void imageTitle(Graphics2D g, String title, int width) {
        centred(g, title, TITLE_FONT, 0.5 * width, 24, width - 16);
    }

    /**
     * Draws text centred on {@code cx} with its baseline at {@code baseline}, the font shrunk (down to 9 points) where
     * the text is wider than {@code maxWidth}.
     */
    static void centred(Graphics2D g, String text, Font font, double cx, double baseline, double maxWidth) {
        if (text == null || text.isEmpty()) {
            return;
        }
        Font f = font;
        FontMetrics m = g.getFontMetrics(f);
        while (m.stringWidth(text) > maxWidth && f.getSize2D() > 9) {
            f = f.deriveFont(f.getSize2D() - 1);
            m = g.getFontMetrics(f);
        }
        g.setFont(f);
        g.setColor(INK);
        g.drawString(text, (float) (cx - 0.5 * m.stringWidth(text)), (float) baseline);
    }

    /** Pixels per data unit, on both axes. */
    double scale() {
        return scale;
    }

    /** The pixel column of data x. */
    double px(double x) {
        return boxX + (x - bounds.xMin()) * scale;
    }

    /** The pixel row of data y (rows grow downwards). */
    double py(double y) {
        return boxY + boxHeight - (y - bounds.yMin()) * scale;
    }

    /** The data box in pixels. */
    Rectangle2D box() {
        return new Rectangle2D.Double(boxX, boxY, boxWidth, boxHeight);
    }

    /** The panel title, centred above the data box. */
    void title(Graphics2D g, String title) {
        centred(g, title, PANEL_FONT, boxX + 0.5 * boxWidth, panelY + TOP - 9, panelWidth - 8);
    }

    /** The frame of the data box, with ticks and rounded labels on the bottom and left edges. */
    void axes(Graphics2D g) {
        g.setColor(INK);
        g.setStroke(new BasicStroke(1f));
        g.draw(new Rectangle2D.Double(boxX, boxY, boxWidth, boxHeight));
        g.setFont(TICK_FONT);
        FontMetrics m = g.getFontMetrics();
        double bottom = boxY + boxHeight;
        double[] xs = ticks(bounds.xMin(), bounds.xMax(), Math.max(3, (int) (boxWidth / 90)));
        for (int i = 1; i < xs.length; i++) {
            double x = px(xs[i]);
            g.draw(new Line2D.Double(x, bottom, x, bottom + 4));
            String label = tickLabel(xs[i], xs[0]);
            g.drawString(label, (float) (x - 0.5 * m.stringWidth(label)), (float) (bottom + 6 + m.getAscent()));
        }
        double[] ys = ticks(bounds.yMin(), bounds.yMax(), Math.max(3, (int) (boxHeight / 90)));
        for (int i = 1; i < ys.length; i++) {
            double y = py(ys[i]);
            g.draw(new Line2D.Double(boxX - 4, y, boxX, y));
            String label = tickLabel(ys[i], ys[0]);
            g.drawString(label, (float) (boxX - 6 - m.stringWidth(label)), (float) (y + 0.5 * (m.getAscent() - m.getDescent())));
        }
    }

    /**
     * Filled discs of the given pixel radius at the finite points of {@code xy}, at most {@code max} of them (the
     * strided subsample {@code i = floor(s n / max)}), clipped to the data box.
     */
    void points(Graphics2D g, double[] xy, int max, Color color, double radius) {
        int n = xy.length / 2;
        int k = Math.min(n, max);
        Shape clip = g.getClip();
        g.clip(box());
        g.setColor(color);
        Ellipse2D.Double disc = new Ellipse2D.Double();
        for (int s = 0; s < k; s++) {
            int i = (int) ((long) s * n / k);
            double x = xy[2 * i];
            double y = xy[2 * i + 1];
            if (Double.isFinite(x) && Double.isFinite(y)) {
                disc.setFrame(px(x) - radius, py(y) - radius, 2 * radius, 2 * radius);
                g.fill(disc);
            }
        }
        g.setClip(clip);
    }

    /**
     * Tick positions for [min, max]: {@code result[0]} is the step, a 1, 2 or 5 times a power of ten near
     * {@code (max - min) / target}, and the rest are the multiples of the step inside [min, max].
     */
    static double[] ticks(double min, double max, int target) {
        double raw = (max - min) / target;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / power;
        double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
        long first = (long) Math.ceil(min / step - 1e-9);
        long last = (long) Math.floor(max / step + 1e-9);
        int count = (int) Math.max(0, Math.min(last - first + 1, 100));
        double[] t = new double[count + 1];
        t[0] = step;
        for (int i = 0; i < count; i++) {
            t[i + 1] = (first + i) * step;
        }
        return t;
    }

    /** A tick value with as many decimals as its step needs, and no "-0". */
    static String tickLabel(double value, double step) {
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        double v = Math.abs(value) < 1e-9 * step ? 0 : value;
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A number with at most 4 significant digits, plain where it is between 1e-3 and 1e5 in size. */
    static String number(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : String.valueOf(v);
        }
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e5) {
            return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, "%.3e", v);
    }
}
