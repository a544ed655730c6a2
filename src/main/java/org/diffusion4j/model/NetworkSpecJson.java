package org.diffusion4j.model;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A {@link NetworkSpec} as one line of compact JSON (the {@code network} entry of a checkpoint's metadata):
 * <pre>
 *   {"time":{"kind":"table","steps":200,"dim":16},"conditioning":{"kind":"onehot","classes":8},
 *    "body":{"kind":"plain","hidden":[128,128]},"activation":"relu"}
 * </pre>
 * Kinds and their fields:
 * <pre>
 *   time:          none | raw {scale} | sinusoidal {dim} | table {steps, dim}
 *   conditioning:  none | onehot {classes} | continuous {dim} | label {classes}
 *   body:          plain {hidden: [widths]} | residual {width, blocks}
 *   activation:    relu | silu | softplus
 * </pre>
 * Reading is strict: unknown kinds, unknown or missing fields and wrong types are refused with a one-line
 * message that names the field and what is allowed. Doubles are written in shortest round-trip form, so
 * {@code fromJson(toJson(s)).equals(s)}.
 */
public final class NetworkSpecJson {
    /** Allowed kinds, in the order they are listed in messages. */
    public static final List<String> TIME_KINDS = List.of("none", "raw", "sinusoidal", "table");
    public static final List<String> CONDITIONING_KINDS = List.of("none", "onehot", "continuous", "label");
    public static final List<String> BODY_KINDS = List.of("plain", "residual");

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private NetworkSpecJson() {
    }

    /** The spec as compact JSON. */
    public static String toJson(NetworkSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("network: required");
        }
        ObjectNode root = MAPPER.createObjectNode();
        root.set("time", time(spec.time()));
        root.set("conditioning", conditioning(spec.conditioning()));
        root.set("body", body(spec.body()));
        root.put("activation", spec.activation().configName());
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("network: cannot write JSON: " + oneLine(e.getOriginalMessage()), e);
        }
    }

    /** Parses and validates a spec written by {@link #toJson}. */
    public static NetworkSpec fromJson(String json) {
        if (json == null) {
            throw new IllegalArgumentException("network: required, a JSON object");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("network: not valid JSON: " + jsonError(e), e);
        }
        return fromTree(root);
    }

    /** Validates a parsed JSON tree as a spec. */
    public static NetworkSpec fromTree(JsonNode root) {
        requireObject("network", root, Set.of("time", "conditioning", "body", "activation"));
        TimeEmbedding time = readTime(root.get("time"));
        Conditioning conditioning = readConditioning(root.get("conditioning"));
        Body body = readBody(root.get("body"));
        JsonNode act = root.get("activation");
        if (act == null || !act.isTextual()) {
            throw new IllegalArgumentException("network.activation: required string, one of relu, silu, softplus");
        }
        return new NetworkSpec(time, conditioning, body, Activation.byName(act.asText()));
    }

    private static ObjectNode time(TimeEmbedding time) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("kind", time.kind());
        if (time instanceof TimeEmbedding.Raw raw) {
            n.put("scale", raw.scale());
        } else if (time instanceof TimeEmbedding.Sinusoidal s) {
            n.put("dim", s.dim());
        } else if (time instanceof TimeEmbedding.Table t) {
            n.put("steps", t.steps());
            n.put("dim", t.dim());
        }
        return n;
    }

    private static ObjectNode conditioning(Conditioning c) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("kind", c.kind());
        if (c instanceof Conditioning.OneHot o) {
            n.put("classes", o.classes());
        } else if (c instanceof Conditioning.Continuous k) {
            n.put("dim", k.embedDim());
        } else if (c instanceof Conditioning.LabelEmbedding l) {
            n.put("classes", l.classes());
        }
        return n;
    }

    private static ObjectNode body(Body body) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("kind", body.kind());
        if (body instanceof Body.Plain p) {
            ArrayNode hidden = n.putArray("hidden");
            p.hidden().forEach(hidden::add);
        } else {
            Body.Residual r = (Body.Residual) body;
            n.put("width", r.width());
            n.put("blocks", r.blocks());
        }
        return n;
    }

    private static TimeEmbedding readTime(JsonNode n) {
        String kind = kind("network.time", n, TIME_KINDS);
        switch (kind) {
            case "none":
                requireObject("network.time", n, Set.of("kind"));
                return new TimeEmbedding.None();
            case "raw":
                requireObject("network.time", n, Set.of("kind", "scale"));
                return new TimeEmbedding.Raw(number("network.time.scale", n.get("scale")));
            case "sinusoidal":
                requireObject("network.time", n, Set.of("kind", "dim"));
                return new TimeEmbedding.Sinusoidal(integer("network.time.dim", n.get("dim")));
            default:
                requireObject("network.time", n, Set.of("kind", "steps", "dim"));
                return new TimeEmbedding.Table(integer("network.time.steps", n.get("steps")), integer("network.time.dim", n.get("dim")));
        }
    }

    private static Conditioning readConditioning(JsonNode n) {
        String kind = kind("network.conditioning", n, CONDITIONING_KINDS);
        switch (kind) {
            case "none":
                requireObject("network.conditioning", n, Set.of("kind"));
                return new Conditioning.None();
            case "onehot":
                requireObject("network.conditioning", n, Set.of("kind", "classes"));
                return new Conditioning.OneHot(integer("network.conditioning.classes", n.get("classes")));
            case "continuous":
                requireObject("network.conditioning", n, Set.of("kind", "dim"));
                return new Conditioning.Continuous(integer("network.conditioning.dim", n.get("dim")));
            default:
                requireObject("network.conditioning", n, Set.of("kind", "classes"));
                return new Conditioning.LabelEmbedding(integer("network.conditioning.classes", n.get("classes")));
        }
    }

    private static Body readBody(JsonNode n) {
        String kind = kind("network.body", n, BODY_KINDS);
        if (kind.equals("plain")) {
            requireObject("network.body", n, Set.of("kind", "hidden"));
            JsonNode hidden = n.get("hidden");
            if (hidden == null || !hidden.isArray()) {
                throw new IllegalArgumentException("network.body.hidden: required, an array of positive integers");
            }
            List<Integer> widths = new ArrayList<>();
            for (JsonNode w : hidden) {
                widths.add(integer("network.body.hidden", w));
            }
            return new Body.Plain(widths);
        }
        requireObject("network.body", n, Set.of("kind", "width", "blocks"));
        return new Body.Residual(integer("network.body.width", n.get("width")), integer("network.body.blocks", n.get("blocks")));
    }

    private static String kind(String field, JsonNode n, List<String> allowed) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(field + ": required, an object with a kind, one of " + String.join(", ", allowed));
        }
        JsonNode kind = n.get("kind");
        if (kind == null || !kind.isTextual()) {
            throw new IllegalArgumentException(field + ".kind: required string, one of " + String.join(", ", allowed));
        }
        if (!allowed.contains(kind.asText())) {
            throw new IllegalArgumentException(field + ".kind: unknown kind '" + oneLine(kind.asText()) + "', allowed: " + String.join(", ", allowed));
        }
        return kind.asText();
    }

    private static void requireObject(String field, JsonNode n, Set<String> allowedFields) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(field + ": required, a JSON object");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowedFields.contains(name)) {
                throw new IllegalArgumentException(field + ": unknown field '" + oneLine(name) + "', allowed: "
                        + String.join(", ", allowedFields.stream().sorted().toList()));
            }
        }
    }

    private static int integer(String field, JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(field + ": required, an integer, got " + (n == null ? "nothing" : oneLine(n.toString())));
        }
        return n.intValue();
    }

    private static double number(String field, JsonNode n) {
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException(field + ": required, a number, got " + (n == null ? "nothing" : oneLine(n.toString())));
        }
        return n.doubleValue();
    }

    /** A parser error on one line, with its position, without Jackson's source excerpt. */
    static String jsonError(JsonProcessingException e) {
        String msg = oneLine(e.getOriginalMessage()).replaceAll("\\s*\\(start marker at \\[Source:.*?\\]\\)", "");
        JsonLocation at = e.getLocation();
        return at == null ? msg : msg + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    /** Collapses line breaks so that messages stay on one line. */
    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
