package org.diffusion4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.diffusion4j.model.Body;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.sampler.SamplerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** TOML configs: presets round-trip, defaults fill in, and every field is validated with its dotted name and range. */
class ConfigTomlTest {

    static final String DDPM = """
            name = "tiny"
            engine = "reference"
            [data]
            name = "ring"
            size = 500
            seed = 7
            [process]
            kind = "ddpm"
            steps = 20
            schedule = "linear"
            beta_start = 1e-4
            beta_end = 0.2
            [[network]]
            role = "eps"
            objective = "epsilon-mse"
            activation = "relu"
            time = { kind = "table", steps = 20, dim = 4 }
            conditioning = "none"
            body = { kind = "plain", hidden = [16, 16] }
            [optimizer]
            kind = "adam"
            lr = 1e-3
            [training]
            batch_size = 32
            steps = 30
            seed = 7
            [sampling]
            sampler = "ddpm"
            steps = 20
            particles = 200
            seed = 8
            """;

    static final String OU = """
            [data]
            name = "halfcircles"
            [process]
            kind = "ou"
            lambda = 0.5
            sigma = 0.5
            t_end = 1.0
            t_min = 1e-5
            steps = 50
            [[network]]
            role = "score"
            objective = "weighted-dsm"
            weight_min = 1e-3
            weight_max = 10.0
            activation = "silu"
            time = { kind = "raw", scale = 1.0 }
            body = { kind = "residual", width = 8, blocks = 1 }
            [optimizer]
            kind = "adamw"
            lr = 1e-3
            beta1 = 0.9
            beta2 = 0.999
            eps = 1e-8
            weight_decay = 0.01
            [training]
            batch_size = 16
            steps = 10
            [sampling]
            sampler = "reverse-sde"
            steps = 50
            """;

    static final String FLOW = """
            [data]
            name = "gmm11"
            [process]
            kind = "gaussian-path"
            t_max = 0.999
            steps = 30
            [[network]]
            role = "flow"
            objective = "flow-matching"
            activation = "silu"
            time = { kind = "sinusoidal", dim = 4 }
            body = { kind = "plain", hidden = [8] }
            [[network]]
            role = "score"
            objective = "score-matching"
            activation = "silu"
            time = { kind = "raw", scale = 1.0 }
            body = { kind = "plain", hidden = [8] }
            [optimizer]
            kind = "adam"
            lr = 1e-3
            [training]
            batch_size = 16
            steps = 10
            [sampling]
            sampler = "langevin-flow"
            sigma = 0.5
            steps = 30
            """;

    static final String LEVELS = """
            [data]
            name = "shapes"
            [process]
            kind = "noise-levels"
            sigma_max = 1.0
            sigma_min = 0.1
            levels = 4
            prior_std = 3.0
            [[network]]
            role = "score"
            objective = "score-matching"
            activation = "softplus"
            time = { kind = "table", steps = 4, dim = 3 }
            conditioning = { kind = "label", classes = 2 }
            body = { kind = "plain", hidden = [8] }
            [optimizer]
            kind = "adam"
            lr = 1e-3
            [training]
            batch_size = 16
            steps = 10
            [sampling]
            sampler = "annealed-langevin"
            steps_per_level = 5
            step_size = 1e-3
            steps = 20
            """;

    @Test
    void everyPresetBecomesAConfigThatReadsBackEqualAndBackAgain() {
        for (Preset p : Presets.all()) {
            RunConfig c = RunConfig.fromPreset(p, 11);
            assertEquals(p, c.toPreset(), p.name());
            String toml = ConfigToml.write(c);
            assertEquals(c, ConfigToml.parse(toml), p.name() + ":\n" + toml);
            assertEquals(toml, ConfigToml.write(ConfigToml.parse(toml)), p.name());
        }
        assertEquals(9, Presets.all().size());
    }

    @Test
    void theBaseSnippetsAreValidAndRoundTrip() {
        for (String base : List.of(DDPM, OU, FLOW, LEVELS)) {
            RunConfig c = ConfigToml.parse(base);
            assertEquals(c, ConfigToml.parse(ConfigToml.write(c)));
        }
    }

