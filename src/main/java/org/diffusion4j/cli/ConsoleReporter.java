package org.diffusion4j.cli;

import java.io.PrintWriter;
import org.diffusion4j.run.Reporter;

/**
 * The command line's {@link Reporter}: results on stdout, progress (a {@link ProgressReport} per task) and warnings on
 * stderr, so that stdout stays what the command produced.
 */
final class ConsoleReporter implements Reporter {
    private final PrintWriter out;
    private final PrintWriter err;

    ConsoleReporter(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    /** The reporter of a command: its picocli out and err. */
    static ConsoleReporter of(picocli.CommandLine.Model.CommandSpec spec) {
        return new ConsoleReporter(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    @Override
    public Task start(String task, String unit, long total) {
        return ProgressReport.start(task, unit, total, err);
    }

    @Override
    public void info(String line) {
        out.println(line);
        out.flush();
    }

    @Override
    public void warn(String line) {
        err.println(line);
        err.flush();
    }
}
