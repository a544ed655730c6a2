package org.diffusion4j.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.diffusion4j.data.GaussianMixture;
import org.junit.jupiter.api.Test;

class NoisedMixtureTest {
    private static final GaussianMixture RING = GaussianMixture.symmetric(8, 3, 0.25);
    private static final GaussianMixture GMM11 = GaussianMixture.symmetric(11, 10, 1);

    /** Points near and far from the modes, including one far out where every responsibility underflows without log-sum-exp. */
    private static double[] points(long seed, int n, double scale) {
        Random random = new Random(seed);
        double[] xy = new double[2 * n + 2];
        for (int i = 0; i < 2 * n; i++) {
            xy[i] = scale * random.nextGaussian();
        }
        xy[2 * n] = 60;
        xy[2 * n + 1] = -45;
        return xy;
    }

    private record Case(ForwardProcess process, double t) {
    }

    private static List<Case> cases() {
        return List.of(new Case(new OrnsteinUhlenbeck(1, Math.sqrt(2), 10, 1e-3, 100), 0.05),
                new Case(new OrnsteinUhlenbeck(1, Math.sqrt(2), 10, 1e-3, 100), 1.3),
                new Case(OrnsteinUhlenbeck.document000(), 0.0),
                new Case(Ddpm.linear(1000, 1e-4, 0.02), 0), new Case(Ddpm.linear(1000, 1e-4, 0.02), 120),
                new Case(Ddpm.cosine(200), 199), new Case(new GaussianPath(0.999, 100), 0.3),
                new Case(new GaussianPath(0.999, 100), 0.97), new Case(new NoiseLevels(10, 0.01, 10, 10), 4));
    }

