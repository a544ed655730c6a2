package org.diffusion4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.reference.ReferenceEngine;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.sampler.ScoreField;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's PyTorch snippet, run: checkpoints of trained networks of every time embedding, body and conditioning
 * kind load into bench/peer/pytorch_presets.py's module with bench/peer/load_checkpoint.py (strict load_state_dict),
 * and its outputs equal the reference engine's on the same points. Skipped, saying so, where /usr/bin/python3 has no torch.
 */
class PyTorchInteropTest {
    static final String PYTHON = "/usr/bin/python3";

    /**
     * PyTorch evaluates in float32, the reference in double from the same float32 parameters: each output is a sum of
     * at most 256-term dot products through 2 to 4 layers of values of order 1, so float32 rounding leaves a few 1e-6;
     * LayerNorm's variance adds about as much. 1e-4 bounds it with room.
     */
    static final double TOLERANCE = 1e-4;

    static boolean torchPresent() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** A tiny config: the ring's DDPM, the network of {@code network} (TOML of [[network]] lines), 20 steps on cpu. */
    static String config(String network, String data) {
        return """
                name = "interop"
                engine = "cpu"
                [data]
                %s
                size = 300
                [process]
                kind = "ddpm"
                steps = 20
                [[network]]
                role = "eps"
                objective = "epsilon-mse"
                %s
                [optimizer]
                kind = "adam"
                lr = 1e-2
                [training]
                batch_size = 32
                steps = 20
                [sampling]
                sampler = "ddpm"
                steps = 20
                particles = 10
                """.formatted(data, network);
    }

    @Test
    void checkpointsLoadIntoThePyTorchModuleAndAgree(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(PYTHON)) && torchPresent(),
                "torch is not installed for " + PYTHON + ": the PyTorch interop check is skipped (apt-get install python3-torch)");
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("table-onehot", config("activation = \"relu\"\ntime = { kind = \"table\", steps = 20, dim = 8 }\n"
                + "conditioning = { kind = \"onehot\", classes = 8 }\nbody = { kind = \"plain\", hidden = [32, 32] }", "name = \"ring\""));
        cases.put("sinusoidal-residual-label", config("activation = \"silu\"\ntime = { kind = \"sinusoidal\", dim = 16 }\n"
                + "conditioning = { kind = \"label\", classes = 8 }\nbody = { kind = \"residual\", width = 32, blocks = 2 }", "name = \"ring\""));
        cases.put("raw-continuous", config("activation = \"softplus\"\ntime = { kind = \"raw\", scale = 0.05 }\n"
                + "conditioning = { kind = \"continuous\", dim = 8 }\nbody = { kind = \"plain\", hidden = [24] }", "name = \"ring-radius\""));
        ObjectMapper json = new ObjectMapper();
        try (Engine e = Engines.create("cpu")) {
            for (Map.Entry<String, String> kase : cases.entrySet()) {
                RunConfig c = ConfigToml.parse(kase.getValue());
                Training.Result trained = Training.train(e, c, Reporter.SILENT);
                Preset.Net net = c.networks().get(0);
                Path ckpt = dir.resolve(kase.getKey() + ".safetensors");
                RunFiles.checkpoint(c, net, trained.parameters().get(0)).write(ckpt);
                int n = 16;
                double[] xy = new double[2 * n];
                int[] labels = new int[n];
                double[] values = new double[n];
                for (int i = 0; i < n; i++) {
                    xy[2 * i] = 3 * Math.cos(0.7 * i);
                    xy[2 * i + 1] = 2 * Math.sin(1.3 * i);
                    labels[i] = i % 8;
                    values[i] = 2.5 + 0.1 * i;
                }
                boolean byValue = net.spec().conditioning() instanceof Conditioning.Continuous;
                Condition cond = byValue ? Condition.values(values) : Condition.labels(labels);
                // the raw network output: a source read as a score is f itself
                ScoreField f = ReferenceEngine.field(new ScoreSource.Network(net.spec(), trained.parameters().get(0), Parameterization.SCORE, cond),
                        c.process());
                double t = 13;
                double[] out = new double[2 * n];
                f.score(xy, t, out);
                double[][] pts = new double[n][];
                double[][] expected = new double[n][];
                double[] ts = new double[n];
                for (int i = 0; i < n; i++) {
                    pts[i] = new double[] {xy[2 * i], xy[2 * i + 1]};
                    expected[i] = new double[] {out[2 * i], out[2 * i + 1]};
                    ts[i] = t;
                }
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("xy", pts);
                doc.put("t", ts);
                doc.put(byValue ? "values" : "labels", byValue ? values : labels);
                doc.put("expected", expected);
                doc.put("tolerance", TOLERANCE);
                Path cases2 = dir.resolve(kase.getKey() + ".json");
                Files.writeString(cases2, json.writeValueAsString(doc), StandardCharsets.UTF_8);
                Process p = new ProcessBuilder(PYTHON, "bench/peer/load_checkpoint.py", ckpt.toString(), cases2.toString())
                        .redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(300, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), kase.getKey() + ": " + output);
                assertTrue(output.contains("max |torch - diffusion4j|"), output);
            }
        }
    }

    @Test
    void theCheckpointSaysWhatTheNamesDoNot() {
        RunConfig c = ConfigToml.parse(config("activation = \"silu\"\ntime = { kind = \"table\", steps = 20, dim = 8 }\n"
                + "body = { kind = \"residual\", width = 16, blocks = 1 }", "name = \"ring\""));
        String facts = RunFiles.checkpoint(c, c.networks().get(0), new float[org.diffusion4j.model.ParameterLayout.of(c.networks().get(0).spec()).size()])
                .metadata().get(RunFiles.LAYOUT_KEY);
        for (String part : List.of("time.table [20, 8]", "nn.Embedding would name it weight", "pre-norm", "output.norm")) {
            assertTrue(facts.contains(part), facts);
        }
        String sin = RunFiles.layoutFacts(ConfigToml.parse(config("activation = \"silu\"\ntime = { kind = \"sinusoidal\", dim = 16 }\n"
                + "body = { kind = \"plain\", hidden = [8] }", "name = \"ring\"")).networks().get(0).spec());
        assertTrue(sin.contains("interleaved sin(t f_0), cos(t f_0)"), sin);
    }
}
