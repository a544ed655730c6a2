package org.diffusion4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Document 001's radius-conditioned network, smaller: a time table, a cond MLP and a plain trunk. */
    static final NetworkSpec SPEC = new NetworkSpec(new TimeEmbedding.Table(20, 4), new Conditioning.Continuous(3),
            new Body.Plain(List.of(8, 6)), Activation.RELU);

    @TempDir
    Path dir;

    /**
     * Random bit patterns (non-finite ones skipped: reading refuses them) plus the special values that a float-to-double
     * path could alter.
     */
    static float[] randomFloats(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] p = new float[n];
        for (int k = 0; k < n; k++) {
            float f;
            do {
                f = Float.intBitsToFloat(rnd.nextInt());
            } while (!Float.isFinite(f));
            p[k] = f;
        }
        float[] special = {-0.0f, 0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1.0f, -1.5e-42f};
        System.arraycopy(special, 0, p, 0, special.length);
        return p;
    }

    Checkpoint sample() {
        return new Checkpoint(SPEC, randomFloats(ParameterLayout.of(SPEC).size(), 9),
                Map.of("step", "1000", "objective", "epsilon-mse", "note", "quotes \" and\nnewlines survive"));
    }

    Path written() {
        Path file = dir.resolve("model.safetensors");
        sample().write(file);
        return file;
    }

    @Test
    void roundTripIsBitExact() {
        Checkpoint c = sample();
        Path file = dir.resolve("model.safetensors");
        c.write(file);
        Checkpoint back = Checkpoint.read(file);
        assertEquals(SPEC, back.spec());
        assertEquals(c.metadata(), back.metadata());
        int[] bits = new int[c.parameters().length];
        int[] backBits = new int[bits.length];
        for (int k = 0; k < bits.length; k++) {
            bits[k] = Float.floatToRawIntBits(c.parameters()[k]);
            backBits[k] = Float.floatToRawIntBits(back.parameters()[k]);
        }
        assertArrayEquals(bits, backBits);
        assertEquals(Float.floatToRawIntBits(-0.0f), backBits[0], "negative zero keeps its sign");
        assertEquals(c, back);
    }

    /** The bytes follow the safetensors layout: 8-byte LE length, space-padded JSON, LE float32 in layout order. */
    @Test
    void fileLayout() throws IOException {
        Checkpoint c = sample();
        byte[] bytes = Files.readAllBytes(written());
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, (8 + n) % 8, "data start aligned to 8");
        ParameterLayout layout = ParameterLayout.of(SPEC);
        assertEquals(8 + n + 4L * layout.size(), bytes.length);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        assertEquals(header.stripTrailing().length() + (header.length() - header.stripTrailing().length()), header.length());
        assertTrue(header.substring(header.lastIndexOf('}') + 1).chars().allMatch(ch -> ch == ' '), "padding is spaces");
        ObjectNode json = (ObjectNode) MAPPER.readTree(header);
        assertEquals(NetworkSpecJson.toJson(SPEC), json.get("__metadata__").get("network").asText());
        long expectedBegin = 0;
        for (ParameterLayout.Tensor t : layout.tensors()) {
            ObjectNode e = (ObjectNode) json.get(t.name());
            assertEquals("F32", e.get("dtype").asText());
            assertEquals(Arrays.toString(t.shape()), e.get("shape").toString().replace(",", ", "));
            assertEquals(expectedBegin, e.get("data_offsets").get(0).asLong(), t.name() + " in layout order");
            expectedBegin += 4L * t.size();
            assertEquals(expectedBegin, e.get("data_offsets").get(1).asLong());
            float first = b.getFloat((int) (8 + n + 4L * t.offset()));
            assertEquals(Float.floatToRawIntBits(c.parameters()[t.offset()]), Float.floatToRawIntBits(first), t.name());
        }
    }

    @Test
    void writeIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
        Path file = written();
        byte[] first = Files.readAllBytes(file);
        Checkpoint other = new Checkpoint(SPEC, randomFloats(ParameterLayout.of(SPEC).size(), 10));
        other.write(file);
        assertEquals(other, Checkpoint.read(file));
        assertFalse(Arrays.equals(first, Files.readAllBytes(file)));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file.getFileName().toString()), files.map(p -> p.getFileName().toString()).toList());
        }
        // A target that is a non-empty folder cannot be replaced: the write fails after the data went to the temp file.
        Path busy = Files.createDirectory(dir.resolve("busy.safetensors"));
        Files.writeString(busy.resolve("keep.txt"), "keep");
        assertThrows(UncheckedIOException.class, () -> other.write(busy));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("busy.safetensors", file.getFileName().toString()),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "a failed write leaves nothing behind");
        }
        assertEquals("keep", Files.readString(busy.resolve("keep.txt")));
    }

    // ------------------------------------------------------------------ refusals

    String refused(Path file) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("checkpoint " + file + ": "), e.getMessage());
        return e.getMessage();
    }

    /** Rewrites the header of a written file as JSON, keeping the data; the header is re-padded. */
    void editHeader(Path file, Consumer<ObjectNode> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ObjectNode json = (ObjectNode) MAPPER.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        edit.accept(json);
        byte[] header = MAPPER.writeValueAsBytes(json);
        writeRaw(file, header, Arrays.copyOfRange(bytes, 8 + (int) n, bytes.length));
    }

    static void writeRaw(Path file, byte[] header, byte[] data) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(data);
        Files.write(file, out.array());
    }

    @Test
    void refusesTruncatedFile() throws IOException {
        Path file = written();
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 3));
        assertTrue(refused(file).contains("truncated"));
        Files.write(file, Arrays.copyOf(bytes, 5));
        assertTrue(refused(file).contains("truncated"));
    }

    @Test
    void refusesHeaderLengthBeyondTheFile() throws IOException {
        Path file = written();
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, bytes.length);
        Files.write(file, bytes);
        assertTrue(refused(file).contains("header length " + bytes.length + " runs beyond the end of the file"));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        Files.write(file, bytes);
        assertTrue(refused(file).contains("header length 18446744073709551615"));
    }

    @Test
    void refusesWrongDtype() throws IOException {
        Path file = written();
        editHeader(file, h -> ((ObjectNode) h.get("layers.1.bias")).put("dtype", "F64"));
        assertTrue(refused(file).contains("tensor 'layers.1.bias' has dtype \"F64\", only F32 is supported"));
    }

    @Test
    void refusesShapeThatDiffersFromTheSpec() throws IOException {
        Path file = written();
        // same element count, transposed: the offsets still fit, only the shape is wrong
        editHeader(file, h -> ((ObjectNode) h.get("layers.1.weight")).putArray("shape").add(8).add(6));
        assertTrue(refused(file).contains("tensor 'layers.1.weight' has shape [8, 6], the network's layout needs [6, 8]"));
    }

    @Test
    void refusesSpecThatDisagreesWithTheTensors() throws IOException {
        Path file = written();
        NetworkSpec wider = new NetworkSpec(SPEC.time(), SPEC.conditioning(), new Body.Plain(List.of(9, 6)), SPEC.activation());
        editHeader(file, h -> ((ObjectNode) h.get("__metadata__")).put("network", NetworkSpecJson.toJson(wider)));
        assertTrue(refused(file).contains("has shape"));
    }

    @Test
    void refusesMissingTensor() throws IOException {
        Path file = written();
        editHeader(file, h -> h.remove("cond_mlp.1.bias"));
        assertTrue(refused(file).contains("tensor 'cond_mlp.1.bias' of the network's layout is missing"));
    }

    @Test
    void refusesExtraTensor() throws IOException {
        Path file = written();
        editHeader(file, h -> h.set("layers.3.weight", h.get("layers.2.bias").deepCopy()));
        assertTrue(refused(file).contains("tensor 'layers.3.weight' is not part of the network's layout"));
    }

    @Test
    void refusesMalformedJson() throws IOException {
        Path file = written();
        byte[] bytes = Files.readAllBytes(file);
        byte[] closedEarly = bytes.clone();
        closedEarly[8 + 1] = '}'; // {}__metadata__": ... : trailing tokens after a complete object
        Files.write(file, closedEarly);
        assertTrue(refused(file).contains("header is not valid JSON: "));
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        byte[] unclosed = bytes.clone();
        unclosed[8 + header.lastIndexOf('}')] = ' '; // the last brace gone: the object never ends
        Files.write(file, unclosed);
        String message = refused(file);
        assertTrue(message.contains("header is not valid JSON: Unexpected end-of-input"), message);
        assertFalse(message.contains("Source"), "no parser source excerpt: " + message);
        byte[] notUtf8 = bytes.clone();
        notUtf8[8 + 2] = (byte) 0xC3; // a lead byte followed by an ASCII byte
        Files.write(file, notUtf8);
        assertTrue(refused(file).contains("header is not valid UTF-8"));
        file = written();
        String duplicated = header.stripTrailing().replaceFirst("^\\{", "{\"layers.0.bias\":{},");
        writeRaw(file, duplicated.getBytes(StandardCharsets.UTF_8), Arrays.copyOfRange(bytes, 8 + (int) n, bytes.length));
        assertTrue(refused(file).contains("Duplicate field 'layers.0.bias'"));
    }

    @Test
    void refusesOverlapGapAndTrailingBytes() throws IOException {
        Path file = written();
        editHeader(file, h -> ((ObjectNode) h.get("layers.1.bias")).putArray("data_offsets").add(0).add(24));
        assertTrue(refused(file).contains("not contiguous: overlap"));

        file = written();
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length + 4));
        assertTrue(refused(file).contains("trailing bytes"));

        file = written();
        editHeader(file, h -> ((ObjectNode) h.get("time.table")).putArray("data_offsets").add(0).add(4));
        assertTrue(refused(file).contains("tensor 'time.table' has data_offsets [0, 4]"));
    }

    @Test
    void refusesMissingOrBadNetworkMetadata() throws IOException {
        Path file = written();
        editHeader(file, h -> ((ObjectNode) h.get("__metadata__")).remove("network"));
        assertTrue(refused(file).contains("no 'network' entry"));
        file = written();
        editHeader(file, h -> ((ObjectNode) h.get("__metadata__")).put("network", "{\"time\":{\"kind\":\"clock\"}}"));
        assertTrue(refused(file).contains("network.time.kind: unknown kind 'clock', allowed: none, raw, sinusoidal, table"));
        file = written();
        editHeader(file, h -> h.remove("__metadata__"));
        assertTrue(refused(file).contains("no '__metadata__'"));
    }

    @Test
    void refusesMissingFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir.resolve("none.safetensors")));
        assertTrue(e.getMessage().startsWith("checkpoint.path: no such file"), e.getMessage());
    }

    @Test
    void requireSpecRefusesAnotherNetwork() {
        Checkpoint c = Checkpoint.read(written());
        assertSame(c, c.requireSpec(SPEC));
        NetworkSpec silu = new NetworkSpec(SPEC.time(), SPEC.conditioning(), SPEC.body(), Activation.SILU);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.requireSpec(silu));
        assertTrue(e.getMessage().startsWith("checkpoint: network "), e.getMessage());
        assertTrue(e.getMessage().contains("\"activation\":\"silu\""), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void constructorChecksItsFields() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Checkpoint(SPEC, new float[3]));
        assertTrue(e.getMessage().startsWith("checkpoint.parameters: the network takes " + ParameterLayout.of(SPEC).size()), e.getMessage());
        float[] p = new float[ParameterLayout.of(SPEC).size()];
        e = assertThrows(IllegalArgumentException.class, () -> new Checkpoint(SPEC, p, Map.of("network", "x")));
        assertTrue(e.getMessage().startsWith("checkpoint.metadata:"), e.getMessage());
        Checkpoint c = new Checkpoint(SPEC, p);
        p[0] = 5;
        assertEquals(0f, c.parameters()[0], 0f, "parameters are copied");
    }
}
