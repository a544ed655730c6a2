package org.diffusion4j.engine;

/** Receives progress of long work: {@code done} units of {@code total} (steps, or particle-steps). */
@FunctionalInterface
public interface Progress {

    /** Ignores progress. */
    Progress NONE = (done, total) -> {
    };

    /** Called from any thread, with {@code done} non-decreasing; {@code done == total} at the end. */
    void update(long done, long total);
}
