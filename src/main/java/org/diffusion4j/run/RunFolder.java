package org.diffusion4j.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.diffusion4j.data.Leftovers;
import org.diffusion4j.data.Outputs;

/**
 * An output folder (a run, forward frames, a comparison, figures), written completely or not at all: everything goes
 * into a hidden staging folder beside the target, {@code .<name>.staging-<pid>-<random>}, which is renamed to the
 * target at the end ({@link Outputs#putInPlace}).
 *
 * <ul>
 *   <li>An empty path is refused. An existing target is refused unless overwriting was asked for, and then only a
 *       folder the program wrote (it carries the {@link Outputs#MARKER} marker; a run folder of an older version is
 *       known by its config.toml beside a checkpoint, forward.csv or compare.csv) may be replaced, and only once the
 *       new one is complete.</li>
 *   <li>On SIGINT or SIGTERM the staging folder is deleted (a shutdown hook) and nothing is put in place; after a
 *       SIGKILL, the next folder created beside it removes it ({@link Leftovers#sweep}).</li>
 *   <li>If another run wrote the target while this one was going, this one discards its output and says so.</li>
 * </ul>
 */
public final class RunFolder implements AutoCloseable {
    private final Path target;
    private final Path staging;
    private final String expected;
    private final Leftovers.Registration cleanup;
    private boolean committed;
    private boolean aborted;

    private RunFolder(Path target, Path staging, String expected) {
        this.target = target;
        this.staging = staging;
        this.expected = expected;
        this.cleanup = Leftovers.onInterrupt(this::abort);
    }

    /** A staging folder for the run folder {@code target}: refused in one line when the target exists and {@code overwrite} is false. */
    public static RunFolder create(Path target, boolean overwrite) {
        return create(target, overwrite, "run");
    }

    /**
     * A staging folder for {@code target}, an output folder of {@code kind} (run, forward, compare, figures). Refused in
     * one line naming --out when the path is empty, or the target exists and {@code overwrite} is false or it is not a
     * folder the program wrote.
     */
    public static RunFolder create(Path target, boolean overwrite, String kind) {
        Path abs = checkTarget(target, overwrite);
        Path parent = abs.getParent();
        try {
            Files.createDirectories(parent);
            Leftovers.sweep(parent);
            String expected = Outputs.identity(abs);
            Path staging = Files.createTempDirectory(parent, Leftovers.stagingPrefix(abs.getFileName().toString()));
            try {
                // a temp folder is owner-only; a run folder is readable like any new folder
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its default permissions stand
            }
            Outputs.mark(staging, kind);
            return new RunFolder(abs, staging, expected);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run folder " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The absolute target, checked (as {@link #create} does, for a command to refuse bad input before it starts): not
     * empty, and when it exists, overwriting asked for and a folder the program wrote.
     */
    public static Path checkTarget(Path target, boolean overwrite) {
        if (target == null || target.toString().isBlank()) {
            throw new IllegalArgumentException("--out: an empty path names no folder; give the folder to write");
        }
        Path abs = target.toAbsolutePath().normalize();
        if (abs.getParent() == null || abs.getFileName() == null) {
            throw new IllegalArgumentException("--out: " + target + " is the root of the file system; give a folder inside it");
        }
        if (!Files.exists(abs)) {
            return abs;
        }
        if (!overwrite) {
            throw new IllegalArgumentException("--out: " + target + " already exists; choose another folder or pass --overwrite");
        }
        if (!Files.isDirectory(abs)) {
            throw new IllegalArgumentException("--out: " + target + " exists and is not a folder");
        }
        Path cwd = Path.of("").toAbsolutePath().normalize();
        if (cwd.startsWith(abs)) {
            throw new IllegalArgumentException("--out: " + target + " holds the working folder; --overwrite does not replace it");
        }
        if (!writtenByUs(abs)) {
            throw new IllegalArgumentException("--out: " + target + " is not a folder that diffusion4j wrote (it has no " + Outputs.MARKER
                    + " marker and is not a run folder); --overwrite replaces only those, choose another folder");
        }
        return abs;
    }

    /** Whether a folder is one the program wrote: the marker, or a run, forward or compare folder of a version without it. */
    static boolean writtenByUs(Path dir) {
        if (Outputs.marked(dir)) {
            return true;
        }
        return Files.isRegularFile(dir.resolve(RunFiles.CONFIG_FILE)) && (Files.isRegularFile(dir.resolve("model.safetensors"))
                || Files.isRegularFile(dir.resolve("flow.safetensors")) || Files.isRegularFile(dir.resolve("forward.csv"))
                || Files.isRegularFile(dir.resolve("compare.csv")));
    }

    /** A path inside the staging folder. */
    public Path file(String name) {
        return staging.resolve(name);
    }

    /** The final location. */
    public Path target() {
        return target;
    }

    /**
     * Moves the complete folder into place.
     *
     * @throws Outputs.LostRace      when another run wrote the target meanwhile (this run's output is discarded)
     * @throws IllegalStateException when the process is being interrupted (nothing is put in place)
     */
    public synchronized void commit() {
        if (aborted || Leftovers.shuttingDown()) {
            throw new IllegalStateException("interrupted: " + target + " was left as it was");
        }
        try {
            Outputs.putInPlace(staging, target, expected, "--out");
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the run into " + target + ": " + e.getMessage(), e);
        }
    }

    /** On SIGINT or SIGTERM: deletes the staging folder unless the run is in place (a commit in progress finishes first). */
    private synchronized void abort() {
        if (!committed) {
            aborted = true;
            Leftovers.deleteTree(staging);
        }
    }

    @Override
    public void close() {
        cleanup.close();
        synchronized (this) {
            if (!committed) {
                Leftovers.deleteTree(staging);
            }
        }
    }
}
