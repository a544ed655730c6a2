package org.diffusion4j.run;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;

/**
 * The times at which a model's field can be drawn, in the process's own time: OU t in [t_min, t_end]; DDPM the step
 * index 0..T-1; the Gaussian path t in [0, t_max] (t = 0 is the noise end, 1 the data); noise levels the level index
 * 0..L-1 (0 the largest sigma).
 */
public final class FieldTimes {

    private FieldTimes() {
    }

    /** Three times from the noise end to the data end (fewer when the process has fewer distinct times). */
    public static double[] defaults(ForwardProcess p) {
        double[] r = range(p);
        double mid = discrete(p) ? Math.floor((r[0] + r[1]) / 2) : (r[0] + r[1]) / 2;
        boolean noiseAtHigh = p instanceof OrnsteinUhlenbeck || p instanceof Ddpm;
        double[] t = noiseAtHigh ? new double[] {r[1], mid, r[0]} : new double[] {r[0], mid, r[1]};
        return java.util.Arrays.stream(t).distinct().toArray();
    }

    /** The allowed [low, high] of a field time. */
    public static double[] range(ForwardProcess p) {
        if (p instanceof OrnsteinUhlenbeck ou) {
            return new double[] {ou.tMin(), ou.tEnd()};
        }
        if (p instanceof Ddpm d) {
            return new double[] {0, d.steps() - 1};
        }
        if (p instanceof GaussianPath g) {
            return new double[] {0, g.tMax()};
        }
        return new double[] {0, ((NoiseLevels) p).levels() - 1};
    }

    public static boolean discrete(ForwardProcess p) {
        return p instanceof Ddpm || p instanceof NoiseLevels;
    }

    /** Parses "t1,t2,..." for an option, each checked against the process's range. */
    public static double[] parse(String option, String text, ForwardProcess p) {
        List<Double> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String s = part.trim();
            double t;
            try {
                t = Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + s + "' is not a number; " + allowed(p));
            }
            out.add(check(option, t, p));
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** t itself when the process has that time, else a one-line error naming the option and the allowed times. */
    public static double check(String option, double t, ForwardProcess p) {
        double[] r = range(p);
        boolean ok = Double.isFinite(t) && t >= r[0] && t <= r[1] && (!discrete(p) || t == Math.rint(t));
        if (!ok) {
            throw new IllegalArgumentException(option + ": " + format(t) + " is outside the " + p.name() + " process's times; " + allowed(p));
        }
        return t;
    }

    private static String allowed(ForwardProcess p) {
        double[] r = range(p);
        if (p instanceof Ddpm) {
            return "allowed: step indices 0 to " + format(r[1]) + " (0 is the data end)";
        }
        if (p instanceof NoiseLevels) {
            return "allowed: level indices 0 to " + format(r[1]) + " (0 is the largest noise)";
        }
        if (p instanceof GaussianPath) {
            return "allowed: t in [0, " + format(r[1]) + "] (0 is the noise end, the data end is 1 less the guard)";
        }
        return "allowed: t in [" + format(r[0]) + ", " + format(r[1]) + "] (t_min to t_end)";
    }

    /** A compact rendering of a time, for messages and file names. */
    public static String format(double t) {
        if (t == Math.rint(t) && Math.abs(t) < 1e9) {
            return Long.toString((long) t);
        }
        return new BigDecimal(String.format(Locale.ROOT, "%.4g", t)).stripTrailingZeros().toPlainString();
    }
}
