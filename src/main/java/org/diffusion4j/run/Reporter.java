package org.diffusion4j.run;

import org.diffusion4j.engine.Progress;

/**
 * Where the work of {@link Training}, {@link Sampling} and {@link TrainRun} reports: progress of long tasks and one-line
 * messages. The command line prints them; a program that wants silence passes {@link #SILENT}.
 */
public interface Reporter {

    /** Reports nothing. */
    Reporter SILENT = new Reporter() {
        @Override
        public Task start(String task, String unit, long total) {
            return new Task() {
                @Override
                public void update(long done, long total) {
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void info(String line) {
        }

        @Override
        public void warn(String line) {
        }
    };

    /** A task of {@code total} units ({@code unit} names them: steps, particle-steps), to be closed when it ends. */
    Task start(String task, String unit, long total);

    /** A line of information (what is being done, a result). */
    void info(String line);

    /** A line of warning (the whole line, starting with "warning: "). */
    void warn(String line);

    /** The progress of one task. */
    interface Task extends Progress, AutoCloseable {
        @Override
        void close();
    }
}
