package org.diffusion4j.process;

/** A DDPM noise schedule: the betas of steps 0..T-1. */
public sealed interface BetaSchedule {

    /** beta_0 .. beta_{T-1}. */
    double[] betas(int steps);

    String name();

    /** {@code beta_t = start + (end - start) t / (T - 1)} (torch.linspace(start, end, T)). */
    record Linear(double start, double end) implements BetaSchedule {
        public Linear {
            Checks.inRange("process.beta_start", start, Double.MIN_VALUE, 1.0 - 1e-12);
            Checks.inRange("process.beta_end", end, Double.MIN_VALUE, 1.0 - 1e-12);
            if (end < start) {
                throw new IllegalArgumentException("process.beta_end: must be >= beta_start = " + start + ", got " + end);
            }
        }

        @Override
        public double[] betas(int steps) {
            double[] b = new double[steps];
            for (int t = 0; t < steps; t++) {
                b[t] = steps == 1 ? start : start + (end - start) * t / (steps - 1);
            }
            return b;
        }

        @Override
        public String name() {
            return "linear";
        }
    }

    /**
     * Nichol and Dhariwal's cosine schedule: {@code alphaBar(t) = f(t) / f(0)}, {@code f(t) = cos^2((t/T + s) / (1 + s) pi/2)},
     * {@code beta_t = min(1 - alphaBar(t+1) / alphaBar(t), maxBeta)}.
     */
    record Cosine(double offset, double maxBeta) implements BetaSchedule {
        public Cosine {
            Checks.inRange("process.cosine_offset", offset, 0.0, 1.0);
            Checks.inRange("process.max_beta", maxBeta, Double.MIN_VALUE, 1.0 - 1e-12);
        }

        public static Cosine standard() {
            return new Cosine(0.008, 0.999);
        }

        @Override
        public double[] betas(int steps) {
            double[] b = new double[steps];
            for (int t = 0; t < steps; t++) {
                double ratio = f(t + 1, steps) / f(t, steps);
                b[t] = Math.min(1.0 - ratio, maxBeta);
            }
            return b;
        }

        private double f(double t, int steps) {
            double c = Math.cos((t / steps + offset) / (1 + offset) * Math.PI / 2);
            return c * c;
        }

        @Override
        public String name() {
            return "cosine";
        }
    }
}
