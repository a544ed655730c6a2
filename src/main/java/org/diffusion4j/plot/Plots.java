package org.diffusion4j.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots of a run with XChart, drawn headless and written atomically (temporary file, then rename). */
public final class Plots {

    /** Size of every plot, in pixels. */
    public static final int WIDTH = 800;
    public static final int HEIGHT = 600;
    /** Most points drawn per scatter series (a strided subsample beyond that). */
    public static final int MAX_SCATTER = 5000;
    /** Most points drawn per line (windowed means beyond that). */
    public static final int MAX_LINE = 400;
    /** Most bins of a histogram. */
    public static final int MAX_BINS = 10_000;
    /** Size of one panel of {@link #scatterGrid}, in pixels. */
    public static final int GRID_PANEL = 320;
    /** Height of the title band above the panels of {@link #scatterGrid}, in pixels. */
    public static final int GRID_TITLE = Canvas.TITLE_BAND;
    /** Most background points drawn per panel of {@link #scatterGrid}. */
    public static final int MAX_GRID_BACKGROUND = 3000;

    /** One panel of {@link #scatterGrid}: {@code points} in colour over the grey {@code background} (null for none). */
    public record ScatterPanel(String title, double[] background, double[] points) {
        public ScatterPanel {
            if (points == null || points.length % 2 != 0) {
                throw new IllegalArgumentException("scatter.panel.points: interleaved (x, y) with an even length is needed, got "
                        + (points == null ? "null" : String.valueOf(points.length)));
            }
            if (background == null) {
                background = new double[0];
            }
            if (background.length % 2 != 0) {
                throw new IllegalArgumentException("scatter.panel.background: interleaved (x, y) needs an even length, got "
                        + background.length);
            }
            if (title == null) {
                title = "";
            }
        }
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /** Data and samples as two scatter series. */
    public static void scatter(Path file, String title, double[] data, double[] samples) {
        EqualAspectChart chart = new EqualAspectChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle("x");
        chart.setYAxisTitle("y");
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(3);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        addPoints(chart, "data", data, new Color(40, 90, 200, 120));
        addPoints(chart, "samples", samples, new Color(220, 80, 30, 120));
        chart.equalAspect(finiteBox(data, samples), SCATTER_MARGIN);
        save(chart, file);
    }

    /** Margin around the points of a scatter plot, as a fraction of their extent. */
    public static final double SCATTER_MARGIN = 0.05;

    /** {min x, max x, min y, max y} of the finite points of the arrays ({-1, 1, -1, 1} when there are none). */
    static double[] finiteBox(double[]... sets) {
        double[] b = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE};
        for (double[] xy : sets) {
            for (int i = 0; i + 1 < xy.length; i += 2) {
                if (Double.isFinite(xy[i]) && Double.isFinite(xy[i + 1])) {
                    b[0] = Math.min(b[0], xy[i]);
                    b[1] = Math.max(b[1], xy[i]);
                    b[2] = Math.min(b[2], xy[i + 1]);
                    b[3] = Math.max(b[3], xy[i + 1]);
                }
            }
        }
        return b[0] > b[1] ? new double[] {-1, 1, -1, 1} : b;
    }

    /**
     * An XY chart whose axes get one scale: a unit of x and of y span as many pixels, so that circles stay round. The
     * plot area is known only once drawn, so it is drawn, measured and the ranges widened on the axis with room to
     * spare, twice (the tick labels of the new ranges can move the plot area by a few pixels).
     */
    static final class EqualAspectChart extends XYChart {
        EqualAspectChart(int width, int height) {
            super(width, height);
        }

        /** Sets axis ranges holding box {min x, max x, min y, max y} (plus the margin) at equal scale. */
        void equalAspect(double[] box, double margin) {
            double cx = 0.5 * (box[0] + box[1]);
            double cy = 0.5 * (box[2] + box[3]);
            double sx = Math.max(box[1] - box[0], 1e-9) * (1 + 2 * margin);
            double sy = Math.max(box[3] - box[2], 1e-9) * (1 + 2 * margin);
            for (int pass = 0; pass < 2; pass++) {
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(getWidth(), getHeight(), java.awt.image.BufferedImage.TYPE_INT_RGB);
                java.awt.Graphics2D g = img.createGraphics();
                paint(g, getWidth(), getHeight());
                g.dispose();
                java.awt.geom.Rectangle2D area = plot.getBounds();
                double perPixel = Math.max(sx / area.getWidth(), sy / area.getHeight());
                double wx = perPixel * area.getWidth();
                double wy = perPixel * area.getHeight();
                getStyler().setXAxisMin(cx - wx / 2).setXAxisMax(cx + wx / 2);
                getStyler().setYAxisMin(cy - wy / 2).setYAxisMax(cy + wy / 2);
            }
        }
    }

