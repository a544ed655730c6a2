package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PointsNpyTest {
    @TempDir
    Path dir;

    static final double[] XY = {1.5, -2.25, 3.0e-3, 4e10, -0.0, 7.125};

    /** An .npy file built byte by byte as numpy lays it out (independently of PointsNpy). */
    static byte[] npy(int major, String dict, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        int lengthBytes = major == 1 ? 2 : 4;
        int pad = (64 - (8 + lengthBytes + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer len = ByteBuffer.allocate(lengthBytes).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) header.length());
        } else {
            len.putInt(header.length());
        }
        out.writeBytes(len.array());
        out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
    }

    /** The values in file order, as 4- or 8-byte floats in the given byte order. */
    static byte[] data(double[] values, int size, ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(values.length * size).order(order);
        for (double v : values) {
            if (size == 4) {
                b.putFloat((float) v);
            } else {
                b.putDouble(v);
            }
        }
        return b.array();
    }

    static double[] columnMajor(double[] xy) {
        int n = xy.length / 2;
        double[] out = new double[xy.length];
        for (int i = 0; i < n; i++) {
            out[i] = xy[2 * i];
            out[n + i] = xy[2 * i + 1];
        }
        return out;
    }

    static double[] asFloat(double[] xy) {
        double[] out = new double[xy.length];
        for (int i = 0; i < xy.length; i++) {
            out[i] = (float) xy[i];
        }
        return out;
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    @Test
    void readsEveryDtypeByteOrderLayoutAndVersion() throws IOException {
        for (int major : new int[] {1, 2}) {
            for (int size : new int[] {4, 8}) {
                for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
                    for (boolean fortran : new boolean[] {false, true}) {
                        String descr = (order == ByteOrder.LITTLE_ENDIAN ? "<" : ">") + "f" + size;
                        double[] fileOrder = fortran ? columnMajor(XY) : XY;
                        Path f = write("a.npy", npy(major, dict(descr, fortran, "(3, 2)"), data(fileOrder, size, order)));
                        double[] expected = size == 4 ? asFloat(XY) : XY;
                        String what = major + " " + descr + " fortran=" + fortran;
                        assertArrayEquals(expected, PointsNpy.read(f).xy(), 0.0, what);
                    }
                }
            }
        }
    }

    @Test
    void readsNativeOrderAndCompactHeaders() throws IOException {
        Path f = write("n.npy", npy(1, "{'descr':'=f8','fortran_order':False,'shape':(3,2)}", data(XY, 8, ByteOrder.nativeOrder())));
        assertArrayEquals(XY, PointsNpy.read(f).xy(), 0.0);
        Path g = write("o.npy", npy(1, "{'shape': (3, 2), 'fortran_order': False, 'descr': '<f8'}", data(XY, 8, ByteOrder.LITTLE_ENDIAN)));
        assertArrayEquals(XY, PointsNpy.read(g).xy(), 0.0);
    }

    @Test
    void writesNumpyLayoutAndReadsItBack() throws IOException {
        Points p = Points.of(XY);
        Path f64 = dir.resolve("sub/p64.npy");
        PointsNpy.write(f64, p, PointsNpy.Dtype.FLOAT64);
        byte[] expected64 = npy(1, dict("<f8", false, "(3, 2)"), data(XY, 8, ByteOrder.LITTLE_ENDIAN));
        assertArrayEquals(expected64, Files.readAllBytes(f64));
        assertEquals(0, (10 + ByteBuffer.wrap(expected64, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort()) % 64);
        assertArrayEquals(XY, PointsNpy.read(f64).xy(), 0.0);

        Path f32 = dir.resolve("p32.npy");
        PointsNpy.write(f32, p, PointsNpy.Dtype.FLOAT32);
        assertArrayEquals(npy(1, dict("<f4", false, "(3, 2)"), data(XY, 4, ByteOrder.LITTLE_ENDIAN)), Files.readAllBytes(f32));
        assertArrayEquals(asFloat(XY), PointsNpy.read(f32).xy(), 0.0);
        assertEquals("<f4", PointsNpy.Dtype.FLOAT32.descr());
    }

    @Test
    void largeArraysCrossTheReadAndWriteChunks() throws IOException {
        int n = 300_000; // 4.8 MB of float64: several 1 MiB chunks
        double[] xy = new double[2 * n];
        for (int i = 0; i < xy.length; i++) {
            xy[i] = Math.sin(i) * i;
        }
        Path f = dir.resolve("big.npy");
        PointsNpy.write(f, Points.of(xy), PointsNpy.Dtype.FLOAT64);
        assertArrayEquals(xy, PointsNpy.read(f).xy(), 0.0);
        PointsNpy.write(f, Points.of(xy), PointsNpy.Dtype.FLOAT32);
        assertArrayEquals(asFloat(xy), PointsNpy.read(f).xy(), 0.0);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("big.npy"), s.map(x -> x.getFileName().toString()).toList(), "no temp file left");
        }
    }

    @Test
    void writeRejectsValuesBeyondFloat32AndNullDtype() {
        Points huge = Points.of(new double[] {1, 1e39});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PointsNpy.write(dir.resolve("h.npy"), huge, PointsNpy.Dtype.FLOAT32));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("h.npy")));
        assertThrows(IllegalArgumentException.class, () -> PointsNpy.write(dir.resolve("h.npy"), huge, null));
    }

    String error(byte[] bytes) throws IOException {
        Path f = write("bad.npy", bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PointsNpy.read(f));
        assertTrue(e.getMessage().contains("bad.npy"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    byte[] good() {
        return npy(1, dict("<f8", false, "(3, 2)"), data(XY, 8, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void badMagicAndVersionsAreRejected() throws IOException {
        byte[] b = good();
        b[1] = 'X';
        assertTrue(error(b).contains("bad magic"));
        assertTrue(error(new byte[0]).contains("bad magic"));
        assertTrue(error("x,y\n1,2\n".getBytes(StandardCharsets.US_ASCII)).contains("bad magic"));
        assertTrue(error(Arrays.copyOf(good(), 7)).contains("truncated header"));
        byte[] v3 = good();
        v3[6] = 3;
        String m = error(v3);
        assertTrue(m.contains("3.0") && m.contains("1.0 or 2.0"), m);
        assertTrue(error(Arrays.copyOf(good(), 9)).contains("truncated header"));
        assertTrue(error(Arrays.copyOf(good(), 40)).contains("truncated header"));
        ByteBuffer huge = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        huge.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(Integer.MAX_VALUE);
        m = error(huge.array());
        assertTrue(m.contains("header of 2147483647 bytes") && m.contains("at most"), m);
    }

    @Test
    void wrongDtypesAreRejected() throws IOException {
        for (String descr : new String[] {"<i4", "<f2", "|u1", "<c8", "<f16", "f8", "<i8"}) {
            String m = error(npy(1, dict(descr, false, "(3, 2)"), data(XY, 8, ByteOrder.LITTLE_ENDIAN)));
            assertTrue(m.contains("'" + descr + "'") && m.contains("float32 or float64"), m);
        }
    }

    @Test
    void wrongShapesAreRejected() throws IOException {
        for (String shape : new String[] {"(6,)", "(2, 3)", "(3, 2, 1)", "()", "(0, 2)", "(-3, 2)", "(n, 2)"}) {
            String m = error(npy(1, dict("<f8", false, shape), data(XY, 8, ByteOrder.LITTLE_ENDIAN)));
            assertTrue(m.contains("(n, 2)"), shape + ": " + m);
        }
        String m = error(npy(1, "{'descr': '<f8', 'fortran_order': False}", data(XY, 8, ByteOrder.LITTLE_ENDIAN)));
        assertTrue(m.contains("malformed header"), m);
    }

    @Test
    void truncatedAndTrailingDataAreRejected() throws IOException {
        byte[] b = good();
        String m = error(Arrays.copyOf(b, b.length - 1));
        assertTrue(m.contains("truncated data") && m.contains("48 bytes") && m.contains("47 present"), m);
        m = error(Arrays.copyOf(b, b.length + 8));
        assertTrue(m.contains("8 bytes after"), m);
        m = error(npy(2, dict("<f4", false, "(4, 2)"), data(XY, 4, ByteOrder.LITTLE_ENDIAN)));
        assertTrue(m.contains("truncated data"), m);
    }

    @Test
    void nonFiniteValuesAreRejected() throws IOException {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            double[] xy = XY.clone();
            xy[3] = bad;
            String m = error(npy(1, dict("<f8", false, "(3, 2)"), data(xy, 8, ByteOrder.LITTLE_ENDIAN)));
            assertTrue(m.contains("point 1 has y") && m.contains("finite"), m);
            m = error(npy(1, dict(">f4", true, "(3, 2)"), data(columnMajor(xy), 4, ByteOrder.BIG_ENDIAN)));
            assertTrue(m.contains("point 1 has y"), m);
        }
    }
}
