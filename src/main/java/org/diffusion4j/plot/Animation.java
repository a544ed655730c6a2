package org.diffusion4j.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.diffusion4j.data.AtomicFiles;

/**
 * Trajectories of particles as an animated GIF (javax.imageio, no other library): fixed axes from the bounds, the
 * background points in light grey behind, and per frame the frame's particles in colour, under the title and the line
 * {@code "<timeLabel> = <time>"}. At most {@link #MAX_PARTICLES} particles are drawn, the same strided subsample
 * {@code i = floor(s n / MAX_PARTICLES)} in every frame; at most {@link #MAX_FRAMES} frames are kept, evenly spaced,
 * always the first and the last. Each frame shows {@link #FRAME_DELAY_MS}, the last one {@link #LAST_FRAME_DELAY_MS},
 * and the animation loops forever. Frames are {@link #WIDTH} x {@link #HEIGHT} pixels in a fixed 256-colour palette.
 */
public final class Animation {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Most frames in a GIF. */
    public static final int MAX_FRAMES = 60;
    /** Most particles drawn per frame. */
    public static final int MAX_PARTICLES = 2000;
    /** Most background points drawn. */
    public static final int MAX_BACKGROUND = 3000;
    /** Frame size in pixels. */
    public static final int WIDTH = 480;
    public static final int HEIGHT = 480;
    /** How long each frame shows, and the last one. */
    public static final int FRAME_DELAY_MS = 80;
    public static final int LAST_FRAME_DELAY_MS = 1500;

    /** Colour of the particles (exactly a palette entry) and of the background points. */
    static final Color PARTICLE = Canvas.POINT;
    static final Color BACKGROUND = new Color(204, 204, 204);
    static final double PARTICLE_RADIUS = 1.6;

    private static final IndexColorModel PALETTE;
    /** Palette index of each colour with 5 bits per channel, {@code (r >> 3) << 10 | (g >> 3) << 5 | b >> 3}. */
    private static final byte[] NEAREST = new byte[1 << 15];

