package org.diffusion4j.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.AtomicFiles;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.reference.ReferenceEngine;
import org.diffusion4j.metrics.KozachenkoLeonenko;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.plot.Animation;
import org.diffusion4j.plot.Bounds;
import org.diffusion4j.plot.Plots;
import org.diffusion4j.plot.QuiverPlot;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoisedMixture;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.sampler.ScoreField;

/**
 * The figures of a run beside samples.png and loss.png: the score field at chosen times (learned and, for mixture data,
 * exact, side by side with one arrow scale), histograms of the x coordinate at the start and the end of sampling, the
 * forward-process KL over time (CSV and plot), and GIF animations of the forward and the reverse trajectories.
 */
public final class RunFigures {

    /** Arrows per side of the score-field grid. */
    static final int FIELD_GRID = 21;
    /** Frames the reverse trajectory is recorded at (about; first and last always). */
    static final int REVERSE_FRAMES = 60;
    /** Most recorded particle states kept for the reverse animation (frames x particles), 64 MB of doubles. */
    static final long RECORD_BUDGET = 4_000_000;
    /** Bins of the coordinate histograms. */
    static final int HISTOGRAM_BINS = 60;

    private RunFigures() {
    }

    /** The recordEvery that keeps about REVERSE_FRAMES frames of the trajectory within RECORD_BUDGET states. */
    public static int recordEvery(int steps, int particles) {
        long frames = Math.max(2, Math.min(REVERSE_FRAMES, RECORD_BUDGET / Math.max(1, particles)));
        return Math.max(1, (int) Math.ceil((double) steps / (frames - 1)));
    }

    /** Everything, into the files that {@code file} names. */
    public static void write(Function<String, Path> file, Engine engine, RunConfig c, List<float[]> params, Samples samples,
                      double[] fieldTimes) {
        Dataset dataset = Datasets.byName(c.data().name());
        Points data = dataset.sample(c.data().size(), c.data().seed());
        double[] prior = samples.frames().get(0);
        Bounds bounds = Bounds.around(0.1, data.xy(), prior);
        histograms(file.apply("histograms.png"), c, data.xy(), samples);
        for (double t : fieldTimes) {
            scoreField(file.apply("score-field-t" + FieldTimes.format(t) + ".png"), c, params, dataset, bounds, data.xy(), t);
        }
        Animation.writeGif(file.apply("reverse.gif"), c.name() + ": reverse process (" + c.sampling().sampler().name() + ")", bounds,
                data.xy(), samples.frames(), samples.frameTimes(), timeLabel(c.process()));
        forward(file, engine, c, data, bounds);
    }

    /** The time axis of forward plots: DDPM's data state sits at step -1, before the first noising step 0. */
    public static String axisLabel(ForwardProcess p) {
        return p instanceof Ddpm ? "step (-1: the data)" : timeLabel(p);
    }

    public static String timeLabel(ForwardProcess p) {
        return p instanceof Ddpm ? "step" : p instanceof org.diffusion4j.process.NoiseLevels ? "level" : "t";
    }

    /** The x coordinate of the prior draw, the final samples and the data (document 000's start / end histograms). */
    static void histograms(Path file, RunConfig c, double[] data, Samples samples) {
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("start of sampling (prior draw)", xs(samples.frames().get(0)));
        series.put("end of sampling", xs(Evaluation.finitePoints(samples.xy())));
        series.put("data", xs(data));
        Plots.histograms(file, c.name() + ": x coordinate at the start and the end of sampling", "x", series, HISTOGRAM_BINS);
    }

    private static double[] xs(double[] xy) {
        double[] x = new double[xy.length / 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = xy[2 * i];
        }
        return x;
    }

    /**
     * The learned field at time t on a grid over the plot bounds, beside the exact one of an unconditional mixture
     * model. Conditional networks are drawn for label 0 or the data's median value, as the title says. A model whose
     * only network predicts the velocity shows the velocity.
     */
    static void scoreField(Path file, RunConfig c, List<float[]> params, Dataset dataset, Bounds bounds, double[] data, double t) {
        ForwardProcess p = c.process();
        double[] grid = bounds.grid(FIELD_GRID);
        int n = grid.length / 2;
        List<ScoreSource.Network> nets = new ArrayList<>();
        String conditionNote = "";
        for (int i = 0; i < c.networks().size(); i++) {
            Preset.Net net = c.networks().get(i);
            Conditioning cond = net.spec().conditioning();
            Condition condition = Condition.NONE;
            if (cond instanceof Conditioning.Continuous) {
                double v = medianValue(dataset, c);
                condition = Condition.value(v, n);
                conditionNote = String.format(Locale.ROOT, ", value %.3g", v);
            } else if (!(cond instanceof Conditioning.None)) {
                condition = Condition.label(0, n);
                conditionNote = ", label 0";
            }
            nets.add(new ScoreSource.Network(net.spec(), params.get(i), net.objective().parameterization(), condition));
        }
        boolean velocityOnly = nets.size() == 1 && nets.get(0).parameterization() == Parameterization.VELOCITY;
        ScoreSource source = nets.size() == 1 ? nets.get(0)
                : new ScoreSource.FlowAndScore(nets.get(c.networks().indexOf(c.flowNetwork())), nets.get(1 - c.networks().indexOf(c.flowNetwork())));
        String what = velocityOnly ? "velocity" : "score";
        String when = timeLabel(p) + " = " + FieldTimes.format(t);
        List<QuiverPlot.Panel> panels = new ArrayList<>();
        panels.add(new QuiverPlot.Panel("learned " + what + conditionNote, grid, evaluate(ReferenceEngine.field(source, p), velocityOnly, grid, t), data));
        Optional<GaussianMixture> mixture = dataset.mixture();
        if (mixture.isPresent() && conditionNote.isEmpty()) {
            panels.add(new QuiverPlot.Panel("exact " + what + " of the noised mixture", grid,
                    evaluate(new NoisedMixture(mixture.get(), p), velocityOnly, grid, t), data));
        }
        QuiverPlot.write(file, c.name() + ": " + what + " field at " + when, bounds, panels);
    }

