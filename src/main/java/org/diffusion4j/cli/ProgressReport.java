package org.diffusion4j.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusion4j.run.Reporter;

/**
 * Progress of long work: a progress bar on a terminal (with its own time estimate); when the output is not a terminal
 * ({@code System.console() == null}, as in tests and pipes) plain lines: {@code train eps  40%  400/1000 steps} every
 * 10%, and for work that lasts, an estimate of the time it takes measured over its first {@link #WARM_UP_NANOS}
 * on the progress line it then prints ({@code sample ddpm   3%  30000/1000000 particle-steps, about 3 min 20 s to go at
 * 5.1e+06 particle-steps/s, measured over the first 1.2 s}), then the elapsed and remaining time on every line and a
 * line at least every {@link #HEARTBEAT_NANOS}.
 */
final class ProgressReport implements Reporter.Task {
    private final String task;
    private final String unit;
    private final PrintWriter out;
    private final ProgressBar bar;
    /** How long the work runs before its rate is measured and the estimate printed. */
    static final long WARM_UP_NANOS = 1_000_000_000L;
    /** The longest silence between two progress lines once the estimate is out. */
    static final long HEARTBEAT_NANOS = 10_000_000_000L;
    /** The clock (replaced in tests). */
    static LongSupplier clock = System::nanoTime;

    private final long start = clock.getAsLong();
    private int lastDecile = -1;
    private long lastLine = start;
    private boolean estimated;
    private volatile String note = "";

    private ProgressReport(String task, String unit, PrintWriter out, ProgressBar bar) {
        this.task = task;
        this.unit = unit;
        this.out = out;
        this.bar = bar;
    }

    /** A report of {@code total} units (named in plain lines), on stderr so that stdout stays parseable. */
    static ProgressReport start(String task, String unit, long total, PrintWriter out) {
        ProgressBar bar = null;
        if (System.console() != null) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).setMaxRenderedLength(100).showSpeed().continuousUpdate().build();
        }
        return new ProgressReport(task, unit, out, bar);
    }

    @Override
    public void note(String text) {
        note = text;
        if (bar != null) {
            bar.setExtraMessage(" " + text);
        }
    }

    @Override
    public synchronized void update(long done, long total) {
        if (bar != null) {
            bar.maxHint(total);
            bar.stepTo(done);
            return;
        }
        long now = clock.getAsLong();
        long elapsed = now - start;
        int decile = total <= 0 ? 10 : (int) (10 * done / total);
        String time;
        if (!estimated && elapsed >= WARM_UP_NANOS && done > 0 && done < total) {
            estimated = true;
            double rate = done / (elapsed / 1e9);
            time = String.format(Locale.ROOT, ", about %s to go at %.3g %s/s, measured over the first %.1f s", duration((total - done) / rate), rate, unit,
                    elapsed / 1e9);
        } else if (decile > lastDecile || estimated && now - lastLine >= HEARTBEAT_NANOS) {
            time = !estimated ? "" : done < total && done > 0
                    ? ", " + duration(elapsed / 1e9) + " elapsed, about " + duration((total - done) * (elapsed / 1e9) / done) + " to go"
                    : ", " + duration(elapsed / 1e9);
        } else {
            return;
        }
        lastDecile = Math.max(decile, lastDecile);
        lastLine = now;
        String n = note;
        out.printf(Locale.ROOT, "%s %3d%%  %d/%d %s%s%s%n", task, total <= 0 ? 100 : (int) (100 * done / total), done, total, unit,
                n.isEmpty() ? "" : ", " + n, time);
        out.flush();
    }

    /** Seconds as {@code 42 s}, {@code 3 min 05 s} or {@code 2 h 07 min}. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, s % 3600 / 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
