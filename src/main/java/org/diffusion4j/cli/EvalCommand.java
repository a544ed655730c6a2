package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.data.PointsCsv;
import org.diffusion4j.data.PointsNpy;
import org.diffusion4j.run.Evaluation;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.Sampling;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diffusion4j eval}: sliced Wasserstein, MMD, energy distance and k-NN KL of samples to fresh data (with the
 * data-to-data baselines), the KL of the samples to N(0, I), and for mixture data the histogram over the modes; for a
 * run of a conditional model, how well the samples follow their conditions (Evaluation.conditional). For a run folder the data set and the fresh data are those of its metrics.json,
 * so the numbers agree with it.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure samples against fresh data: sliced Wasserstein, MMD, energy distance, KL; modes of mixtures.")
final class EvalCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", description = "a run folder (its samples.npy against its dataset)")
    Path run;

    @Parameters(arity = "0..1", paramLabel = "SAMPLES", description = "a .npy or .csv file of points (with --dataset)")
    Path samples;

    @Option(names = "--dataset", paramLabel = "NAME", description = "the data set to compare SAMPLES with")
    String dataset;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "seed of the fresh data for SAMPLES (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "print the metrics as JSON")
    boolean json;

    @Override
    public Integer call() {
        if ((run == null) == (samples == null)) {
            throw new IllegalArgumentException("eval: give either --run DIR or SAMPLES.npy|.csv --dataset NAME");
        }
        String name;
        long evalSeed;
        RunConfig config = null;
        Points points;
        if (run != null) {
            if (dataset != null) {
                throw new IllegalArgumentException("--dataset: not with --run (the run's config names its dataset)");
            }
            RunConfig c = RunFiles.readRunConfig("--run", run);
            config = c;
            name = c.data().name();
            evalSeed = c.sampling().seed();
            points = read(run.resolve("samples.npy"));
        } else {
            if (dataset == null) {
                throw new IllegalArgumentException("--dataset: required with SAMPLES, one of " + String.join(", ", Datasets.names()));
            }
            name = Datasets.byName(dataset).name();
            evalSeed = seed;
            points = read(samples);
        }
        Map<String, Object> m = Evaluation.distances(name, points.xy(), evalSeed);
        Evaluation.Conditional conditional = config == null ? Evaluation.Conditional.NONE
                : Evaluation.conditional(name, points.xy(), Sampling.conditions(config, points.size(), evalSeed), evalSeed);
        m.putAll(conditional.asMap());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(RunFiles.json(m));
        } else {
            out.printf("%d samples against %d fresh %s points%s%n", points.size(), (int) m.get("metric_points"), name,
                    points.size() > (int) m.get("metric_points") ? " (the first " + m.get("metric_points") + " samples)" : "");
            out.printf("sliced Wasserstein      %.5f   (data to data %.5f)%n", (double) m.get("sliced_wasserstein"),
                    (double) m.get("sliced_wasserstein_data_to_data"));
            out.printf("MMD^2 (unbiased, RBF)   %.5g   (data to data %.5g, bandwidth %.4g)%n", (double) m.get("mmd"),
                    (double) m.get("mmd_data_to_data"), (double) m.get("mmd_bandwidth"));
            out.printf("energy distance         %.5g   (data to data %.5g)%n", (double) m.get("energy_distance"),
                    (double) m.get("energy_distance_data_to_data"));
            out.printf("KL to data (k-NN)       %.5f   (data to data %.5f)%n", (double) m.get("kl_to_data"),
                    (double) m.get("kl_to_data_data_to_data"));
            out.printf("KL to N(0, I)           %.5f%n", (double) m.get("kl_to_standard_normal"));
            if (m.containsKey("mode_counts")) {
                out.printf("modes                   %s, %d of %d covered, KL to uniform %.5f (data to data %.5f), in mode %.4f%n",
                        Arrays.toString((int[]) m.get("mode_counts")), (int) m.get("modes_covered"),
                        ((int[]) m.get("mode_counts")).length, (double) m.get("mode_kl_to_uniform"),
                        (double) m.get("mode_kl_to_uniform_data_to_data"), (double) m.get("in_mode_fraction"));
            }
            for (Map.Entry<String, Object> entry : conditional.asMap().entrySet()) {
                out.printf(java.util.Locale.ROOT, "%-23s %.5f%n", entry.getKey().replace('_', ' '), (double) entry.getValue());
            }
        }
        out.flush();
        return 0;
    }

    private static Points read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("samples: no such file " + file);
        }
        String f = file.getFileName().toString();
        if (f.endsWith(".npy")) {
            return PointsNpy.read(file);
        }
        if (f.endsWith(".csv")) {
            return PointsCsv.read(file);
        }
        throw new IllegalArgumentException("samples: must be a .npy or .csv file, got " + file);
    }
}
