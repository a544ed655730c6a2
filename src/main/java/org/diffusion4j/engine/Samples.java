package org.diffusion4j.engine;

import java.util.List;

/** The result of sampling or forward simulation: final points (interleaved) and recorded frames with their times. */
public record Samples(double[] xy, List<double[]> frames, double[] frameTimes) {
    public int size() {
        return xy.length / 2;
    }
}
