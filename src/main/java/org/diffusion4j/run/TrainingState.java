package org.diffusion4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.config.ConfigToml;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.AtomicFiles;
import org.diffusion4j.engine.TrainerState;

/**
 * Where training of a config stands, enough to continue it bit for bit on the same engine: the networks already
 * trained (parameters and EMA), the trainer state of the network in training ({@link TrainerState}: the step, which
 * also fixes the position in the minibatch noise stream, parameters, Adam's moments, EMA), the loss history so far and
 * the training seconds spent.
 *
 * <p>Stored as a safetensors file of F64 tensors ({@code done.<i>.params}, {@code done.<i>.ema},
 * {@code current.params}, {@code current.adam_m}, {@code current.adam_v}, {@code current.ema}, {@code loss.<role>}) with
 * the resolved config, the engine, the network index and the step in its metadata.
 */
public record TrainingState(RunConfig config, String engine, int network, List<double[]> doneParameters, List<double[]> doneEma,
                            TrainerState current, Map<String, double[]> losses, double seconds) {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String FORMAT = "diffusion4j-training-state-1";

    public TrainingState {
        doneParameters = List.copyOf(doneParameters);
        doneEma = new ArrayList<>(doneEma);
        losses = new LinkedHashMap<>(losses);
    }

    /** The step of the network in training. */
    public int step() {
        return current.step();
    }

    /** The role of the network in training. */
    public String role() {
        return config.networks().get(network).role();
    }

    /** Writes the state (temporary file, then rename). */
    public void write(Path file) {
        Map<String, double[]> tensors = new LinkedHashMap<>();
        for (int i = 0; i < doneParameters.size(); i++) {
            tensors.put("done." + i + ".params", doneParameters.get(i));
            if (doneEma.get(i) != null) {
                tensors.put("done." + i + ".ema", doneEma.get(i));
            }
        }
        tensors.put("current.params", current.parameters());
        tensors.put("current.adam_m", current.m());
        tensors.put("current.adam_v", current.v());
        if (current.ema() != null) {
            tensors.put("current.ema", current.ema());
        }
        losses.forEach((role, l) -> tensors.put("loss." + role, l));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("config", ConfigToml.write(config));
        meta.put("engine", engine);
        meta.put("network", Integer.toString(network));
        meta.put("role", role());
        meta.put("step", Integer.toString(current.step()));
        meta.put("seconds", Double.toString(seconds));
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode m = root.putObject("__metadata__");
        meta.forEach(m::put);
        long offset = 0;
        for (Map.Entry<String, double[]> e : tensors.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", "F64");
            t.putArray("shape").add(e.getValue().length);
            t.putArray("data_offsets").add(offset).add(offset + 8L * e.getValue().length);
            offset += 8L * e.getValue().length;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        long total = offset;
        try {
            AtomicFiles.write(file, out -> {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                out.write(header);
                ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                long written = 0;
                for (double[] v : tensors.values()) {
                    for (double d : v) {
                        if (!b.hasRemaining()) {
                            out.write(b.array(), 0, b.position());
                            b.clear();
                        }
                        b.putDouble(d);
                        written += 8;
                    }
                }
                out.write(b.array(), 0, b.position());
                if (written != total) {
                    throw new IOException("wrote " + written + " bytes of " + total);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("training state " + file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Reads a state written by {@link #write}; a file that is not one is refused in one line naming it. */
    public static TrainingState read(Path file) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--resume: no such file " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("training state " + file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            long n = b.getLong();
            if (n < 2 || n > all.length - 8) {
                throw new IllegalArgumentException("header length " + n + " does not fit the file");
            }
            JsonNode root = MAPPER.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
            JsonNode meta = root.get("__metadata__");
            if (meta == null || !FORMAT.equals(meta.path("format").asText())) {
                throw new IllegalArgumentException("not a diffusion4j training state");
            }
            RunConfig config = ConfigToml.parse(meta.get("config").asText());
            int network = Integer.parseInt(meta.get("network").asText());
            int step = Integer.parseInt(meta.get("step").asText());
            double seconds = Double.parseDouble(meta.get("seconds").asText());
            long base = 8 + n;
            Map<String, double[]> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode t = e.getValue();
                long from = t.get("data_offsets").get(0).asLong();
                long to = t.get("data_offsets").get(1).asLong();
                if (!"F64".equals(t.path("dtype").asText()) || from < 0 || to < from || (to - from) % 8 != 0 || base + to > all.length) {
                    throw new IllegalArgumentException("tensor " + e.getKey() + " is not F64 data inside the file");
                }
                double[] v = new double[(int) ((to - from) / 8)];
                ByteBuffer d = ByteBuffer.wrap(all, (int) (base + from), (int) (to - from)).order(ByteOrder.LITTLE_ENDIAN);
                d.asDoubleBuffer().get(v);
                tensors.put(e.getKey(), v);
            }
            if (network < 0 || network >= config.networks().size()) {
                throw new IllegalArgumentException("network index " + network + " outside the config's networks");
            }
            List<double[]> doneParams = new ArrayList<>();
            List<double[]> doneEma = new ArrayList<>();
            for (int i = 0; i < network; i++) {
                doneParams.add(require(tensors, "done." + i + ".params"));
                doneEma.add(tensors.get("done." + i + ".ema"));
            }
            TrainerState current = new TrainerState(step, require(tensors, "current.params"), require(tensors, "current.adam_m"),
                    require(tensors, "current.adam_v"), tensors.get("current.ema"));
            Map<String, double[]> losses = new LinkedHashMap<>();
            for (int i = 0; i <= network; i++) {
                String role = config.networks().get(i).role();
                double[] l = require(tensors, "loss." + role);
                int expected = i < network ? config.training().steps() : step;
                if (l.length != expected) {
                    throw new IllegalArgumentException("loss." + role + " has " + l.length + " steps, expected " + expected);
                }
                losses.put(role, l);
            }
            return new TrainingState(config, meta.get("engine").asText(), network, doneParams, doneEma, current, losses, seconds);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--resume: " + file + " is not a readable training state: " + oneLine(e), e);
        }
    }

    private static double[] require(Map<String, double[]> tensors, String name) {
        double[] v = tensors.get(name);
        if (v == null) {
            throw new IllegalArgumentException("tensor " + name + " is missing");
        }
        return v;
    }

    /** The first line of an exception's message. */
    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
