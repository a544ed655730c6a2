package org.diffusion4j.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.TextFiles;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.Precision;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.process.BetaSchedule;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.process.Processes;
import org.diffusion4j.sampler.Prior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;

/**
 * Reads and writes {@link RunConfig} as TOML (Jackson's TOML parser). Reading is strict: an unknown key, a wrong
 * type or a value out of range is refused with one line naming the field by its dotted path
 * ({@code network[0].time.dim}) and what is allowed. Missing optional fields take the document defaults;
 * {@link #write} writes every field, so a written config reads back equal: {@code read(write(c)).equals(c)}.
 */
public final class ConfigToml {

    public static final int MAX_DATA = 10_000_000;
    public static final int MAX_TRAINING_STEPS = 100_000_000;
    public static final int MAX_BATCH = 1_000_000;
    public static final int MAX_PARTICLES = 100_000_000;
    public static final int MAX_SAMPLING_STEPS = 1_000_000;
    public static final int MAX_PROCESS_STEPS = 100_000;
    public static final int MAX_WIDTH = 65_536;
    public static final int MAX_LAYERS = 64;

    static final List<String> SAMPLERS = SamplerSpec.all().stream().map(SamplerSpec::name).distinct().toList();
    static final List<String> OBJECTIVES = Objective.all().stream().map(Objective::name).distinct().toList();
    static final List<String> ACTIVATIONS = List.of("relu", "silu", "softplus");
    static final List<String> PRECISIONS = java.util.Arrays.stream(Precision.values()).map(Precision::configName).toList();

    private static final TomlMapper TOML = new TomlMapper();

    private ConfigToml() {
    }

