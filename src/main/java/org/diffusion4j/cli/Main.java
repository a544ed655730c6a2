package org.diffusion4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The diffusion4j command line. Every failure reaches the user as one line on stderr and a non-zero exit:
 * 2 for bad input, 1 for anything else.
 */
@Command(name = "diffusion4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "GPU-first diffusion and flow models on 2D data.",
        subcommands = {TrainCommand.class, SampleCommand.class, ForwardCommand.class, EvalCommand.class, CompareCommand.class,
                PlotCommand.class, BenchCommand.class, DemoCommand.class,
                InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code for bad input. */
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        // the CPU engine's SIMD kernels: in a JVM with jdk.incubator.vector (java -jar cannot add it)
        java.util.OptionalInt child = VectorRelaunch.run(Main.class, args);
        if (child.isPresent()) {
            System.exit(child.getAsInt());
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (used by tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, a) -> {
            String hint = "";
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                hint = "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            }
            err.println("diffusion4j: " + ex.getMessage().lines().findFirst().orElse("bad arguments") + hint
                    + " (see --help)");
            err.flush();
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println("diffusion4j: " + oneLine(ex));
            err.flush();
            return ex instanceof IllegalArgumentException ? BAD_INPUT : 1;
        });
        return cli.execute(args);
    }

    /** How the user runs this program: {@code java -jar <the jar>} when run from a jar, else {@code diffusion4j}. */
    static String invocation() {
        try {
            java.net.URL url = Main.class.getProtectionDomain().getCodeSource().getLocation();
            java.nio.file.Path p = java.nio.file.Path.of(url.toURI());
            if (p.getFileName() != null && p.getFileName().toString().endsWith(".jar")) {
                java.nio.file.Path cwd = java.nio.file.Path.of("").toAbsolutePath();
                return "java -jar " + (p.startsWith(cwd) ? cwd.relativize(p) : p);
            }
        } catch (RuntimeException | java.net.URISyntaxException e) {
            // no code source: the plain name
        }
        return "diffusion4j";
    }

    /** The first line of an exception's message, or its kind when it has none. */
    static String oneLine(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            return ex.getClass().getSimpleName();
        }
        return msg.lines().findFirst().orElse(msg);
    }

    /** The version written into version.properties by the build (Maven resource filtering). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"diffusion4j " + version()};
        }

        static String version() {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("/org/diffusion4j/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (java.io.IOException e) {
                // no version file: say so below
            }
            String v = p.getProperty("version");
            return v == null || v.startsWith("${") ? "(version unknown: built without Maven's resource filtering)" : v;
        }
    }
}
