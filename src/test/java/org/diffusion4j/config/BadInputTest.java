package org.diffusion4j.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.Precision;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.process.Processes;
import org.diffusion4j.sampler.SamplerSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input across the specs: every refusal is an IllegalArgumentException with one line that names the field, and
 * unknown names list the allowed ones. (Malformed CSV / .npy files are tested beside their readers.)
 */
class BadInputTest {

    /** Unknown names: the message quotes the bad name and lists every allowed name. */
    static Stream<Arguments> unknownNames() {
        return Stream.of(
                Arguments.of("dataset", (Executable) () -> Datasets.byName("moons"), Datasets.names()),
                Arguments.of("process", (Executable) () -> Processes.byName("vp-sde"), Processes.NAMES),
                Arguments.of("process.schedule", (Executable) () -> Processes.schedule("quadratic", 1e-4, 0.02), Processes.SCHEDULES),
                Arguments.of("sampler", (Executable) () -> SamplerSpec.byName("euler-ancestral"), SamplerSpec.all().stream().map(SamplerSpec::name).toList()),
                Arguments.of("network.activation", (Executable) () -> Activation.byName("gelu"),
                        Arrays.stream(Activation.values()).map(Activation::configName).toList()),
                Arguments.of("network.precision", (Executable) () -> Precision.byName("fp16", "network.precision"),
                        Arrays.stream(Precision.values()).map(Precision::configName).toList()),
                Arguments.of("objective", (Executable) () -> Objective.byName("vlb"), Objective.all().stream().map(Objective::name).toList()),
                Arguments.of("engine", (Executable) () -> Engines.create("tpu"), Engines.NAMES),
                Arguments.of("preset", (Executable) () -> Presets.byName("ddpm-moons"), Presets.names()));
    }

    @ParameterizedTest(name = "unknown {0}")
    @MethodSource("unknownNames")
    void unknownNameListsTheAllowedOnes(String field, Executable call, List<String> allowed) {
        String msg = oneLine(call);
        assertTrue(msg.startsWith(field), msg);
        assertTrue(msg.contains("allowed"), msg);
        for (String name : allowed) {
            assertTrue(msg.contains(name), "'" + name + "' missing from: " + msg);
        }
    }