    /** Reads a config file; a missing file, bad TOML or a bad field is a one-line IllegalArgumentException. */
    public static RunConfig read(Path file) {
        String text;
        try {
            text = TextFiles.readUtf8(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--config: " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--config: no such file " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--config: cannot read " + file + ": " + e.getMessage());
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, dir);
    }

    /** Parses TOML text into a validated config; a relative {@code data.path} is taken from the working folder. */
    public static RunConfig parse(String toml) {
        return parse(toml, null);
    }

    /** Parses TOML text into a validated config; a relative {@code data.path} is taken from {@code base} (null: the working folder). */
    public static RunConfig parse(String toml, Path base) {
        JsonNode root;
        try {
            root = TOML.readTree(exactLongLiterals(TextFiles.withoutBom(toml)));
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage() == null ? "syntax error" : e.getOriginalMessage().lines().findFirst().orElse("");
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new IllegalArgumentException("config: not valid TOML: " + msg + where);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config: empty; [data], [process], [[network]], [optimizer], [training] and [sampling] are required");
        }
        Table top = new Table("", root);
        top.allow("name", "document", "engine", "data", "process", "network", "optimizer", "training", "sampling");
        String name = top.text("name", "custom", null);
        String document = top.text("document", "", null);
        String engine = top.text("engine", "auto", Engines.NAMES);
        RunConfig.Data data = readData(top.table("data"), base);
        ForwardProcess process = readProcess(top.table("process"));
        List<Preset.Net> networks = readNetworks(top);
        OptimizerSpec optimizer = readOptimizer(top.table("optimizer"));
        RunConfig.Training training = readTraining(top.table("training"));
        RunConfig.Sampling sampling = readSampling(top.table("sampling"), process, training.seed());
        return new RunConfig(name, document, engine, data, process, networks, optimizer, training, sampling);
    }

    private static RunConfig.Data readData(Table t, Path base) {
        t.allow("name", "size", "seed", "path", "column");
        if (t.node.has("path")) {
            if (t.node.has("name") || t.node.has("size")) {
                throw new IllegalArgumentException(t.at(t.node.has("name") ? "name" : "size") + ": not with data.path (the file's points are the"
                        + " training set)");
            }
            String file = t.text("path", null, null);
            if (file.isBlank()) {
                throw new IllegalArgumentException("data.path: must name a .npy or .csv file, got an empty string");
            }
            Path path;
            try {
                path = Path.of(file);
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException("data.path: not a valid path: " + file);
            }
            String column = t.node.has("column") ? t.text("column", null, List.of("label", "value")) : null;
            long seed = t.integer("seed", 42L, 0, Long.MAX_VALUE);
            return new RunConfig.Data(RunConfig.Data.FILE, 0, seed, base == null || path.isAbsolute() ? path : base.resolve(path), column);
        }
        if (t.node.has("column")) {
            throw new IllegalArgumentException("data.column: only with data.path (a .npy file's third column)");
        }
        String name = t.text("name", null, Datasets.names());
        int size = (int) t.integer("size", (long) Datasets.byName(name).defaultSize(), 1, MAX_DATA);
        long seed = t.integer("seed", 42L, 0, Long.MAX_VALUE);
        return new RunConfig.Data(name, size, seed);
    }

    private static ForwardProcess readProcess(Table t) {
        String kind = t.text("kind", null, Processes.NAMES);
        switch (kind) {
            case "ou": {
                t.allow("kind", "lambda", "sigma", "t_end", "t_min", "steps");
                OrnsteinUhlenbeck d = OrnsteinUhlenbeck.document000();
                double lambda = t.real("lambda", d.lambda(), 0, true, 1e6, false);
                double sigma = t.real("sigma", d.sigma(), 0, true, 1e6, false);
                double tEnd = t.real("t_end", d.tEnd(), 0, true, 1e6, false);
                double tMin = t.real("t_min", d.tMin(), 0, true, tEnd, true);
                int steps = (int) t.integer("steps", (long) d.steps(), 1, MAX_PROCESS_STEPS);
                return new OrnsteinUhlenbeck(lambda, sigma, tEnd, tMin, steps);
            }
            case "ddpm": {
                String schedule = t.text("schedule", "linear", Processes.SCHEDULES);
                int steps = (int) t.integer("steps", 200L, 1, MAX_PROCESS_STEPS);
                if (schedule.equals("cosine")) {
                    t.allow("kind", "steps", "schedule");
                    return new Ddpm(BetaSchedule.Cosine.standard(), steps);
                }
                t.allow("kind", "steps", "schedule", "beta_start", "beta_end");
                double start = t.real("beta_start", 1e-4, 0, true, 1, true);
                double end = t.real("beta_end", 0.02, start, false, 1, true);
                return new Ddpm(new BetaSchedule.Linear(start, end), steps);
            }
            case "gaussian-path": {
                t.allow("kind", "t_max", "steps");
                GaussianPath d = GaussianPath.document002();
                return new GaussianPath(t.real("t_max", d.tMax(), 0, true, 1, true), (int) t.integer("steps", (long) d.steps(), 1, MAX_PROCESS_STEPS));
            }
            default: {
                t.allow("kind", "sigma_max", "sigma_min", "levels", "prior_std");
                double max = t.real("sigma_max", 10.0, 0, true, 1e6, false);
                double min = t.real("sigma_min", 0.01, 0, true, max, false);
                int levels = (int) t.integer("levels", 10L, 1, MAX_PROCESS_STEPS);
                double prior = t.real("prior_std", 10.0, 0, true, 1e6, false);
                return new NoiseLevels(max, min, levels, prior);
            }
        }
    }

    /**
     * The TOML text with every integer literal of exactly 19 digits in a value position rewritten so that Jackson reads
     * its value exactly. Jackson's TOML lexer (2.20) misreads such literals, keeping only their last 9 or 10 digits:
     * {@code seed = 1000000000000000000} reads as 0 and {@code 9223372036854775807} as 6854775807, while shorter and
     * longer literals read right. A positive one becomes the hexadecimal literal of the same value (read exactly, as
     * a big integer); a negative one, which TOML cannot write in hexadecimal, becomes the float literal of the same
     * digits, which Jackson reads as an exact decimal: a real field reads its value, an integer field (none takes a
     * negative number) refuses it as not an integer, quoting it whole. Strings, comments and table headers are left
     * alone.
     */
    static String exactLongLiterals(String toml) {
        StringBuilder out = null;
        int n = toml.length();
        int i = 0;
        char last = '\n';
        int copied = 0;
        while (i < n) {
            char ch = toml.charAt(i);
            if (ch == '#') {
                i = endOfLine(toml, i);
                continue;
            }
            if (ch == '"' || ch == '\'') {
                i = endOfString(toml, i);
                last = '"';
                continue;
            }
            if (Character.isWhitespace(ch) && ch != '\n') {
                i++;
                continue;
            }
            if ((ch == '+' || ch == '-' || ch >= '0' && ch <= '9') && (last == '=' || last == ',' || last == '[' && !tableHeader(toml, i))) {
                int end = i;
                while (end < n && (Character.isLetterOrDigit(toml.charAt(end)) || "+-_.:".indexOf(toml.charAt(end)) >= 0)) {
                    end++;
                }
                String token = toml.substring(i, end);
                String digits = token.replace("_", "").replaceFirst("^[+-]", "");
                int after = end;
                while (after < n && (toml.charAt(after) == ' ' || toml.charAt(after) == '\t')) {
                    after++;
                }
                boolean key = after < n && toml.charAt(after) == '='; // a bare key of an inline table, after its comma
                if (!key && digits.length() == 19 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    if (out == null) {
                        out = new StringBuilder(n + 16);
                    }
                    out.append(toml, copied, i).append(token.startsWith("-") ? "-" + digits + ".0"
                            : "0x" + new java.math.BigInteger(digits).toString(16));
                    copied = end;
                }
                last = 'v';
                i = end;
                continue;
            }
            last = ch;
            i++;
        }
        return out == null ? toml : out.append(toml, copied, n).toString();
    }

    /** Whether the '[' before position i opens a table header (the first thing on its line). */
    private static boolean tableHeader(String toml, int i) {
        int j = toml.lastIndexOf('[', i - 1);
        for (int k = j - 1; k >= 0 && toml.charAt(k) != '\n'; k--) {
            if (!Character.isWhitespace(toml.charAt(k)) && toml.charAt(k) != '[') {
                return false;
            }
        }
        return true;
    }

    private static int endOfLine(String s, int i) {
        int e = s.indexOf('\n', i);
        return e < 0 ? s.length() : e;
    }

    /** The index just past the string literal (basic, literal, or either multi-line form) starting at i. */
    private static int endOfString(String s, int i) {
        char q = s.charAt(i);
        String triple = String.valueOf(q).repeat(3);
        if (s.startsWith(triple, i)) {
            int e = i + 3;
            while (true) {
                int j = s.indexOf(triple, e);
                if (j < 0) {
                    return s.length();
                }
                if (q == '"' && escaped(s, j)) {
                    e = j + 1;
                    continue;
                }
                int k = j + 3;
                while (k < s.length() && s.charAt(k) == q && k < j + 5) {
                    k++; // up to two quotes may end the content right before the closing triple
                }
                return k;
            }
        }
        for (int j = i + 1; j < s.length(); j++) {
            char c = s.charAt(j);
            if (c == '\n') {
                return j;
            }
            if (c == q && !(q == '"' && escaped(s, j))) {
                return j + 1;
            }
        }
        return s.length();
    }

    /** Whether the character at j is escaped by an odd number of backslashes. */
    private static boolean escaped(String s, int j) {
        int b = 0;
        for (int k = j - 1; k >= 0 && s.charAt(k) == '\\'; k--) {
            b++;
        }
        return b % 2 == 1;
    }

    private static List<Preset.Net> readNetworks(Table top) {
        JsonNode arr = top.node.get("network");
        if (arr == null) {
            throw new IllegalArgumentException("network: required, one or two [[network]] tables");
        }
        if (!arr.isArray() || arr.isEmpty()) {
            throw new IllegalArgumentException("network: must be an array of tables ([[network]]), one or two of them");
        }
        List<Preset.Net> nets = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            Table t = new Table("network[" + i + "]", arr.get(i));
            String objective = t.text("objective", null, OBJECTIVES);
            Objective obj;
            if (objective.equals("weighted-dsm")) {
                t.allow("role", "objective", "weight_min", "weight_max", "activation", "precision", "time", "conditioning", "body");
                double min = t.real("weight_min", 1e-3, 0, true, 1e12, false);
                obj = new Objective.WeightedScoreMatching(min, t.real("weight_max", 10.0, min, false, 1e12, false));
            } else if (objective.equals("epsilon-mse")) {
                t.allow("role", "objective", "prediction", "activation", "precision", "time", "conditioning", "body");
                obj = new Objective.PredictionMatching(Parameterization.prediction(t.text("prediction", "epsilon", List.of("epsilon", "v", "x0"))));
            } else {
                t.allow("role", "objective", "activation", "precision", "time", "conditioning", "body");
                obj = Objective.byName(objective);
            }
            String role = t.text("role", null, null);
            Activation act = Activation.byName(t.text("activation", null, ACTIVATIONS));
            Precision precision = Precision.byName(t.text("precision", "fp32", PRECISIONS), t.at("precision"));
            NetworkSpec spec = new NetworkSpec(readTime(t.table("time")), readConditioning(t), readBody(t.table("body")), act, precision);
            long parameters = ParameterLayout.count(spec);
            if (parameters > ParameterLayout.MAX_PARAMETERS) {
                throw new IllegalArgumentException(t.at("body") + ": the network has " + parameters + " parameters, more than the "
                        + ParameterLayout.MAX_PARAMETERS + " one float buffer holds; use narrower or fewer layers");
            }
            nets.add(new Preset.Net(role, spec, obj));
        }
        return nets;
    }