    static {
        // a 6 x 6 x 6 colour cube (levels 0, 51, ..., 255) and 40 more greys between its levels
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        int k = 0;
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 6; j++) {
                for (int l = 0; l < 6; l++) {
                    r[k] = (byte) (51 * i);
                    g[k] = (byte) (51 * j);
                    b[k] = (byte) (51 * l);
                    k++;
                }
            }
        }
        for (int s = 1; k < 256 && s < 41; s++) {
            int level = (int) Math.round(s * 255.0 / 41);
            if (level % 51 != 0) {
                r[k] = g[k] = b[k] = (byte) level;
                k++;
            }
        }
        PALETTE = new IndexColorModel(8, 256, r, g, b);
        for (int c = 0; c < NEAREST.length; c++) {
            int cr = ((c >> 10) << 3) + 4;
            int cg = (((c >> 5) & 31) << 3) + 4;
            int cb = ((c & 31) << 3) + 4;
            int best = 0;
            int bestDistance = Integer.MAX_VALUE;
            for (int p = 0; p < 256; p++) {
                int dr = cr - (r[p] & 255);
                int dg = cg - (g[p] & 255);
                int db = cb - (b[p] & 255);
                int d = dr * dr + dg * dg + db * db;
                if (d < bestDistance) {
                    bestDistance = d;
                    best = p;
                }
            }
            NEAREST[c] = (byte) best;
        }
    }

    private Animation() {
    }

    /**
     * Writes {@code frames} (each interleaved (x, y), all of the same length) as an animated GIF, atomically.
     * {@code frameTimes[k]} is the time of frame k, shown as {@code "<timeLabel> = <time>"}; {@code background} (null
     * for none) is drawn behind every frame.
     */
    public static void writeGif(Path file, String title, Bounds bounds, double[] background, List<double[]> frames,
                                double[] frameTimes, String timeLabel) {
        if (bounds == null) {
            throw new IllegalArgumentException("animation.bounds: required, got null");
        }
        if (frames == null || frames.isEmpty()) {
            throw new IllegalArgumentException("animation.frames: at least 1 frame is needed, got " + (frames == null ? "null" : "0"));
        }
        if (frameTimes == null || frameTimes.length != frames.size()) {
            throw new IllegalArgumentException("animation.frameTimes: one time per frame is needed, got "
                    + (frameTimes == null ? "null" : frameTimes.length + " times") + " for " + frames.size() + " frames");
        }
        if (frames.get(0) == null || frames.get(0).length % 2 != 0) {
            throw new IllegalArgumentException("animation.frames[0]: interleaved (x, y) needs an even length, got "
                    + (frames.get(0) == null ? "null" : String.valueOf(frames.get(0).length)));
        }
        int length = frames.get(0).length;
        for (int f = 1; f < frames.size(); f++) {
            double[] frame = frames.get(f);
            if (frame == null || frame.length != length) {
                throw new IllegalArgumentException("animation.frames[" + f + "]: every frame needs the length of frame 0 ("
                        + length + "), got " + (frame == null ? "null" : String.valueOf(frame.length)));
            }
        }
        if (background != null && background.length % 2 != 0) {
            throw new IllegalArgumentException("animation.background: interleaved (x, y) needs an even length, got " + background.length);
        }
        String label = timeLabel == null || timeLabel.isEmpty() ? "t" : timeLabel;

        Canvas canvas = canvas(bounds);
        BufferedImage base = Canvas.image(WIDTH, HEIGHT);
        Graphics2D bg = Canvas.graphics(base);
        Canvas.imageTitle(bg, title, WIDTH);
        if (background != null) {
            canvas.points(bg, background, MAX_BACKGROUND, BACKGROUND, 1.2);
        }
        canvas.axes(bg);
        bg.dispose();
        int[] basePixels = ((DataBufferInt) base.getRaster().getDataBuffer()).getData();

        BufferedImage rgb = Canvas.image(WIDTH, HEIGHT);
        int[] pixels = ((DataBufferInt) rgb.getRaster().getDataBuffer()).getData();
        BufferedImage indexed = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_INDEXED, PALETTE);
        byte[] indices = ((DataBufferByte) indexed.getRaster().getDataBuffer()).getData();
        Graphics2D g = Canvas.graphics(rgb);
        int[] kept = frameIndices(frames.size(), MAX_FRAMES);

        ImageWriter writer = gifWriter();
        try {
            AtomicFiles.write(file, out -> {
                try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
                    writer.setOutput(stream);
                    ImageWriteParam param = writer.getDefaultWriteParam();
                    writer.prepareWriteSequence(null);
                    for (int k = 0; k < kept.length; k++) {
                        int f = kept[k];
                        System.arraycopy(basePixels, 0, pixels, 0, pixels.length);
                        canvas.title(g, label + " = " + Canvas.number(frameTimes[f]));
                        canvas.points(g, frames.get(f), MAX_PARTICLES, PARTICLE, PARTICLE_RADIUS);
                        for (int i = 0; i < pixels.length; i++) {
                            int c = pixels[i];
                            indices[i] = NEAREST[(c >> 9) & 0x7c00 | (c >> 6) & 0x3e0 | (c >> 3) & 0x1f];
                        }
                        boolean last = k == kept.length - 1;
                        IIOMetadata metadata = frameMetadata(writer, param, indexed, last ? LAST_FRAME_DELAY_MS : FRAME_DELAY_MS, k == 0);
                        writer.writeToSequence(new IIOImage(indexed, null, metadata), param);
                    }
                    writer.endWriteSequence();
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("animation " + file + ": cannot write: " + e.getMessage(), e);
        } finally {
            writer.dispose();
            g.dispose();
        }
    }

    /** The canvas of every frame: the data box below the title band. */
    static Canvas canvas(Bounds bounds) {
        return new Canvas(bounds, 0, Canvas.TITLE_BAND, WIDTH, HEIGHT - Canvas.TITLE_BAND);
    }

    /**
     * The frames kept of {@code n}: all where {@code n <= max}, else {@code round(k (n - 1) / (max - 1))} for
     * {@code k = 0 .. max - 1}, which starts at 0, ends at n - 1 and has no repeats.
     */
    static int[] frameIndices(int n, int max) {
        if (n <= max) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] kept = new int[max];
        for (int k = 0; k < max; k++) {
            kept[k] = (int) Math.round((double) k * (n - 1) / (max - 1));
        }
        return kept;
    }

    private static ImageWriter gifWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("gif");
        if (!writers.hasNext()) {
            throw new IllegalStateException("animation: no GIF writer in javax.imageio");
        }
        return writers.next();
    }

    /** Image metadata of one frame: its delay, no disposal, and on the first frame the NETSCAPE2.0 loop-forever block. */
    private static IIOMetadata frameMetadata(ImageWriter writer, ImageWriteParam param, BufferedImage image, int delayMs,
                                             boolean first) throws IOException {
        IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), param);
        String format = metadata.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
        IIOMetadataNode control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("delayTime", Integer.toString(Math.round(delayMs / 10f)));
        control.setAttribute("transparentColorIndex", "0");
        if (first) {
            IIOMetadataNode extensions = child(root, "ApplicationExtensions");
            IIOMetadataNode loop = new IIOMetadataNode("ApplicationExtension");
            loop.setAttribute("applicationID", "NETSCAPE");
            loop.setAttribute("authenticationCode", "2.0");
            loop.setUserObject(new byte[] {1, 0, 0}); // sub-block 1: loop count 0 = forever
            extensions.appendChild(loop);
        }
        metadata.setFromTree(format, root);
        return metadata;
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }
}
