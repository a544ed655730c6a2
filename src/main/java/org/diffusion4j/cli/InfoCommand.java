package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.cuda.CudaProbe;
import org.diffusion4j.engine.cuda.CudaSelfCheck;
import org.diffusion4j.engine.cuda.KernelBundle;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code diffusion4j info}: the engines found, the GPU and driver, the kernels bundled (and, with a GPU, a self-check
 * that launches one), and whether JCublas and JCurand load.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show the engines found on this machine, the GPU and driver, the kernels bundled, and which CUDA libraries load.")
final class InfoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println(new Main.Version().getVersion()[0]);
        out.println("java       " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                + Runtime.getRuntime().availableProcessors() + " cores");
        out.println("engines:");
        for (String line : Engines.describe()) {
            out.println("  " + line);
        }
        CudaProbe.Result cuda = CudaProbe.probe();
        out.println("gpu:       " + (cuda.available() ? cuda.detail() + (cuda.simulated() ? ": " + CudaProbe.SIMULATED_NOTE : "")
                : "none (" + cuda.detail() + ")"));
        out.println("kernels:   " + KernelBundle.describe());
        if (cuda.available()) {
            out.println("self-check: " + CudaSelfCheck.run());
        }
        out.println("libraries:");
        out.println("  " + CudaProbe.optionalLibrary("JCublas 12.6 (libcublas.so.12)", () -> jcuda.jcublas.JCublas2.setExceptionsEnabled(true)));
        out.println("  " + CudaProbe.optionalLibrary("JCurand 11.8 (libcurand.so.10)", () -> jcuda.jcurand.JCurand.setExceptionsEnabled(true))
                + jcurandNote());
        out.flush();
        return 0;
    }

    /**
     * JCurand's newest release on Maven Central (11.8.0) bundles {@code libJCurand-11.8.0}, while the JCuda 12.6.0
     * loader asks for the library of its own version: say so when that is why it cannot load.
     */
    private static String jcurandNote() {
        boolean own = InfoCommand.class.getResource("/lib/libJCurand-11.8.0-linux-x86_64.so") != null;
        boolean matching = InfoCommand.class.getResource("/lib/libJCurand-12.6.0-linux-x86_64.so") != null;
        return own && !matching ? "; its native library is built for JCuda 11.8.0, the core here is 12.6.0" : "";
    }
}
