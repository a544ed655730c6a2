package org.diffusion4j.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Points as NumPy {@code .npy}: an array of shape (n, 2).
 *
 * <p>Format: magic {@code \x93NUMPY}, version byte pair (1, 0) with a little-endian uint16 header length or (2, 0)
 * with a uint32 one, then an ASCII Python dict {@code {'descr': '<f4', 'fortran_order': False, 'shape': (n, 2), }}
 * padded with spaces and a newline, then the data. Reading accepts float32 and float64 in either byte order
 * ({@code '<f4' '>f4' '<f8' '>f8'}, and {@code '='} as native order), C or Fortran order; anything else (other
 * dtypes or shapes, truncated or trailing data, non-finite values, a bad magic) is an
 * {@link IllegalArgumentException} naming the file and what is allowed. Writing produces version 1.0, C order,
 * {@code '<f4'} or {@code '<f8'}, through a temp file in the same folder renamed over the target.
 */
public final class PointsNpy {
    /** The element type of a written file. */
    public enum Dtype {
        FLOAT32("<f4", 4),
        FLOAT64("<f8", 8);

        private final String descr;
        private final int bytes;

        Dtype(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }

        public String descr() {
            return descr;
        }
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final int CHUNK = 1 << 20;
    private static final int MAX_HEADER = 1 << 20;

    private PointsNpy() {
    }

    /** Reads an (n, 2) float32 or float64 array. */
    public static Points read(Path file) {
        return read(file, null);
    }

    /** What the third column of an (n, 3) array holds. */
    public enum Third {
        /** A class label: an integer in [0, 65535]. */
        LABEL,
        /** A finite value (the continuous condition). */
        VALUE
    }

