package org.diffusion4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.diffusion4j.rng.NoiseStream;

/**
 * A training set read from a file ({@code [data] path}): a .npy array of shape (n, 2) or (n, 3), or a .csv of
 * {@code x,y} with optionally a {@code label} or a {@code value} column. The file's points are the training data as
 * they stand; {@link #sample} draws n of them with replacement (index {@code NoiseStream.index(words(seed, i, 0)[0], n)}),
 * which is what the metrics compare samples with. Its labels make it a labelled dataset of {@code max label + 1}
 * classes; its values a dataset with values.
 */
public final class FileDataset implements Dataset {
    /** Fewest points a training file must hold (the k-NN metrics need 6). */
    public static final int MIN_POINTS = 6;

    private static final Map<String, FileDataset> CACHE = new ConcurrentHashMap<>();

    private final Path path;
    private final Points points;
    private final int classes;

    private FileDataset(Path path, Points points) {
        this.path = path;
        this.points = points;
        int max = -1;
        if (points.hasLabels()) {
            for (int i = 0; i < points.size(); i++) {
                max = Math.max(max, points.label(i));
            }
        }
        this.classes = max + 1;
    }

    /**
     * The dataset of a file, read and checked once per file version; refused in one line naming {@code data.path} (or
     * {@code data.column}) when it is not a training set.
     *
     * @param column what the third column of a .npy holds: "label" or "value" (null: an (n, 2) array)
     */
    public static FileDataset load(Path path, String column) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".npy") && !name.endsWith(".csv")) {
            throw new IllegalArgumentException("data.path: must be a .npy or .csv file, got " + path);
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("data.path: no such file " + path);
        }
        String key;
        try {
            key = path.toAbsolutePath().normalize() + "|" + Files.size(path) + "|" + Files.getLastModifiedTime(path).toMillis() + "|" + column;
        } catch (IOException e) {
            throw new UncheckedIOException("data.path: cannot read " + path + ": " + e.getMessage(), e);
        }
        return CACHE.computeIfAbsent(key, k -> read(path, name, column));
    }

    private static FileDataset read(Path path, String name, String column) {
        Points p;
        try {
            if (name.endsWith(".npy")) {
                PointsNpy.Third third = column == null ? null : column.equals("label") ? PointsNpy.Third.LABEL : PointsNpy.Third.VALUE;
                p = PointsNpy.read(path, third);
            } else {
                p = PointsCsv.read(path);
                if (column != null && !(column.equals("label") ? p.hasLabels() : p.hasValues())) {
                    throw new IllegalArgumentException("data.column: \"" + column + "\" but " + path + " has no " + column
                            + " column (its header names the columns: x,y,label or x,y,value)");
                }
            }
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m.startsWith("data.") ? m : "data.path: " + m, e);
        }
        if (p.hasLabels() && p.hasValues()) {
            throw new IllegalArgumentException("data.path: " + path + " has a label and a value column; allowed: one of them");
        }
        if (p.size() < MIN_POINTS) {
            throw new IllegalArgumentException("data.path: " + path + " holds " + p.size() + " points; allowed: at least " + MIN_POINTS);
        }
        return new FileDataset(path, p);
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** The file's points, the training set. */
    public Points points() {
        return points;
    }

    @Override
    public String name() {
        return "file:" + path.getFileName();
    }

    @Override
    public int defaultSize() {
        return points.size();
    }

    @Override
    public Points sample(int n, long seed) {
        NoiseStream noise = new NoiseStream(seed);
        int[] w = new int[4];
        double[] xy = new double[2 * n];
        int[] labels = points.hasLabels() ? new int[n] : null;
        double[] values = points.hasValues() ? new double[n] : null;
        for (int i = 0; i < n; i++) {
            noise.words(i, 0, w);
            int j = NoiseStream.index(w[0], points.size());
            xy[2 * i] = points.x(j);
            xy[2 * i + 1] = points.y(j);
            if (labels != null) {
                labels[i] = points.label(j);
            }
            if (values != null) {
                values[i] = points.value(j);
            }
        }
        return Points.of(xy, labels, values);
    }

    @Override
    public int classes() {
        return classes;
    }
}