    private static void addPoints(XYChart chart, String name, double[] xy, Color color) {
        int n = xy.length / 2;
        int k = Math.min(n, MAX_SCATTER);
        double[] x = new double[k];
        double[] y = new double[k];
        for (int s = 0; s < k; s++) {
            int i = (int) ((long) s * n / k);
            x[s] = xy[2 * i];
            y[s] = xy[2 * i + 1];
        }
        XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setMarkerColor(color);
    }

    /** Loss per step of each network, log y; histories longer than MAX_LINE are drawn as means of equal windows. */
    public static void lossCurve(Path file, Map<String, double[]> losses) {
        // log10 of the loss on a linear axis, its ticks labelled with the loss itself: XChart's own log axis labels only
        // powers of ten, so a loss that stays within one decade got no labels at all
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("training loss").xAxisTitle("step")
                .yAxisTitle("loss (log scale)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(Plots::stepLabel);
        chart.getStyler().setyAxisTickLabelsFormattingFunction(Plots::logLossLabel);
        chart.getStyler().setXAxisTickMarkSpacingHint(120);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        for (Map.Entry<String, double[]> e : losses.entrySet()) {
            double[] loss = e.getValue();
            int n = loss.length;
            int k = Math.min(n, MAX_LINE);
            double[] x = new double[k];
            double[] y = new double[k];
            for (int s = 0; s < k; s++) {
                int from = (int) ((long) s * n / k);
                int to = (int) ((long) (s + 1) * n / k);
                double sum = 0;
                for (int i = from; i < to; i++) {
                    sum += loss[i];
                }
                x[s] = 0.5 * (from + to - 1) + 1;
                y[s] = Math.log10(Math.max(sum / (to - from), 1e-12));
            }
            chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.NONE);
        }
        save(chart, file);
    }

    /** A tick of the log-loss axis: the loss 10^v, 3 significant digits. */
    static String logLossLabel(Double v) {
        return String.format(java.util.Locale.ROOT, "%.3g", Math.pow(10, v));
    }

    /** A tick of the step axis: 950, 2500, 12.5k, 20k (thousands as k from 10000 on, so that labels stay short). */
    static String stepLabel(Double v) {
        double a = Math.abs(v);
        if (a < 10_000) {
            return String.format(java.util.Locale.ROOT, "%.0f", v);
        }
        String k = new java.math.BigDecimal(String.format(java.util.Locale.ROOT, "%.4g", v / 1000)).stripTrailingZeros().toPlainString();
        return k + "k";
    }

