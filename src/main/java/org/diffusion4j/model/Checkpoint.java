package org.diffusion4j.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.diffusion4j.data.AtomicFiles;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A network and its parameters as a safetensors file, readable by PyTorch's {@code safetensors.torch.load_file}.
 *
 * <pre>
 *   bytes 0..7        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      JSON header, padded with spaces so that 8 + N is a multiple of 8:
 *                     {"__metadata__": {"network": spec JSON, caller entries...},
 *                      name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}
 *   bytes 8+N..       the data: float32 little-endian, tensors in layout order, offsets relative to 8 + N
 * </pre>
 * Writing goes to a temporary file in the target's folder, then an atomic rename, so a reader never sees a
 * half-written file. Reading checks everything against the layout of the spec in the metadata and refuses
 * a bad file with a one-line reason.
 *
 * @param spec       the network
 * @param parameters the flat buffer in the layout of {@link ParameterLayout#of}(spec)
 * @param metadata   caller entries of {@code __metadata__} (the {@code network} entry is the spec itself)
 */
public record Checkpoint(NetworkSpec spec, float[] parameters, Map<String, String> metadata) {

    /** The metadata key that holds the spec JSON. */
    public static final String NETWORK_KEY = "network";
    /** The safetensors header key for string metadata. */
    public static final String METADATA_KEY = "__metadata__";
    /** Largest header accepted (the limit of the reference safetensors reader). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public Checkpoint {
        if (spec == null) {
            throw new IllegalArgumentException("checkpoint.network: required");
        }
        int size = ParameterLayout.of(spec).size();
        if (parameters == null || parameters.length != size) {
            throw new IllegalArgumentException("checkpoint.parameters: the network takes " + size + " floats, got "
                    + (parameters == null ? "none" : parameters.length));
        }
        parameters = parameters.clone();
        Map<String, String> copy = new TreeMap<>();
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("checkpoint.metadata: keys and values must be non-null strings");
                }
                if (e.getKey().equals(NETWORK_KEY)) {
                    throw new IllegalArgumentException("checkpoint.metadata: key 'network' is reserved for the spec");
                }
                copy.put(e.getKey(), e.getValue());
            }
        }
        metadata = Collections.unmodifiableMap(copy);
    }

    public Checkpoint(NetworkSpec spec, float[] parameters) {
        this(spec, parameters, Map.of());
    }

    /** A copy of the parameters. */
    @Override
    public float[] parameters() {
        return parameters.clone();
    }

    public ParameterLayout layout() {
        return ParameterLayout.of(spec);
    }

    /** Refuses this checkpoint unless its network is {@code expected}. */
    public Checkpoint requireSpec(NetworkSpec expected) {
        if (!spec.equals(expected)) {
            throw new IllegalArgumentException("checkpoint: network " + NetworkSpecJson.toJson(spec) + " differs from the expected "
                    + (expected == null ? "null" : NetworkSpecJson.toJson(expected)));
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && c.spec.equals(spec) && Arrays.equals(c.parameters, parameters) && c.metadata.equals(metadata);
    }

    @Override
    public int hashCode() {
        return (spec.hashCode() * 31 + Arrays.hashCode(parameters)) * 31 + metadata.hashCode();
    }

    @Override
    public String toString() {
        return "Checkpoint[network=" + NetworkSpecJson.toJson(spec) + ", parameters=" + parameters.length + ", metadata=" + metadata + "]";
    }

    // ---------------------------------------------------------------------------------------------- writing

    /** Writes this checkpoint to {@code file} (temporary file, then atomic rename over any existing file). */
    public void write(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("checkpoint.path: required");
        }
        byte[] header = header();
        ByteBuffer data = ByteBuffer.allocate(Math.multiplyExact(4, parameters.length)).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(parameters);
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();

        try {
            AtomicFiles.write(file, out -> {
                out.write(length.array());
                out.write(header);
                out.write(data.array());
            });
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The JSON header, UTF-8, padded with spaces so that 8 + its length is a multiple of 8. */
    private byte[] header() {
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode meta = root.putObject(METADATA_KEY);
        meta.put(NETWORK_KEY, NetworkSpecJson.toJson(spec));
        metadata.forEach(meta::put);
        for (ParameterLayout.Tensor t : layout().tensors()) {
            ObjectNode entry = root.putObject(t.name());
            entry.put("dtype", "F32");
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape()) {
                shape.add(d);
            }
            ArrayNode offsets = entry.putArray("data_offsets");
            offsets.add(4L * t.offset());
            offsets.add(4L * (t.offset() + t.size()));
        }
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("checkpoint: cannot write the header: " + e.getOriginalMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    // ---------------------------------------------------------------------------------------------- reading

    /**
     * Reads and validates a checkpoint. A missing or bad file is refused with a one-line IllegalArgumentException
     * (header length beyond the file, invalid JSON, a dtype other than F32, shapes or offsets that do not match
     * the layout of the spec in the metadata, gaps or overlaps, missing or extra tensors, truncated or trailing
     * data); an I/O failure is an UncheckedIOException. Tensors may come in any order (PyTorch's writer sorts them).
     */
    public static Checkpoint read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("checkpoint.path: required");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, file.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("checkpoint.path: no such file " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Checkpoint read(FileChannel ch, String name) throws IOException {
        String where = "checkpoint " + name + ": ";
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new IllegalArgumentException(where + "truncated, " + fileSize + " bytes, fewer than the 8 of the header length");
        }
        ByteBuffer lengthBytes = readAt(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = lengthBytes.getLong();
        if (headerLength < 0 || headerLength > fileSize - 8) {
            throw new IllegalArgumentException(where + "header length " + Long.toUnsignedString(headerLength)
                    + " runs beyond the end of the file (" + (fileSize - 8) + " bytes after the length)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException(where + "header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES);
        }
        String headerText;
        try {
            headerText = StandardCharsets.UTF_8.newDecoder().decode(readAt(ch, 8, (int) headerLength)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(where + "header is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(headerText);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + "header is not valid JSON: " + NetworkSpecJson.jsonError(e));
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(where + "header is not a JSON object");
        }
        Map<String, String> metadata = readMetadata(root.get(METADATA_KEY), where);
        String specJson = metadata.remove(NETWORK_KEY);
        if (specJson == null) {
            throw new IllegalArgumentException(where + "metadata has no 'network' entry, so the network is unknown");
        }
        NetworkSpec spec;
        try {
            spec = NetworkSpecJson.fromJson(specJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "metadata 'network' is not a valid network: " + e.getMessage());
        }
        ParameterLayout layout;
        try {
            layout = ParameterLayout.of(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "metadata 'network' is not a usable network: " + e.getMessage());
        }
        long dataLength = fileSize - 8 - headerLength;
        List<Range> ranges = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String tensorName = e.getKey();
            if (tensorName.equals(METADATA_KEY)) {
                continue;
            }
            if (!layout.has(tensorName)) {
                throw new IllegalArgumentException(where + "tensor '" + NetworkSpecJson.oneLine(tensorName) + "' is not part of the network's layout");
            }
            ParameterLayout.Tensor t = layout.tensor(tensorName);
            ranges.add(checkEntry(t, e.getValue(), where));
            seen.add(tensorName);
        }
        for (ParameterLayout.Tensor t : layout.tensors()) {
            if (!seen.contains(t.name())) {
                throw new IllegalArgumentException(where + "tensor '" + t.name() + "' of the network's layout is missing");
            }
        }
        long needed = checkContiguous(ranges, where);
        if (needed > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + "the tensors take " + needed + " bytes, more than this reader handles (2^31 - 1)");
        }
        if (needed != dataLength) {
            throw new IllegalArgumentException(where + (dataLength < needed ? "truncated, " : "trailing bytes, ") + "the data section has "
                    + dataLength + " bytes, the tensors take " + needed);
        }
        ByteBuffer data = readAt(ch, 8 + headerLength, (int) dataLength).order(ByteOrder.LITTLE_ENDIAN);
        float[] params = new float[layout.size()];
        for (Range r : ranges) {
            data.position((int) r.begin());
            data.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(params, r.tensor().offset(), r.tensor().size());
        }
        requireFinite(layout, params, where);
        return new Checkpoint(spec, params, metadata);
    }

    /**
     * Refuses weights with a NaN or an infinity, naming the first such tensor and element: no engine can sample or
     * train from them (every output they touch is NaN), so they are refused where they are read, not after sampling.
     */
    private static void requireFinite(ParameterLayout layout, float[] params, String where) {
        for (ParameterLayout.Tensor t : layout.tensors()) {
            for (int i = 0; i < t.size(); i++) {
                float v = params[t.offset() + i];
                if (!Float.isFinite(v)) {
                    String index = t.shape().length == 1 ? "[" + i + "]" : "[" + i / t.cols() + ", " + i % t.cols() + "]";
                    throw new IllegalArgumentException(where + "tensor '" + t.name() + "' holds " + v + " at " + index
                            + "; the weights must be finite (a run whose loss diverged leaves such weights)");
                }
            }
        }
    }

    private static Map<String, String> readMetadata(JsonNode meta, String where) {
        if (meta == null || !meta.isObject()) {
            throw new IllegalArgumentException(where + "header has no '__metadata__' object, so the network is unknown");
        }
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : meta.properties()) {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException(where + "metadata '" + NetworkSpecJson.oneLine(e.getKey()) + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** Where a tensor's bytes lie in the data section. */
    private record Range(long begin, long end, ParameterLayout.Tensor tensor) {
    }

    /** Checks one header entry against its layout tensor; returns its byte range. */
    private static Range checkEntry(ParameterLayout.Tensor t, JsonNode entry, String where) {
        String field = where + "tensor '" + t.name() + "' ";
        if (entry == null || !entry.isObject()) {
            throw new IllegalArgumentException(field + "must be an object with dtype, shape and data_offsets");
        }
        for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!Set.of("dtype", "shape", "data_offsets").contains(key)) {
                throw new IllegalArgumentException(field + "has an unknown field '" + NetworkSpecJson.oneLine(key) + "', allowed: dtype, shape, data_offsets");
            }
        }
        JsonNode dtype = entry.get("dtype");
        if (dtype == null || !dtype.isTextual() || !dtype.asText().equals("F32")) {
            throw new IllegalArgumentException(field + "has dtype " + (dtype == null ? "none" : NetworkSpecJson.oneLine(dtype.toString()))
                    + ", only F32 is supported");
        }
        long[] shape = longs(entry.get("shape"), -1, field + "shape");
        long[] expected = Arrays.stream(t.shape()).asLongStream().toArray();
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(field + "has shape " + Arrays.toString(shape) + ", the network's layout needs " + Arrays.toString(expected));
        }
        long[] offsets = longs(entry.get("data_offsets"), 2, field + "data_offsets");
        if (offsets[1] - offsets[0] != 4L * t.size()) {
            throw new IllegalArgumentException(field + "has data_offsets " + Arrays.toString(offsets) + " spanning " + (offsets[1] - offsets[0])
                    + " bytes, its shape needs " + 4L * t.size());
        }
        return new Range(offsets[0], offsets[1], t);
    }

    private static long[] longs(JsonNode n, int length, String field) {
        if (n == null || !n.isArray() || (length >= 0 && n.size() != length)) {
            throw new IllegalArgumentException(field + " must be an array of " + (length >= 0 ? length + " " : "") + "non-negative integers");
        }
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = n.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new IllegalArgumentException(field + " must be an array of non-negative integers, got " + NetworkSpecJson.oneLine(n.toString()));
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Checks that the ranges tile [0, end) without gap or overlap; returns end. */
    private static long checkContiguous(List<Range> ranges, String where) {
        ranges.sort(Comparator.comparingLong(Range::begin));
        long end = 0;
        for (Range r : ranges) {
            if (r.begin() != end) {
                throw new IllegalArgumentException(where + "tensor data are not contiguous: " + (r.begin() < end ? "overlap" : "gap")
                        + " at byte " + Math.min(r.begin(), end) + " (tensor '" + r.tensor().name() + "')");
            }
            end = r.end();
        }
        return end;
    }

    private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new IllegalArgumentException("checkpoint: truncated while reading");
            }
        }
        return b.flip();
    }
}