    @Test
    void fewStepSamplersPredictionsAndPriorsRoundTrip() {
        String toml = DDPM.replace("objective = \"epsilon-mse\"", "objective = \"epsilon-mse\"\nprediction = \"v\"")
                .replace("sampler = \"ddpm\"", "sampler = \"ddim\"\neta = 0.3\nspacing = \"quadratic\"\nprior = \"moment-matched\"")
                .replace("steps = 20\nparticles", "steps = 4\nparticles");
        RunConfig c = ConfigToml.parse(toml);
        assertEquals(new org.diffusion4j.objective.Objective.PredictionMatching(org.diffusion4j.objective.Parameterization.V),
                c.networks().get(0).objective());
        assertEquals(new RunConfig.Sampling(new SamplerSpec.Ddim(0.3), 4, 200, 8, 1.0, org.diffusion4j.sampler.Spacing.QUADRATIC,
                org.diffusion4j.sampler.Prior.MOMENT_MATCHED), c.sampling());
        String written = ConfigToml.write(c);
        assertTrue(written.contains("prediction = \"v\"") && written.contains("eta = 0.3") && written.contains("spacing = \"quadratic\"")
                && written.contains("prior = \"moment-matched\""), written);
        assertEquals(c, ConfigToml.parse(written));
    }