    /**
     * Reads an (n, 2) array, or, when {@code third} is given, also an (n, 3) one whose third column is a label or a
     * value (a training set: x, y and its condition).
     */
    public static Points read(Path file, Third third) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), Files.size(file), third);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Points read(InputStream in, String source, long fileSize, Third third) throws IOException {
        byte[] start = in.readNBytes(8);
        for (int i = 0; i < MAGIC.length; i++) {
            if (start.length <= i || start[i] != MAGIC[i]) {
                throw new IllegalArgumentException(source + ": not a .npy file (bad magic); allowed: files starting"
                        + " with \\x93NUMPY");
            }
        }
        if (start.length < 8) {
            throw new IllegalArgumentException(source + ": truncated header; a version and header length must follow");
        }
        int major = start[6] & 0xFF;
        int minor = start[7] & 0xFF;
        int lengthBytes;
        if (major == 1 && minor == 0) {
            lengthBytes = 2;
        } else if (major == 2 && minor == 0) {
            lengthBytes = 4;
        } else {
            throw new IllegalArgumentException(source + ": .npy version " + major + "." + minor
                    + " is not supported; allowed: 1.0 or 2.0");
        }
        byte[] len = in.readNBytes(lengthBytes);
        if (len.length < lengthBytes) {
            throw new IllegalArgumentException(source + ": truncated header; the header length is missing");
        }
        ByteBuffer lb = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = lengthBytes == 2 ? lb.getShort() & 0xFFFF : lb.getInt() & 0xFFFF_FFFFL;
        if (headerLength > MAX_HEADER) {
            throw new IllegalArgumentException(source + ": header of " + headerLength + " bytes; allowed: at most "
                    + MAX_HEADER + " bytes");
        }
        long dataOffset = 8 + lengthBytes + headerLength;
        if (dataOffset > fileSize) {
            throw new IllegalArgumentException(source + ": truncated header; " + headerLength
                    + " header bytes announced, " + (fileSize - 8 - lengthBytes) + " present");
        }
        String header = new String(in.readNBytes((int) headerLength), StandardCharsets.ISO_8859_1);

        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shape = SHAPE.matcher(header);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new IllegalArgumentException(source + ": malformed header '" + header.trim()
                    + "'; allowed: a dict with 'descr', 'fortran_order' and 'shape'");
        }
        String d = descr.group(1);
        ByteOrder order;
        int itemSize;
        if (d.length() == 3 && d.charAt(1) == 'f' && (d.charAt(2) == '4' || d.charAt(2) == '8')
                && (d.charAt(0) == '<' || d.charAt(0) == '>' || d.charAt(0) == '=')) {
            order = d.charAt(0) == '<' ? ByteOrder.LITTLE_ENDIAN
                    : d.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
            itemSize = d.charAt(2) - '0';
        } else {
            throw new IllegalArgumentException(source + ": dtype '" + d + "' is not supported; allowed: float32 or"
                    + " float64 ('<f4', '>f4', '<f8', '>f8')");
        }
        boolean fortranOrder = fortran.group(1).equals("True");
        String[] dims = shape.group(1).replace(" ", "").split(",");
        String allowedShapes = third == null ? "(n, 2)" : "(n, 2) or (n, 3)";
        long n;
        int cols;
        try {
            if (dims.length != 2 || !(dims[1].equals("2") || third != null && dims[1].equals("3"))) {
                throw new NumberFormatException();
            }
            cols = Integer.parseInt(dims[1]);
            n = Long.parseLong(dims[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": shape (" + shape.group(1).trim()
                    + ") is not supported; allowed: " + allowedShapes + " with n >= 1");
        }
        if (n < 1 || n > Integer.MAX_VALUE / cols - 8) {
            throw new IllegalArgumentException(source + ": shape (" + n + ", " + cols + ") is not supported; allowed: " + allowedShapes
                    + " with 1 <= n <= " + (Integer.MAX_VALUE / cols - 8));
        }
        long dataBytes = cols * n * itemSize;
        long present = fileSize - dataOffset;
        if (present < dataBytes) {
            throw new IllegalArgumentException(source + ": truncated data; shape (" + n + ", " + cols + ") of " + d + " needs "
                    + dataBytes + " bytes, " + present + " present");
        }
        if (present > dataBytes) {
            throw new IllegalArgumentException(source + ": " + (present - dataBytes) + " bytes after the (" + n
                    + ", " + cols + ") array; allowed: exactly " + dataBytes + " data bytes");
        }

        int count = (int) (cols * n);
        double[] flat = new double[count];
        int done = 0;
        while (done < count) {
            int items = Math.min(count - done, CHUNK / itemSize);
            byte[] bytes = in.readNBytes(items * itemSize);
            if (bytes.length < items * itemSize) {
                throw new IllegalArgumentException(source + ": truncated data; the file ended early");
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(order);
            for (int k = 0; k < items; k++) {
                flat[done + k] = itemSize == 4 ? b.getFloat() : b.getDouble();
            }
            done += items;
        }
        int m = (int) n;
        double[] xy = new double[2 * m];
        double[] extra = cols == 3 ? new double[m] : null;
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < cols; c++) {
                double v = fortranOrder ? flat[c * m + i] : flat[cols * i + c];
                if (c < 2) {
                    xy[2 * i + c] = v;
                } else {
                    extra[i] = v;
                }
            }
        }
        for (int i = 0; i < 2 * m; i++) {
            if (!Double.isFinite(xy[i])) {
                throw new IllegalArgumentException(source + ": point " + (i / 2) + " has " + (i % 2 == 0 ? "x" : "y")
                        + " = " + xy[i] + "; allowed: finite numbers only");
            }
        }
        if (extra == null) {
            return Points.of(xy);
        }
        if (third == Third.VALUE) {
            for (int i = 0; i < m; i++) {
                if (!Double.isFinite(extra[i])) {
                    throw new IllegalArgumentException(source + ": point " + i + " has value = " + extra[i] + "; allowed: finite numbers only");
                }
            }
            return Points.of(xy, null, extra);
        }
        int[] labels = new int[m];
        for (int i = 0; i < m; i++) {
            double v = extra[i];
            if (!(v >= 0 && v <= MAX_LABEL && v == Math.rint(v))) {
                throw new IllegalArgumentException(source + ": point " + i + " has label = " + v + "; allowed: integers in [0, " + MAX_LABEL + "]");
            }
            labels[i] = (int) v;
        }
        return Points.of(xy, labels, null);
    }

    /** Largest class label a training file may hold. */
    public static final int MAX_LABEL = 65535;

    /**
     * Writes the coordinates as an (n, 2) array, version 1.0, C order, little-endian float32 or float64. Labels and
     * values are not part of the array (write CSV to keep them).
     */
    public static void write(Path file, Points points, Dtype dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("npy: dtype must be FLOAT32 or FLOAT64, got null");
        }
        int n = points.size();
        if (dtype == Dtype.FLOAT32) {
            for (int i = 0; i < n; i++) {
                if (Math.abs(points.x(i)) > Float.MAX_VALUE || Math.abs(points.y(i)) > Float.MAX_VALUE) {
                    throw new IllegalArgumentException("npy: point " + i + " does not fit in float32 (|coordinate| <= "
                            + Float.MAX_VALUE + " allowed); write FLOAT64 instead");
                }
            }
        }
        String dict = "{'descr': '" + dtype.descr + "', 'fortran_order': False, 'shape': (" + n + ", 2), }";
        // magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64
        int unpadded = 10 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        if (header.length() > 0xFFFF) {
            throw new IllegalArgumentException("npy: header too long for version 1.0");
        }
        try {
            AtomicFiles.write(file, raw -> {
                BufferedOutputStream out = new BufferedOutputStream(raw, CHUNK);
                ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
                head.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
                out.write(head.array());
                out.write(header.getBytes(StandardCharsets.ISO_8859_1));
                ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    if (b.remaining() < 2 * dtype.bytes) {
                        out.write(b.array(), 0, b.position());
                        b.clear();
                    }
                    if (dtype == Dtype.FLOAT32) {
                        b.putFloat((float) points.x(i)).putFloat((float) points.y(i));
                    } else {
                        b.putDouble(points.x(i)).putDouble(points.y(i));
                    }
                }
                out.write(b.array(), 0, b.position());
                out.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
