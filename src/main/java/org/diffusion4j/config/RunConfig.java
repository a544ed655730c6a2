package org.diffusion4j.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.diffusion4j.data.Dataset;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.FileDataset;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.Precision;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.sampler.Prior;
import org.diffusion4j.sampler.SamplerSpec;
import org.diffusion4j.sampler.Spacing;

/**
 * A complete run: what {@code train} reads from a TOML file (see {@link ConfigToml}) and writes, resolved, into the
 * run folder. The specs are the engine's own records, so two configs are equal exactly when they describe the same
 * run.
 *
 * @param name     a label for the run (the preset name for presets)
 * @param document the source document (000 .. 004), empty for a custom model
 * @param engine   auto, cuda, cpu or reference
 * @param networks one network, or a flow-matching network and a score network (document 002)
 */
public record RunConfig(String name, String document, String engine, Data data, ForwardProcess process, List<Preset.Net> networks,
                        OptimizerSpec optimizer, Training training, Sampling sampling) {

    /** {@code [data]}: a dataset of {@link org.diffusion4j.data.Datasets}, the number of training points and their seed. */
    public record Data(String name, int size, long seed, Path path, String column) {
        /** The name of data read from {@code [data] path}. */
        public static final String FILE = "file";

        public Data {
            if (path != null) {
                path = path.toAbsolutePath().normalize();
                name = FILE;
                size = FileDataset.load(path, column).points().size();
            } else if (column != null) {
                throw new IllegalArgumentException("data.column: only with data.path (a .npy file's third column)");
            }
        }

        public Data(String name, int size, long seed) {
            this(name, size, seed, null, null);
        }

        /** The dataset: the named one of {@link Datasets}, or the file's ({@link FileDataset}). */
        public Dataset dataset() {
            return path != null ? FileDataset.load(path, column) : Datasets.byName(name);
        }

        /** The training points: {@code size} points drawn with {@code seed}, or the file's points. */
        public Points points() {
            return path != null ? FileDataset.load(path, column).points() : dataset().sample(size, seed);
        }
    }

    /**
     * {@code [training]}: minibatch size, optimizer steps (per network), the seed of minibatches and initial weights, and
     * the label dropout of classifier-free guidance (0: none).
     */
    public record Training(int batchSize, int steps, long seed, double labelDropout, TrainingRegimen regimen, int checkpointEvery,
                           int keepCheckpoints) {
        /**
         * The regimen (learning-rate schedule, clipping, EMA) is refitted to {@code steps}; checkpoints every
         * {@code checkpointEvery} steps (0: none) keep the last {@code keepCheckpoints}.
         */
        public Training {
            regimen = regimen == null ? TrainingRegimen.plain(steps) : regimen.totalSteps() == steps ? regimen : regimen.withTotalSteps(steps);
            if (checkpointEvery < 0) {
                throw new IllegalArgumentException("training.checkpoint_every: must be >= 0 (0: none), got " + checkpointEvery);
            }
            if (keepCheckpoints < 1) {
                throw new IllegalArgumentException("training.keep_checkpoints: must be >= 1, got " + keepCheckpoints);
            }
        }

        public Training(int batchSize, int steps, long seed, double labelDropout) {
            this(batchSize, steps, seed, labelDropout, null, 0, DEFAULT_KEEP_CHECKPOINTS);
        }

        public Training(int batchSize, int steps, long seed) {
            this(batchSize, steps, seed, 0.0);
        }

        /** The same training with another number of steps (or seed, batch size). */
        Training with(int batch, int n, long s) {
            return new Training(batch, n, s, labelDropout, regimen, checkpointEvery, keepCheckpoints);
        }
    }

    /** Periodic checkpoints kept when the config does not say. */
    public static final int DEFAULT_KEEP_CHECKPOINTS = 3;

    /**
     * {@code [sampling]}: the sampler, its number of updates, the particle count, the seed, the classifier-free
     * guidance weight (1: the conditional model as trained), DDPM's timestep spacing and the prior (null: the default
     * of the process, {@link #defaultPrior}).
     */
    public record Sampling(SamplerSpec sampler, int steps, int particles, long seed, double guidance, Spacing spacing, Prior prior) {
        public Sampling {
            spacing = spacing == null ? Spacing.TRAILING : spacing;
        }

        public Sampling(SamplerSpec sampler, int steps, int particles, long seed, double guidance) {
            this(sampler, steps, particles, seed, guidance, Spacing.TRAILING, null);
        }

        public Sampling(SamplerSpec sampler, int steps, int particles, long seed) {
            this(sampler, steps, particles, seed, 1.0);
        }

        public Sampling withSampler(SamplerSpec s, int n) {
            return new Sampling(s, n, particles, seed, guidance, spacing, prior);
        }

        public Sampling withSeed(long s) {
            return new Sampling(sampler, steps, particles, s, guidance, spacing, prior);
        }

        public Sampling withGuidance(double w) {
            return new Sampling(sampler, steps, particles, seed, w, spacing, prior);
        }

        public Sampling withParticles(int n) {
            return new Sampling(sampler, steps, n, seed, guidance, spacing, prior);
        }

        public Sampling withSpacing(Spacing s) {
            return new Sampling(sampler, steps, particles, seed, guidance, s, prior);
        }

        public Sampling withPrior(Prior p) {
            return new Sampling(sampler, steps, particles, seed, guidance, spacing, p);
        }

        /** The prior this config samples from: its own, else the process's default. */
        public Prior priorOf(ForwardProcess process) {
            return prior != null ? prior : defaultPrior(process);
        }
    }

    /**
     * The prior a process's presets sample from unless the config says, chosen from measurements on the presets (the
     * README's table): moment-matched for OU, whose document 000 stops at T = 1 with e^-0.5 of the data left, and for
     * DDPM, where it is the Gaussian closest in KL to the marginal at T (ddpm-ring, alphaBar_T = 0.13: prior-gap KL
     * 0.013 against N(0, I)'s 0.100; on the longer schedules of the other presets the two coincide); standard (the
     * path's stationary law) for the Gaussian path; the process's own prior_std for noise levels.
     */
    public static Prior defaultPrior(ForwardProcess process) {
        if (process instanceof OrnsteinUhlenbeck || process instanceof Ddpm) {
            return Prior.MOMENT_MATCHED;
        }
        return process instanceof NoiseLevels ? Prior.STATIONARY : Prior.STANDARD;
    }

    /** Checks the fields against each other; each refusal is one line naming the field. */
    public RunConfig {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("name: must be 1 to 100 letters, digits, '.', '_' or '-', got '" + name + "'");
        }
        document = document == null ? "" : document;
        if (!Engines.NAMES.contains(engine)) {
            throw new IllegalArgumentException("engine: unknown engine '" + engine + "', allowed: " + String.join(", ", Engines.NAMES));
        }
        Dataset dataset = data.dataset();
        networks = List.copyOf(networks);
        checkNetworks(networks, process, dataset);
        checkSampling(sampling, process, networks);
        checkGuidance(training, sampling, networks);
        training.regimen().check(optimizer);
        new Preset(name, document, data.name(), data.size(), process, networks, optimizer, training.batchSize(),
                training.steps(), sampling.sampler(), sampling.steps(), sampling.particles());
    }

    private static void checkNetworks(List<Preset.Net> networks, ForwardProcess process, Dataset dataset) {
        if (networks.isEmpty() || networks.size() > 2) {
            throw new IllegalArgumentException("network: one network, or a flow-matching and a score network, are required; got "
                    + networks.size());
        }
        Set<String> roles = new HashSet<>();
        int flows = 0;
        for (int i = 0; i < networks.size(); i++) {
            Preset.Net n = networks.get(i);
            String at = "network[" + i + "]";
            if (n.role() == null || !n.role().matches("[a-z0-9_-]{1,40}")) {
                throw new IllegalArgumentException(at + ".role: must be 1 to 40 of a-z, 0-9, '_', '-', got '" + n.role() + "'");
            }
            if (!roles.add(n.role())) {
                throw new IllegalArgumentException(at + ".role: '" + n.role() + "' is used by two networks; roles must differ");
            }
            if (n.objective() instanceof Objective.PredictionMatching p && !p.supports(process)) {
                throw new IllegalArgumentException(at + ".prediction: " + p.prediction().predictionName()
                        + " prediction applies to the ddpm and gaussian-path processes, not " + process.name() + "; use epsilon");
            }
            if (!n.objective().supports(process)) {
                throw new IllegalArgumentException(at + ".objective: " + n.objective().name() + " is not defined for the "
                        + process.name() + " process");
            }
            flows += n.objective().parameterization() == Parameterization.VELOCITY ? 1 : 0;
            checkTime(at, n.spec().time(), process);
            checkConditioning(at, n.spec().conditioning(), dataset);
        }
        if (networks.size() == 2 && flows != 1) {
            throw new IllegalArgumentException("network: two networks must be one flow-matching network and one score network, got "
                    + flows + " flow-matching");
        }
        if (networks.size() == 1 && flows == 1) {
            throw new IllegalArgumentException("network: a flow-matching network needs a score network beside it (add a second [[network]])");
        }
    }

    private static void checkTime(String at, TimeEmbedding time, ForwardProcess process) {
        if (!(time instanceof TimeEmbedding.Table table)) {
            return;
        }
        int rows;
        if (process instanceof Ddpm ddpm) {
            rows = ddpm.steps();
        } else if (process instanceof NoiseLevels levels) {
            rows = levels.levels();
        } else {
            throw new IllegalArgumentException(at + ".time.kind: table needs a discrete process (ddpm, noise-levels), the process is "
                    + process.name() + "; use raw or sinusoidal");
        }
        if (table.steps() < rows) {
            throw new IllegalArgumentException(at + ".time.steps: must be >= " + rows + " (one row per step of the process), got "
                    + table.steps());
        }
    }

    private static void checkConditioning(String at, Conditioning c, Dataset dataset) {
        if (c instanceof Conditioning.None) {
            return;
        }
        if (c instanceof Conditioning.Continuous) {
            if (!dataset.sample(1, 0).hasValues()) {
                throw new IllegalArgumentException(at + ".conditioning.kind: continuous needs a dataset with values (ring-radius), data.name is "
                        + dataset.name());
            }
            return;
        }
        int classes = c instanceof Conditioning.OneHot o ? o.classes() : ((Conditioning.LabelEmbedding) c).classes();
        if (dataset.classes() == 0) {
            throw new IllegalArgumentException(at + ".conditioning.kind: " + c.kind() + " needs a labelled dataset (ring, gmm11, shapes), data.name is "
                    + dataset.name());
        }
        if (classes < dataset.classes()) {
            throw new IllegalArgumentException(at + ".conditioning.classes: must be >= " + dataset.classes() + " (the classes of "
                    + dataset.name() + "), got " + classes);
        }
    }

    /** Label dropout and guidance apply to conditional models only. */
    private static void checkGuidance(Training t, Sampling s, List<Preset.Net> networks) {
        boolean conditional = networks.stream().anyMatch(n -> n.spec().isConditional());
        if (!(t.labelDropout() >= 0 && t.labelDropout() < 1)) {
            throw new IllegalArgumentException("training.label_dropout: must be in [0, 1), got " + t.labelDropout());
        }
        if (t.labelDropout() > 0 && !conditional) {
            throw new IllegalArgumentException("training.label_dropout: the model is unconditional; label dropout needs a conditional network");
        }
        if (!Double.isFinite(s.guidance()) || Math.abs(s.guidance()) > 100) {
            throw new IllegalArgumentException("sampling.guidance: must be a number in [-100, 100], got " + s.guidance());
        }
        if (s.guidance() != 1.0 && !conditional) {
            throw new IllegalArgumentException("sampling.guidance: the model is unconditional; classifier-free guidance needs a conditional network");
        }
    }

    private static void checkSampling(Sampling s, ForwardProcess process, List<Preset.Net> networks) {
        SamplerSpec sampler = s.sampler();
        if (!sampler.supports(process)) {
            throw new IllegalArgumentException("sampling.sampler: " + sampler.name() + " does not apply to the " + process.name()
                    + " process; samplers for it: " + String.join(", ", SamplerSpec.all().stream().filter(x -> x.supports(process))
                    .map(SamplerSpec::name).distinct().toList()));
        }
        if (sampler.needsVelocity(process) && networks.size() != 2) {
            throw new IllegalArgumentException("sampling.sampler: " + sampler.name() + " needs a velocity: a flow-matching and a score network");
        }
        if (process instanceof Ddpm ddpm) {
            if (sampler instanceof SamplerSpec.DdpmAncestral && s.steps() != ddpm.steps()) {
                throw new IllegalArgumentException("sampling.steps: " + sampler.name() + " samples the ddpm process in exactly process.steps = "
                        + ddpm.steps() + " steps, got " + s.steps() + "; ddim, dpm-solver++(-sde), reverse-sde and pf-euler/pf-heun take any count up to it");
            }
            if (s.steps() > ddpm.steps()) {
                throw new IllegalArgumentException("sampling.steps: the ddpm process is sampled in at most process.steps = " + ddpm.steps()
                        + " steps, got " + s.steps());
            }
            try {
                ddpm.samplingTimes(s.steps(), s.spacing());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith("sampling.") ? e.getMessage() : "sampling." + e.getMessage());
            }
        } else if (s.spacing() != Spacing.TRAILING) {
            throw new IllegalArgumentException("sampling.spacing: applies to the ddpm process only, not " + process.name());
        }
        if (sampler.updates(process, s.steps()) != s.steps()) {
            throw new IllegalArgumentException("sampling.steps: annealed-langevin takes steps_per_level x process.levels = "
                    + sampler.updates(process, s.steps()) + " steps, got " + s.steps());
        }
        ConfigToml.checkRange("sampling.steps", s.steps(), 1, ConfigToml.MAX_SAMPLING_STEPS);
        ConfigToml.checkRange("sampling.particles", s.particles(), 1, ConfigToml.MAX_PARTICLES);
    }

    /** The preset's model with the given seed for data and training (sampling uses seed + 1), engine auto. */
    public static RunConfig fromPreset(Preset p, long seed) {
        return new RunConfig(p.name(), p.document(), "auto", new Data(p.dataset(), p.dataSize(), seed), p.process(), p.networks(),
                p.optimizer(), new Training(p.batchSize(), p.trainingSteps(), seed),
                new Sampling(p.sampler(), p.samplingSteps(), p.particles(), seed + 1, 1.0, Spacing.TRAILING, defaultPrior(p.process())));
    }

    /** This config as a preset (the seeds and the engine are not part of a preset). */
    public Preset toPreset() {
        return new Preset(name, document, data.name(), data.size(), process, networks, optimizer, training.batchSize(),
                training.steps(), sampling.sampler(), sampling.steps(), sampling.particles());
    }

    /** The network that predicts the velocity, if any (document 002's flow network). */
    public Preset.Net flowNetwork() {
        return networks.stream().filter(n -> n.objective().parameterization() == Parameterization.VELOCITY).findFirst().orElse(null);
    }

    /** The network that gives the score (or eps). */
    public Preset.Net scoreNetwork() {
        return networks.stream().filter(n -> n.objective().parameterization() != Parameterization.VELOCITY).findFirst().orElse(null);
    }

    /** Whether the model is conditioned on labels or values of the data. */
    public boolean conditional() {
        return networks.stream().anyMatch(n -> !(n.spec().conditioning() instanceof Conditioning.None));
    }

    /** The checkpoint file of a network in a run folder: model.safetensors for one network, else {@code <role>.safetensors}. */
    public String checkpointName(Preset.Net net) {
        return networks.size() == 1 ? "model.safetensors" : net.role() + ".safetensors";
    }

    /** Every network computed at precision p (the cuda engine's layer GEMMs; the other engines accept any). */
    public RunConfig withPrecision(Precision p) {
        List<Preset.Net> nets = networks.stream().map(n -> new Preset.Net(n.role(), n.spec().withPrecision(p), n.objective())).toList();
        return new RunConfig(name, document, engine, data, process, nets, optimizer, training, sampling);
    }

    /** The --precision option of a command applied where given (null: the config's). */
    public RunConfig withPrecision(String name, String option) {
        return name == null ? this : withPrecision(Precision.byName(name, option));
    }

    public RunConfig withEngine(String e) {
        return new RunConfig(name, document, e, data, process, networks, optimizer, training, sampling);
    }

    /** Sets the data, training and sampling seeds to seed, seed and seed + 1. */
    public RunConfig withSeed(long seed) {
        return new RunConfig(name, document, engine, new Data(data.name(), data.size(), seed, data.path(), data.column()), process, networks, optimizer,
                training.with(training.batchSize(), training.steps(), seed), sampling.withSeed(seed + 1));
    }

    public RunConfig withTrainingSteps(int steps) {
        ConfigToml.checkRange("--steps", steps, 1, ConfigToml.MAX_TRAINING_STEPS);
        return new RunConfig(name, document, engine, data, process, networks, optimizer,
                training.with(training.batchSize(), steps, training.seed()), sampling);
    }

    public RunConfig withBatchSize(int batchSize) {
        ConfigToml.checkRange("--batch-size", batchSize, 1, ConfigToml.MAX_BATCH);
        return new RunConfig(name, document, engine, data, process, networks, optimizer,
                training.with(batchSize, training.steps(), training.seed()), sampling);
    }

    public RunConfig withSampling(Sampling s) {
        return new RunConfig(name, document, engine, data, process, networks, optimizer, training, s);
    }

    /** The config with another classifier-free guidance weight (refused for an unconditional model). */
    public RunConfig withGuidance(double guidance) {
        return withSampling(sampling.withGuidance(guidance));
    }

    public RunConfig withParticles(int particles) {
        ConfigToml.checkRange("--particles", particles, 1, ConfigToml.MAX_PARTICLES);
        return withSampling(sampling.withParticles(particles));
    }

    /** The sampler's number of updates that {@link org.diffusion4j.engine.SamplingSetup} takes. */
    public static int defaultSteps(SamplerSpec sampler, ForwardProcess process) {
        return (int) Math.min(Integer.MAX_VALUE, sampler.updates(process, process.defaultSamplingSteps()));
    }
}
