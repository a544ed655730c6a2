package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.junit.jupiter.api.Test;

/**
 * bench/tiles/presets.txt, the input of bench/tiles.sh (the predicted-bounds table of bench/RESULTS.md): the launch
 * shapes the cuda engine tries in order, and per preset its training batch, sampling updates and every network's
 * descriptor. The file must equal what this test generates; rewrite it after a deliberate change with
 * {@code mvn test -Dtest=PresetShapesTest -Dd4j.writeVectors=true}.
 */
class PresetShapesTest {
    static final Path FILE = Path.of("bench", "tiles", "presets.txt");

    static String presets() {
        StringBuilder b = new StringBuilder("# diffusion4j presets for bench/tiles.sh: written by PresetShapesTest\n");
        b.append("shapes ").append(LaunchShape.DEFAULTS.length);
        for (LaunchShape s : LaunchShape.DEFAULTS) {
            b.append(' ').append(s.tile()).append(' ').append(s.threads());
        }
        b.append('\n').append("presets ").append(Presets.all().size()).append('\n');
        for (Preset p : Presets.all()) {
            b.append("preset ").append(p.name()).append(' ').append(p.batchSize()).append(' ').append(p.samplingSteps())
                    .append(' ').append(p.networks().size()).append('\n');
            for (Preset.Net n : p.networks()) {
                int[] d = NetworkDescriptor.encode(n.spec());
                b.append("net ").append(n.role()).append(' ').append(d.length);
                for (int v : d) {
                    b.append(' ').append(v);
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    @Test
    void thePresetFileIsCurrent() throws IOException {
        String text = presets();
        if (Boolean.getBoolean("d4j.writeVectors")) {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, text, StandardCharsets.UTF_8);
        }
        assertTrue(Files.isRegularFile(FILE), FILE + " is missing; write it with -Dd4j.writeVectors=true");
        assertEquals(text, Files.readString(FILE, StandardCharsets.UTF_8),
                FILE + " is stale; rewrite it with mvn test -Dtest=PresetShapesTest -Dd4j.writeVectors=true");
    }
}
