package org.diffusion4j.plot;

/**
 * The data box of a 2D plot, {@code [xMin, xMax] x [yMin, yMax]}: finite, with {@code xMin < xMax} and
 * {@code yMin < yMax}. Plots map it to pixels with the same scale on both axes, so a square box keeps the aspect ratio
 * of the data and fills a square panel.
 */
public record Bounds(double xMin, double xMax, double yMin, double yMax) {

    /** Most grid points per side in {@link #grid(int)}. */
    public static final int MAX_GRID = 4096;

    public Bounds {
        if (!Double.isFinite(xMin) || !Double.isFinite(xMax) || !(xMin < xMax)) {
            throw new IllegalArgumentException("bounds.x: xMin < xMax, both finite, is needed, got [" + xMin + ", " + xMax + "]");
        }
        if (!Double.isFinite(yMin) || !Double.isFinite(yMax) || !(yMin < yMax)) {
            throw new IllegalArgumentException("bounds.y: yMin < yMax, both finite, is needed, got [" + yMin + ", " + yMax + "]");
        }
        if (!Double.isFinite(xMax - xMin) || !Double.isFinite(yMax - yMin)) {
            throw new IllegalArgumentException("bounds: the spans must be finite, got x [" + xMin + ", " + xMax + "], y ["
                    + yMin + ", " + yMax + "]");
        }
    }

    /**
     * The bounding box of all finite points of {@code sets} (interleaved (x, y); a point with a non-finite coordinate is
     * ignored), widened by {@code margin} times its size on each side, then made square: both spans become the larger
     * one, around the same centre. Where all points coincide the size is taken as 1 before the margin is added, so a
     * single point p gives the square of side {@code 1 + 2 margin} centred on p.
     *
     * @throws IllegalArgumentException if the margin is negative or not finite, a set is null or of odd length, or no
     *                                  set holds a finite point
     */
    public static Bounds around(double margin, double[]... sets) {
        if (!(margin >= 0) || !Double.isFinite(margin)) {
            throw new IllegalArgumentException("bounds.margin: must be a finite number >= 0, got " + margin);
        }
        if (sets == null) {
            throw new IllegalArgumentException("bounds.sets: at least 1 point set is needed, got null");
        }
        double xLo = Double.POSITIVE_INFINITY;
        double xHi = Double.NEGATIVE_INFINITY;
        double yLo = Double.POSITIVE_INFINITY;
        double yHi = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < sets.length; s++) {
            double[] xy = sets[s];
            if (xy == null) {
                throw new IllegalArgumentException("bounds.sets[" + s + "]: an interleaved (x, y) array is needed, got null");
            }
            if (xy.length % 2 != 0) {
                throw new IllegalArgumentException("bounds.sets[" + s + "]: interleaved (x, y) needs an even length, got " + xy.length);
            }
            for (int i = 0; i < xy.length; i += 2) {
                double x = xy[i];
                double y = xy[i + 1];
                if (Double.isFinite(x) && Double.isFinite(y)) {
                    xLo = Math.min(xLo, x);
                    xHi = Math.max(xHi, x);
                    yLo = Math.min(yLo, y);
                    yHi = Math.max(yHi, y);
                }
            }
        }
        if (xLo > xHi) {
            throw new IllegalArgumentException("bounds.sets: at least 1 finite point is needed, got none in " + sets.length + " sets");
        }
        double size = Math.max(xHi - xLo, yHi - yLo);
        if (size == 0) {
            size = 1;
        }
        double half = 0.5 * size * (1 + 2 * margin);
        double cx = 0.5 * (xLo + xHi);
        double cy = 0.5 * (yLo + yHi);
        return new Bounds(cx - half, cx + half, cy - half, cy + half);
    }

    /** {@code xMax - xMin}. */
    public double width() {
        return xMax - xMin;
    }

    /** {@code yMax - yMin}. */
    public double height() {
        return yMax - yMin;
    }

    /** Whether (x, y) lies in the closed box. */
    public boolean contains(double x, double y) {
        return x >= xMin && x <= xMax && y >= yMin && y <= yMax;
    }

    /**
     * The centres of an n x n grid of equal cells covering the box, interleaved (x, y), row by row from the bottom:
     * point {@code j n + i} is {@code (xMin + (i + 1/2) width / n, yMin + (j + 1/2) height / n)}.
     */
    public double[] grid(int n) {
        if (n < 1 || n > MAX_GRID) {
            throw new IllegalArgumentException("bounds.grid: n must be in [1, " + MAX_GRID + "], got " + n);
        }
        double[] xy = new double[2 * n * n];
        double dx = width() / n;
        double dy = height() / n;
        int k = 0;
        for (int j = 0; j < n; j++) {
            double y = yMin + (j + 0.5) * dy;
            for (int i = 0; i < n; i++) {
                xy[k++] = xMin + (i + 0.5) * dx;
                xy[k++] = y;
            }
        }
        return xy;
    }
}