    private static TimeEmbedding readTime(Table t) {
        String kind = t.text("kind", null, List.of("none", "raw", "sinusoidal", "table"));
        switch (kind) {
            case "none":
                t.allow("kind");
                return new TimeEmbedding.None();
            case "raw": {
                t.allow("kind", "scale");
                double scale = t.real("scale", 1.0, -1e12, false, 1e12, false);
                if (scale == 0) {
                    throw new IllegalArgumentException(t.at("scale") + ": must be a non-zero number, got 0");
                }
                return new TimeEmbedding.Raw(scale);
            }
            case "sinusoidal": {
                t.allow("kind", "dim");
                long dim = t.integer("dim", null, 2, MAX_WIDTH);
                if (dim % 2 != 0) {
                    throw new IllegalArgumentException(t.at("dim") + ": must be an even integer in [2, " + MAX_WIDTH + "], got " + dim);
                }
                return new TimeEmbedding.Sinusoidal((int) dim);
            }
            default:
                t.allow("kind", "steps", "dim");
                return new TimeEmbedding.Table((int) t.integer("steps", null, 1, MAX_PROCESS_STEPS), (int) t.integer("dim", null, 1, MAX_WIDTH));
        }
    }

    private static Conditioning readConditioning(Table net) {
        JsonNode n = net.node.get("conditioning");
        if (n == null || (n.isTextual() && n.asText().equals("none"))) {
            return new Conditioning.None();
        }
        if (n.isTextual()) {
            throw new IllegalArgumentException(net.at("conditioning") + ": must be \"none\" or a table {kind = onehot|continuous|label, ...}, got '"
                    + n.asText() + "'");
        }
        Table t = net.table("conditioning");
        String kind = t.text("kind", null, List.of("none", "onehot", "continuous", "label"));
        switch (kind) {
            case "none":
                t.allow("kind");
                return new Conditioning.None();
            case "onehot":
                t.allow("kind", "classes");
                return new Conditioning.OneHot((int) t.integer("classes", null, 2, MAX_WIDTH));
            case "label":
                t.allow("kind", "classes");
                return new Conditioning.LabelEmbedding((int) t.integer("classes", null, 2, MAX_WIDTH));
            default:
                t.allow("kind", "dim");
                return new Conditioning.Continuous((int) t.integer("dim", null, 1, MAX_WIDTH));
        }
    }

