package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PointsCsvTest {
    @TempDir
    Path dir;

    Path file(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    List<String> filesInDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void readsWithAndWithoutHeader() throws IOException {
        Points a = PointsCsv.read(file("a.csv", "x,y\n1.5,-2\n0.25, 3e2\n"));
        assertArrayEquals(new double[] {1.5, -2, 0.25, 300}, a.xy());
        assertFalse(a.hasLabels());
        Points b = PointsCsv.read(file("b.csv", "1.5,-2\r\n\r\n0.25,3e2"));
        assertArrayEquals(a.xy(), b.xy());
        Points c = PointsCsv.read(file("c.csv", " X , Y \n1,2\n"));
        assertArrayEquals(new double[] {1, 2}, c.xy());
    }

    @Test
    void readsLabelsAndValues() throws IOException {
        Points l = PointsCsv.read(file("l.csv", "x,y,label\n1,2,0\n3,4,7\n"));
        assertArrayEquals(new int[] {0, 7}, l.labels());
        assertEquals(8, l.classes());
        Points v = PointsCsv.read(file("v.csv", "x,y,value\n1,2,0.5\n3,4,-2.5\n"));
        assertArrayEquals(new double[] {0.5, -2.5}, v.values());
        assertFalse(v.hasLabels());
        Points both = PointsCsv.read(file("lv.csv", "x,y,label,value\n1,2,3,4.5\n"));
        assertEquals(3, both.label(0));
        assertEquals(4.5, both.value(0));
    }

    @Test
    void writeThenReadGivesTheSamePointsExactly() throws IOException {
        double[] xy = {Math.PI, -Math.E, 1e-300, 1.7976931348623157e308, -0.0, 0.1};
        Points p = Points.of(xy, new int[] {2, 0, 5}, new double[] {Math.sqrt(2), 1e-7, -3});
        Path f = dir.resolve("out/points.csv");
        PointsCsv.write(f, p);
        Points q = PointsCsv.read(f);
        assertArrayEquals(p.xy(), q.xy(), 0.0);
        assertArrayEquals(p.labels(), q.labels());
        assertArrayEquals(p.values(), q.values(), 0.0);
        assertEquals("x,y,label,value", Files.readAllLines(f).get(0));
        Points plain = Points.of(new double[] {1, 2});
        PointsCsv.write(f, plain);
        assertEquals(List.of("x,y", "1.0,2.0"), Files.readAllLines(f));
        assertEquals(List.of("out"), filesInDir());
        try (Stream<Path> s = Files.list(dir.resolve("out"))) {
            assertEquals(List.of("points.csv"), s.map(x -> x.getFileName().toString()).toList(), "no temp file left");
        }
    }

    @Test
    void failedWriteLeavesTheOldFileAndNoTempFile() throws IOException {
        Path f = file("keep.csv", "x,y\n1,2\n");
        Path blocked = dir.resolve("keep.csv/sub.csv"); // parent is a file: the write cannot start
        assertThrows(Exception.class, () -> PointsCsv.write(blocked, Points.of(new double[] {3, 4})));
        assertEquals("x,y\n1,2\n", Files.readString(f));
        assertEquals(List.of("keep.csv"), filesInDir());
    }

    /** The one-line message of reading {@code content}; it must name the file. */
    String error(String content) throws IOException {
        Path f = file("bad.csv", content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PointsCsv.read(f));
        assertTrue(e.getMessage().contains("bad.csv"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void emptyFilesAreRejected() throws IOException {
        assertTrue(error("").contains("no points"));
        assertTrue(error("\n\n  \n").contains("no points"));
        assertTrue(error("x,y\n").contains("no points"));
    }

    @Test
    void wrongColumnCountsAreRejectedWithTheLine() throws IOException {
        String m = error("x,y\n1,2\n3,4,5\n");
        assertTrue(m.contains("line 3") && m.contains("3 columns") && m.contains("exactly 2"), m);
        m = error("1,2\n3\n");
        assertTrue(m.contains("line 2") && m.contains("1 columns"), m);
        m = error("1,2,0\n");
        assertTrue(m.contains("line 1") && m.contains("needs a header"), m);
        m = error("x,y,label\n1,2\n");
        assertTrue(m.contains("line 2") && m.contains("exactly 3"), m);
        m = error("1,2,\n");
        assertTrue(m.contains("line 1") && m.contains("3 columns"), m);
    }

    @Test
    void badHeadersAreRejected() throws IOException {
        String m = error("a,b\n1,2\n");
        assertTrue(m.contains("line 1") && m.contains("allowed headers") && m.contains("x,y,label"), m);
        assertTrue(error("x,y,weight\n1,2,3\n").contains("'x,y,weight'"));
        assertTrue(error("y,x\n1,2\n").contains("allowed headers"));
    }

    @Test
    void malformedAndNonFiniteNumbersAreRejected() throws IOException {
        String m = error("x,y\n1,2\n1,abc\n");
        assertTrue(m.contains("line 3") && m.contains("y 'abc'") && m.contains("finite"), m);
        assertTrue(error("1,2\nNaN,2\n").contains("line 2"));
        assertTrue(error("1,2\n1,Infinity\n").contains("finite"));
        assertTrue(error("1,2\n-Infinity,1\n").contains("finite"));
        assertTrue(error("1,2\n1e400,1\n").contains("finite"), "overflow to infinity");
        assertTrue(error("1,2\n,1\n").contains("x ''"));
        assertTrue(error("1,2\n1d,1\n").contains("x '1d'"));
        assertTrue(error("x,y,value\n1,2,nan\n").contains("value 'nan'"));
        assertTrue(error("x,y\n\"1\",2\n").contains("line 2"));
    }

    @Test
    void badLabelsAreRejected() throws IOException {
        String m = error("x,y,label\n1,2,0\n1,2,-1\n");
        assertTrue(m.contains("line 3") && m.contains("integer >= 0"), m);
        assertTrue(error("x,y,label\n1,2,1.5\n").contains("label '1.5'"));
        assertTrue(error("x,y,label\n1,2,99999999999\n").contains("integer >= 0"));
    }

    @Test
    void missingFileIsAnIoError() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PointsCsv.read(dir.resolve("none.csv")));
        assertTrue(e.getMessage().contains("none.csv"));
    }

    @Test
    void manyRowsGrowTheBuffers() throws IOException {
        StringBuilder sb = new StringBuilder("x,y,label\n");
        for (int i = 0; i < 1000; i++) {
            sb.append(i).append(',').append(-i).append(',').append(i % 3).append('\n');
        }
        Points p = PointsCsv.read(file("many.csv", sb.toString()));
        assertEquals(1000, p.size());
        assertEquals(999.0, p.x(999));
        assertEquals(-999.0, p.y(999));
        assertEquals(0, p.label(999));
    }
}
