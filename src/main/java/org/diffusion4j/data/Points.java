package org.diffusion4j.data;

import java.util.Arrays;

/**
 * An immutable set of n points in the plane, stored interleaved {@code (x0, y0, x1, y1, ...)}, with optional
 * per-point conditioning: an integer label (mode index, shape) and/or a continuous value (radius).
 */
public final class Points {
    private final double[] xy;
    private final int[] labels;
    private final double[] values;

    private Points(double[] xy, int[] labels, double[] values) {
        this.xy = xy;
        this.labels = labels;
        this.values = values;
    }

    /** Points from interleaved coordinates; every coordinate must be finite and there must be at least one point. */
    public static Points of(double[] xy) {
        return of(xy, null, null);
    }

    /** Labelled points; {@code labels} and {@code values} may be null, else they have one entry per point. */
    public static Points of(double[] xy, int[] labels, double[] values) {
        if (xy == null || xy.length == 0) {
            throw new IllegalArgumentException("points: empty data, at least one point (x, y) is required");
        }
        if (xy.length % 2 != 0) {
            throw new IllegalArgumentException("points: " + xy.length + " coordinates is not a whole number of (x, y) pairs");
        }
        int n = xy.length / 2;
        for (int i = 0; i < xy.length; i++) {
            if (!Double.isFinite(xy[i])) {
                throw new IllegalArgumentException("points: point " + (i / 2) + " has a non-finite coordinate "
                        + (i % 2 == 0 ? "x" : "y") + " = " + xy[i] + "; only finite numbers are allowed");
            }
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("points: " + labels.length + " labels for " + n + " points");
        }
        if (labels != null) {
            for (int i = 0; i < n; i++) {
                if (labels[i] < 0) {
                    throw new IllegalArgumentException("points: label of point " + i + " is " + labels[i] + "; labels must be >= 0");
                }
            }
        }
        if (values != null) {
            if (values.length != n) {
                throw new IllegalArgumentException("points: " + values.length + " values for " + n + " points");
            }
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(values[i])) {
                    throw new IllegalArgumentException("points: value of point " + i + " is " + values[i] + "; only finite numbers are allowed");
                }
            }
        }
        return new Points(xy.clone(), labels == null ? null : labels.clone(), values == null ? null : values.clone());
    }

    public int size() {
        return xy.length / 2;
    }

    public double x(int i) {
        return xy[2 * i];
    }

    public double y(int i) {
        return xy[2 * i + 1];
    }

    /** A copy of the interleaved coordinates. */
    public double[] xy() {
        return xy.clone();
    }

    /** The coordinates as float, interleaved (the layout every engine's buffers use). */
    public float[] xyF32() {
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i++) {
            out[i] = (float) xy[i];
        }
        return out;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    public boolean hasValues() {
        return values != null;
    }

    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException("these points carry no labels");
        }
        return labels[i];
    }

    public double value(int i) {
        if (values == null) {
            throw new IllegalStateException("these points carry no values");
        }
        return values[i];
    }

    /** A copy of the labels, or null. */
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    /** A copy of the values, or null. */
    public double[] values() {
        return values == null ? null : values.clone();
    }

    /** Number of classes: 1 + the largest label, or 0 without labels. */
    public int classes() {
        return labels == null ? 0 : Arrays.stream(labels).max().orElse(-1) + 1;
    }

    @Override
    public String toString() {
        return "Points[n=" + size() + (labels != null ? ", labelled" : "") + (values != null ? ", valued" : "") + "]";
    }
}