    private static Body readBody(Table t) {
        String kind = t.text("kind", null, List.of("plain", "residual"));
        if (kind.equals("plain")) {
            t.allow("kind", "hidden");
            return new Body.Plain(t.widths("hidden"));
        }
        t.allow("kind", "width", "blocks");
        long width = t.integer("width", null, 2, MAX_WIDTH);
        if (width % 2 != 0) {
            throw new IllegalArgumentException(t.at("width") + ": must be an even integer in [2, " + MAX_WIDTH + "], got " + width);
        }
        return new Body.Residual((int) width, (int) t.integer("blocks", null, 0, MAX_LAYERS));
    }

    private static OptimizerSpec readOptimizer(Table t) {
        t.allow("kind", "lr", "beta1", "beta2", "eps", "weight_decay");
        String kind = t.text("kind", null, List.of("adam", "adamw"));
        double lr = t.real("lr", null, 0, true, 10, false);
        double b1 = t.real("beta1", 0.9, 0, false, 1, true);
        double b2 = t.real("beta2", 0.999, 0, false, 1, true);
        double eps = t.real("eps", 1e-8, 0, true, 1, false);
        if (kind.equals("adam")) {
            double wd = t.real("weight_decay", 0.0, 0, false, 0, false);
            return new OptimizerSpec(OptimizerSpec.Kind.ADAM, lr, b1, b2, eps, wd);
        }
        return new OptimizerSpec(OptimizerSpec.Kind.ADAMW, lr, b1, b2, eps, t.real("weight_decay", 0.01, 0, false, 1, false));
    }

