package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.diffusion4j.config.Presets;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.run.RunFolder;
import org.diffusion4j.run.TrainRun;
import org.diffusion4j.run.Training;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j demo}: trains the default preset (ddpm-ring) on the best engine present, samples it, and writes
 * the same run folder as {@code train}. The training-step count is chosen per engine so that the demo fits in two
 * minutes on a 2-core machine (see {@link #demoSteps}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train the ddpm-ring preset on the best engine present, sample it, and write a run folder.")
final class DemoCommand implements Callable<Integer> {

    static final String PRESET = "ddpm-ring";

    /**
     * Training steps of the demo per engine (the preset trains 20000): cuda and cpu run the preset's full schedule
     * (on the cpu engine about 15 s of training on 2 cores, well inside the two-minute budget with sampling and
     * metrics); the reference engine, the double-precision oracle written to be read, runs 2000.
     */
    static int demoSteps(String engine) {
        switch (engine) {
            case "cuda":
            case "cpu":
                return Presets.byName(PRESET).trainingSteps();
            default:
                return REFERENCE_STEPS;
        }
    }

    /** The preset's training steps, as --help states them (RoughEdgesTest holds them equal). */
    static final int PRESET_STEPS = 20_000;
    /** Training steps of the demo on the reference engine. */
    static final int REFERENCE_STEPS = 2000;

    /** Particles the demo samples per engine: 10000 (what the metrics use), 5000 on the reference engine. */
    static int demoParticles(String engine) {
        return engine.equals("reference") ? 5000 : 10_000;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--engine", paramLabel = "E", defaultValue = "auto", description = "auto, cuda, cpu or reference (default: ${DEFAULT-VALUE})")
    String engineName;

    @Option(names = "--precision", paramLabel = "P", description = "the layer GEMMs on the cuda engine: fp32, tf32x3 or tf32 (tensor cores)"
            + " (default: fp32)")
    String precision;

    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: runs/demo-<time>)")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing run folder")
    boolean overwrite;

    @Option(names = "--no-figures", description = "write no PNG or GIF (the metrics, samples and checkpoints only)")
    boolean noFigures;

    @Option(names = "--steps", paramLabel = "N", description = "training steps (default: the preset's " + PRESET_STEPS + " on cuda and cpu, " + REFERENCE_STEPS + " on reference)")
    Integer steps;

    @Option(names = "--particles", paramLabel = "N", description = "particles to sample (default: 10000, 5000 on reference)")
    Integer particles;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "seed of data and training; sampling uses seed + 1 (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        RunConfig c = TrainCommand.overrides(RunConfig.fromPreset(Presets.byName(PRESET), 0), engineName, steps, seed, null, particles)
                .withPrecision(precision, "--precision");
        Path target = out != null ? out : TrainCommand.defaultFolder("demo");
        try (Engine e = Engines.create(c.engine(), spec.commandLine().getErr()::println); RunFolder run = RunFolder.create(target, overwrite)) {
            c = c.withEngine(e.name());
            if (steps == null) {
                c = c.withTrainingSteps(demoSteps(e.name()));
            }
            if (particles == null) {
                c = c.withParticles(demoParticles(e.name()));
            }
            log.printf("demo: preset %s (document %s) on the %s engine, %d training steps, %d particles%n",
                    c.name(), c.document(), e.name(), c.training().steps(), c.sampling().particles());
            log.flush();
            TrainRun.Result result = TrainRun.write(e, c, run, null, Training.Options.NONE, !noFigures, ConsoleReporter.of(spec));
            run.commit();
            TrainCommand.report(log, run.target(), result, !noFigures);
            return 0;
        }
    }
}
