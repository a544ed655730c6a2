package org.diffusion4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.AtomicFiles;
import org.diffusion4j.data.Outputs;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.engine.cpu.CpuEngine;
import org.diffusion4j.engine.cuda.CudaEngine;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.diffusion4j.engine.cuda.KernelProfile;
import org.diffusion4j.model.NetworkFlops;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.Precision;
import org.diffusion4j.run.RunFiles;
import org.diffusion4j.run.Sampling;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j bench}: the engines side by side on the presets' workloads.
 *
 * <p>Sampling: the preset's sampler over its full step count, networks at their initial weights (the cost does not
 * depend on them), particle-steps/s = particles x updates / time. Training: optimizer steps/s at a batch size. Each
 * figure is the median of {@code --repeats} timed runs after {@code --warmup} untimed ones. On cuda the times are GPU
 * times from CUDA events around every kernel launch (the launch count per training step comes from the same
 * profile), and the wall time including transfers is reported beside them; elsewhere the wall time. The FP32 roofline
 * fraction is the counted FLOPs of the networks' linear layers ({@link NetworkFlops}) per second over
 * {@link #FP32_PEAK}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark sampling and training of the presets on the engines, side by side.")
final class BenchCommand implements Callable<Integer> {

    /** FP32 peak of an H100 SXM without tensor cores, in FLOP/s (the roofline of the sampling kernel). */
    static final double FP32_PEAK = 67e12;
    static final List<String> DEFAULT_PRESETS = List.of("ou-halfcircles", "dsm-ring", "ddpm-ring", "flow-gmm11", "ddpm-spiral", "ddpm-swissroll");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", paramLabel = "NAME,..", split = ",", description = "presets, or 'all' (default: the six unconditional ones)")
    List<String> presets;

    @Option(names = "--engines", paramLabel = "E,..", split = ",", description = "engines (default: cuda where a GPU is present, and cpu)")
    List<String> engines;

    @Option(names = "--particles", paramLabel = "N,..", split = ",",
            description = "particle counts (default: 10000,1000000,10000000 on cuda; 10000 on cpu; 1000 on reference)")
    List<Integer> particles;

    @Option(names = "--train-batches", paramLabel = "B,..", split = ",",
            description = "training batch sizes, 0 for the preset's own (default: 0,65536 on cuda; 0 elsewhere)")
    List<Integer> batches;

    @Option(names = "--train-steps", paramLabel = "N", defaultValue = "50", description = "optimizer steps per timed repeat (default: ${DEFAULT-VALUE})")
    int trainSteps;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "5", description = "timed repeats; the median is reported (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1", description = "untimed repeats first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--what", paramLabel = "W,..", split = ",", defaultValue = "sample,train", description = "sample, train or both (default: both)")
    List<String> what;

    @Option(names = "--clock", paramLabel = "C", defaultValue = "wall",
            description = "wall: elapsed time; cpu: the process's CPU time (all its threads), which other processes on a shared "
                    + "machine hardly move (compare at 1 thread, e.g. under taskset -c 0, with the PyTorch peer's --clock cpu); "
                    + "cuda keeps its GPU times (default: ${DEFAULT-VALUE})")
    String clock;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "fp32",
            description = "the layer GEMMs on the cuda engine: fp32, tf32x3 or tf32 (tensor cores); the cpu engine computes fp32 (default: ${DEFAULT-VALUE})")
    String precision;

    @Option(names = "--threads", paramLabel = "T,..", split = ",",
            description = "threads of the cpu engine, a column each (cpu-Tt), measured back to back per preset: 2,1 gives the "
                    + "2-thread / 1-thread ratio in one JVM; bench/cpu_scaling.py compares separate JVMs (default: one cpu engine on every processor)")
    List<Integer> threads;

    @Option(names = "--out", paramLabel = "FILE.json", description = "write every measurement as JSON")
    Path out;

    @Option(names = "--overwrite", description = "replace an existing --out file (only a bench JSON file)")
    boolean overwrite;

    /** One measurement: its median and every repeat. */
    record Row(String preset, String engine, String kind, long size, String unit, double median, double[] repeats, double wallMedian,
               double launchesPerStep, double roofline) {
    }

    @Override
    public Integer call() {
        PrintWriter log = spec.commandLine().getOut();
        List<Preset> chosen = chosenPresets();
        List<String> names = engines != null ? engines : defaultEngines();
        check();
        CudaProbe.Result cuda = CudaProbe.probe();
        if (names.contains("cuda") && cuda.simulated()) {
            throw new IllegalArgumentException("--engines: cuda runs on " + cuda.deviceName() + " here, " + CudaProbe.SIMULATED_NOTE
                    + ": bench it on a GPU (bench/gpu/bench.sh)");
        }
        String expected = out == null ? null : checkOut(out, overwrite);
        List<Row> rows = new ArrayList<>();
        Map<String, Engine> columns = new LinkedHashMap<>();
        try {
            for (String name : names) {
                if (name.equals("cpu") && threads != null) {
                    for (int t : threads) {
                        columns.put("cpu-" + t + "t", new CpuEngine(t));
                    }
                } else {
                    columns.put(name, Engines.create(name, spec.commandLine().getErr()::println));
                }
            }
            for (Map.Entry<String, Engine> e : columns.entrySet()) {
                Engine engine = e.getValue();
                log.printf("bench: %s%s engine%s%s%n", e.getKey().equals(engine.name()) ? "" : e.getKey() + ": ", engine.name(), engine instanceof CudaEngine c ? " on " + c.device()
                        : engine instanceof CpuEngine c ? ", " + c.threads() + " threads, " + c.kernel() + " kernels" : "",
                        precision.equals("fp32") ? "" : ", precision " + precision);
            }
            log.flush();
            // presets and measurements outer, engines inner, repeats alternating between the engines: the columns of a
            // row see the same drift of the machine (engines in one JVM still share its JIT: bench/cpu_scaling.py measures
            // thread scaling in separate JVMs)
            for (Preset p : chosen) {
                if (what.contains("sample")) {
                    for (int n : sizes(columns, this::particlesOf)) {
                        rows.addAll(sampling(having(columns, e -> particlesOf(e).contains(n)), p, n, log));
                    }
                }
                if (what.contains("train")) {
                    for (int b : sizes(columns, this::batchesOf)) {
                        rows.addAll(training(having(columns, e -> batchesOf(e).contains(b)), p,
                                b == 0 ? p.batchSize() : b, log));
                    }
                }
            }
        } finally {
            for (Engine engine : columns.values()) {
                engine.close();
            }
        }
        log.print(markdown(rows));
        log.flush();
        if (out != null) {
            write(out, expected, rows);
        }
        return 0;
    }

    private void check() {
        if (!clock.equals("wall") && !clock.equals("cpu")) {
            throw new IllegalArgumentException("--clock: unknown '" + clock + "', allowed: wall, cpu");
        }
        if (repeats < 1 || warmup < 0 || trainSteps < 1) {
            throw new IllegalArgumentException("--repeats, --warmup, --train-steps: need repeats >= 1, warmup >= 0, train-steps >= 1");
        }
        for (String w : what) {
            if (!w.equals("sample") && !w.equals("train")) {
                throw new IllegalArgumentException("--what: unknown '" + w + "', allowed: sample, train");
            }
        }
        if (particles != null && particles.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--particles: each must be >= 1, got " + particles);
        }
        if (batches != null && batches.stream().anyMatch(b -> b < 0)) {
            throw new IllegalArgumentException("--train-batches: each must be >= 0 (0: the preset's batch), got " + batches);
        }
        if (threads != null && threads.stream().anyMatch(t -> t < 1 || t > 1024)) {
            throw new IllegalArgumentException("--threads: each must be in 1..1024, got " + threads);
        }
        if (threads != null && engines != null && !engines.contains("cpu")) {
            throw new IllegalArgumentException("--threads: sets the cpu engine's threads, and --engines has no cpu");
        }
        if (threads != null && threads.stream().distinct().count() != threads.size()) {
            throw new IllegalArgumentException("--threads: each thread count once, got " + threads);
        }
        if (engines != null) {
            for (String e : engines) {
                if (e.equals("auto") || !Engines.NAMES.contains(e)) {
                    throw new IllegalArgumentException("--engines: unknown engine '" + e + "', allowed: cuda, cpu, reference");
                }
            }
        }
    }

    /** The presets of --preset at the precision of --precision. */
    private List<Preset> chosenPresets() {
        Precision p = Precision.byName(precision, "--precision");
        List<Preset> list;
        if (presets == null) {
            list = DEFAULT_PRESETS.stream().map(Presets::byName).toList();
        } else if (presets.size() == 1 && presets.get(0).equals("all")) {
            list = Presets.all();
        } else {
            list = presets.stream().map(Presets::byName).toList();
        }
        return list.stream().map(x -> x.withPrecision(p)).toList();
    }

    static List<String> defaultEngines() {
        CudaProbe.Result cuda = CudaProbe.probe();
        return cuda.available() && !cuda.simulated() ? List.of("cuda", "cpu") : List.of("cpu");
    }

    static List<Integer> defaultParticles(String engine) {
        switch (engine) {
            case "cuda":
                return List.of(10_000, 1_000_000, 10_000_000);
            case "cpu":
                return List.of(10_000);
            default:
                return List.of(1000);
        }
    }

    static List<Integer> defaultBatches(String engine) {
        return engine.equals("cuda") ? List.of(0, 65_536) : List.of(0);
    }

    /** Nanoseconds of the chosen clock: elapsed, or this process's CPU time. */
    private long now() {
        return clock.equals("cpu")
                ? ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime()
                : System.nanoTime();
    }

    /** The particle counts measured on an engine: --particles, or the engine's defaults. */
    private List<Integer> particlesOf(Engine e) {
        return particles != null ? particles : defaultParticles(e.name());
    }

    /** The training batches measured on an engine: --train-batches, or the engine's defaults. */
    private List<Integer> batchesOf(Engine e) {
        return batches != null ? batches : defaultBatches(e.name());
    }

    /** Every size of any column's list, in first-seen order. */
    private static List<Integer> sizes(Map<String, Engine> columns, java.util.function.Function<Engine, List<Integer>> of) {
        return columns.values().stream().flatMap(e -> of.apply(e).stream()).distinct().toList();
    }

    /** The columns whose engine passes {@code keep}, in order. */
    private static Map<String, Engine> having(Map<String, Engine> columns, java.util.function.Predicate<Engine> keep) {
        Map<String, Engine> m = new LinkedHashMap<>();
        columns.forEach((k, e) -> {
            if (keep.test(e)) {
                m.put(k, e);
            }
        });
        return m;
    }

    /** Per column, the median of the repeats' particle-steps/s of a full sampling run of n particles. */
    private List<Row> sampling(Map<String, Engine> columns, Preset p, int n, PrintWriter log) {
        RunConfig c = RunConfig.fromPreset(p, 1).withParticles(n);
        List<float[]> params = new ArrayList<>();
        for (Preset.Net net : p.networks()) {
            params.add(NetworkInit.initialize(net.spec(), 1));
        }
        ScoreSource source = Sampling.source(c, params, n, 2);
        SamplingSetup setup = new SamplingSetup(p.process(), p.sampler(), source, n, p.samplingSteps(), 3);
        SamplingPlan plan = SamplingPlan.of(setup);
        double work = (double) n * plan.updates;
        List<Engine> engines = List.copyOf(columns.values());
        double[][] gpu = new double[engines.size()][repeats];
        double[][] wall = new double[engines.size()][repeats];
        for (int r = -warmup; r < repeats; r++) {
            for (int k = 0; k < engines.size(); k++) {
                Engine engine = engines.get(k);
                KernelProfile profile = engine instanceof CudaEngine cuda ? cuda.startProfile() : null;
                long t0 = now();
                engine.sample(setup);
                double seconds = (now() - t0) / 1e9;
                if (r >= 0) {
                    wall[k][r] = work / seconds;
                    gpu[k][r] = profile == null ? wall[k][r] : work / (profile.total().milliseconds() / 1e3);
                }
                if (profile != null) {
                    ((CudaEngine) engine).stopProfile();
                }
            }
        }
        double flopsPerStep = flopsPerParticleStep(p, plan);
        List<Row> rows = new ArrayList<>();
        int k = 0;
        for (String column : columns.keySet()) {
            Engine engine = engines.get(k);
            double median = median(gpu[k]);
            Row row = new Row(p.name(), column, "sample", n, "particle-steps/s", median, gpu[k], median(wall[k]), Double.NaN,
                    engine.name().equals("cuda") ? median * flopsPerStep / FP32_PEAK : Double.NaN);
            log.printf(Locale.ROOT, "  %-9s %-15s sample %,12d particles x %d updates: %.4g particle-steps/s%s%n", column, p.name(), n, plan.updates,
                    median, Double.isNaN(row.roofline()) ? "" : String.format(Locale.ROOT, " (%.1f%% of the FP32 roofline)", 100 * row.roofline()));
            rows.add(row);
            k++;
        }
        log.flush();
        return rows;
    }

    /** Counted FLOPs per particle and update: every network evaluation of the plan, Heun's second ones included. */
    static double flopsPerParticleStep(Preset p, SamplingPlan plan) {
        double score = 0;
        double velocity = 0;
        for (Preset.Net net : p.networks()) {
            long f = NetworkFlops.perParticle(net.spec());
            if (net.objective().parameterization() == org.diffusion4j.objective.Parameterization.VELOCITY) {
                velocity = f;
            } else {
                score = f;
            }
        }
        double total = 0;
        for (int k = 0; k < plan.updates; k++) {
            double eval = (plan.useScore ? score : 0) + (plan.useVelocity ? velocity : 0);
            total += plan.heun[k] ? 2 * eval : eval;
        }
        return total / plan.updates;
    }

    /** Per column, the median of the repeats' optimizer steps/s at batch b (the first network of the preset). */
    private List<Row> training(Map<String, Engine> columns, Preset p, int b, PrintWriter log) {
        Preset.Net net = p.networks().get(0);
        Points data = Datasets.byName(p.dataset()).sample(p.dataSize(), 1);
        TrainingSetup setup = new TrainingSetup(net.spec(), p.process(), net.objective(), p.optimizer(), data, b, 1);
        List<Engine> engines = List.copyOf(columns.values());
        double[][] gpu = new double[engines.size()][repeats];
        double[][] wall = new double[engines.size()][repeats];
        double[] launches = new double[engines.size()];
        Arrays.fill(launches, Double.NaN);
        List<Trainer> trainers = new ArrayList<>();
        try {
            for (Engine engine : engines) {
                trainers.add(engine.trainer(setup, NetworkInit.initialize(net.spec(), 1)));
            }
            for (int r = -warmup; r < repeats; r++) {
                for (int k = 0; k < engines.size(); k++) {
                    Engine engine = engines.get(k);
                    KernelProfile profile = engine instanceof CudaEngine cuda ? cuda.startProfile() : null;
                    long t0 = now();
                    trainers.get(k).steps(new double[trainSteps], 0, trainSteps);
                    double seconds = (now() - t0) / 1e9;
                    if (r >= 0) {
                        wall[k][r] = trainSteps / seconds;
                        if (profile != null) {
                            KernelProfile.Stat total = profile.total();
                            gpu[k][r] = trainSteps / (total.milliseconds() / 1e3);
                            launches[k] = (double) total.launches() / trainSteps;
                        } else {
                            gpu[k][r] = wall[k][r];
                        }
                    }
                    if (profile != null) {
                        ((CudaEngine) engine).stopProfile();
                    }
                }
            }
        } finally {
            for (Trainer t : trainers) {
                t.close();
            }
        }
        List<Row> rows = new ArrayList<>();
        int k = 0;
        for (String column : columns.keySet()) {
            double median = median(gpu[k]);
            log.printf(Locale.ROOT, "  %-9s %-15s train batch %,7d: %.4g steps/s%s%n", column, p.name(), b, median,
                    Double.isNaN(launches[k]) ? "" : String.format(Locale.ROOT, " (%.0f launches per step)", launches[k]));
            rows.add(new Row(p.name(), column, "train", b, "steps/s", median, gpu[k], median(wall[k]), launches[k], Double.NaN));
            k++;
        }
        log.flush();
        return rows;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    /** One Markdown table: rows of preset, measurement and size; a column per engine, and the ratio of the first two. */
    static String markdown(List<Row> rows) {
        List<String> engineNames = rows.stream().map(Row::engine).distinct().toList();
        Map<String, Map<String, Row>> byKey = new LinkedHashMap<>();
        for (Row r : rows) {
            byKey.computeIfAbsent(r.preset() + "|" + r.kind() + "|" + r.size(), k -> new LinkedHashMap<>()).put(r.engine(), r);
        }
        StringBuilder b = new StringBuilder("\n| preset | measurement | size |");
        for (String e : engineNames) {
            b.append(' ').append(e).append(" |");
        }
        if (engineNames.size() > 1) {
            b.append(' ').append(engineNames.get(0)).append(" / ").append(engineNames.get(1)).append(" |");
        }
        b.append("\n|---|---|---:|").append("---:|".repeat(engineNames.size() + (engineNames.size() > 1 ? 1 : 0))).append('\n');
        for (Map<String, Row> m : byKey.values()) {
            Row any = m.values().iterator().next();
            b.append(String.format(Locale.ROOT, "| %s | %s (%s) | %,d |", any.preset(), any.kind(), any.unit(), any.size()));
            for (String e : engineNames) {
                Row r = m.get(e);
                b.append(r == null ? " |" : String.format(Locale.ROOT, " %.4g |", r.median()));
            }
            if (engineNames.size() > 1) {
                Row a = m.get(engineNames.get(0));
                Row c = m.get(engineNames.get(1));
                b.append(a == null || c == null ? " |" : String.format(Locale.ROOT, " %.2fx |", a.median() / c.median()));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /**
     * The --out file, checked before any measurement: a .json path; when it exists, --overwrite given and the file a
     * bench document (a JSON object with rows and fp32_peak_flops). Returns its identity at the start (null: absent).
     */
    static String checkOut(Path file, boolean overwrite) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        if (!name.endsWith(".json")) {
            throw new IllegalArgumentException("--out: must be a .json file, got '" + file + "'");
        }
        if (!Files.exists(file)) {
            return null;
        }
        if (!overwrite) {
            throw new IllegalArgumentException("--out: " + file + " already exists; choose another file or pass --overwrite");
        }
        boolean bench;
        try {
            JsonNode doc = new ObjectMapper().readTree(file.toFile());
            bench = doc != null && doc.isObject() && doc.has("rows") && doc.has("fp32_peak_flops");
        } catch (IOException e) {
            bench = false;
        }
        if (!bench) {
            throw new IllegalArgumentException("--out: " + file + " is not a bench result file; --overwrite replaces only those, choose another file");
        }
        return Outputs.identity(file);
    }

    private void write(Path file, String expected, List<Row> rows) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("java", System.getProperty("java.version"));
        doc.put("cores", Runtime.getRuntime().availableProcessors());
        CudaProbe.Result cuda = CudaProbe.probe();
        doc.put("gpu", cuda.available() ? cuda.detail() : null);
        doc.put("fp32_peak_flops", FP32_PEAK);
        doc.put("precision", precision);
        doc.put("rows", rows);
        try {
            AtomicFiles.writeOutput(file, expected, "--out", o -> o.write(RunFiles.json(doc).getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("--out: cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
