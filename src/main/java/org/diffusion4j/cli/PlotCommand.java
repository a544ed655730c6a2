package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.run.FieldTimes;
import org.diffusion4j.run.Model;
import org.diffusion4j.run.RunFigures;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.Sampling;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j plot}: draws a run's figures again, for example the score field at other times: it samples the
 * run's model with its config (the same seed gives the same trajectory on the same engine) and writes the score-field
 * PNGs, the histograms, the forward KL and the forward and reverse GIFs, each file atomically, into the run folder or
 * --out.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw a run's score fields, histograms, forward KL and trajectory GIFs (again, at chosen times).")
final class PlotCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "a run folder written by train or demo")
    Path run;

    @Option(names = "--field-times", paramLabel = "T,..", description = "times of the score-field plots, in the process's time "
            + "(default: the noise end, the middle and the data end)")
    String fieldTimes;

    @Option(names = "--engine", paramLabel = "E", description = "auto, cuda, cpu or reference (default: the config's)")
    String engine;

    @Option(names = "--out", paramLabel = "DIR", description = "folder for the figures (default: the run folder)")
    Path out;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        RunConfig c = RunFiles.readRunConfig("--run", run);
        double[] times = fieldTimes == null ? FieldTimes.defaults(c.process()) : FieldTimes.parse("--field-times", fieldTimes, c.process());
        List<float[]> params = RunFiles.loadParameters(c, run);
        if (engine != null) {
            c = c.withEngine(engine);
        }
        Path target = out != null ? out : run;
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot create " + target + ": " + e.getMessage(), e);
        }
        try (Engine e = Engines.create(c.engine())) {
            RunConfig.Sampling s = c.sampling();
            Samples samples = Sampling.sample(e, new Model(c, params), RunFigures.recordEvery(s.steps(), s.particles()), null,
                    new ConsoleReporter(log));
            RunFigures.write(target::resolve, e, c, params, samples, times);
            log.printf("figures of %s written to %s%n", c.name(), target);
            log.flush();
        }
        return 0;
    }
}
