package org.diffusion4j.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * {@code java -jar diffusion4j.jar ...} cannot name a module to add, and the CPU engine's SIMD kernels need the
 * incubating Vector API ({@code jdk.incubator.vector}, JDK 17+). Where the JDK has that module and this JVM was
 * started without it, the command runs again in a child JVM with {@code --add-modules jdk.incubator.vector}, the
 * same JVM options and class path, its standard streams inherited, and its exit code returned; the parent ending
 * on a signal ends the child. A JDK without the
 * module, {@code -Ddiffusion4j.cpu.vector=false}, or a child that cannot start: the command runs here, and the CPU
 * engine on its scalar kernels.
 */
final class VectorRelaunch {
    static final String MODULE = "jdk.incubator.vector";
    private static final String MARK = "diffusion4j.relaunched";

    private VectorRelaunch() {
    }

    /** The child's exit code, or empty when the command should run in this JVM. */
    static OptionalInt run(Class<?> main, String[] args) {
        if (ModuleLayer.boot().findModule(MODULE).isPresent() || System.getProperty(MARK) != null
                || !Boolean.parseBoolean(System.getProperty("diffusion4j.cpu.vector", "true"))
                || ModuleFinder.ofSystem().find(MODULE).isEmpty()) {
            return OptionalInt.empty();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("--add-modules");
        cmd.add(MODULE);
        cmd.add("-D" + MARK + "=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path", ""));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        try {
            Process child = new ProcessBuilder(cmd).inheritIO().start();
            // a parent ended by a signal (kill, Ctrl-C) takes the child with it
            Runtime.getRuntime().addShutdownHook(new Thread(child::destroy));
            return OptionalInt.of(child.waitFor());
        } catch (IOException e) {
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.of(1);
        }
    }
}
