package org.diffusion4j.plot;

import static org.diffusion4j.plot.BoundsTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AnimationTest {
    @TempDir
    Path dir;

    static final Bounds BOX = new Bounds(-1, 1, -1, 1);

    /** Frame k of n: a cloud of small spread centred at x = -0.7 + 1.4 k / (n - 1), y = 0. */
    static List<double[]> movingCloud(int frames, int particles, long seed) {
        Random random = new Random(seed);
        double[] offsets = Pixels.gaussian(random, particles, 0, 0, 0.04);
        List<double[]> list = new ArrayList<>();
        for (int k = 0; k < frames; k++) {
            double cx = -0.7 + 1.4 * k / Math.max(1, frames - 1);
            double[] f = offsets.clone();
            for (int i = 0; i < f.length; i += 2) {
                f[i] += cx;
            }
            list.add(f);
        }
        return list;
    }

    static double[] times(int n) {
        double[] t = new double[n];
        for (int k = 0; k < n; k++) {
            t[k] = 1 - (double) k / Math.max(1, n - 1);
        }
        return t;
    }

    record Gif(List<BufferedImage> frames, List<IIOMetadataNode> metadata) {
    }

    static Gif read(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            int n = reader.getNumImages(true);
            List<BufferedImage> frames = new ArrayList<>();
            List<IIOMetadataNode> metadata = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                frames.add(reader.read(i));
                metadata.add((IIOMetadataNode) reader.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0"));
            }
            reader.dispose();
            return new Gif(frames, metadata);
        }
    }

    static IIOMetadataNode node(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equals(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        return null;
    }

    /** Particle-coloured pixels within 12 px of the pixel of data (x, 0). */
    static int particlesNear(BufferedImage frame, Canvas canvas, double x) {
        return particlesNear(frame, canvas, x, 0);
    }

    /** Particle-coloured pixels within 12 px of the pixel of data (x, y). */
    static int particlesNear(BufferedImage frame, Canvas canvas, double x, double y) {
        int px = (int) Math.round(canvas.px(x));
        int py = (int) Math.round(canvas.py(y));
        return Pixels.count(frame, Animation.PARTICLE, 0, px - 12, py - 12, px + 13, py + 13);
    }

    @Test
    void longTrajectoriesAreSubsampledKeepingTheFirstAndLastFrame() throws IOException {
        int n = 97;
        Random random = new Random(3);
        double[] data = Pixels.gaussian(random, 4000, 0, 0.5, 0.2);
        List<double[]> frames = movingCloud(n, 2500, 11);
        // the first and the last frame stand out: their clouds sit at y = -0.6 and y = +0.6
        for (int i = 1; i < frames.get(0).length; i += 2) {
            frames.get(0)[i] -= 0.6;
            frames.get(n - 1)[i] += 0.6;
        }
        Path file = dir.resolve("sampling.gif");
        Animation.writeGif(file, "sampling", BOX, data, frames, times(n), "t");
        Gif gif = read(file);
        assertEquals(Animation.MAX_FRAMES, gif.frames().size());
        Canvas canvas = Animation.canvas(BOX);
        int[] kept = Animation.frameIndices(n, Animation.MAX_FRAMES);
        for (int k : new int[] {1, 17, 40, Animation.MAX_FRAMES - 2}) {
            BufferedImage frame = gif.frames().get(k);
            assertEquals(Animation.WIDTH, frame.getWidth());
            assertEquals(Animation.HEIGHT, frame.getHeight());
            double x = -0.7 + 1.4 * kept[k] / (n - 1);
            assertTrue(particlesNear(frame, canvas, x) > 100, "frame " + k + ": particles at x = " + x);
        }
        BufferedImage first = gif.frames().get(0);
        BufferedImage last = gif.frames().get(Animation.MAX_FRAMES - 1);
        // first frame: cloud at (-0.7, -0.6) only; last frame at (0.7, 0.6) only
        assertTrue(particlesNear(first, canvas, -0.7, -0.6) > 100);
        assertEquals(0, particlesNear(first, canvas, -0.7, 0));
        assertTrue(particlesNear(last, canvas, 0.7, 0.6) > 100);
        assertEquals(0, particlesNear(last, canvas, 0.7, 0));
        assertEquals(0, particlesNear(gif.frames().get(1), canvas, -0.7, -0.6));
        int moved = 0;
        int px = (int) Math.round(canvas.px(-0.7));
        int py = (int) Math.round(canvas.py(-0.6));
        for (int y = py - 8; y <= py + 8; y++) {
            for (int x = px - 8; x <= px + 8; x++) {
                if (first.getRGB(x, y) != last.getRGB(x, y)) {
                    moved++;
                }
            }
        }
        assertTrue(moved > 50, "pixels that changed where the cloud left: " + moved);
        // the data behind, in light grey, in every frame; a meaningful part of the frame is drawn
        assertTrue(Pixels.count(last, Animation.BACKGROUND, 0) > 300);
        double fraction = Pixels.nonWhiteFraction(first);
        assertTrue(fraction > 0.02 && fraction < 0.5, "non-white fraction " + fraction);

        assertEquals("8", node(gif.metadata().get(0), "GraphicControlExtension").getAttribute("delayTime"));
        assertEquals("150", node(gif.metadata().get(Animation.MAX_FRAMES - 1), "GraphicControlExtension").getAttribute("delayTime"));
        IIOMetadataNode apps = node(gif.metadata().get(0), "ApplicationExtensions");
        assertNotNull(apps, "loop extension");
        IIOMetadataNode loop = (IIOMetadataNode) apps.getFirstChild();
        assertEquals("NETSCAPE", loop.getAttribute("applicationID"));
        assertEquals("2.0", loop.getAttribute("authenticationCode"));
        assertArrayEquals(new byte[] {1, 0, 0}, (byte[]) loop.getUserObject());
        assertEquals(List.of("sampling.gif"), Pixels.files(dir));
    }

    @Test
    void shortTrajectoriesKeepEveryFrame() throws IOException {
        Path file = dir.resolve("short.gif");
        List<double[]> frames = movingCloud(5, 300, 5);
        Animation.writeGif(file, "forward", BOX, null, frames, times(5), "t");
        Gif gif = read(file);
        assertEquals(5, gif.frames().size());
        Canvas canvas = Animation.canvas(BOX);
        for (int k = 0; k < 5; k++) {
            assertTrue(particlesNear(gif.frames().get(k), canvas, -0.7 + 1.4 * k / 4) > 30, "frame " + k);
        }
        Animation.writeGif(dir.resolve("one.gif"), "one", BOX, null, frames.subList(0, 1), new double[] {0.5}, "t");
        assertEquals(1, read(dir.resolve("one.gif")).frames().size());
    }

    @Test
    void frameIndicesAreEvenDistinctAndKeepBothEnds() {
        assertArrayEquals(new int[] {0, 1, 2}, Animation.frameIndices(3, 60));
        for (int n : new int[] {61, 97, 100, 1001, 100_000}) {
            int[] kept = Animation.frameIndices(n, 60);
            assertEquals(60, kept.length);
            assertEquals(0, kept[0]);
            assertEquals(n - 1, kept[59]);
            for (int k = 1; k < 60; k++) {
                int gap = kept[k] - kept[k - 1];
                assertTrue(gap >= 1 && Math.abs(gap - (n - 1) / 59.0) <= 1, n + ": gap " + gap);
            }
        }
    }

    @Test
    void sixtyFramesOfTheMostParticlesAreAllWritten() throws IOException {
        List<double[]> frames = new ArrayList<>();
        Random random = new Random(9);
        for (int k = 0; k < 60; k++) {
            frames.add(Pixels.gaussian(random, 2000, 0, 0, 0.4));
        }
        double[] data = Pixels.gaussian(random, 3000, 0, 0, 0.5);
        Animation.writeGif(dir.resolve("full.gif"), "full", BOX, data, frames, times(60), "t");
        assertEquals(60, read(dir.resolve("full.gif")).frames().size());
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        Path file = dir.resolve("bad.gif");
        List<double[]> two = List.of(new double[] {0, 0, 1, 1}, new double[] {0, 0, 1, 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Animation.writeGif(file, "t", BOX, null, List.of(), new double[0], "t"));
        assertEquals("animation.frames: at least 1 frame is needed, got 0", e.getMessage());
        assertOneLine(assertThrows(IllegalArgumentException.class,
                () -> Animation.writeGif(file, "t", BOX, null, two, new double[] {1}, "t")), "animation.frameTimes");
        assertOneLine(assertThrows(IllegalArgumentException.class,
                () -> Animation.writeGif(file, "t", BOX, null, List.of(new double[] {0, 0}, new double[] {0, 0, 1, 1}),
                        new double[] {1, 0}, "t")), "animation.frames[1]");
        assertOneLine(assertThrows(IllegalArgumentException.class,
                () -> Animation.writeGif(file, "t", BOX, null, List.of(new double[] {0, 0, 1}), new double[] {1}, "t")),
                "animation.frames[0]");
        assertOneLine(assertThrows(IllegalArgumentException.class,
                () -> Animation.writeGif(file, "t", null, null, two, new double[] {1, 0}, "t")), "animation.bounds");
        assertOneLine(assertThrows(IllegalArgumentException.class,
                () -> Animation.writeGif(file, "t", BOX, new double[] {1}, two, new double[] {1, 0}, "t")), "animation.background");
        assertTrue(!file.toFile().exists());
    }
}
