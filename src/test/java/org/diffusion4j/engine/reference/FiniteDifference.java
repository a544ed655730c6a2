package org.diffusion4j.engine.reference;

import java.util.function.ToDoubleFunction;

/**
 * Central finite differences for gradient checks, in double.
 *
 * <p>The five-point central stencil
 * <pre>
 *   g ~ [8 (L(p + h) - L(p - h)) - (L(p + 2h) - L(p - 2h))] / (12 h)
 * </pre>
 * has truncation error {@code h^4 |L^(5)| / 30} and rounding error about {@code 3 eps_mach |L| / h}. With
 * {@code h = 3e-4 max(1, |p|)}: rounding about 2e-12 |L|, truncation about 3e-16 |L^(5)|, both far below the
 * 1e-6 relative tolerance for the O(1) losses and parameters of the tests. h = 1e-3 was measured to leave up to
 * 5e-7 (truncation: a LayerNorm row of small variance has large high derivatives), h = 1e-4 up to 7e-8
 * (rounding), h = 3e-4 at most 3e-8. The plain two-point stencil would need h ~ 1e-5, whose rounding error
 * 1e-16 |L| / 1e-5 = 1e-11 |L| comes within a factor of ten of the tolerance for small gradient entries.
 */
final class FiniteDifference {
    /** Relative step: h = STEP max(1, |p|). */
    static final double STEP = 3e-4;

    private FiniteDifference() {
    }

    /** The finite-difference gradient of f at p (p is restored after each probe). */
    static double[] gradient(ToDoubleFunction<double[]> f, double[] p) {
        double[] g = new double[p.length];
        for (int k = 0; k < p.length; k++) {
            double saved = p[k];
            double h = STEP * Math.max(1.0, Math.abs(saved));
            p[k] = saved + h;
            double fp1 = f.applyAsDouble(p);
            p[k] = saved - h;
            double fm1 = f.applyAsDouble(p);
            p[k] = saved + 2 * h;
            double fp2 = f.applyAsDouble(p);
            p[k] = saved - 2 * h;
            double fm2 = f.applyAsDouble(p);
            p[k] = saved;
            g[k] = (8 * (fp1 - fm1) - (fp2 - fm2)) / (12 * h);
        }
        return g;
    }

    /** max_k |a_k - b_k| / max(|a_k|, |b_k|, floor). */
    static double maxRelativeError(double[] a, double[] b, double floor) {
        double worst = 0;
        for (int k = 0; k < a.length; k++) {
            double scale = Math.max(Math.max(Math.abs(a[k]), Math.abs(b[k])), floor);
            worst = Math.max(worst, Math.abs(a[k] - b[k]) / scale);
        }
        return worst;
    }

    /** Index of the worst entry of {@link #maxRelativeError}. */
    static int worstIndex(double[] a, double[] b, double floor) {
        int at = 0;
        double worst = -1;
        for (int k = 0; k < a.length; k++) {
            double scale = Math.max(Math.max(Math.abs(a[k]), Math.abs(b[k])), floor);
            double e = Math.abs(a[k] - b[k]) / scale;
            if (e > worst) {
                worst = e;
                at = k;
            }
        }
        return at;
    }
}
