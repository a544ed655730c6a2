package org.diffusion4j.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar diffusion4j.jar ...} cannot name a module to add, and the CPU engine's SIMD kernels need the
 * incubating Vector API ({@code jdk.incubator.vector}, JDK 17+). Where the JDK has that module and this JVM was
 * started without it, the command runs again in a child JVM with {@code --add-modules jdk.incubator.vector}, the
 * same JVM options and class path plus {@link #INLINE_VECTOR_API}, its standard streams inherited, and its exit code returned; the parent ending
 * on a signal ends the child (SIGINT, SIGTERM: at once, waiting for its cleanup; SIGKILL: the child sees its parent
 * gone and ends as on SIGTERM). A JDK without the
 * module, {@code -Ddiffusion4j.cpu.vector=false}, or a child that cannot start: the command runs here, and the CPU
 * engine on its scalar kernels.
 */
final class VectorRelaunch {
    static final String MODULE = "jdk.incubator.vector";
    private static final String MARK = "diffusion4j.relaunched";
    /**
     * JIT options of the child: C2 inlines every Vector API method wherever it is called. Left to its heuristics it
     * sometimes compiles one of them (say {@code FloatVector.intoArray}) on its own first, then declines to inline that
     * larger compiled body into a kernel compiled later, and the kernel runs on the API's allocating Java fallback:
     * measured in one JVM that trained and sampled ou-halfcircles and then dsm-ring, dsm-ring at half speed in 4 of 6
     * runs (sampling 3.2e5 to 4.0e5 against 7.9e5 to 8.3e5 particle-steps/s, training 769 to 833 against 1,160 to 1,192
     * steps/s; JFR: intoArray and VectorSupport.store 47 % of the samples); with these options 4 of 4 at full speed. {@code quiet} keeps the JVM
     * from announcing the command on standard output.
     */
    static final List<String> INLINE_VECTOR_API = List.of("-XX:CompileCommand=quiet", "-XX:CompileCommand=inline,jdk.incubator.vector.*::*");

    /** How long a parent ending on a signal waits for the child's cleanup (a resumable state, staging removal). */
    private static final long CHILD_GRACE_SECONDS = 120;

    private VectorRelaunch() {
    }

    /**
     * In the child: when the parent ends without taking the child with it (SIGKILL), the child ends as on SIGTERM,
     * so that no command goes on writing after the one the user started is gone.
     */
    private static void endWithParent(String pid) {
        try {
            ProcessHandle.of(Long.parseLong(pid)).ifPresentOrElse(p -> p.onExit().thenRun(() -> System.exit(143)), () -> System.exit(143));
        } catch (NumberFormatException e) {
            // not a pid: nothing to watch
        }
    }

    /** The child's exit code, or empty when the command should run in this JVM. */
    static OptionalInt run(Class<?> main, String[] args) {
        String parent = System.getProperty(MARK);
        if (parent != null) {
            endWithParent(parent);
            return OptionalInt.empty();
        }
        if (ModuleLayer.boot().findModule(MODULE).isPresent()
                || !Boolean.parseBoolean(System.getProperty("diffusion4j.cpu.vector", "true"))
                || ModuleFinder.ofSystem().find(MODULE).isEmpty()) {
            return OptionalInt.empty();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("--add-modules");
        cmd.add(MODULE);
        cmd.addAll(INLINE_VECTOR_API);
        cmd.add("-D" + MARK + "=" + ProcessHandle.current().pid());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path", ""));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        try {
            Process child = new ProcessBuilder(cmd).inheritIO().start();
            // a parent ended by SIGINT or SIGTERM ends the child the same way (its cleanup and resumable state run) and
            // waits for it, so that the command is over when the parent is
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                child.destroy();
                try {
                    child.waitFor(CHILD_GRACE_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            return OptionalInt.of(child.waitFor());
        } catch (IOException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.of(1);
        }
    }
}
