package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.engine.reference.ReferenceNetwork;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;
import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;

/**
 * The reference vectors of native-tests/vectors/network.txt: for small networks of every kind, their descriptor, their
 * parameters, and per sample the reference engine's output and parameter gradient (double). The native host test
 * test_network_host runs kernels/network.cuh on them. This test regenerates the file's text and requires it to be the
 * file's content, so the vectors follow the reference and the descriptor; to rewrite the file after a deliberate
 * change: {@code mvn test -Dtest=NetworkVectorsTest -Dd4j.writeVectors=true}.
 */
class NetworkVectorsTest {

    static final Path FILE = Path.of("native-tests", "vectors", "network.txt");

    /** Name and spec of each network: every trunk, time embedding, conditioning and activation. */
    record Case(String name, NetworkSpec spec) {
    }

    static List<Case> cases() {
        return List.of(
                new Case("plain-relu-raw", new NetworkSpec(new TimeEmbedding.Raw(1.0), new Conditioning.None(), new Body.Plain(List.of(8, 8)), Activation.RELU)),
                new Case("plain-softplus-notime", new NetworkSpec(new TimeEmbedding.None(), new Conditioning.None(), new Body.Plain(List.of(6, 6, 6)),
                        Activation.SOFTPLUS)),
                new Case("plain-relu-table-onehot", new NetworkSpec(new TimeEmbedding.Table(5, 3), new Conditioning.OneHot(4),
                        new Body.Plain(List.of(8, 8)), Activation.RELU)),
                new Case("plain-silu-sinusoidal-continuous", new NetworkSpec(new TimeEmbedding.Sinusoidal(4), new Conditioning.Continuous(3),
                        new Body.Plain(List.of(8)), Activation.SILU)),
                new Case("plain-relu-raw-label", new NetworkSpec(new TimeEmbedding.Raw(0.5), new Conditioning.LabelEmbedding(3),
                        new Body.Plain(List.of(8, 6)), Activation.RELU)),
                new Case("residual-silu-sinusoidal", new NetworkSpec(new TimeEmbedding.Sinusoidal(4), new Conditioning.None(), new Body.Residual(8, 2),
                        Activation.SILU)),
                new Case("residual-silu-table-label", new NetworkSpec(new TimeEmbedding.Table(5, 4), new Conditioning.LabelEmbedding(2),
                        new Body.Residual(8, 1), Activation.SILU)),
                new Case("residual-relu-notime-continuous", new NetworkSpec(new TimeEmbedding.None(), new Conditioning.Continuous(3),
                        new Body.Residual(6, 2), Activation.RELU)),
                new Case("residual-softplus-raw-onehot", new NetworkSpec(new TimeEmbedding.Raw(1.0), new Conditioning.OneHot(3),
                        new Body.Residual(8, 1), Activation.SOFTPLUS)));
    }

    static final int SAMPLES = 3;

