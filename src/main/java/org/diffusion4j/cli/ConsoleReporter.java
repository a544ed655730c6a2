package org.diffusion4j.cli;

import java.io.PrintWriter;
import org.diffusion4j.run.Reporter;

/** The command line's {@link Reporter}: a {@link ProgressReport} per task, messages as lines. */
final class ConsoleReporter implements Reporter {
    private final PrintWriter out;

    ConsoleReporter(PrintWriter out) {
        this.out = out;
    }

    @Override
    public Task start(String task, String unit, long total) {
        return ProgressReport.start(task, unit, total, out);
    }

    @Override
    public void info(String line) {
        out.println(line);
        out.flush();
    }

    @Override
    public void warn(String line) {
        out.println(line);
        out.flush();
    }
}