    private static RunConfig.Training readTraining(Table t) {
        t.allow("batch_size", "steps", "seed", "label_dropout", "lr_schedule", "warmup_steps", "min_lr", "clip_grad_norm", "ema_decay",
                "ema_warmup", "checkpoint_every", "keep_checkpoints");
        int batch = (int) t.integer("batch_size", null, 1, MAX_BATCH);
        int steps = (int) t.integer("steps", null, 1, MAX_TRAINING_STEPS);
        long seed = t.integer("seed", 42L, 0, Long.MAX_VALUE);
        double dropout = t.real("label_dropout", 0.0, 0, false, 1, true);
        TrainingRegimen.Schedule schedule = TrainingRegimen.Schedule.valueOf(
                t.text("lr_schedule", "constant", List.of("constant", "cosine", "linear")).toUpperCase(Locale.ROOT));
        int warmup = (int) t.integer("warmup_steps", 0L, 0, steps);
        double minLr = t.real("min_lr", 0.0, 0, false, Double.MAX_VALUE, false);
        double clip = t.real("clip_grad_norm", 0.0, 0, false, Double.MAX_VALUE, false);
        double ema = t.real("ema_decay", 0.0, 0, false, 1, true);
        boolean emaWarmup = t.bool("ema_warmup", false);
        TrainingRegimen regimen = new TrainingRegimen(schedule, warmup, steps, minLr, clip, ema, emaWarmup);
        int every = (int) t.integer("checkpoint_every", 0L, 0, MAX_TRAINING_STEPS);
        int keep = (int) t.integer("keep_checkpoints", (long) RunConfig.DEFAULT_KEEP_CHECKPOINTS, 1, 1000);
        return new RunConfig.Training(batch, steps, seed, dropout, regimen, every, keep);
    }

    private static RunConfig.Sampling readSampling(Table t, ForwardProcess process, long trainingSeed) {
        String name = t.text("sampler", null, SAMPLERS);
        SamplerSpec sampler;
        switch (name) {
            case "langevin-flow":
                t.allow("sampler", "sigma", "prior", "steps", "particles", "seed", "guidance");
                sampler = new SamplerSpec.LangevinFlow(t.real("sigma", 0.5, 0, false, 1e6, false));
                break;
            case "annealed-langevin":
                t.allow("sampler", "steps_per_level", "step_size", "prior", "steps", "particles", "seed", "guidance");
                sampler = new SamplerSpec.AnnealedLangevin((int) t.integer("steps_per_level", 100L, 1, MAX_SAMPLING_STEPS),
                        t.real("step_size", 2e-5, 0, true, 1e6, false));
                break;
            case "ddim":
                t.allow("sampler", "eta", "spacing", "prior", "steps", "particles", "seed", "guidance");
                sampler = new SamplerSpec.Ddim(t.real("eta", 0.0, 0, false, 1, false));
                break;
            case "ddpm":
            case "ddpm-posterior": {
                t.allow("sampler", "variance", "prior", "steps", "particles", "seed", "guidance");
                String named = name.equals("ddpm") ? "beta" : "posterior";
                String variance = agreeing(t, "variance", named, List.of("beta", "posterior"), name);
                sampler = new SamplerSpec.DdpmAncestral(variance.equals("beta") ? SamplerSpec.DdpmAncestral.Variance.BETA
                        : SamplerSpec.DdpmAncestral.Variance.POSTERIOR);
                break;
            }
            case "pf-euler":
            case "pf-heun": {
                t.allow("sampler", "integrator", "spacing", "prior", "steps", "particles", "seed", "guidance");
                String named = name.equals("pf-euler") ? "euler" : "heun";
                String integrator = agreeing(t, "integrator", named, List.of("euler", "heun"), name);
                sampler = new SamplerSpec.ProbabilityFlow(integrator.equals("euler") ? SamplerSpec.ProbabilityFlow.Integrator.EULER
                        : SamplerSpec.ProbabilityFlow.Integrator.HEUN);
                break;
            }
            case "reverse-sde":
            case "dpm-solver++":
            case "dpm-solver++-sde":
                t.allow("sampler", "spacing", "prior", "steps", "particles", "seed", "guidance");
                sampler = SamplerSpec.byName(name);
                break;
            default:
                t.allow("sampler", "prior", "steps", "particles", "seed", "guidance");
                sampler = SamplerSpec.byName(name);
        }
        int steps = (int) t.integer("steps", (long) RunConfig.defaultSteps(sampler, process), 1, MAX_SAMPLING_STEPS);
        int particles = (int) t.integer("particles", 10_000L, 1, MAX_PARTICLES);
        long seed = t.integer("seed", trainingSeed == Long.MAX_VALUE ? 0 : trainingSeed + 1, 0, Long.MAX_VALUE);
        double guidance = t.real("guidance", 1.0, -100, false, 100, false);
        Spacing spacing = Spacing.byName(t.text("spacing", "trailing", List.of("uniform", "trailing", "quadratic")));
        Prior prior = Prior.byName(t.text("prior", RunConfig.defaultPrior(process).configName(), List.of("standard", "stationary", "moment-matched")));
        return new RunConfig.Sampling(sampler, steps, particles, seed, guidance, spacing, prior);
    }

