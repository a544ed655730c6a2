package org.diffusion4j.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Pixel counts of decoded images, for the plot tests. */
final class Pixels {
    private Pixels() {
    }

    static boolean white(int rgb) {
        return (rgb & 0xffffff) == 0xffffff;
    }

    /** The fraction of pixels of the image that are not pure white. */
    static double nonWhiteFraction(BufferedImage image) {
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (!white(image.getRGB(x, y))) {
                    n++;
                }
            }
        }
        return (double) n / ((long) image.getWidth() * image.getHeight());
    }

    /** Pixels in [x0, x1) x [y0, y1) (clamped to the image) whose channels are all within {@code tolerance} of the colour. */
    static int count(BufferedImage image, Color color, int tolerance, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(image.getWidth(), x1); x++) {
                int c = image.getRGB(x, y);
                if (Math.abs(((c >> 16) & 255) - color.getRed()) <= tolerance
                        && Math.abs(((c >> 8) & 255) - color.getGreen()) <= tolerance
                        && Math.abs((c & 255) - color.getBlue()) <= tolerance) {
                    n++;
                }
            }
        }
        return n;
    }

    static int count(BufferedImage image, Color color, int tolerance) {
        return count(image, color, tolerance, 0, 0, image.getWidth(), image.getHeight());
    }

    /** Non-white pixels in [x0, x1) x [y0, y1). */
    static int nonWhite(BufferedImage image, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(image.getWidth(), x1); x++) {
                if (!white(image.getRGB(x, y))) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Names of the files in a folder, sorted. */
    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** n points of N(centre, sd^2 I), interleaved, from a seeded stream. */
    static double[] gaussian(java.util.Random random, int n, double cx, double cy, double sd) {
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            xy[2 * i] = cx + sd * random.nextGaussian();
            xy[2 * i + 1] = cy + sd * random.nextGaussian();
        }
        return xy;
    }
}
