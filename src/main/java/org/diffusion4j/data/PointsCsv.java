package org.diffusion4j.data;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Points as CSV: one point per row, {@code x,y} and optionally a label column (integer >= 0) and/or a value
 * column (finite number).
 *
 * <p>Reading: the first row may be a header, one of {@code x,y}, {@code x,y,label}, {@code x,y,value},
 * {@code x,y,label,value} (case and spaces ignored). Without a header every row must have exactly two columns.
 * Blank lines are skipped. Any malformed row is an {@link IllegalArgumentException} naming the file, the line and
 * what is allowed. Writing goes to a temp file in the same folder, renamed over the target when complete.
 */
public final class PointsCsv {
    private static final List<String> HEADERS = List.of("x,y", "x,y,label", "x,y,value", "x,y,label,value");

    private PointsCsv() {
    }

    /** Reads points from a CSV file. */
    public static Points read(Path file) {
        try (BufferedReader reader = new BufferedReader(new StringReader(TextFiles.readUtf8(file)))) {
            return read(reader, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static Points read(BufferedReader reader, String source) throws IOException {
        int columns = 2;
        int labelColumn = -1;
        int valueColumn = -1;
        boolean first = true;
        double[] xy = new double[256];
        int[] labels = null;
        double[] values = null;
        int n = 0;
        int lineNumber = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (first) {
                first = false;
                if (!looksNumeric(cells[0])) {
                    String header = line.replace(" ", "").replace("\t", "").toLowerCase(Locale.ROOT);
                    if (!HEADERS.contains(header)) {
                        throw error(source, lineNumber, "header '" + line.trim() + "' is not allowed; allowed headers: "
                                + String.join(" | ", HEADERS) + " (or no header and rows x,y)");
                    }
                    List<String> names = Arrays.asList(header.split(","));
                    columns = names.size();
                    labelColumn = names.indexOf("label");
                    valueColumn = names.indexOf("value");
                    if (labelColumn >= 0) {
                        labels = new int[xy.length / 2];
                    }
                    if (valueColumn >= 0) {
                        values = new double[xy.length / 2];
                    }
                    continue;
                }
            }
            if (cells.length != columns) {
                throw error(source, lineNumber, cells.length + " columns; allowed: exactly " + columns
                        + (columns == 2 ? " (x,y; a third column needs a header x,y,label or x,y,value)"
                                : " as in the header"));
            }
            if (2 * n == xy.length) {
                xy = Arrays.copyOf(xy, 2 * xy.length);
                if (labels != null) {
                    labels = Arrays.copyOf(labels, xy.length / 2);
                }
                if (values != null) {
                    values = Arrays.copyOf(values, xy.length / 2);
                }
            }
            xy[2 * n] = number(cells[0], "x", source, lineNumber);
            xy[2 * n + 1] = number(cells[1], "y", source, lineNumber);
            if (labelColumn >= 0) {
                labels[n] = label(cells[labelColumn], source, lineNumber);
            }
            if (valueColumn >= 0) {
                values[n] = number(cells[valueColumn], "value", source, lineNumber);
            }
            n++;
        }
        if (n == 0) {
            throw new IllegalArgumentException(source + ": no points; at least one row x,y is required");
        }
        return Points.of(Arrays.copyOf(xy, 2 * n), labels == null ? null : Arrays.copyOf(labels, n),
                values == null ? null : Arrays.copyOf(values, n));
    }

    private static boolean looksNumeric(String cell) {
        String s = cell.trim();
        if (s.isEmpty()) {
            return true;
        }
        char c = s.charAt(0);
        return Character.isDigit(c) || c == '-' || c == '+' || c == '.'
                || s.equalsIgnoreCase("nan") || s.toLowerCase(Locale.ROOT).startsWith("inf");
    }

    private static double number(String cell, String field, String source, int line) {
        String s = cell.trim();
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw error(source, line, field + " '" + s + "' is not a number; allowed: a finite decimal number");
        }
        if (!Double.isFinite(v) || s.endsWith("d") || s.endsWith("D") || s.endsWith("f") || s.endsWith("F")) {
            throw error(source, line, field + " '" + s + "' is not allowed; allowed: a finite decimal number");
        }
        return v;
    }

    private static int label(String cell, String source, int line) {
        String s = cell.trim();
        int v;
        try {
            v = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw error(source, line, "label '" + s + "' is not allowed; allowed: an integer >= 0");
        }
        if (v < 0) {
            throw error(source, line, "label " + v + " is not allowed; allowed: an integer >= 0");
        }
        return v;
    }

    private static IllegalArgumentException error(String source, int line, String what) {
        return new IllegalArgumentException(source + " line " + line + ": " + what);
    }

    /** Writes points as CSV with a header naming the columns the points carry; atomic (temp file, then rename). */
    public static void write(Path file, Points points) {
        try {
            AtomicFiles.write(file, out -> {
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
                w.write("x,y" + (points.hasLabels() ? ",label" : "") + (points.hasValues() ? ",value" : ""));
                w.newLine();
                StringBuilder row = new StringBuilder();
                for (int i = 0; i < points.size(); i++) {
                    row.setLength(0);
                    row.append(points.x(i)).append(',').append(points.y(i));
                    if (points.hasLabels()) {
                        row.append(',').append(points.label(i));
                    }
                    if (points.hasValues()) {
                        row.append(',').append(points.value(i));
                    }
                    w.write(row.toString());
                    w.newLine();
                }
                w.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
