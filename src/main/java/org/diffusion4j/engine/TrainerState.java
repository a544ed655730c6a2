package org.diffusion4j.engine;

/**
 * Everything a {@link Trainer} needs to continue bit for bit: the updates done (which also fixes the position in the
 * noise stream of minibatches), the parameters, Adam's moments and the EMA of the weights (null without EMA), each in
 * the network's flat layout. Doubles hold the reference engine's state exactly and the float engines' losslessly.
 */
public record TrainerState(int step, double[] parameters, double[] m, double[] v, double[] ema) {
    public TrainerState {
        if (step < 0) {
            throw new IllegalArgumentException("step: must be >= 0, got " + step);
        }
        int n = parameters.length;
        if (m.length != n || v.length != n || (ema != null && ema.length != n)) {
            throw new IllegalArgumentException("state: parameters, moments and EMA differ in length");
        }
    }

    /** The float values of a double array (exact for the float engines' own values). */
    public static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** The values of a float array as doubles. */
    public static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
