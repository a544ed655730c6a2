package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.plot.Bounds;
import org.diffusion4j.plot.Plots;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.run.Evaluation;
import org.diffusion4j.run.Model;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.RunFolder;
import org.diffusion4j.run.Sampling;
import org.diffusion4j.sampler.SamplerSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j compare}: one trained model, several samplers x step counts, each measured against the same fresh
 * data (the metrics of eval) and timed; writes compare.csv, compare.md and compare.png (a grid of scatter plots) into a
 * new folder. A combination the model or process cannot run (DDPM samplers take exactly T steps; flow samplers need a
 * velocity network) is listed as skipped with the reason.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare samplers x step counts on one trained model: a table (CSV, Markdown) and a scatter grid.")
final class CompareCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "a run folder written by train or demo")
    Path run;

    @Option(names = "--samplers", paramLabel = "A,B", split = ",", description = "samplers to compare (default: every sampler of the model's process)")
    List<String> samplers;

    @Option(names = "--steps", paramLabel = "N,..", split = ",", description = "step counts (default: the sampler's own, and a tenth and a half "
            + "of it where the process allows any count; on ddpm 10, 20, 50 and T for all but the ancestral samplers)")
    List<Integer> steps;

    @Option(names = "--particles", paramLabel = "N", description = "particles per sampler (default: the config's)")
    Integer particles;

    @Option(names = "--seed", paramLabel = "S", description = "sampling seed (default: the config's)")
    Long seed;

    @Option(names = "--engine", paramLabel = "E", description = "auto, cuda, cpu or reference (default: the config's)")
    String engine;

    @Option(names = "--out", paramLabel = "DIR", description = "output folder (default: <run>/compare-<time>)")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing output folder")
    boolean overwrite;

    /** One sampler x step count: its metrics, or why it was skipped. */
    record Row(String sampler, int steps, String skipped, double seconds, Map<String, Object> metrics, double[] samples) {
    }

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        RunConfig c = RunFiles.readRunConfig("--run", run);
        List<float[]> params = RunFiles.loadParameters(c, run);
        if (engine != null) {
            c = c.withEngine(engine);
        }
        if (particles != null) {
            c = c.withParticles(particles);
        }
        long sampleSeed = seed != null ? seed : c.sampling().seed();
        if (sampleSeed < 0) {
            throw new IllegalArgumentException("--seed: must be an integer in [0, " + Long.MAX_VALUE + "], got " + sampleSeed);
        }
        List<SamplerSpec> specs = samplerList(c.process());
        if (steps != null) {
            for (int n : steps) {
                if (n < 1 || n > ConfigToml.MAX_SAMPLING_STEPS) {
                    throw new IllegalArgumentException("--steps: each must be an integer in [1, " + ConfigToml.MAX_SAMPLING_STEPS + "], got " + n);
                }
            }
        }
        Path target = out != null ? out : run.resolve("compare-" + java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try (Engine e = Engines.create(c.engine(), spec.commandLine().getErr()::println); RunFolder folder = RunFolder.create(target, overwrite, "compare")) {
            List<Row> rows = new ArrayList<>();
            for (SamplerSpec s : specs) {
                for (int n : stepCounts(s, c)) {
                    rows.add(runOne(e, c, params, s, n, sampleSeed, log));
                }
            }
            if (rows.stream().allMatch(r -> r.skipped() != null)) {
                throw new IllegalArgumentException("--samplers/--steps: no combination runs on this model: " + rows.get(0).skipped());
            }
            Map<String, Object> baseline = rows.stream().filter(r -> r.skipped() == null).findFirst().orElseThrow().metrics();
            write(folder, c, e.name(), sampleSeed, rows, baseline);
            folder.commit();
            log.printf("compare folder: %s%n", folder.target());
            log.flush();
        }
        return 0;
    }

    /** The samplers asked for (each name checked), or every sampler of the process. */
    private List<SamplerSpec> samplerList(ForwardProcess process) {
        if (samplers == null || samplers.isEmpty()) {
            return SamplerSpec.all().stream().filter(s -> s.supports(process)).toList();
        }
        List<SamplerSpec> out = new ArrayList<>();
        for (String name : new LinkedHashSet<>(samplers)) {
            out.add(SamplerSpec.byName(name.trim()));
        }
        return out;
    }

    /** The step counts of one sampler: --steps, else its own count and, where any count works, a tenth and a half. */
    private List<Integer> stepCounts(SamplerSpec s, RunConfig c) {
        if (steps != null && !steps.isEmpty()) {
            return List.copyOf(new LinkedHashSet<>(steps));
        }
        int base = s.name().equals(c.sampling().sampler().name()) ? c.sampling().steps() : RunConfig.defaultSteps(s, c.process());
        if (c.process() instanceof Ddpm ddpm && !(s instanceof SamplerSpec.DdpmAncestral)) {
            TreeSet<Integer> set = new TreeSet<>(List.of(ddpm.steps()));
            for (int n : new int[] {10, 20, 50}) {
                if (n < ddpm.steps()) {
                    set.add(n);
                }
            }
            return List.copyOf(set);
        }
        if (c.process() instanceof Ddpm || c.process() instanceof NoiseLevels) {
            return List.of(base);
        }
        TreeSet<Integer> set = new TreeSet<>(List.of(Math.max(1, base / 10), Math.max(1, base / 2), base));
        return List.copyOf(set);
    }

    /** The sampler's name, with ddim's eta where it is not 0. */
    static String label(SamplerSpec s) {
        return s instanceof SamplerSpec.Ddim d && d.eta() != 0 ? String.format(Locale.ROOT, "ddim-eta%s", d.eta() == 1 ? "1" : d.eta()) : s.name();
    }

    private Row runOne(Engine e, RunConfig c, List<float[]> params, SamplerSpec s, int n, long seed, PrintWriter log) {
        RunConfig rc;
        String name = label(s);
        try {
            rc = SampleCommand.withSampling(c, s.name(), n, null, seed);
            if (s instanceof SamplerSpec.Ddim) {
                rc = rc.withSampling(rc.sampling().withSampler(s, rc.sampling().steps()));
            }
        } catch (IllegalArgumentException ex) {
            log.printf("skipped %s x %d: %s%n", name, n, ex.getMessage());
            return new Row(name, n, ex.getMessage(), Double.NaN, null, null);
        }
        long t0 = System.nanoTime();
        Samples samples;
        try {
            samples = Sampling.sample(e, new Model(rc, params), ConsoleReporter.of(spec));
        } catch (IllegalArgumentException ex) {
            log.printf("skipped %s x %d: %s%n", name, n, ex.getMessage());
            return new Row(name, n, ex.getMessage(), Double.NaN, null, null);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = Evaluation.distances(c.data().dataset(), samples.xy(), seed);
        log.printf(Locale.ROOT, "%s x %d: sliced Wasserstein %.4f, energy %.4g, %.2f s%n", name, n, (double) m.get("sliced_wasserstein"),
                (double) m.get("energy_distance"), seconds);
        log.flush();
        return new Row(name, n, null, seconds, m, samples.xy());
    }

    private static final String[] METRICS = {"sliced_wasserstein", "mmd", "energy_distance", "kl_to_data", "kl_to_standard_normal"};

    private void write(RunFolder folder, RunConfig c, String engineName, long seed, List<Row> rows, Map<String, Object> base) {
        boolean modes = base.containsKey("mode_kl_to_uniform");
        int particleCount = c.sampling().particles();
        StringBuilder csv = new StringBuilder("sampler,steps,particles,engine,seconds,particle_steps_per_second");
        for (String k : METRICS) {
            csv.append(',').append(k);
        }
        csv.append(modes ? ",mode_kl_to_uniform,modes_covered,in_mode_fraction" : "").append(",skipped\n");
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "# %s: samplers compared%n%n%d particles per row, seed %d, %s engine; metrics of the first %d"
                        + " samples against %d fresh %s points (as `eval`).%n%n", c.name(), particleCount, seed, engineName,
                base.get("metric_points"), base.get("metric_points"), c.data().name()));
        md.append("| sampler | steps | wall s | sliced W | MMD^2 | energy | KL to data | KL to N(0, I) |").append(modes ? " mode KL | in mode |" : "")
                .append("\n|---|---:|---:|---:|---:|---:|---:|---:|").append(modes ? "---:|---:|" : "").append('\n');
        for (Row r : rows) {
            csv.append(r.sampler()).append(',').append(r.steps()).append(',').append(particleCount).append(',').append(engineName).append(',');
            if (r.skipped() != null) {
                csv.append(",,,,,,,").append(modes ? ",,," : "").append('"').append(r.skipped().replace("\"", "'")).append("\"\n");
                continue;
            }
            csv.append(r.seconds()).append(',').append((double) particleCount * r.steps() / r.seconds());
            md.append(String.format(Locale.ROOT, "| %s | %d | %.2f |", r.sampler(), r.steps(), r.seconds()));
            for (String k : METRICS) {
                double v = (double) r.metrics().get(k);
                csv.append(',').append(v);
                md.append(String.format(Locale.ROOT, " %.4g |", v));
            }
            if (modes) {
                csv.append(',').append(r.metrics().get("mode_kl_to_uniform")).append(',').append(r.metrics().get("modes_covered"))
                        .append(',').append(r.metrics().get("in_mode_fraction"));
                md.append(String.format(Locale.ROOT, " %.4g | %.3f |", (double) r.metrics().get("mode_kl_to_uniform"),
                        (double) r.metrics().get("in_mode_fraction")));
            }
            csv.append(",\n");
            md.append('\n');
        }
        md.append(String.format(Locale.ROOT, "| data (second fresh draw) | | | %.4g | %.4g | %.4g | %.4g | |", (double) base.get("sliced_wasserstein_data_to_data"),
                (double) base.get("mmd_data_to_data"), (double) base.get("energy_distance_data_to_data"), (double) base.get("kl_to_data_data_to_data")));
        md.append(modes ? String.format(Locale.ROOT, " %.4g | |", (double) base.get("mode_kl_to_uniform_data_to_data")) : "").append('\n');
        for (Row r : rows) {
            if (r.skipped() != null) {
                md.append(String.format("%nskipped: %s x %d: %s", r.sampler(), r.steps(), r.skipped()));
            }
        }
        md.append('\n');
        try {
            Files.writeString(folder.file("compare.csv"), csv, StandardCharsets.UTF_8);
            Files.writeString(folder.file("compare.md"), md, StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write the comparison: " + ex.getMessage(), ex);
        }
        grid(folder.file("compare.png"), c, rows);
    }

    /** Samples drawn per panel of the grid (the first ones), so that the data stay visible behind them. */
    static final int GRID_POINTS = 2000;

    /** Rows of samplers, columns of step counts; a combination that did not run is an empty panel marked n/a. */
    private static void grid(Path file, RunConfig c, List<Row> rows) {
        double[] data = Sampling.fresh(c.data().dataset(), Math.min(2000, c.sampling().particles()), c.sampling().seed() + Evaluation.EVAL_SALT).xy();
        List<Integer> columns = rows.stream().map(Row::steps).distinct().sorted().toList();
        List<String> samplerNames = rows.stream().map(Row::sampler).distinct().toList();
        Map<String, Row> byKey = new LinkedHashMap<>();
        for (Row r : rows) {
            byKey.put(r.sampler() + "@" + r.steps(), r);
        }
        List<Plots.ScatterPanel> panels = new ArrayList<>();
        boolean oneStepCountPerSampler = samplerNames.size() == rows.size();
        for (String s : samplerNames) {
            for (int n : oneStepCountPerSampler ? List.of(rows.stream().filter(r -> r.sampler().equals(s)).findFirst().orElseThrow().steps()) : columns) {
                Row r = byKey.get(s + "@" + n);
                String title = s + " x " + n;
                if (r == null || r.skipped() != null) {
                    panels.add(new Plots.ScatterPanel(title + ": n/a", data, new double[0]));
                } else {
                    double[] finite = Evaluation.finitePoints(r.samples());
                    panels.add(new Plots.ScatterPanel(String.format(Locale.ROOT, "%s (SW %.3f)", title, (double) r.metrics().get("sliced_wasserstein")),
                            data, java.util.Arrays.copyOf(finite, Math.min(finite.length, 2 * GRID_POINTS))));
                }
            }
        }
        int cols = oneStepCountPerSampler ? Math.min(4, panels.size()) : columns.size();
        Plots.scatterGrid(file, c.name() + ": samplers x steps (grey: data)", cols, Bounds.around(0.1, data), panels);
    }
}
