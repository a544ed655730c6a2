package org.diffusion4j.process;

/** Field validation with one-line messages that name the field and what is allowed. */
final class Checks {
    private Checks() {
    }

    static double positive(String field, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(field + ": must be a finite number > 0, got " + value);
        }
        return value;
    }

    static double inRange(String field, double value, double lo, double hi) {
        if (!(value >= lo && value <= hi)) {
            throw new IllegalArgumentException(field + ": must be in [" + lo + ", " + hi + "], got " + value);
        }
        return value;
    }
}