    /** One line y(x), for example KL to N(0, I) over the forward time. */
    public static void line(Path file, String title, String xTitle, String yTitle, double[] x, double[] y) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.addSeries(yTitle, x, y).setMarker(SeriesMarkers.CIRCLE);
        save(chart, file);
    }

    /** Several lines y(x) over one x, for example the KL to two priors over the forward time. */
    public static void lines(Path file, String title, String xTitle, String yTitle, double[] x, Map<String, double[]> ys) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        for (Map.Entry<String, double[]> e : ys.entrySet()) {
            chart.addSeries(e.getKey(), x, e.getValue()).setMarker(SeriesMarkers.CIRCLE);
        }
        save(chart, file);
    }

    /**
     * Density histograms of several 1D samples over shared bins, drawn as step lines, WIDTH x HEIGHT pixels: the
     * {@code bins} equal bins span the pooled range [min, max] of the finite values of all series (widened by 1/2 on
     * each side where all values are equal), and series s has the height {@code count / (n_s width)} in a bin, where
     * n_s counts its finite values, so each series encloses area 1. Non-finite values are ignored; a series without
     * finite values is drawn at 0. Series are drawn in the map's order (use a LinkedHashMap), named by their keys.
     */
    public static void histograms(Path file, String title, String axisTitle, Map<String, double[]> series, int bins) {
        if (series == null || series.isEmpty()) {
            throw new IllegalArgumentException("histogram.series: at least 1 series is needed, got " + (series == null ? "null" : "0"));
        }
        if (bins < 1 || bins > MAX_BINS) {
            throw new IllegalArgumentException("histogram.bins: must be in [1, " + MAX_BINS + "], got " + bins);
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("histogram.series: names and values must be non-null, got "
                        + (e.getKey() == null ? "a null name" : "null values for '" + e.getKey() + "'"));
            }
            for (double v : e.getValue()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            throw new IllegalArgumentException("histogram.series: at least 1 finite value is needed, got none in " + series.size() + " series");
        }
        if (lo == hi) {
            lo -= 0.5;
            hi += 0.5;
        }
        double width = (hi - lo) / bins;
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title == null ? "" : title)
                .xAxisTitle(axisTitle == null ? "" : axisTitle).yAxisTitle("density").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        double step = Canvas.ticks(lo, hi, 8)[0];
        chart.getStyler().setXAxisMin(Math.floor(lo / step) * step);
        chart.getStyler().setXAxisMax(Math.ceil(hi / step) * step);
        chart.getStyler().setXAxisDecimalPattern("0.##");
        chart.getStyler().setYAxisDecimalPattern("0.###");
        chart.getStyler().setYAxisMin(0.0);
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            double[] density = density(e.getValue(), lo, hi, bins);
            // the outline of the bars: up at the left edge, across each bin, down at the right edge
            double[] x = new double[2 * bins + 2];
            double[] y = new double[2 * bins + 2];
            x[0] = lo;
            for (int b = 0; b < bins; b++) {
                x[2 * b + 1] = lo + b * width;
                x[2 * b + 2] = b == bins - 1 ? hi : lo + (b + 1) * width;
                y[2 * b + 1] = density[b];
                y[2 * b + 2] = density[b];
            }
            x[2 * bins + 1] = hi;
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            s.setMarker(SeriesMarkers.NONE);
        }
        save(chart, file);
    }

    /**
     * The density of the finite values of {@code values} in {@code bins} equal bins of [lo, hi] (the last bin closed):
     * {@code count / (n width)}, all zero where no value is finite.
     */
    static double[] density(double[] values, double lo, double hi, int bins) {
        double width = (hi - lo) / bins;
        double[] count = new double[bins];
        long n = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                int b = (int) Math.floor((v - lo) / width);
                count[Math.max(0, Math.min(bins - 1, b))]++;
                n++;
            }
        }
        if (n > 0) {
            for (int b = 0; b < bins; b++) {
                count[b] /= n * width;
            }
        }
        return count;
    }

    /**
     * Small scatter panels in a grid, for example samplers (rows) by step counts (columns): the panels fill rows of
     * {@code columns} left to right, each GRID_PANEL x GRID_PANEL pixels with its title, the shared axes of
     * {@code bounds}, the background (data) in grey behind and the points in colour. The image is
     * {@code min(columns, panels) GRID_PANEL} wide and {@code GRID_TITLE + rows GRID_PANEL} high, with
     * {@code rows = ceil(panels / columns)}.
     */
    public static void scatterGrid(Path file, String title, int columns, Bounds bounds, List<ScatterPanel> panels) {
        if (columns < 1) {
            throw new IllegalArgumentException("scatter.columns: must be >= 1, got " + columns);
        }
        if (bounds == null) {
            throw new IllegalArgumentException("scatter.bounds: required, got null");
        }
        if (panels == null || panels.isEmpty()) {
            throw new IllegalArgumentException("scatter.panels: at least 1 panel is needed, got " + (panels == null ? "null" : "0"));
        }
        for (int p = 0; p < panels.size(); p++) {
            if (panels.get(p) == null) {
                throw new IllegalArgumentException("scatter.panels[" + p + "]: a panel is needed, got null");
            }
        }
        int cols = Math.min(columns, panels.size());
        int rows = (panels.size() + columns - 1) / columns;
        int width = cols * GRID_PANEL;
        BufferedImage image = Canvas.image(width, GRID_TITLE + rows * GRID_PANEL);
        Graphics2D g = Canvas.graphics(image);
        Canvas.imageTitle(g, title, width);
        for (int p = 0; p < panels.size(); p++) {
            ScatterPanel panel = panels.get(p);
            Canvas canvas = gridCanvas(bounds, columns, p);
            canvas.title(g, panel.title());
            canvas.points(g, panel.background(), MAX_GRID_BACKGROUND, Canvas.BACKGROUND_POINT, 1.1);
            canvas.points(g, panel.points(), MAX_SCATTER, Canvas.POINT, 1.1);
            canvas.axes(g);
        }
        g.dispose();
        Canvas.writePng(file, image);
    }

    /** The canvas of panel {@code index} of a scatter grid. */
    static Canvas gridCanvas(Bounds bounds, int columns, int index) {
        return new Canvas(bounds, (index % columns) * GRID_PANEL, GRID_TITLE + (index / columns) * GRID_PANEL, GRID_PANEL, GRID_PANEL);
    }

    private static void save(XYChart chart, Path file) {
        Canvas.writePng(file, BitmapEncoder.getBufferedImage(chart));
    }
}