    /** A sampler field that its name also fixes (ddpm-posterior: variance posterior): absent, or the same. */
    private static String agreeing(Table t, String key, String named, List<String> allowed, String sampler) {
        String v = t.text(key, named, allowed);
        if (!v.equals(named)) {
            throw new IllegalArgumentException(t.at(key) + ": sampler " + sampler + " has " + key + " " + named + ", got '" + v
                    + "' (name the sampler that has it)");
        }
        return v;
    }

    /** Refuses an integer option or field outside [lo, hi]. */
    static void checkRange(String field, long value, long lo, long hi) {
        if (value < lo || value > hi) {
            throw new IllegalArgumentException(field + ": must be an integer in [" + lo + ", " + hi + "], got " + value);
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** The config as TOML, every field written, doubles in round-trip form. */
    public static String write(RunConfig c) {
        StringBuilder b = new StringBuilder();
        b.append("# diffusion4j run config (train --config FILE)\n");
        kv(b, "name", str(c.name()));
        kv(b, "document", str(c.document()));
        kv(b, "engine", str(c.engine()));
        b.append("\n[data]\n");
        if (c.data().path() != null) {
            kv(b, "path", str(c.data().path().toString()));
            if (c.data().column() != null) {
                kv(b, "column", str(c.data().column()));
            }
        } else {
            kv(b, "name", str(c.data().name()));
            kv(b, "size", c.data().size());
        }
        kv(b, "seed", c.data().seed());
        b.append("\n[process]\n");
        writeProcess(b, c.process());
        for (Preset.Net n : c.networks()) {
            b.append("\n[[network]]\n");
            kv(b, "role", str(n.role()));
            kv(b, "objective", str(n.objective().name()));
            if (n.objective() instanceof Objective.PredictionMatching p) {
                kv(b, "prediction", str(p.prediction().predictionName()));
            }
            if (n.objective() instanceof Objective.WeightedScoreMatching w) {
                kv(b, "weight_min", num(w.minWeight()));
                kv(b, "weight_max", num(w.maxWeight()));
            }
            kv(b, "activation", str(n.spec().activation().configName()));
            kv(b, "precision", str(n.spec().precision().configName()));
            kv(b, "time", time(n.spec().time()));
            kv(b, "conditioning", conditioning(n.spec().conditioning()));
            kv(b, "body", body(n.spec().body()));
        }
        OptimizerSpec o = c.optimizer();
        b.append("\n[optimizer]\n");
        kv(b, "kind", str(o.kind().name().toLowerCase(Locale.ROOT)));
        kv(b, "lr", num(o.learningRate()));
        kv(b, "beta1", num(o.beta1()));
        kv(b, "beta2", num(o.beta2()));
        kv(b, "eps", num(o.eps()));
        kv(b, "weight_decay", num(o.weightDecay()));
        b.append("\n[training]\n");
        kv(b, "batch_size", c.training().batchSize());
        kv(b, "steps", c.training().steps());
        kv(b, "seed", c.training().seed());
        if (c.training().labelDropout() != 0) {
            kv(b, "label_dropout", num(c.training().labelDropout()));
        }
        TrainingRegimen r = c.training().regimen();
        if (r.schedule() != TrainingRegimen.Schedule.CONSTANT || r.warmupSteps() != 0) {
            kv(b, "lr_schedule", str(r.schedule().configName()));
            kv(b, "warmup_steps", r.warmupSteps());
            kv(b, "min_lr", num(r.minLr()));
        }
        if (r.clips()) {
            kv(b, "clip_grad_norm", num(r.clipNorm()));
        }
        if (r.hasEma()) {
            kv(b, "ema_decay", num(r.emaDecay()));
            kv(b, "ema_warmup", r.emaWarmup());
        }
        if (c.training().checkpointEvery() > 0) {
            kv(b, "checkpoint_every", c.training().checkpointEvery());
            kv(b, "keep_checkpoints", c.training().keepCheckpoints());
        }
        b.append("\n[sampling]\n");
        SamplerSpec s = c.sampling().sampler();
        kv(b, "sampler", str(s.name()));
        if (s instanceof SamplerSpec.DdpmAncestral d) {
            kv(b, "variance", str(d.variance() == SamplerSpec.DdpmAncestral.Variance.BETA ? "beta" : "posterior"));
        } else if (s instanceof SamplerSpec.ProbabilityFlow pf) {
            kv(b, "integrator", str(pf.integrator() == SamplerSpec.ProbabilityFlow.Integrator.EULER ? "euler" : "heun"));
        } else if (s instanceof SamplerSpec.LangevinFlow lf) {
            kv(b, "sigma", num(lf.sigma()));
        } else if (s instanceof SamplerSpec.AnnealedLangevin al) {
            kv(b, "steps_per_level", al.stepsPerLevel());
            kv(b, "step_size", num(al.stepSize()));
        } else if (s instanceof SamplerSpec.Ddim ddim) {
            kv(b, "eta", num(ddim.eta()));
        }
        if (c.process() instanceof Ddpm && !(s instanceof SamplerSpec.DdpmAncestral)) {
            kv(b, "spacing", str(c.sampling().spacing().configName()));
        }
        kv(b, "prior", str(c.sampling().priorOf(c.process()).configName()));
        kv(b, "steps", c.sampling().steps());
        kv(b, "particles", c.sampling().particles());
        kv(b, "seed", c.sampling().seed());
        if (c.sampling().guidance() != 1.0) {
            kv(b, "guidance", num(c.sampling().guidance()));
        }
        return b.toString();
    }

    private static void writeProcess(StringBuilder b, ForwardProcess p) {
        kv(b, "kind", str(p.name()));
        if (p instanceof OrnsteinUhlenbeck ou) {
            kv(b, "lambda", num(ou.lambda()));
            kv(b, "sigma", num(ou.sigma()));
            kv(b, "t_end", num(ou.tEnd()));
            kv(b, "t_min", num(ou.tMin()));
            kv(b, "steps", ou.steps());
        } else if (p instanceof Ddpm d) {
            kv(b, "steps", d.steps());
            kv(b, "schedule", str(d.schedule().name()));
            if (d.schedule() instanceof BetaSchedule.Linear lin) {
                kv(b, "beta_start", num(lin.start()));
                kv(b, "beta_end", num(lin.end()));
            } else if (!d.schedule().equals(BetaSchedule.Cosine.standard())) {
                throw new IllegalArgumentException("process.schedule: only the standard cosine schedule can be written to a config");
            }
        } else if (p instanceof GaussianPath g) {
            kv(b, "t_max", num(g.tMax()));
            kv(b, "steps", g.steps());
        } else if (p instanceof NoiseLevels n) {
            kv(b, "sigma_max", num(n.sigmaMax()));
            kv(b, "sigma_min", num(n.sigmaMin()));
            kv(b, "levels", n.levels());
            kv(b, "prior_std", num(n.priorStd()));
        }
    }

    private static String time(TimeEmbedding t) {
        if (t instanceof TimeEmbedding.Raw r) {
            return "{ kind = \"raw\", scale = " + num(r.scale()) + " }";
        }
        if (t instanceof TimeEmbedding.Sinusoidal s) {
            return "{ kind = \"sinusoidal\", dim = " + s.dim() + " }";
        }
        if (t instanceof TimeEmbedding.Table tb) {
            return "{ kind = \"table\", steps = " + tb.steps() + ", dim = " + tb.dim() + " }";
        }
        return "{ kind = \"none\" }";
    }

    private static String conditioning(Conditioning c) {
        if (c instanceof Conditioning.OneHot o) {
            return "{ kind = \"onehot\", classes = " + o.classes() + " }";
        }
        if (c instanceof Conditioning.LabelEmbedding l) {
            return "{ kind = \"label\", classes = " + l.classes() + " }";
        }
        if (c instanceof Conditioning.Continuous k) {
            return "{ kind = \"continuous\", dim = " + k.embedDim() + " }";
        }
        return "{ kind = \"none\" }";
    }

    private static String body(Body body) {
        if (body instanceof Body.Residual r) {
            return "{ kind = \"residual\", width = " + r.width() + ", blocks = " + r.blocks() + " }";
        }
        List<String> widths = ((Body.Plain) body).hidden().stream().map(String::valueOf).toList();
        return "{ kind = \"plain\", hidden = [" + String.join(", ", widths) + "] }";
    }

    private static void kv(StringBuilder b, String key, Object value) {
        b.append(key).append(" = ").append(value).append('\n');
    }

    private static String num(double v) {
        return Double.toString(v);
    }

    private static String str(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                q.append('\\').append(ch);
            } else if (ch < 0x20) {
                q.append(String.format("\\u%04x", (int) ch));
            } else {
                q.append(ch);
            }
        }
        return q.append('"').toString();
    }

