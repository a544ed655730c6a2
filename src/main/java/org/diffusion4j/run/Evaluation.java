package org.diffusion4j.run;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.metrics.EnergyDistance;
import org.diffusion4j.metrics.KozachenkoLeonenko;
import org.diffusion4j.metrics.Mmd;
import org.diffusion4j.metrics.ModeHistogram;
import org.diffusion4j.metrics.SlicedWasserstein;
import org.diffusion4j.model.Condition;

/**
 * The distances of samples to fresh data of their dataset (the keys of metrics.json), with the data-to-data baselines,
 * and how well conditional samples follow their conditions.
 *
 * <p>Fresh data are drawn with {@code seed + EVAL_SALT} and, for the baselines, {@code seed + EVAL_SALT + 1}, so the
 * same seed gives the same numbers in {@code train}, {@code sample} and {@code eval}.
 */
public final class Evaluation {

    /** Seed offset of the fresh data the metrics compare with. */
    public static final long EVAL_SALT = 0x1000_0000_0000L;
    /** Most sample points that the metrics use (the first ones): MMD is O(n^2). */
    public static final int METRIC_POINTS = 10_000;

    private Evaluation() {
    }

    /**
     * Distances of (the first METRIC_POINTS of) the samples to fresh data, with the data-to-data baselines (a second
     * fresh draw against the first): sliced Wasserstein, MMD^2, energy distance, the k-NN KL(samples || data); the KL
     * of the samples to N(0, I); for mixture data the histogram over the modes and its KL to uniform. Non-finite
     * samples are left out and counted.
     *
     * @param dataset the dataset's name ({@link Datasets#names()})
     * @param samples interleaved x, y
     * @param seed    the seed the fresh data are drawn from (a run's sampling seed)
     */
    public static Map<String, Object> distances(String dataset, double[] samples, long seed) {
        double[] finite = finitePoints(samples);
        int n = Math.min(finite.length / 2, METRIC_POINTS);
        if (n < KozachenkoLeonenko.DEFAULT_K + 1) {
            throw new IllegalArgumentException("samples: at least " + (KozachenkoLeonenko.DEFAULT_K + 1)
                    + " finite points are needed for the metrics, got " + n);
        }
        double[] xy = Arrays.copyOf(finite, 2 * n);
        Dataset d = Datasets.byName(dataset);
        double[] fresh = Sampling.fresh(d, n, seed + EVAL_SALT).xy();
        double[] fresh2 = Sampling.fresh(d, n, seed + EVAL_SALT + 1).xy();
        SlicedWasserstein sw = SlicedWasserstein.standard();
        double h = Mmd.medianBandwidth(xy, fresh);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataset", dataset);
        m.put("metric_points", n);
        m.put("non_finite_samples", (samples.length - finite.length) / 2);
        m.put("sliced_wasserstein", sw.distance(xy, fresh));
        m.put("sliced_wasserstein_data_to_data", sw.distance(fresh2, fresh));
        m.put("mmd", Mmd.squared(xy, fresh, h));
        m.put("mmd_data_to_data", Mmd.squared(fresh2, fresh, h));
        m.put("mmd_bandwidth", h);
        m.put("mmd_estimator", "unbiased U-statistic of MMD^2, RBF kernel, bandwidth = median pairwise distance of samples + data");
        m.put("energy_distance", EnergyDistance.squared(xy, fresh));
        m.put("energy_distance_data_to_data", EnergyDistance.squared(fresh2, fresh));
        m.put("kl_to_data", KozachenkoLeonenko.klBetween(Points.of(xy), Points.of(fresh)));
        m.put("kl_to_data_data_to_data", KozachenkoLeonenko.klBetween(Points.of(fresh2), Points.of(fresh)));
        m.put("kl_to_standard_normal", KozachenkoLeonenko.klToStandardNormal(Points.of(xy)));
        d.mixture().ifPresent(mixture -> {
            ModeHistogram modes = ModeHistogram.of(mixture, xy);
            m.put("mode_counts", modes.counts());
            m.put("modes_covered", modes.modesCovered());
            m.put("mode_kl_to_uniform", modes.klToUniform());
            m.put("mode_kl_to_uniform_data_to_data", ModeHistogram.of(mixture, fresh2).klToUniform());
            m.put("in_mode_fraction", modes.inModeFraction());
        });
        return m;
    }

