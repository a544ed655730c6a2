package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.plot.Animation;
import org.diffusion4j.plot.Bounds;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.run.RunFigures;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.RunFolder;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j forward}: simulates the forward process of a model's training data and writes a folder with the
 * recorded frames ({@code frame-NNN.npy}), {@code forward.csv} (time, mean, std, KL to N(0, I) and to the sampler's
 * prior of each frame), {@code kl.png} (KL over t, as in document 000), {@code forward.gif} and the config. OU and DDPM run their Markov chain step by step (Euler-Maruyama for OU); the
 * Gaussian path and noise levels draw each frame from the closed-form marginal.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Simulate the forward (noising) process of the data; write frames, statistics and a KL plot.")
final class ForwardCommand implements Callable<Integer> {

    /** Frames recorded besides the data (about; the last state is always kept). */
    static final int FRAMES = 50;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelSource source;

    @Option(names = "--engine", paramLabel = "E", description = "auto, cuda, cpu or reference (default: the config's)")
    String engine;

    @Option(names = "--out", paramLabel = "DIR", description = "output folder (default: runs/forward-<name>-<time>)")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing output folder")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        RunConfig c = source.load();
        if (engine != null) {
            c = c.withEngine(engine);
        }
        ForwardProcess process = c.process();
        Points data = Datasets.byName(c.data().name()).sample(c.data().size(), c.data().seed());
        int steps = process.forwardSteps();
        boolean stepwise = process instanceof OrnsteinUhlenbeck || process instanceof Ddpm;
        ForwardSetup setup = new ForwardSetup(process, data, stepwise ? ForwardSetup.Method.STEPWISE : ForwardSetup.Method.CLOSED_FORM,
                steps, Math.max(1, (int) Math.ceil(steps / (double) FRAMES)), c.data().seed() + 1);
        Path target = out != null ? out : TrainCommand.defaultFolder("forward-" + c.name());
        try (Engine e = Engines.create(c.engine()); RunFolder run = RunFolder.create(target, overwrite)) {
            c = c.withEngine(e.name());
            log.printf("forward: %s process of %d %s points, %d steps (%s) on the %s engine%n", process.name(), data.size(),
                    c.data().name(), steps, setup.method().name().toLowerCase(Locale.ROOT), e.name());
            log.flush();
            Samples frames = e.simulateForward(setup);
            int k = frames.frames().size();
            double[] times = frames.frameTimes();
            RunFigures.ForwardKl kl = RunFigures.ForwardKl.of(frames, process.priorStd());
            StringBuilder csv = new StringBuilder("frame,time,mean_x,mean_y,std_x,std_y,kl_to_standard_normal,kl_to_prior\n");
            for (int f = 0; f < k; f++) {
                double[] xy = frames.frames().get(f);
                PointsNpy.write(run.file(String.format(Locale.ROOT, "frame-%03d.npy", f)), Points.of(xy), PointsNpy.Dtype.FLOAT64);
                double[] st = stats(xy);
                csv.append(f).append(',').append(times[f]);
                for (double v : st) {
                    csv.append(',').append(v);
                }
                csv.append(',').append(kl.klStandard()[f]).append(',').append(kl.klPrior()[f]).append('\n');
                log.printf(Locale.ROOT, "frame %3d  t = %-10.5g mean (%.3f, %.3f)  std (%.3f, %.3f)  KL to N(0, I) %.4f  to the prior %.4f%n", f,
                        times[f], st[0], st[1], st[2], st[3], kl.klStandard()[f], kl.klPrior()[f]);
            }
            Files.writeString(run.file("forward.csv"), csv, StandardCharsets.UTF_8);
            Files.writeString(run.file(RunFiles.CONFIG_FILE), ConfigToml.write(c), StandardCharsets.UTF_8);
            kl.plot(run.file("kl.png"), c.name() + ": KL along the forward process", RunFigures.axisLabel(process));
            Animation.writeGif(run.file("forward.gif"), c.name() + ": forward process (" + process.name() + ")", Bounds.around(0.1, data.xy()),
                    data.xy(), frames.frames(), times, RunFigures.timeLabel(process));
            run.commit();
            log.printf("forward folder: %s%n", run.target());
            log.flush();
            return 0;
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the forward run: " + ex.getMessage(), ex);
        }
    }

    /** mean x, mean y, std x, std y (population). */
    static double[] stats(double[] xy) {
        int n = xy.length / 2;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += xy[2 * i];
            my += xy[2 * i + 1];
        }
        mx /= n;
        my /= n;
        double vx = 0;
        double vy = 0;
        for (int i = 0; i < n; i++) {
            vx += (xy[2 * i] - mx) * (xy[2 * i] - mx);
            vy += (xy[2 * i + 1] - my) * (xy[2 * i + 1] - my);
        }
        return new double[] {mx, my, Math.sqrt(vx / n), Math.sqrt(vy / n)};
    }
}
