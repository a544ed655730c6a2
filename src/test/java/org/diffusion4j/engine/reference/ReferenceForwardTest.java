package org.diffusion4j.engine.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.ForwardSetup;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.GaussianPath;
import org.diffusion4j.process.NoiseLevels;
import org.diffusion4j.process.OrnsteinUhlenbeck;
import org.diffusion4j.rng.NoiseStream;
import org.junit.jupiter.api.Test;

/**
 * Forward simulation against the closed-form marginals. Statistical tolerance: 5 standard errors, for the mean
 * {@code sqrt(V / n)} and for the variance {@code sqrt((E[(x - m)^4] - V^2) / n)} (2 V^2 / n for a Gaussian); n = 20000
 * particles, so each check holds with probability 1 - 6e-7 for a correct simulator, and the seeds are fixed.
 */
class ReferenceForwardTest {
    static final int N = 20000;
    static final long SEED = 4242;

    /** Per coordinate c: {mean, population variance} over the particles. */
    static double[] moments(double[] xy, int c) {
        int n = xy.length / 2;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += xy[2 * i + c];
        }
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) {
            double d = xy[2 * i + c] - mean;
            var += d * d;
        }
        return new double[] {mean, var / n};
    }

    static Points pointMass(double x, double y, int n) {
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            xy[2 * i] = x;
            xy[2 * i + 1] = y;
        }
        return Points.of(xy);
    }

    @Test
    void ouEulerMaruyamaMatchesItsExactDiscreteLawAndTheClosedFormUpToItsBias() {
        // x_{k+1} = q x_k + sigma sqrt(h) z, q = 1 - lambda h: exactly Gaussian with mean q^k x0 and variance
        // sigma^2 h (1 - q^2k) / (1 - q^2). Its O(h) bias against the SDE's marginal is bounded separately below.
        OrnsteinUhlenbeck ou = new OrnsteinUhlenbeck(1, Math.sqrt(2), 2, 1e-3, 200);
        int steps = 200;
        double h = ou.tEnd() / steps;
        double[] x0 = {1.5, -2};
        Samples s = ReferenceForward.simulate(new ForwardSetup(ou, pointMass(x0[0], x0[1], N), ForwardSetup.Method.STEPWISE, steps, 50, SEED));
        assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2}, s.frameTimes(), 1e-12);
        assertEquals(5, s.frames().size());
        assertArrayEquals(s.frames().get(4), s.xy(), 0.0);
        double q = 1 - h;
        double sigma2 = 2;
        for (int f = 1; f < s.frames().size(); f++) {
            int k = 50 * f;
            double t = s.frameTimes()[f];
            double meanFactor = Math.pow(q, k);
            double var = sigma2 * h * (1 - Math.pow(q, 2 * k)) / (1 - q * q);
            // Euler-Maruyama's variance bias: stationary sigma^2 / (2 lambda - lambda^2 h) vs sigma^2 / (2 lambda) is
            // ~ sigma^2 h / 4, the transient adds < sigma^2 h / (4e); bound sigma^2 h / 2 (about 1.5x the largest value).
            assertEquals(ou.variance(t), var, sigma2 * h / 2, "EM variance bias at t = " + t);
            // and the mean factor q^k = e^{-lambda t (1 + O(h))}: |q^k - e^-t| <= t e^-t h ~ h / e.
            assertEquals(ou.signal(t), meanFactor, h / Math.E + 1e-12, "EM mean bias at t = " + t);
            for (int c = 0; c < 2; c++) {
                double[] m = moments(s.frames().get(f), c);
                assertEquals(meanFactor * x0[c], m[0], 5 * Math.sqrt(var / N), "mean at t = " + t);
                assertEquals(var, m[1], 5 * var * Math.sqrt(2.0 / N), "variance at t = " + t);
            }
        }
    }

    @Test
    void ouClosedFormMatchesTheMarginal() {
        OrnsteinUhlenbeck ou = OrnsteinUhlenbeck.document000();
        double[] x0 = {0.3, 1.2};
        Samples s = ReferenceForward.simulate(new ForwardSetup(ou, pointMass(x0[0], x0[1], N), ForwardSetup.Method.CLOSED_FORM, 250, 50, SEED));
        assertEquals(6, s.frames().size());
        assertArrayEquals(pointMass(x0[0], x0[1], N).xy(), s.frames().get(0), 0.0);
        for (int f = 1; f < s.frames().size(); f++) {
            double t = s.frameTimes()[f];
            double var = ou.variance(t);
            for (int c = 0; c < 2; c++) {
                double[] m = moments(s.frames().get(f), c);
                assertEquals(ou.signal(t) * x0[c], m[0], 5 * Math.sqrt(var / N), "mean at t = " + t);
                assertEquals(var, m[1], 5 * var * Math.sqrt(2.0 / N), "variance at t = " + t);
            }
        }
    }

    @Test
    void ddpmStepwiseAndClosedFormMatchTheMarginalOfADataSet() {
        // Data: the ring, n = 20000. Given the data (centred coordinate c_i, population variance V0), x_t = a c_i + s e_i
        // has particle mean a mean(c) + s mean(e) (SE s / sqrt(n)) and population variance a^2 V0 + s^2 (n - 1) / n, whose
        // fluctuation comes from s^2 var(e) and 2 a s cov(c, e): SE sqrt((2 s^4 + 4 a^2 s^2 V0) / n).
        Ddpm ddpm = Ddpm.linear(200, 1e-4, 0.02);
        Points data = GaussianMixture.symmetric(8, 3, 0.25).sample(N, 77);
        for (ForwardSetup.Method method : ForwardSetup.Method.values()) {
            Samples s = ReferenceForward.simulate(new ForwardSetup(ddpm, data, method, 200, 50, SEED));
            assertArrayEquals(new double[] {-1, 49, 99, 149, 199}, s.frameTimes(), 0.0);
            assertArrayEquals(data.xy(), s.frames().get(0), 0.0);
            for (int f = 1; f < s.frames().size(); f++) {
                int t = (int) s.frameTimes()[f];
                double a = ddpm.signal(t);
                double sd = ddpm.noise(t);
                for (int c = 0; c < 2; c++) {
                    double[] m0 = moments(data.xy(), c);
                    double[] m = moments(s.frames().get(f), c);
                    double var = a * a * m0[1] + sd * sd * (N - 1.0) / N;
                    double seVar = Math.sqrt((2 * Math.pow(sd, 4) + 4 * a * a * sd * sd * m0[1]) / N);
                    assertEquals(a * m0[0], m[0], 5 * sd / Math.sqrt(N), method + " mean at t = " + t);
                    assertEquals(var, m[1], 5 * seVar, method + " variance at t = " + t);
                }
            }
        }
    }

    @Test
    void noiseLayoutIsThatOfTheSetup() {
        // STEPWISE DDPM step k draws normals(seed, i, k + 1); CLOSED_FORM state k draws normals(seed, i, k). By hand
        // for particle 1 after one step, and for the closed form at state 2; same arithmetic, so 1e-15.
        Ddpm ddpm = Ddpm.linear(10, 1e-4, 0.02);
        Points data = Points.of(new double[] {0.5, -0.25, 2.0, 1.0});
        NoiseStream stream = new NoiseStream(9);
        double[] z = new double[4];
        Samples step = ReferenceForward.simulate(new ForwardSetup(ddpm, data, ForwardSetup.Method.STEPWISE, 1, 1, 9));
        stream.normals(1, 1, z);
        double b = ddpm.beta(0);
        assertEquals(Math.sqrt(1 - b) * 2.0 + Math.sqrt(b) * z[0], step.xy()[2], 1e-15);
        assertEquals(Math.sqrt(1 - b) * 1.0 + Math.sqrt(b) * z[1], step.xy()[3], 1e-15);
        Samples closed = ReferenceForward.simulate(new ForwardSetup(ddpm, data, ForwardSetup.Method.CLOSED_FORM, 2, 1, 9));
        stream.normals(1, 2, z);
        assertEquals(ddpm.signal(1) * 2.0 + ddpm.noise(1) * z[0], closed.xy()[2], 1e-15);
        assertEquals(3, closed.frames().size());
    }

    @Test
    void closedFormOnThePathAndTheLevels() {
        Points data = Points.of(new double[] {1, 2});
        Samples path = ReferenceForward.simulate(new ForwardSetup(new GaussianPath(0.999, 10), data, ForwardSetup.Method.CLOSED_FORM, 4, 1, 3));
        assertArrayEquals(new double[] {1, 0.75, 0.5, 0.25, 0}, path.frameTimes(), 1e-15);
        NoiseStream stream = new NoiseStream(3);
        double[] z = new double[4];
        stream.normals(0, 4, z);
        // t = 0: pure noise, alpha_0 = 0, beta_0 = 1.
        assertArrayEquals(new double[] {z[0], z[1]}, path.xy(), 1e-15);
        NoiseLevels levels = new NoiseLevels(10, 0.01, 4, 10);
        Samples noised = ReferenceForward.simulate(new ForwardSetup(levels, data, ForwardSetup.Method.CLOSED_FORM, 4, 2, 3));
        assertArrayEquals(new double[] {-1, 2, 0}, noised.frameTimes(), 0.0);
        assertEquals(1 + 10 * z[0], noised.xy()[0], 1e-13);
    }

    @Test
    void badInputIsRejected() {
        Points data = Points.of(new double[] {1, 2});
        IllegalArgumentException path = assertThrows(IllegalArgumentException.class,
                () -> ReferenceForward.simulate(new ForwardSetup(new GaussianPath(0.999, 10), data, ForwardSetup.Method.STEPWISE, 4, 1, 3)));
        assertTrue(path.getMessage().startsWith("method:"), path.getMessage());
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> ReferenceForward.simulate(new ForwardSetup(Ddpm.linear(10, 1e-4, 0.02), data, ForwardSetup.Method.STEPWISE, 11, 1, 3)));
        assertTrue(tooMany.getMessage().startsWith("steps:"), tooMany.getMessage());
    }
}
