package org.diffusion4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NetworkSpecJsonTest {
    static List<TimeEmbedding> times() {
        return List.of(new TimeEmbedding.None(), new TimeEmbedding.Raw(0.1), new TimeEmbedding.Sinusoidal(32), new TimeEmbedding.Table(200, 16));
    }

    static List<Conditioning> conditionings() {
        return List.of(new Conditioning.None(), new Conditioning.OneHot(8), new Conditioning.Continuous(16), new Conditioning.LabelEmbedding(2));
    }

    static List<Body> bodies() {
        return List.of(new Body.Plain(List.of(1024, 16)), new Body.Residual(256, 3));
    }

    static List<NetworkSpec> all() {
        List<NetworkSpec> specs = new ArrayList<>();
        for (TimeEmbedding t : times()) {
            for (Conditioning c : conditionings()) {
                for (Body b : bodies()) {
                    for (Activation a : Activation.values()) {
                        specs.add(new NetworkSpec(t, c, b, a));
                    }
                }
            }
        }
        return specs;
    }

    @Test
    void listsCoverEveryKindAndTheAllowedNames() {
        assertEquals(Set.of(TimeEmbedding.class.getPermittedSubclasses()), times().stream().map(Object::getClass).collect(Collectors.toSet()));
        assertEquals(Set.of(Conditioning.class.getPermittedSubclasses()), conditionings().stream().map(Object::getClass).collect(Collectors.toSet()));
        assertEquals(Set.of(Body.class.getPermittedSubclasses()), bodies().stream().map(Object::getClass).collect(Collectors.toSet()));
        assertEquals(Set.copyOf(NetworkSpecJson.TIME_KINDS), times().stream().map(TimeEmbedding::kind).collect(Collectors.toSet()));
        assertEquals(Set.copyOf(NetworkSpecJson.CONDITIONING_KINDS), conditionings().stream().map(Conditioning::kind).collect(Collectors.toSet()));
        assertEquals(Set.copyOf(NetworkSpecJson.BODY_KINDS), bodies().stream().map(Body::kind).collect(Collectors.toSet()));
    }

    @Test
    void everySpecRoundTrips() {
        for (NetworkSpec spec : all()) {
            String json = NetworkSpecJson.toJson(spec);
            assertFalse(json.contains("\n") || json.contains(" "), "compact: " + json);
            assertEquals(spec, NetworkSpecJson.fromJson(json), json);
        }
    }

    @Test
    void doublesRoundTripExactly() {
        NetworkSpec spec = new NetworkSpec(new TimeEmbedding.Raw(1.0 / 3.0), new Conditioning.None(), new Body.Plain(List.of(4)), Activation.RELU);
        assertEquals(1.0 / 3.0, ((TimeEmbedding.Raw) NetworkSpecJson.fromJson(NetworkSpecJson.toJson(spec)).time()).scale(), 0.0);
    }

    @Test
    void knownText() {
        NetworkSpec doc001 = new NetworkSpec(new TimeEmbedding.Table(200, 16), new Conditioning.OneHot(8), new Body.Plain(List.of(128, 128)),
                Activation.RELU);
        assertEquals("{\"time\":{\"kind\":\"table\",\"steps\":200,\"dim\":16},\"conditioning\":{\"kind\":\"onehot\",\"classes\":8},"
                + "\"body\":{\"kind\":\"plain\",\"hidden\":[128,128]},\"activation\":\"relu\"}", NetworkSpecJson.toJson(doc001));
    }

    static final String OK_TIME = "{\"kind\":\"none\"}";
    static final String OK_COND = "{\"kind\":\"none\"}";
    static final String OK_BODY = "{\"kind\":\"plain\",\"hidden\":[4]}";

    static String spec(String time, String cond, String body, String act) {
        return "{\"time\":" + time + ",\"conditioning\":" + cond + ",\"body\":" + body + ",\"activation\":" + act + "}";
    }

    static String refused(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetworkSpecJson.fromJson(json));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownKindsListTheAllowedValues() {
        assertEquals("network.time.kind: unknown kind 'fourier', allowed: none, raw, sinusoidal, table",
                refused(spec("{\"kind\":\"fourier\"}", OK_COND, OK_BODY, "\"relu\"")));
        assertEquals("network.conditioning.kind: unknown kind 'text', allowed: none, onehot, continuous, label",
                refused(spec(OK_TIME, "{\"kind\":\"text\"}", OK_BODY, "\"relu\"")));
        assertEquals("network.body.kind: unknown kind 'unet', allowed: plain, residual",
                refused(spec(OK_TIME, OK_COND, "{\"kind\":\"unet\"}", "\"relu\"")));
        assertEquals("network.activation: unknown activation 'gelu', allowed: relu, silu, softplus",
                refused(spec(OK_TIME, OK_COND, OK_BODY, "\"gelu\"")));
    }

    @Test
    void badFieldsAreNamed() {
        assertTrue(refused(spec("{\"kind\":\"sinusoidal\"}", OK_COND, OK_BODY, "\"relu\"")).startsWith("network.time.dim:"));
        assertTrue(refused(spec("{\"kind\":\"sinusoidal\",\"dim\":3}", OK_COND, OK_BODY, "\"relu\"")).startsWith("network.time_dim:"));
        assertTrue(refused(spec("{\"kind\":\"raw\",\"scale\":\"x\"}", OK_COND, OK_BODY, "\"relu\"")).startsWith("network.time.scale:"));
        assertTrue(refused(spec("{\"kind\":\"table\",\"steps\":2.5,\"dim\":4}", OK_COND, OK_BODY, "\"relu\"")).startsWith("network.time.steps:"));
        assertTrue(refused(spec(OK_TIME, "{\"kind\":\"onehot\",\"classes\":8,\"extra\":1}", OK_BODY, "\"relu\"")).startsWith("network.conditioning: unknown field 'extra'"));
        assertTrue(refused(spec(OK_TIME, OK_COND, "{\"kind\":\"plain\",\"hidden\":[4,0]}", "\"relu\"")).startsWith("network.hidden:"));
        assertTrue(refused(spec(OK_TIME, OK_COND, "{\"kind\":\"residual\",\"width\":3,\"blocks\":1}", "\"relu\"")).startsWith("network.width:"));
        assertTrue(refused("{\"time\":" + OK_TIME + "}").startsWith("network.conditioning:"));
        assertTrue(refused("[1,2]").startsWith("network:"));
    }

    @Test
    void malformedJsonIsOneLine() {
        assertTrue(refused("{\"time\": {\"kind\": \"none\"},\n \"body\": ").startsWith("network: not valid JSON:"));
        assertTrue(refused("{\"time\" {").startsWith("network: not valid JSON:"));
    }
}
