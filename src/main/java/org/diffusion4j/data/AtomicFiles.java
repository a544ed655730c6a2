package org.diffusion4j.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file completely or not at all: into a temp file in the same folder ({@code .<name>.tmp-<pid>-<random>}),
 * synced, then renamed over the target. See {@link Leftovers} for what happens to the temp file on interruption.
 */
public final class AtomicFiles {
    /** Writes a file's content to a stream. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code file} through {@code writer}: all of it, or, on failure, nothing (the target is left as it was).
     * A write that began just as the JVM started shutting down can find its temp file removed by the interruption's
     * cleanup ({@link Leftovers}); it is written once more then, with no cleanup registered (a write during shutdown is
     * one the program chose to finish, such as the resumable training state).
     */
    public static void write(Path file, Writer writer) throws IOException {
        try {
            writeOnce(file, writer);
        } catch (NoSuchFileException e) {
            if (!Leftovers.shuttingDown()) {
                throw e;
            }
            writeOnce(file, writer);
        }
    }

    private static void writeOnce(Path file, Writer writer) throws IOException {
        Path target = file.toAbsolutePath();
        Path temp = newTemp(target);
        try (Leftovers.Registration r = Leftovers.onInterrupt(() -> Leftovers.deleteTree(temp))) {
            fill(temp, writer);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Writes {@code file} through {@code writer} as an output that replaces only what it expects (see
     * {@link #placeOutput}).
     */
    public static void writeOutput(Path file, String expected, String option, Writer writer) throws IOException {
        placeOutput(file, expected, option, temp -> write(temp, writer));
    }

    /** Writes a complete file at a path. */
    @FunctionalInterface
    public interface PathWriter {
        void write(Path file) throws IOException;
    }

    /**
     * Writes {@code file} as an output that replaces only what it expects: {@code writer} writes the content to a
     * hidden temp path beside it ({@code .<name>.tmp-<pid>-<random>}), which then takes the file's place;
     * {@code expected} is the {@link Outputs#identity} of the file when the run started (null: there was none), and if
     * another run wrote the file meanwhile this one discards its own and throws {@link Outputs.LostRace}; {@code option}
     * names the file in messages. The leftovers of killed runs in the file's folder are swept first; on SIGINT or
     * SIGTERM the temp file is deleted.
     */
    public static void placeOutput(Path file, String expected, String option, PathWriter writer) throws IOException {
        Path target = file.toAbsolutePath();
        Path temp = newTemp(target);
        Leftovers.sweep(target.getParent());
        try (Leftovers.Registration r = Leftovers.onInterrupt(() -> Leftovers.deleteTree(temp))) {
            writer.write(temp);
            if (Leftovers.shuttingDown()) {
                throw new IllegalStateException("interrupted: " + file + " was left as it was");
            }
            Outputs.putInPlace(temp, target, expected, option);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * A new temp file {@code .<name>.tmp-<pid>-<random>} beside the target. While the JVM shuts down, a file inside a
     * staging folder that the shutdown hook has deleted is refused rather than the folder created again (what is
     * written elsewhere then, such as a resumable training state, is written as always).
     */
    private static Path newTemp(Path target) throws IOException {
        Path dir = target.getParent();
        if (dir != null) {
            if (Leftovers.shuttingDown() && Leftovers.insideDeletedStaging(dir)) {
                throw new IllegalStateException("interrupted: " + target + " was not written");
            }
            Files.createDirectories(dir);
        }
        return Files.createTempFile(dir, Leftovers.tempPrefix(target.getFileName().toString()), "");
    }

    /** The content, complete and synced to the disk, with the permissions of a new file. */
    private static void fill(Path temp, Writer writer) throws IOException {
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
             OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel))) {
            writer.write(out);
            out.flush();
            channel.force(true);
        }
        readableLikeANewFile(temp);
    }

    /**
     * A temp file is created owner-only (rw-------); the result gets rw-r--r--, what a plain new file gets under the
     * usual umask, so that run folders can be shared. File systems without POSIX permissions are left as they are.
     */
    private static void readableLikeANewFile(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its default permissions stand
        }
    }
}