    /** The file's text: floats as raw bits (exact), reference values as %.17g. */
    static String generate() {
        StringBuilder b = new StringBuilder("# diffusion4j network vectors: written by NetworkVectorsTest (reference engine, double)\n");
        NoiseStream noise = new NoiseStream(2024);
        double[] z = new double[4];
        int[] w = new int[4];
        b.append("networks ").append(cases().size()).append('\n');
        int c = 0;
        for (Case k : cases()) {
            NetworkSpec spec = k.spec();
            float[] params = NetworkInit.initialize(spec, 7 + c);
            // move every parameter off its initial value (LayerNorm gains off 1, biases off 0)
            for (int i = 0; i < params.length; i++) {
                noise.normals(1000L * c + i, 1, z);
                params[i] += (float) (0.1 * z[0]);
            }
            int[] desc = NetworkDescriptor.encode(spec);
            b.append("network ").append(k.name()).append('\n');
            b.append("desc");
            for (int v : desc) {
                b.append(' ').append(v);
            }
            b.append('\n').append("params ").append(params.length);
            for (float p : params) {
                b.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(p)));
            }
            b.append('\n').append("samples ").append(SAMPLES).append('\n');
            ReferenceNetwork ref = new ReferenceNetwork(spec, params);
            for (int s = 0; s < SAMPLES; s++) {
                noise.normals(s, 100 + c, z);
                noise.words(s, 200 + c, w);
                float x = (float) (1.5 * z[0]);
                float y = (float) (1.5 * z[1]);
                TimeEmbedding te = spec.time();
                float t = te instanceof TimeEmbedding.Table table ? NoiseStream.index(w[0], table.steps())
                        : (float) NoiseStream.uniform(w[0]);
                int label = 0;
                float value = 0f;
                Condition cond = Condition.NONE;
                Conditioning cd = spec.conditioning();
                boolean none = s == SAMPLES - 1; // the last sample takes the null condition of classifier-free guidance
                if (cd instanceof Conditioning.OneHot o) {
                    label = none ? Condition.NULL_LABEL : NoiseStream.index(w[1], o.classes());
                    cond = Condition.label(label, 1);
                } else if (cd instanceof Conditioning.LabelEmbedding l) {
                    label = none ? Condition.NULL_LABEL : NoiseStream.index(w[1], l.classes());
                    cond = Condition.label(label, 1);
                } else if (cd instanceof Conditioning.Continuous) {
                    value = none ? Float.NaN : (float) (2.0 + NoiseStream.uniform(w[1]));
                    cond = Condition.value(value, 1);
                }
                float d0 = (float) z[2];
                float d1 = (float) z[3];
                ReferenceNetwork.Pass pass = ref.forward(new double[] {x, y}, new double[] {t}, cond);
                double[] out = ref.output(pass);
                double[] grad = ref.backward(pass, new double[] {d0, d1});
                b.append("sample");
                for (float v : new float[] {x, y, t}) {
                    b.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(v)));
                }
                b.append(' ').append(label).append(' ').append(Integer.toHexString(Float.floatToRawIntBits(value)));
                b.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(d0))).append(' ').append(Integer.toHexString(Float.floatToRawIntBits(d1)));
                b.append(String.format(Locale.ROOT, " %.17g %.17g%n", out[0], out[1]));
                b.append("grad");
                for (double g : grad) {
                    b.append(String.format(Locale.ROOT, " %.17g", g));
                }
                b.append('\n');
            }
            c++;
        }
        return b.toString();
    }

    @Test
    void theVectorFileIsTheReferenceEnginesOutput() throws IOException {
        String text = generate();
        if (Boolean.getBoolean("d4j.writeVectors")) {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, text, StandardCharsets.UTF_8);
        }
        assertTrue(Files.isRegularFile(FILE), FILE + " is missing; write it with -Dd4j.writeVectors=true");
        assertEquals(text, Files.readString(FILE, StandardCharsets.UTF_8),
                FILE + " is stale; rewrite it with mvn test -Dtest=NetworkVectorsTest -Dd4j.writeVectors=true");
    }

    @Test
    void descriptorsHoldEveryTensorOffsetAndTheTapeSize() {
        for (Case k : cases()) {
            int[] d = NetworkDescriptor.encode(k.spec());
            ParameterLayout layout = ParameterLayout.of(k.spec());
            assertEquals(NetworkDescriptor.INTS, d.length);
            assertEquals(layout.size(), d[NetworkDescriptor.PARAMS], k.name());
            assertEquals(k.spec().firstHiddenWidth(), NetworkDescriptor.timeWidth(d), k.name());
            assertEquals(NetworkDescriptor.tapeFloats(d) + d[NetworkDescriptor.TIME_WIDTH], NetworkDescriptor.tape(d), k.name());
            // every offset the descriptor names is the start of a tensor of the layout
            java.util.Set<Integer> starts = new java.util.HashSet<>();
            layout.tensors().forEach(t -> starts.add(t.offset()));
            for (int i = NetworkDescriptor.TIME_TABLE; i < NetworkDescriptor.TIME_WIDTH; i++) {
                assertTrue(starts.contains(d[i]), k.name() + ": field " + i + " = " + d[i] + " is no tensor start");
            }
        }
    }
}