    private static double[] evaluate(ScoreField f, boolean velocity, double[] grid, double t) {
        double[] out = new double[grid.length];
        if (velocity) {
            f.velocity(grid, t, out);
        } else {
            f.score(grid, t, out);
        }
        return out;
    }

    private static double medianValue(Dataset dataset, RunConfig c) {
        Points p = dataset.sample(c.data().size(), c.data().seed());
        double[] v = p.hasValues() ? p.values().clone() : new double[] {0};
        Arrays.sort(v);
        return v[v.length / 2];
    }

    /**
     * The forward process of the training data: forward.gif, and forward-kl.csv / forward-kl.png with the KL of each
     * recorded frame to N(0, I) and, where the sampler's prior is another Gaussian, to that prior.
     */
    static void forward(Function<String, Path> file, Engine engine, RunConfig c, Points data, Bounds bounds) {
        ForwardProcess p = c.process();
        int steps = p.forwardSteps();
        boolean stepwise = p instanceof OrnsteinUhlenbeck || p instanceof Ddpm;
        ForwardSetup setup = new ForwardSetup(p, data, stepwise ? ForwardSetup.Method.STEPWISE : ForwardSetup.Method.CLOSED_FORM, steps,
                Math.max(1, (int) Math.ceil(steps / (double) (Animation.MAX_FRAMES - 1))), c.data().seed() + 1);
        Samples frames = engine.simulateForward(setup);
        Animation.writeGif(file.apply("forward.gif"), c.name() + ": forward process (" + p.name() + ")", bounds, data.xy(), frames.frames(),
                frames.frameTimes(), timeLabel(p));
        ForwardKl kl = ForwardKl.of(frames, p.priorStd());
        kl.write(file.apply("forward-kl.csv"), file.apply("forward-kl.png"), c.name() + ": KL to the prior along the forward process",
                axisLabel(p));
    }

    /** KL of forward frames to N(0, I) and to the sampler's prior N(0, priorStd^2 I). */
    public record ForwardKl(double[] times, double[] klStandard, double[] klPrior, double priorStd) {
        public static ForwardKl of(Samples frames, double priorStd) {
            int k = frames.frames().size();
            double[] std = new double[k];
            double[] prior = new double[k];
            for (int f = 0; f < k; f++) {
                double[] xy = frames.frames().get(f);
                std[f] = KozachenkoLeonenko.klToStandardNormal(Points.of(xy));
                double[] scaled = new double[xy.length];
                for (int i = 0; i < xy.length; i++) {
                    scaled[i] = xy[i] / priorStd;
                }
                prior[f] = priorStd == 1.0 ? std[f] : KozachenkoLeonenko.klToStandardNormal(Points.of(scaled));
            }
            return new ForwardKl(frames.frameTimes(), std, prior, priorStd);
        }

        public void write(Path csv, Path png, String title, String timeLabel) {
            StringBuilder b = new StringBuilder("frame,time,kl_to_standard_normal,kl_to_prior\n");
            for (int f = 0; f < times.length; f++) {
                b.append(f).append(',').append(times[f]).append(',').append(klStandard[f]).append(',').append(klPrior[f]).append('\n');
            }
            try {
                AtomicFiles.write(csv, out -> out.write(b.toString().getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + csv + ": " + e.getMessage(), e);
            }
            plot(png, title, timeLabel);
        }

        /** KL to N(0, I) over time and, where the prior is another Gaussian, KL to the prior. */
        public void plot(Path png, String title, String timeLabel) {
            Map<String, double[]> lines = new LinkedHashMap<>();
            lines.put("KL to N(0, I)", klStandard);
            if (priorStd != 1.0) {
                lines.put(String.format(Locale.ROOT, "KL to the sampler's prior N(0, %.3g^2 I)", priorStd), klPrior);
            }
            Plots.lines(png, title, timeLabel, "KL (nats)", times, lines);
        }
    }
}
