package org.diffusion4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.UUID;

/**
 * Putting a finished output (a staging folder or a temp file beside it) in place of its target, so that the target is
 * always either the old output or the new one, and a run that loses a race with another says so.
 *
 * <p>Every folder the program writes carries a marker file, {@value #MARKER}, holding {@code diffusion4j <kind> <id>}
 * with a random id: the marker tells a folder the program wrote from any other (only those may be replaced), and its id
 * tells one output from another. A run remembers the identity of the target it may replace when it starts; when it is
 * done, it moves the target aside, checks that what it moved is still that one, puts the new output in place and
 * deletes the old. If another run replaced the target meanwhile, the later run keeps the other's output, discards its
 * own and says so: two runs never both report success while one's output is gone.
 */
public final class Outputs {
    /** The marker file of every folder the program writes. */
    public static final String MARKER = ".diffusion4j";

    private Outputs() {
    }

    /** Writes the marker of a new folder of {@code kind} (run, forward, compare, figures). */
    public static void mark(Path folder, String kind) {
        try {
            Files.writeString(folder.resolve(MARKER), "diffusion4j " + kind + " " + UUID.randomUUID() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + folder.resolve(MARKER) + ": " + e.getMessage(), e);
        }
    }

    /** Whether a folder carries the marker. */
    public static boolean marked(Path folder) {
        return Files.isRegularFile(folder.resolve(MARKER), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * What identifies an output: the marker's content for a marked folder, else the file system's key (device and
     * inode) with the modification time; null when nothing is there.
     */
    public static String identity(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory() && marked(p)) {
                return "marker " + Files.readString(p.resolve(MARKER), StandardCharsets.UTF_8).strip();
            }
            return "key " + a.fileKey() + " " + a.lastModifiedTime().toMillis();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return "unreadable " + e.getMessage();
        }
    }

    /** A run lost the race for its target to another run; its own output was discarded. */
    public static final class LostRace extends IllegalStateException {
        LostRace(String message) {
            super(message);
        }
    }

    /**
     * Puts {@code fresh} (complete, in the same folder) in place of {@code target}. {@code expected} is the identity of
     * the target when the run started ({@link #identity}; null: there was none); {@code option} names the target in
     * messages. The target is never missing for long: it is moved aside only for the two renames that replace it, and
     * a process killed between them leaves {@code .<name>.old-<pid>-*}, which {@link Leftovers#sweep} moves back.
     *
     * @throws LostRace when the target is not the one the run started with (another run wrote it meanwhile); fresh is
     *                  left where it is for the caller to delete
     */
    public static void putInPlace(Path fresh, Path target, String expected, String option) throws IOException {
        String name = target.getFileName().toString();
        if (!Leftovers.exists(target)) {
            if (!moveNoReplace(fresh, target)) {
                throw lost(option, target, "appeared");
            }
            return;
        }
        if (!Objects.equals(identity(target), expected)) {
            throw lost(option, target, expected == null ? "appeared" : "was replaced by another run");
        }
        Path old = Files.createTempFile(target.getParent(), Leftovers.oldPrefix(name), "");
        Files.delete(old);
        try {
            Leftovers.move(target, old);
        } catch (NoSuchFileException e) {
            throw lost(option, target, "was being replaced by another run");
        }
        if (!Objects.equals(identity(old), expected)) {
            try {
                Leftovers.move(old, target);
            } catch (IOException e) {
                Leftovers.deleteTree(old);
            }
            throw lost(option, target, "was replaced by another run");
        }
        boolean placed;
        try {
            placed = moveNoReplace(fresh, target);
        } catch (IOException e) {
            Leftovers.move(old, target);
            throw e;
        }
        if (!placed) {
            Leftovers.deleteTree(old); // another run put its output there in the moment between the two renames
            throw lost(option, target, "was replaced by another run");
        }
        Leftovers.deleteTree(old);
    }

    /**
     * Renames {@code from} to {@code to} unless {@code to} exists; false if it does. A rename replaces an existing file
     * (and an empty folder) without a word, so a file is hard-linked to its new name, which fails when the name is
     * taken, and then unlinked from its old one; a folder is renamed, which fails onto a non-empty folder.
     */
    private static boolean moveNoReplace(Path from, Path to) throws IOException {
        try {
            if (Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createLink(to, from);
                    Files.delete(from);
                    return true;
                } catch (FileAlreadyExistsException e) {
                    return false;
                } catch (UnsupportedOperationException | IOException e) {
                    // no hard links on this file system: a rename, checked first (a small window remains)
                    if (Leftovers.exists(to)) {
                        return false;
                    }
                }
            }
            Leftovers.move(from, to);
            return true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            return false;
        } catch (java.nio.file.FileSystemException e) {
            if (Leftovers.exists(to)) {
                return false;
            }
            throw e;
        }
    }

    private static LostRace lost(String option, Path target, String what) {
        return new LostRace(option + ": " + target + " " + what + " while this run was going; it is kept as it is and this run's output "
                + "was discarded");
    }
}