    @Test
    void scoreMatchesFiniteDifferencesOfTheLogDensity() {
        // Central differences with d = 1e-5: truncation d^2 / 6 |f'''| with |f'''| at most ~1e4 between the sharpest
        // modes (v = 0.0625) is < 2e-7; rounding ~ 1e-16 |log p| / d < 1e-9. Tolerance 2e-5 (1 + |score|).
        double d = 1e-5;
        for (GaussianMixture mixture : List.of(RING, GMM11)) {
            for (Case c : cases()) {
                NoisedMixture field = new NoisedMixture(mixture, c.process());
                double[] xy = points(7, 40, mixture == RING ? 3 : 10);
                double[] score = new double[xy.length];
                field.score(xy, c.t(), score);
                for (int i = 0; i < xy.length; i += 2) {
                    double x = xy[i];
                    double y = xy[i + 1];
                    double gx = (field.logDensity(x + d, y, c.t()) - field.logDensity(x - d, y, c.t())) / (2 * d);
                    double gy = (field.logDensity(x, y + d, c.t()) - field.logDensity(x, y - d, c.t())) / (2 * d);
                    assertEquals(gx, score[i], 2e-5 * (1 + Math.abs(gx)), () -> c + " x at " + x + "," + y);
                    assertEquals(gy, score[i + 1], 2e-5 * (1 + Math.abs(gy)), () -> c + " y at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void logDensityAtTimeZeroOfOuIsTheDataDensity() {
        // a(0) = 1, s(0) = 0: the marginal is the mixture itself; both sums are the same formula, so 1e-12.
        NoisedMixture field = new NoisedMixture(RING, OrnsteinUhlenbeck.document000());
        double[] xy = points(3, 20, 3);
        for (int i = 0; i < xy.length; i += 2) {
            assertEquals(RING.logDensity(xy[i], xy[i + 1]), field.logDensity(xy[i], xy[i + 1], 0.0), 1e-12);
        }
    }

    @Test
    void posteriorMeanSatisfiesTweedie() {
        // E[x0 | x] = (x + s^2 score) / a; the two are independent sums, agreement to rounding (1e-9 relative).
        for (Case c : cases()) {
            if (c.process().signal(c.t()) < 1e-3) {
                continue;
            }
            NoisedMixture field = new NoisedMixture(GMM11, c.process());
            double[] xy = points(11, 30, 10);
            double[] score = new double[xy.length];
            double[] mean = new double[xy.length];
            field.score(xy, c.t(), score);
            field.posteriorMean(xy, c.t(), mean);
            double a = c.process().signal(c.t());
            double s = c.process().noise(c.t());
            for (int i = 0; i < xy.length; i++) {
                double tweedie = (xy[i] + s * s * score[i]) / a;
                assertEquals(tweedie, mean[i], 1e-9 * (1 + Math.abs(tweedie)), c.toString());
            }
        }
    }

    @Test
    void velocityIsConsistentWithTheScore() {
        // u = alpha'/alpha x + (beta^2 alpha'/alpha - beta' beta) score, alpha = t, beta = sqrt(1 - t); same closed form
        // by a different route, so agreement to rounding: 1e-9 (1 + |u|).
        GaussianPath path = new GaussianPath(0.999, 100);
        for (GaussianMixture mixture : List.of(RING, GMM11)) {
            NoisedMixture field = new NoisedMixture(mixture, path);
            assertTrue(field.hasVelocity());
            for (double t : new double[] {0.05, 0.3, 0.5, 0.8, 0.99}) {
                double[] xy = points(5, 30, 6);
                double[] u = new double[xy.length];
                double[] score = new double[xy.length];
                field.velocity(xy, t, u);
                field.score(xy, t, score);
                double alpha = t;
                double beta = Math.sqrt(1 - t);
                double betaRate = -0.5 / Math.sqrt(1 - t);
                for (int i = 0; i < xy.length; i++) {
                    double expected = xy[i] / alpha + (beta * beta / alpha - betaRate * beta) * score[i];
                    assertEquals(expected, u[i], 1e-9 * (1 + Math.abs(expected)), "t = " + t);
                }
            }
        }
    }

    @Test
    void velocitySolvesTheContinuityEquation() {
        // d/dt log p + div u + u . grad log p = 0 at t = 0.4 and 0.7, all derivatives by central differences
        // (d = 1e-4: truncation ~ 1e-8 |f'''|, rounding ~ 1e-12 / 1e-4); tolerance 1e-4 (1 + |d/dt log p|).
        NoisedMixture field = new NoisedMixture(RING, new GaussianPath(0.999, 100));
        double d = 1e-4;
        double[] xy = points(9, 20, 3);
        for (double t : new double[] {0.4, 0.7}) {
            for (int i = 0; i < xy.length; i += 2) {
                double x = xy[i];
                double y = xy[i + 1];
                double dt = (field.logDensity(x, y, t + d) - field.logDensity(x, y, t - d)) / (2 * d);
                double[] p = {x, y, x + d, y, x - d, y, x, y + d, x, y - d};
                double[] u = new double[p.length];
                double[] score = new double[p.length];
                field.velocity(p, t, u);
                field.score(p, t, score);
                double div = (u[2] - u[4]) / (2 * d) + (u[7] - u[9]) / (2 * d);
                double residual = dt + div + u[0] * score[0] + u[1] * score[1];
                assertEquals(0.0, residual, 1e-4 * (1 + Math.abs(dt)), "t = " + t + " at " + x + "," + y);
            }
        }
    }

    @Test
    void whereTheSignalVanishesTheScoreIsThePriors() {
        // Gaussian path at t = 0: a = 0, s = 1, so p_0 = N(0, I) exactly and score = -x (exact arithmetic up to 1e-15).
        NoisedMixture path = new NoisedMixture(GMM11, new GaussianPath(0.999, 100));
        double[] xy = points(13, 20, 4);
        double[] score = new double[xy.length];
        path.score(xy, 0.0, score);
        for (int i = 0; i < xy.length; i++) {
            assertEquals(-xy[i], score[i], 1e-12 * (1 + Math.abs(xy[i])));
        }
        // OU with lambda = 1, sigma = sqrt(2) at t = 30: a = e^-30 ~ 1e-13, the prior N(0, I); a mu ~ 1e-12 offsets
        // the score by at most ~1e-12.
        NoisedMixture ou = new NoisedMixture(GMM11, new OrnsteinUhlenbeck(1, Math.sqrt(2), 30, 1e-3, 100));
        ou.score(xy, 30.0, score);
        for (int i = 0; i < xy.length; i++) {
            assertEquals(-xy[i], score[i], 1e-10);
        }
        // DDPM T = 1000, linear 1e-4..0.02: alphaBar_999 ~ 4e-5, a ~ 6e-3, so the score is -x up to a mu v ~ 0.06 for
        // gmm11 (|mu| = 10) plus a^2 sigma^2 |x| ~ 4e-5 |x|.
        NoisedMixture ddpm = new NoisedMixture(GMM11, Ddpm.linear(1000, 1e-4, 0.02));
        ddpm.score(xy, 999, score);
        for (int i = 0; i < xy.length; i++) {
            assertEquals(-xy[i], score[i], 0.07 + 1e-4 * Math.abs(xy[i]));
        }
    }

    @Test
    void velocityOnlyOnTheGaussianPath() {
        NoisedMixture ou = new NoisedMixture(RING, OrnsteinUhlenbeck.document000());
        NoisedMixture ddpm = new NoisedMixture(RING, Ddpm.linear(100, 1e-4, 0.02));
        assertFalse(ou.hasVelocity());
        assertFalse(ddpm.hasVelocity());
        assertThrows(UnsupportedOperationException.class, () -> ou.velocity(new double[2], 0.5, new double[2]));
    }

    @Test
    void velocityIsClampedByTheGuard() {
        // At t = 1 the path's beta'/beta is infinite; the field is evaluated at tMax instead, identically.
        NoisedMixture field = new NoisedMixture(RING, new GaussianPath(0.99, 100));
        double[] xy = {3.1, 0.2, -0.5, 2.0};
        double[] at1 = new double[4];
        double[] atMax = new double[4];
        field.velocity(xy, 1.0, at1);
        field.velocity(xy, 0.99, atMax);
        for (int i = 0; i < 4; i++) {
            assertTrue(Double.isFinite(at1[i]));
            assertEquals(atMax[i], at1[i], 0.0);
        }
    }

    @Test
    void badInputIsRejected() {
        NoisedMixture field = new NoisedMixture(RING, OrnsteinUhlenbeck.document000());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> field.score(new double[3], 0.5, new double[3]));
        assertTrue(odd.getMessage().startsWith("xy:"));
        IllegalArgumentException shortOut = assertThrows(IllegalArgumentException.class, () -> field.score(new double[4], 0.5, new double[2]));
        assertTrue(shortOut.getMessage().startsWith("out:"));
        assertThrows(IllegalArgumentException.class, () -> new NoisedMixture(null, OrnsteinUhlenbeck.document000()));
        NoisedMixture ddpm = new NoisedMixture(RING, Ddpm.linear(100, 1e-4, 0.02));
        assertThrows(IllegalArgumentException.class, () -> ddpm.score(new double[2], 0.5, new double[2]));
    }
}
