package org.diffusion4j.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusion4j.run.Reporter;

/**
 * Progress of long work: a progress bar on a terminal, plain lines ({@code train eps  40%  400/1000 steps}) every 10% when the
 * output is not a terminal ({@code System.console() == null}, as in tests and pipes).
 */
final class ProgressReport implements Reporter.Task {
    private final String task;
    private final String unit;
    private final PrintWriter out;
    private final ProgressBar bar;
    private int lastDecile = -1;

    private ProgressReport(String task, String unit, PrintWriter out, ProgressBar bar) {
        this.task = task;
        this.unit = unit;
        this.out = out;
        this.bar = bar;
    }

    /** A report of {@code total} units (named in plain lines); the bar goes to stderr so stdout stays parseable. */
    static ProgressReport start(String task, String unit, long total, PrintWriter out) {
        ProgressBar bar = null;
        if (System.console() != null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).setMaxRenderedLength(100).showSpeed().continuousUpdate().build();
        }
        return new ProgressReport(task, unit, out, bar);
    }

    @Override
    public synchronized void update(long done, long total) {
        if (bar != null) {
            bar.maxHint(total);
            bar.stepTo(done);
            return;
        }
        int decile = total <= 0 ? 10 : (int) (10 * done / total);
        if (decile > lastDecile) {
            lastDecile = decile;
            out.printf("%s %3d%%  %d/%d %s%n", task, 10 * decile, done, total, unit);
            out.flush();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