    /**
     * How well conditional samples follow their conditions: each metric by its metrics.json key, and the data-to-data
     * baselines of those that have one (under the same key).
     */
    public record Conditional(Map<String, Double> values, Map<String, Double> baselines) {
        /** No conditional metrics (an unconditional model). */
        public static final Conditional NONE = new Conditional(Map.of(), Map.of());

        /** Whether there are none. */
        public boolean isEmpty() {
            return values.isEmpty();
        }

        /** The metrics.json entries: each value, followed by its baseline as {@code <key>_data_to_data}. */
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : values.entrySet()) {
                m.put(e.getKey(), e.getValue());
                Double b = baselines.get(e.getKey());
                if (b != null) {
                    m.put(e.getKey() + "_data_to_data", b);
                }
            }
            return m;
        }
    }

    /**
     * How well conditional samples follow their conditions (the first METRIC_POINTS, non-finite ones left out):
     * labels on mixture data: the fraction whose nearest mode is the requested one ({@code conditional_accuracy});
     * values: the mean |radius - requested value| ({@code radius_abs_error}); labels on other labelled data (shapes):
     * the sliced Wasserstein distance of each label's samples to fresh data of that label, with its data-to-data
     * baseline. Null conditions (guidance's unconditional samples) are left out. Empty for an unconditional model.
     */
    public static Conditional conditional(String dataset, double[] samples, Condition cond, long seed) {
        if (cond == null || (cond.labels() == null && cond.values() == null)) {
            return Conditional.NONE;
        }
        Map<String, Double> values = new LinkedHashMap<>();
        Map<String, Double> baselines = new LinkedHashMap<>();
        Dataset d = Datasets.byName(dataset);
        int n = Math.min(samples.length / 2, METRIC_POINTS);
        if (cond.values() != null) {
            double sum = 0;
            int count = 0;
            for (int i = 0; i < n; i++) {
                double v = cond.values()[i];
                double x = samples[2 * i];
                double y = samples[2 * i + 1];
                if (!Double.isNaN(v) && Double.isFinite(x) && Double.isFinite(y)) {
                    sum += Math.abs(Math.hypot(x, y) - v);
                    count++;
                }
            }
            values.put("radius_abs_error", count == 0 ? Double.NaN : sum / count);
            return new Conditional(values, baselines);
        }
        int[] labels = cond.labels();
        if (d.mixture().isPresent()) {
            int hits = 0;
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (labels[i] == Condition.NULL_LABEL) {
                    continue;
                }
                count++;
                hits += ModeHistogram.nearestMode(d.mixture().get(), samples[2 * i], samples[2 * i + 1]) == labels[i] ? 1 : 0;
            }
            values.put("conditional_accuracy", count == 0 ? Double.NaN : (double) hits / count);
            return new Conditional(values, baselines);
        }
        Points fresh = Sampling.fresh(d, n, seed + EVAL_SALT);
        Points fresh2 = Sampling.fresh(d, n, seed + EVAL_SALT + 1);
        SlicedWasserstein sw = SlicedWasserstein.standard();
        for (int k = 0; k < d.classes(); k++) {
            double[] mine = withLabel(samples, labels, n, k, true);
            double[] data = withLabel(fresh.xy(), fresh.labels(), n, k, false);
            double[] data2 = withLabel(fresh2.xy(), fresh2.labels(), n, k, false);
            if (mine.length >= 4 && data.length >= 4) {
                values.put("sliced_wasserstein_label_" + k, sw.distance(mine, data));
                baselines.put("sliced_wasserstein_label_" + k, sw.distance(data2, data));
            }
        }
        return new Conditional(values, baselines);
    }

    /** The finite points among the first n whose label is k. */
    private static double[] withLabel(double[] xy, int[] labels, int n, int k, boolean finiteOnly) {
        double[] out = new double[2 * n];
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] == k && (!finiteOnly || Double.isFinite(xy[2 * i]) && Double.isFinite(xy[2 * i + 1]))) {
                out[c++] = xy[2 * i];
                out[c++] = xy[2 * i + 1];
            }
        }
        return Arrays.copyOf(out, c);
    }

    /** The points of xy whose coordinates are both finite (xy itself when all are). */
    public static double[] finitePoints(double[] xy) {
        int n = xy.length / 2;
        double[] out = new double[xy.length];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isFinite(xy[2 * i]) && Double.isFinite(xy[2 * i + 1])) {
                out[k++] = xy[2 * i];
                out[k++] = xy[2 * i + 1];
            }
        }
        return k == xy.length ? xy : Arrays.copyOf(out, k);
    }
}