    // ------------------------------------------------------------------------------------------------ strict reading

    /** A TOML table at a dotted path, read field by field with one-line messages. */
    private static final class Table {
        final String path;
        final JsonNode node;

        Table(String path, JsonNode node) {
            this.path = path;
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException((path.isEmpty() ? "config" : path) + ": must be a table");
            }
            this.node = node;
        }

        String at(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }

        /** Refuses every key not listed. */
        void allow(String... keys) {
            Set<String> allowed = new LinkedHashSet<>(List.of(keys));
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw new IllegalArgumentException(at(k) + ": unknown key, allowed here: " + String.join(", ", allowed));
                }
            }
        }

        Table table(String key) {
            JsonNode n = node.get(key);
            if (n == null) {
                throw new IllegalArgumentException(at(key) + ": required table is missing");
            }
            if (!n.isObject()) {
                throw new IllegalArgumentException(at(key) + ": must be a table");
            }
            return new Table(at(key), n);
        }

        JsonNode required(String key, String what) {
            JsonNode n = node.get(key);
            if (n == null) {
                throw new IllegalArgumentException(at(key) + ": required, " + what);
            }
            return n;
        }

        String text(String key, String dflt, List<String> allowed) {
            String what = allowed == null ? "a string" : "one of " + String.join(", ", allowed);
            if (!node.has(key) && dflt != null) {
                return dflt;
            }
            JsonNode n = required(key, what);
            if (!n.isTextual()) {
                throw new IllegalArgumentException(at(key) + ": must be a string, " + what + ", got " + n);
            }
            String v = n.asText();
            if (allowed != null && !allowed.contains(v)) {
                throw new IllegalArgumentException(at(key) + ": unknown value '" + v + "', allowed: " + String.join(", ", allowed));
            }
            return v;
        }

        long integer(String key, Long dflt, long lo, long hi) {
            String what = "an integer in [" + lo + ", " + hi + "]";
            if (!node.has(key) && dflt != null) {
                return dflt;
            }
            JsonNode n = required(key, what);
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw new IllegalArgumentException(at(key) + ": must be " + what + ", got " + n);
            }
            long v = n.longValue();
            if (v < lo || v > hi) {
                throw new IllegalArgumentException(at(key) + ": must be " + what + ", got " + v);
            }
            return v;
        }

        double real(String key, Double dflt, double lo, boolean loOpen, double hi, boolean hiOpen) {
            String what = "a number in " + (loOpen ? "(" : "[") + lo + ", " + hi + (hiOpen ? ")" : "]");
            if (!node.has(key) && dflt != null) {
                return dflt;
            }
            JsonNode n = required(key, what);
            if (!n.isNumber()) {
                throw new IllegalArgumentException(at(key) + ": must be " + what + ", got " + n);
            }
            double v = n.doubleValue();
            boolean ok = Double.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
            if (!ok) {
                throw new IllegalArgumentException(at(key) + ": must be " + what + ", got " + (n.isIntegralNumber() ? n.asText() : Double.toString(v)));
            }
            return v;
        }

        boolean bool(String key, boolean dflt) {
            if (!node.has(key)) {
                return dflt;
            }
            JsonNode n = node.get(key);
            if (!n.isBoolean()) {
                throw new IllegalArgumentException(at(key) + ": must be true or false, got " + n);
            }
            return n.booleanValue();
        }

        List<Integer> widths(String key) {
            String what = "a list of 1 to " + MAX_LAYERS + " integers in [1, " + MAX_WIDTH + "]";
            JsonNode n = required(key, what);
            if (!n.isArray() || n.isEmpty() || n.size() > MAX_LAYERS) {
                throw new IllegalArgumentException(at(key) + ": must be " + what + ", got " + n);
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode w : n) {
                if (!w.isIntegralNumber() || !w.canConvertToInt() || w.intValue() < 1 || w.intValue() > MAX_WIDTH) {
                    throw new IllegalArgumentException(at(key) + ": must be " + what + ", got " + n);
                }
                out.add(w.intValue());
            }
            return out;
        }
    }
}