    /** Sizes, steps and widths that are zero or negative, and other out-of-range numbers: the field is named. */
    static Stream<Arguments> badNumbers() {
        Points data = Points.of(new double[] {0, 0, 1, 1});
        NetworkSpec net = new NetworkSpec(new TimeEmbedding.Raw(1), new Conditioning.None(), new Body.Plain(List.of(8)), Activation.RELU);
        ScoreSource exact = new ScoreSource.ExactMixture(GaussianMixture.symmetric(8, 3, 0.25));
        return Stream.of(
                Arguments.of("network.hidden", (Executable) () -> new Body.Plain(List.of(16, 0))),
                Arguments.of("network.hidden", (Executable) () -> new Body.Plain(List.of(-3))),
                Arguments.of("network.hidden", (Executable) () -> new Body.Plain(List.of())),
                Arguments.of("network.width", (Executable) () -> new Body.Residual(0, 3)),
                Arguments.of("network.width", (Executable) () -> new Body.Residual(7, 3)),
                Arguments.of("network.blocks", (Executable) () -> new Body.Residual(16, -1)),
                Arguments.of("network.time_dim", (Executable) () -> new TimeEmbedding.Sinusoidal(0)),
                Arguments.of("network.time_dim", (Executable) () -> new TimeEmbedding.Sinusoidal(5)),
                Arguments.of("network.time_steps", (Executable) () -> new TimeEmbedding.Table(0, 16)),
                Arguments.of("network.time_dim", (Executable) () -> new TimeEmbedding.Table(200, -1)),
                Arguments.of("network.classes", (Executable) () -> new Conditioning.OneHot(1)),
                Arguments.of("network.cond_dim", (Executable) () -> new Conditioning.Continuous(0)),
                Arguments.of("steps", (Executable) () -> Ddpm.linear(0, 1e-4, 0.02)),
                Arguments.of("steps", (Executable) () -> new OrnsteinUhlenbeck(0.5, 0.5, 1, 1e-5, -1)),
                Arguments.of("steps", (Executable) () -> GaussianPath.document002().samplingTimes(0)),
                Arguments.of("steps", (Executable) () -> Ddpm.linear(200, 1e-4, 0.02).samplingTimes(201)),
                Arguments.of("process.lambda", (Executable) () -> new OrnsteinUhlenbeck(0, 0.5, 1, 1e-5, 250)),
                Arguments.of("process.sigma", (Executable) () -> new OrnsteinUhlenbeck(0.5, Double.NaN, 1, 1e-5, 250)),
                Arguments.of("process.t_min", (Executable) () -> new OrnsteinUhlenbeck(0.5, 0.5, 1, 2, 250)),
                Arguments.of("process.beta_end", (Executable) () -> Ddpm.linear(200, 0.02, 1e-4)),
                Arguments.of("process.beta_start", (Executable) () -> Ddpm.linear(200, -1, 0.02)),
                Arguments.of("process.t_max", (Executable) () -> new GaussianPath(1.0, 299)),
                Arguments.of("process.levels", (Executable) () -> new NoiseLevels(1, 0.1, 0, 1)),
                Arguments.of("process.sigma_min", (Executable) () -> new NoiseLevels(1, 2, 3, 1)),
                Arguments.of("optimizer.lr", (Executable) () -> OptimizerSpec.adam(0)),
                Arguments.of("optimizer.beta1", (Executable) () -> new OptimizerSpec(OptimizerSpec.Kind.ADAM, 1e-3, 1.0, 0.999, 1e-8, 0)),
                Arguments.of("optimizer.weight_decay", (Executable) () -> new OptimizerSpec(OptimizerSpec.Kind.ADAM, 1e-3, 0.9, 0.999, 1e-8, 0.1)),
                Arguments.of("sampler.steps_per_level", (Executable) () -> new SamplerSpec.AnnealedLangevin(0, 1e-3)),
                Arguments.of("sampler.step_size", (Executable) () -> new SamplerSpec.AnnealedLangevin(10, -1)),
                Arguments.of("sampler.sigma", (Executable) () -> new SamplerSpec.LangevinFlow(-0.5)),
                Arguments.of("mixture", (Executable) () -> GaussianMixture.symmetric(0, 3, 0.25)),
                Arguments.of("mixture", (Executable) () -> GaussianMixture.symmetric(8, 3, 0.25).sample(0, 1)),
                Arguments.of("particles", (Executable) () -> new SamplingSetup(Ddpm.linear(200, 1e-4, 0.02),
                        SamplerSpec.byName("ddpm"), exact, 0, 200, 1)),
                Arguments.of("steps", (Executable) () -> new SamplingSetup(Ddpm.linear(200, 1e-4, 0.02),
                        SamplerSpec.byName("ddpm"), exact, 10, -5, 1)),
                Arguments.of("training.batch_size", (Executable) () -> new TrainingSetup(net, Ddpm.linear(200, 1e-4, 0.02),
                        new Objective.PredictionMatching(), OptimizerSpec.adam(1e-3), data, 0, 1)),
                Arguments.of("sampler", (Executable) () -> new SamplingSetup(GaussianPath.document002(),
                        SamplerSpec.byName("ddpm"), exact, 10, 299, 1)),
                Arguments.of("objective", (Executable) () -> new TrainingSetup(net, Ddpm.linear(200, 1e-4, 0.02),
                        new Objective.FlowMatching(), OptimizerSpec.adam(1e-3), data, 16, 1)),
                Arguments.of("points", (Executable) () -> Points.of(new double[0])),
                Arguments.of("points", (Executable) () -> Points.of(new double[] {0, Double.POSITIVE_INFINITY})),
                Arguments.of("points", (Executable) () -> Points.of(new double[] {0, 1, 2})));
    }

    @ParameterizedTest(name = "{0} #{index}")
    @MethodSource("badNumbers")
    void badValueNamesTheField(String field, Executable call) {
        String msg = oneLine(call);
        assertTrue(msg.startsWith(field), "expected the field '" + field + "' first in: " + msg);
    }

    @Test
    void everyDatasetRefusesANonPositiveSize() {
        for (String name : Datasets.names()) {
            for (int n : new int[] {0, -7}) {
                String msg = oneLine(() -> Datasets.byName(name).sample(n, 1));
                assertTrue(msg.contains("n") && msg.contains(String.valueOf(n)), name + ": " + msg);
            }
        }
    }

    @Test
    void unknownNamesAreNeverAcceptedSilently() {
        Supplier<Stream<String>> bogus = () -> Stream.of("", "RELU ", "Ring");
        bogus.get().forEach(s -> assertThrows(IllegalArgumentException.class, () -> Activation.byName(s)));
        bogus.get().forEach(s -> assertThrows(IllegalArgumentException.class, () -> Datasets.byName(s)));
        assertThrows(IllegalArgumentException.class, () -> Processes.byName(null));
    }

    /** Runs the call, asserts it is refused with an IllegalArgumentException of exactly one line, and returns it. */
    private static String oneLine(Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String msg = e.getMessage();
        assertTrue(msg != null && !msg.isBlank(), "empty message");
        assertFalse(msg.contains("\n"), "more than one line: " + msg);
        return msg;
    }
}
