package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep of what killed writers leave: only dead processes' leftovers go, and an output moved aside comes back. */
class LeftoversTest {

    /** A pid that no process has: one past the largest Linux allows (2^22) is never assigned. */
    static final long DEAD = (1L << 22) + 1;

    @Test
    void sweepRemovesDeadLeftoversRestoresAMovedAsideOutputAndKeepsLiveOnes(@TempDir Path dir) throws IOException {
        Path staging = Files.createDirectories(dir.resolve(".run.staging-" + DEAD + "-123"));
        Files.writeString(staging.resolve("samples.npy"), "half");
        Path temp = Files.writeString(dir.resolve(".s.npy.tmp-" + DEAD + "-9"), "half");
        Path old = Files.createDirectories(dir.resolve(".prev.old-" + DEAD + "-7"));
        Files.writeString(old.resolve("config.toml"), "the previous run");
        Path gone = Files.createDirectories(dir.resolve(".done.old-" + DEAD + "-8"));
        Files.createDirectories(dir.resolve("done"));
        Path live = Files.createDirectories(dir.resolve(Leftovers.stagingPrefix("mine") + "5"));
        Path user = Files.writeString(dir.resolve(".staging-notes"), "a user's hidden file");
        assertEquals(4, Leftovers.sweep(dir).size(), "two removed, one restored, one removed beside its target");
        assertFalse(Files.exists(staging) || Files.exists(temp) || Files.exists(old) || Files.exists(gone));
        assertEquals("the previous run", Files.readString(dir.resolve("prev/config.toml")), "moved back to its name");
        assertTrue(Files.isDirectory(live), "this process's own staging folder stays");
        assertTrue(Files.exists(user));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(4, s.count(), "prev, done, the live staging folder and the user's file");
        }
    }
}
