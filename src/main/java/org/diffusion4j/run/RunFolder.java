package org.diffusion4j.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A run's output folder, written completely or not at all: everything goes into a hidden staging folder beside the
 * target, which is renamed to the target at the end. An existing folder is refused unless overwriting was asked for,
 * and then it is replaced only once the new one is complete.
 */
public final class RunFolder implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private final boolean overwrite;
    private boolean committed;

    private RunFolder(Path target, Path staging, boolean overwrite) {
        this.target = target;
        this.staging = staging;
        this.overwrite = overwrite;
    }

    /**
     * A staging folder for {@code target}: refused in one line when the target exists and {@code overwrite} is false.
     */
    public static RunFolder create(Path target, boolean overwrite) {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.exists(abs) && !overwrite) {
            throw new IllegalArgumentException("--out: " + target + " already exists; choose another folder or pass --overwrite");
        }
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new IllegalArgumentException("--out: " + target + " exists and is not a folder");
        }
        try {
            Path parent = abs.getParent();
            Files.createDirectories(parent);
            Path staging = Files.createTempDirectory(parent, "." + abs.getFileName() + ".");
            try {
                // a temp folder is owner-only; a run folder is readable like any new folder
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its default permissions stand
            }
            return new RunFolder(abs, staging, overwrite);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run folder " + target + ": " + e.getMessage(), e);
        }
    }

    /** A path inside the staging folder. */
    public Path file(String name) {
        return staging.resolve(name);
    }

    /** The final location. */
    public Path target() {
        return target;
    }

    /** Moves the complete folder into place. */
    public void commit() {
        try {
            if (Files.exists(target) && overwrite) {
                Path old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old.");
                Files.delete(old);
                move(target, old);
                move(staging, target);
                deleteTree(old);
            } else {
                move(staging, target);
            }
            committed = true;
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException("--out: " + target + " appeared while the run was going; nothing was overwritten");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the run into " + target + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    @Override
    public void close() {
        if (!committed) {
            deleteTree(staging);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover hidden staging folder is harmless
        }
    }
}
