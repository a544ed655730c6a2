package org.diffusion4j.data;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The hidden files and folders that writing leaves while it works, named so that nothing is left behind for good:
 * {@code .<name>.staging-<pid>-<random>} (a run folder being written), {@code .<name>.tmp-<pid>-<random>} (a file being
 * written) and {@code .<name>.old-<pid>-<random>} (the previous output, moved aside while a new one replaces it).
 *
 * <ul>
 *   <li>On SIGINT or SIGTERM the JVM runs its shutdown hooks: every cleanup registered with {@link #onInterrupt} runs
 *       (it removes its staging folder or temp file, or puts the previous output back).</li>
 *   <li>A process killed with SIGKILL runs nothing; the next run that writes into the same folder calls
 *       {@link #sweep}, which removes the leftovers of processes that no longer exist, and puts back an old output
 *       whose replacement never arrived.</li>
 * </ul>
 */
public final class Leftovers {
    /** This process's id, part of every leftover's name. */
    public static final long PID = ProcessHandle.current().pid();

    private static final Pattern NAME = Pattern.compile("^\\.(.+)\\.(staging|tmp|old)-(\\d+)-[^/]*$");
    private static final Set<Runnable> ON_INTERRUPT = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;
    private static volatile boolean shuttingDown;

    private Leftovers() {
    }

    /** The prefix of a staging folder for {@code name}: a random suffix follows. */
    public static String stagingPrefix(String name) {
        return "." + name + ".staging-" + PID + "-";
    }

    /** The prefix of a temp file for {@code name}. */
    public static String tempPrefix(String name) {
        return "." + name + ".tmp-" + PID + "-";
    }

    /** The prefix of the place an old output of {@code name} is moved to while it is replaced. */
    public static String oldPrefix(String name) {
        return "." + name + ".old-" + PID + "-";
    }

    /** Whether the JVM is running its shutdown hooks (after SIGINT or SIGTERM): no output may be put in place then. */
    public static boolean shuttingDown() {
        return shuttingDown;
    }

    /**
     * Runs {@code cleanup} if the JVM shuts down (SIGINT, SIGTERM, System.exit) before the returned handle is closed.
     * A cleanup must be quick and must not throw. Once shutdown has begun nothing is registered.
     */
    public static Registration onInterrupt(Runnable cleanup) {
        installHook();
        if (shuttingDown) {
            // the hook runs (or ran) the cleanups registered before it started; what is written now is meant to stay
            return () -> {
            };
        }
        ON_INTERRUPT.add(cleanup);
        return () -> ON_INTERRUPT.remove(cleanup);
    }

    /** A registered cleanup; closing it unregisters it. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private static synchronized void installHook() {
        if (hookInstalled) {
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shuttingDown = true;
            for (Runnable r : List.copyOf(ON_INTERRUPT)) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    // best effort: the next run's sweep removes what is left
                }
            }
        }, "diffusion4j-cleanup"));
        hookInstalled = true;
    }

    /**
     * Removes from {@code dir} the leftovers of processes that no longer run; an old output whose target is missing
     * (the process died between moving it aside and putting the new one in place) is moved back to its name first.
     * Returns one line per action, for the log. A missing folder has nothing to sweep.
     */
    public static List<String> sweep(Path dir) {
        List<String> done = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return done;
        }
        List<Path> olds = new ArrayList<>();
        List<Path> others = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*")) {
            for (Path p : entries) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && !alive(Long.parseLong(m.group(3)))) {
                    (m.group(2).equals("old") ? olds : others).add(p);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return done;
        }
        for (Path old : olds) {
            Matcher m = NAME.matcher(old.getFileName().toString());
            m.matches();
            Path target = dir.resolve(m.group(1));
            if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try {
                    move(old, target);
                    done.add("restored " + target + " (an interrupted run had moved it aside)");
                    continue;
                } catch (IOException e) {
                    // a target appeared meanwhile: the old one is garbage
                }
            }
            deleteTree(old);
            done.add("removed " + old);
        }
        for (Path p : others) {
            deleteTree(p);
            done.add("removed " + p);
        }
        return done;
    }

    /** Whether {@code dir} is, or lies inside, a staging folder that no longer exists (deleted on interruption). */
    public static boolean insideDeletedStaging(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null && p.getFileName() != null; p = p.getParent()) {
            Matcher m = NAME.matcher(p.getFileName().toString());
            if (m.matches() && m.group(2).equals("staging")) {
                return !Files.isDirectory(p);
            }
        }
        return false;
    }

    /** Whether a process with this id runs (on this machine). */
    static boolean alive(long pid) {
        return pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Renames atomically where the file system can. */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a file or a folder with everything in it, as far as it can. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // what cannot be deleted stays; the next sweep tries again
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            // vanished meanwhile, or unreadable: nothing more to do
        }
    }

    /** Whether the path exists without following a link. */
    static boolean exists(Path p) {
        return Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }
}