    @Test
    void theReadmeExampleIsAValidConfig() throws java.io.IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        // the reference example of the config section (other sections show TOML snippets of their own)
        int section = readme.indexOf("### Config files");
        assertTrue(section >= 0, "README has a config section");
        int start = readme.indexOf("```toml\n", section);
        assertTrue(start >= 0, "README has a TOML example");
        String toml = readme.substring(start + 8, readme.indexOf("```", start + 8));
        RunConfig c = ConfigToml.parse(toml);
        assertEquals(Presets.byName("ddpm-ring").networks(), c.networks());
        assertEquals(Presets.byName("ddpm-ring").process(), c.process());
    }

    @Test
    void missingOptionalFieldsTakeTheDocumentDefaults() {
        RunConfig c = ConfigToml.parse("""
                [data]
                name = "ring"
                [process]
                kind = "ddpm"
                [[network]]
                role = "eps"
                objective = "epsilon-mse"
                activation = "relu"
                time = { kind = "table", steps = 200, dim = 16 }
                body = { kind = "plain", hidden = [128, 128] }
                [optimizer]
                kind = "adam"
                lr = 0.001
                [training]
                batch_size = 256
                steps = 20000
                [sampling]
                sampler = "ddpm"
                """);
        assertEquals("custom", c.name());
        assertEquals("auto", c.engine());
        assertEquals(new RunConfig.Data("ring", 5000, 42), c.data());
        assertEquals(Ddpm.linear(200, 1e-4, 0.02), c.process());
        assertEquals(OptimizerSpec.adam(1e-3), c.optimizer());
        assertEquals(new RunConfig.Sampling(new SamplerSpec.DdpmAncestral(SamplerSpec.DdpmAncestral.Variance.BETA), 200, 10_000, 43)
                .withPrior(org.diffusion4j.sampler.Prior.MOMENT_MATCHED), c.sampling());
        Preset p = Presets.byName("ddpm-ring");
        assertEquals(p.networks(), c.networks());
        assertEquals(OrnsteinUhlenbeck.document000(), ConfigToml.parse(OU.replace("lambda = 0.5\n", "").replace("steps = 50\n[[", "steps = 250\n[[")
                .replace("steps = 50\n", "steps = 250\n")).process());
        assertEquals(new Body.Residual(8, 1), ConfigToml.parse(OU).networks().get(0).spec().body());
        assertTrue(ConfigToml.parse(LEVELS).process() instanceof NoiseLevels);
    }

    /** (base, text replaced, replacement, expected start of the message). */
    static Stream<Arguments> badSnippets() {
        return Stream.of(
                // top level
                bad(DDPM, "name = \"tiny\"", "name = \"a b\"", "name: must be 1 to 100 letters"),
                bad(DDPM, "name = \"tiny\"", "name = 3", "name: must be a string"),
                bad(DDPM, "name = \"tiny\"", "document = 4", "document: must be a string"),
                bad(DDPM, "engine = \"reference\"", "engine = \"tpu\"", "engine: unknown value 'tpu', allowed: auto, cuda, cpu, reference"),
                bad(DDPM, "name = \"tiny\"", "nmae = \"tiny\"", "nmae: unknown key, allowed here: name, document, engine, data"),
                bad(DDPM, "[optimizer]\nkind = \"adam\"\nlr = 1e-3\n", "", "optimizer: required table is missing"),
                bad(DDPM, "[data]\n", "[data]\n[data]\n", "config: not valid TOML"),
                // data
                bad(DDPM, "name = \"ring\"", "name = \"moons\"", "data.name: unknown value 'moons', allowed: halfcircles, ring"),
                bad(DDPM, "name = \"ring\"\n", "", "data.name: required, one of halfcircles"),
                bad(DDPM, "size = 500", "size = 0", "data.size: must be an integer in [1, 10000000], got 0"),
                bad(DDPM, "size = 500", "size = 2.5", "data.size: must be an integer in [1, 10000000], got 2.5"),
                bad(DDPM, "seed = 7\n[process]", "seed = -1\n[process]", "data.seed: must be an integer in [0, 9223372036854775807], got -1"),
                bad(DDPM, "seed = 7\n[process]", "seeds = 7\n[process]", "data.seeds: unknown key, allowed here: name, size, seed"),
                // process: ddpm
                bad(DDPM, "kind = \"ddpm\"", "kind = \"vp\"", "process.kind: unknown value 'vp', allowed: ou, ddpm, gaussian-path, noise-levels"),
                bad(DDPM, "steps = 20\nschedule", "steps = 0\nschedule", "process.steps: must be an integer in [1, 100000], got 0"),
                bad(DDPM, "schedule = \"linear\"", "schedule = \"quadratic\"", "process.schedule: unknown value 'quadratic', allowed: linear, cosine"),
                bad(DDPM, "beta_start = 1e-4", "beta_start = 0", "process.beta_start: must be a number in (0.0, 1.0), got 0"),
                bad(DDPM, "beta_end = 0.2", "beta_end = 1e-5", "process.beta_end: must be a number in [1.0E-4, 1.0), got 1.0E-5"),
                bad(DDPM, "beta_end = 0.2", "beta_end = \"high\"", "process.beta_end: must be a number"),
                bad(DDPM, "schedule = \"linear\"", "schedule = \"cosine\"", "process.beta_start: unknown key, allowed here: kind, steps, schedule"),
                bad(DDPM, "beta_end = 0.2", "beta_end = 0.2\nlambda = 1", "process.lambda: unknown key, allowed here: kind, steps, schedule, beta_start, beta_end"),
                // process: ou
                bad(OU, "lambda = 0.5", "lambda = 0", "process.lambda: must be a number in (0.0, 1000000.0], got 0"),
                bad(OU, "sigma = 0.5", "sigma = -1", "process.sigma: must be a number in (0.0, 1000000.0], got -1"),
                bad(OU, "t_end = 1.0", "t_end = 0.0", "process.t_end: must be a number in (0.0, 1000000.0], got 0.0"),
                bad(OU, "t_min = 1e-5", "t_min = 1.0", "process.t_min: must be a number in (0.0, 1.0), got 1.0"),
                bad(OU, "steps = 50\n[[", "steps = 1000000\n[[", "process.steps: must be an integer in [1, 100000], got 1000000"),
                bad(OU, "t_min = 1e-5", "t_min = 1e-5\nt_max = 0.5", "process.t_max: unknown key, allowed here: kind, lambda, sigma, t_end, t_min, steps"),
                // process: gaussian path
                bad(FLOW, "t_max = 0.999", "t_max = 1.0", "process.t_max: must be a number in (0.0, 1.0), got 1.0"),
                bad(FLOW, "steps = 30\n[[", "steps = -2\n[[", "process.steps: must be an integer in [1, 100000], got -2"),
                // process: noise levels
                bad(LEVELS, "sigma_max = 1.0", "sigma_max = 0.0", "process.sigma_max: must be a number in (0.0, 1000000.0], got 0.0"),
                bad(LEVELS, "sigma_min = 0.1", "sigma_min = 2.0", "process.sigma_min: must be a number in (0.0, 1.0], got 2.0"),
                bad(LEVELS, "levels = 4", "levels = 0", "process.levels: must be an integer in [1, 100000], got 0"),
                bad(LEVELS, "prior_std = 3.0", "prior_std = -3.0", "process.prior_std: must be a number in (0.0, 1000000.0], got -3.0"),
                // network
                bad(DDPM, "role = \"eps\"", "role = \"Eps Net\"", "network[0].role: must be 1 to 40 of a-z"),
                bad(DDPM, "role = \"eps\"\n", "", "network[0].role: required, a string"),
                bad(DDPM, "objective = \"epsilon-mse\"", "objective = \"vlb\"", "network[0].objective: unknown value 'vlb', allowed: weighted-dsm, epsilon-mse, score-matching, flow-matching"),
                bad(DDPM, "objective = \"epsilon-mse\"", "objective = \"flow-matching\"", "network[0].objective: flow-matching is not defined for the ddpm process"),
                bad(DDPM, "activation = \"relu\"", "activation = \"gelu\"", "network[0].activation: unknown value 'gelu', allowed: relu, silu, softplus"),
                bad(DDPM, "activation = \"relu\"", "activation = \"relu\"\nprecision = \"fp16\"",
                        "network[0].precision: unknown value 'fp16', allowed: fp32, tf32x3, tf32"),
                bad(DDPM, "activation = \"relu\"", "activation = \"relu\"\ndropout = 0.1", "network[0].dropout: unknown key, allowed here: role, objective, prediction, activation, precision, time, conditioning, body"),
                bad(DDPM, "objective = \"epsilon-mse\"", "objective = \"epsilon-mse\"\nweight_min = 1.0", "network[0].weight_min: unknown key"),
                bad(OU, "weight_min = 1e-3", "weight_min = 0", "network[0].weight_min: must be a number in (0.0, 1.0E12], got 0"),
                bad(OU, "weight_max = 10.0", "weight_max = 1e-4", "network[0].weight_max: must be a number in [0.001, 1.0E12], got 1.0E-4"),
                bad(DDPM, "time = { kind = \"table\", steps = 20, dim = 4 }", "time = { kind = \"fourier\" }", "network[0].time.kind: unknown value 'fourier', allowed: none, raw, sinusoidal, table"),
                bad(DDPM, "time = { kind = \"table\", steps = 20, dim = 4 }\n", "", "network[0].time: required table is missing"),
                bad(DDPM, "steps = 20, dim = 4", "steps = 10, dim = 4", "network[0].time.steps: must be >= 20 (one row per step of the process), got 10"),
                bad(DDPM, "steps = 20, dim = 4", "steps = 20, dim = 0", "network[0].time.dim: must be an integer in [1, 65536], got 0"),
                bad(DDPM, "steps = 20, dim = 4", "steps = 20, dim = 4, scale = 2", "network[0].time.scale: unknown key, allowed here: kind, steps, dim"),
                bad(OU, "time = { kind = \"raw\", scale = 1.0 }", "time = { kind = \"raw\", scale = 0 }", "network[0].time.scale: must be a non-zero number, got 0"),
                bad(OU, "time = { kind = \"raw\", scale = 1.0 }", "time = { kind = \"table\", steps = 5, dim = 2 }", "network[0].time.kind: table needs a discrete process"),
                bad(FLOW, "kind = \"sinusoidal\", dim = 4", "kind = \"sinusoidal\", dim = 3", "network[0].time.dim: must be an even integer in [2, 65536], got 3"),
                bad(LEVELS, "conditioning = { kind = \"label\", classes = 2 }", "conditioning = { kind = \"film\" }", "network[0].conditioning.kind: unknown value 'film', allowed: none, onehot, continuous, label"),
                bad(LEVELS, "conditioning = { kind = \"label\", classes = 2 }", "conditioning = { kind = \"label\", classes = 1 }", "network[0].conditioning.classes: must be an integer in [2, 65536], got 1"),
                bad(DDPM, "conditioning = \"none\"", "conditioning = { kind = \"onehot\", classes = 4 }", "network[0].conditioning.classes: must be >= 8 (the classes of ring), got 4"),
                bad(DDPM, "conditioning = \"none\"", "conditioning = { kind = \"continuous\", dim = 4 }", "network[0].conditioning.kind: continuous needs a dataset with values"),
                bad(DDPM, "conditioning = \"none\"", "conditioning = { kind = \"continuous\", dim = 0 }", "network[0].conditioning.dim: must be an integer in [1, 65536], got 0"),
                bad(OU, "body = { kind = \"residual\", width = 8, blocks = 1 }\n", "body = { kind = \"residual\", width = 8, blocks = 1 }\nconditioning = { kind = \"onehot\", classes = 2 }\n", "network[0].conditioning.kind: onehot needs a labelled dataset"),
                bad(DDPM, "conditioning = \"none\"", "conditioning = \"onehot\"", "network[0].conditioning: must be \"none\" or a table"),
                bad(DDPM, "hidden = [16, 16]", "hidden = []", "network[0].body.hidden: must be a list of 1 to 64 integers in [1, 65536], got []"),
                bad(DDPM, "hidden = [16, 16]", "hidden = [16, 0]", "network[0].body.hidden: must be a list of 1 to 64 integers in [1, 65536], got [16,0]"),
                bad(DDPM, "kind = \"plain\", hidden", "kind = \"mlp\", hidden", "network[0].body.kind: unknown value 'mlp', allowed: plain, residual"),
                bad(DDPM, "kind = \"plain\", hidden = [16, 16]", "kind = \"plain\", width = 16", "network[0].body.width: unknown key, allowed here: kind, hidden"),
                bad(OU, "width = 8, blocks = 1", "width = 7, blocks = 1", "network[0].body.width: must be an even integer in [2, 65536], got 7"),
                bad(OU, "width = 8, blocks = 1", "width = 8, blocks = -1", "network[0].body.blocks: must be an integer in [0, 64], got -1"),
                bad(FLOW, "role = \"score\"", "role = \"flow\"", "network[1].role: 'flow' is used by two networks"),
                bad(FLOW, "objective = \"score-matching\"", "objective = \"flow-matching\"", "network: two networks must be one flow-matching network and one score network"),
                bad(DDPM, "[[network]]", "[network]", "network: must be an array of tables ([[network]])"),
                // optimizer
                bad(DDPM, "kind = \"adam\"", "kind = \"sgd\"", "optimizer.kind: unknown value 'sgd', allowed: adam, adamw"),
                bad(DDPM, "lr = 1e-3", "lr = 0", "optimizer.lr: must be a number in (0.0, 10.0], got 0"),
                bad(DDPM, "lr = 1e-3\n", "", "optimizer.lr: required, a number in (0.0, 10.0]"),
                bad(OU, "beta1 = 0.9", "beta1 = 1.0", "optimizer.beta1: must be a number in [0.0, 1.0), got 1.0"),
                bad(OU, "beta2 = 0.999", "beta2 = -0.1", "optimizer.beta2: must be a number in [0.0, 1.0), got -0.1"),
                bad(OU, "eps = 1e-8", "eps = 0.0", "optimizer.eps: must be a number in (0.0, 1.0], got 0.0"),
                bad(OU, "weight_decay = 0.01", "weight_decay = 2.0", "optimizer.weight_decay: must be a number in [0.0, 1.0], got 2.0"),
                bad(DDPM, "lr = 1e-3", "lr = 1e-3\nweight_decay = 0.01", "optimizer.weight_decay: must be a number in [0.0, 0.0], got 0.01"),
                bad(DDPM, "lr = 1e-3", "lr = 1e-3\nmomentum = 0.9", "optimizer.momentum: unknown key, allowed here: kind, lr, beta1, beta2, eps, weight_decay"),
                // training
                bad(DDPM, "batch_size = 32", "batch_size = 0", "training.batch_size: must be an integer in [1, 1000000], got 0"),
                bad(DDPM, "steps = 30", "steps = 0", "training.steps: must be an integer in [1, 100000000], got 0"),
                bad(DDPM, "seed = 7\n[sampling]", "seed = \"x\"\n[sampling]", "training.seed: must be an integer in [0, 9223372036854775807], got \"x\""),
                bad(DDPM, "steps = 30", "steps = 30\nepochs = 3", "training.epochs: unknown key, allowed here: batch_size, steps, seed"),
                // sampling
                bad(DDPM, "sampler = \"ddpm\"", "sampler = \"euler-a\"", "sampling.sampler: unknown value 'euler-a', allowed: ddpm, ddpm-posterior, reverse-sde"),
                bad(DDPM, "sampler = \"ddpm\"", "sampler = \"langevin-flow\"", "sampling.sampler: langevin-flow does not apply to the ddpm process"),
                bad(DDPM, "particles = 200", "particles = 0", "sampling.particles: must be an integer in [1, 100000000], got 0"),
                bad(DDPM, "steps = 20\nparticles", "steps = 0\nparticles", "sampling.steps: must be an integer in [1, 1000000], got 0"),
                bad(DDPM, "steps = 20\nparticles", "steps = 50\nparticles", "sampling.steps: ddpm samples the ddpm process in exactly process.steps = 20 steps, got 50"),
                bad(DDPM, "sampler = \"ddpm\"", "sampler = \"ddim\"\neta = 1.5", "sampling.eta: must be"),
                bad(DDPM, "sampler = \"ddpm\"", "sampler = \"ddim\"\nspacing = \"linspace\"", "sampling.spacing: unknown value 'linspace', allowed: uniform, trailing, quadratic"),
                bad(DDPM, "sampler = \"ddpm\"", "sampler = \"dpm-solver++\"\nprior = \"uniform\"", "sampling.prior: unknown value 'uniform', allowed: standard, stationary, moment-matched"),
                bad(DDPM, "steps = 20\nparticles", "steps = 21\nparticles", "sampling.steps: ddpm samples the ddpm process in exactly process.steps = 20"),
                bad(OU, "sampler = \"reverse-sde\"", "sampler = \"reverse-sde\"\nspacing = \"uniform\"", "sampling.spacing: applies to the ddpm process only, not ou"),
                bad(OU, "objective = \"weighted-dsm\"\nweight_min = 1e-3\nweight_max = 10.0", "objective = \"epsilon-mse\"\nprediction = \"v\"", "network[0].prediction: v prediction applies to the ddpm and gaussian-path processes, not ou"),
                bad(DDPM, "seed = 8", "seed = -8", "sampling.seed: must be an integer in [0, 9223372036854775807], got -8"),
                bad(DDPM, "seed = 8", "seed = 8\nsigma = 0.5", "sampling.sigma: unknown key, allowed here: sampler, variance, prior, steps, particles, seed"),
                bad(DDPM, "seed = 8", "seed = 8\nvariance = \"posterior\"", "sampling.variance: sampler ddpm has variance beta, got 'posterior'"),
                bad(DDPM, "seed = 8", "seed = 8\nvariance = \"large\"", "sampling.variance: unknown value 'large', allowed: beta, posterior"),
                bad(OU, "sampler = \"reverse-sde\"", "sampler = \"pf-euler\"\nintegrator = \"rk4\"", "sampling.integrator: unknown value 'rk4', allowed: euler, heun"),
                bad(OU, "sampler = \"reverse-sde\"", "sampler = \"pf-heun\"\nintegrator = \"euler\"", "sampling.integrator: sampler pf-heun has integrator heun, got 'euler'"),
                bad(OU, "sampler = \"reverse-sde\"", "sampler = \"reverse-sde\"\nintegrator = \"euler\"", "sampling.integrator: unknown key, allowed here: sampler, spacing, prior, steps, particles, seed"),
                bad(FLOW, "sigma = 0.5", "sigma = -0.5", "sampling.sigma: must be a number in [0.0, 1000000.0], got -0.5"),
                bad(LEVELS, "steps_per_level = 5", "steps_per_level = 0", "sampling.steps_per_level: must be an integer in [1, 1000000], got 0"),
                bad(LEVELS, "step_size = 1e-3", "step_size = 0.0", "sampling.step_size: must be a number in (0.0, 1000000.0], got 0.0"),
                bad(LEVELS, "steps = 20\n", "steps = 21\n", "sampling.steps: annealed-langevin takes steps_per_level x process.levels = 20 steps, got 21"));
    }

    private static Arguments bad(String base, String from, String to, String expected) {
        return Arguments.of(expected.split(":")[0], base, from, to, expected);
    }

    @ParameterizedTest(name = "{0}: {4}")
    @MethodSource("badSnippets")
    void everyFieldIsValidatedWithItsNameAndRange(String field, String base, String from, String to, String expected) {
        assertTrue(base.contains(from), "the snippet must contain '" + from + "'");
        String toml = base.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigToml.parse(toml), toml);
        String msg = e.getMessage();
        assertTrue(msg.startsWith(expected), "expected '" + expected + "...', got '" + msg + "'");
        assertFalse(msg.contains("\n"), "one line: " + msg);
    }

    @Test
    void overridesAreValidatedAndNamed() {
        RunConfig c = ConfigToml.parse(DDPM);
        assertEquals(99, c.withTrainingSteps(99).training().steps());
        assertEquals(5, c.withSeed(5).data().seed());
        assertEquals(6, c.withSeed(5).sampling().seed());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.withTrainingSteps(0)).getMessage().startsWith("--steps: must be an integer in [1,"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.withBatchSize(-1)).getMessage().startsWith("--batch-size: must be"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.withParticles(0)).getMessage().startsWith("--particles: must be"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> c.withEngine("tpu")).getMessage().startsWith("engine: unknown engine 'tpu'"));
    }
}
