package org.diffusion4j.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.diffusion4j.data.AtomicFiles;
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

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /** Data and samples as two scatter series. */
    public static void scatter(Path file, String title, double[] data, double[] samples) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("x").yAxisTitle("y").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(3);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        addPoints(chart, "data", data, new Color(40, 90, 200, 120));
        addPoints(chart, "samples", samples, new Color(220, 80, 30, 120));
        save(chart, file);
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
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("training loss").xAxisTitle("step").yAxisTitle("loss").build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setXAxisTickMarkSpacingHint(120);
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
                y[s] = Math.max(sum / (to - from), 1e-12);
            }
            chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.NONE);
        }
        save(chart, file);
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

    private static void save(XYChart chart, Path file) {
        BufferedImage image = BitmapEncoder.getBufferedImage(chart);
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
}
