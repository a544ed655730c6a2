package org.diffusion4j.engine.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.data.GaussianMixture;
import org.diffusion4j.engine.MixtureSlots;
import org.diffusion4j.engine.Progress;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingPlan;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.model.Condition;
import org.diffusion4j.objective.Parameterization;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.process.NoisedMixture;
import org.diffusion4j.rng.NoiseStream;
import org.diffusion4j.run.Sampling;
import org.diffusion4j.sampler.GaussianPrior;

/**
 * Sampling on the CPU engine: each tile of particles runs all its updates in one pass, tiles in parallel.
 *
 * <p>Every sampler is written as per-update coefficients, computed in double and rounded to float, with S the score
 * and U the velocity at the update's field time:
 * <pre>
 *   Euler-type   x = cx x + cs S(x, t) + cu U(x, t) + cz z
 *   Heun         d1 = kx x + ks S(x, t) + ku U(x, t),  p = x + h d1,
 *                d2 = kx' p + ks' S(p, t') + ku' U(p, t'),  x = x + h / 2 (d1 + d2)
 *   ddpm         cx = 1 / sqrt(alpha_t), cs = beta_t / sqrt(alpha_t), cz = sigma_t (0 at t = 0)
 *   reverse-sde  cx = 1 + h k, cs = h g^2, cz = g sqrt(h);   pf-euler: cx = 1 + h k, cs = h g^2 / 2
 *   flow ODE     cx = 1, cu = h;   langevin-flow: cs = h sigma^2 / 2, cz = sigma sqrt(h)
 *   annealed     cx = 1, cs = a_i / 2, cz = sqrt(a_i)
 *   memory       x += cp m, then m = mx x + ms S from the update's x and S (DPM-Solver++'s previous data prediction)
 * </pre>
 * The time grids, the noise layout (prior from normals(seed, i, 0), update k from normals(seed, i, k + 1), here the
 * float Box-Muller of {@link NoiseStream#boxMullerF32}), the frames and their times are those of the reference
 * samplers. Time-only network terms are computed once per distinct time and shared by all particles.
 */
final class CpuSampler {
    private CpuSampler() {
    }

    static Samples sample(CpuEngine engine, SamplingSetup setup, Progress progress) {
        SamplingPlan plan = SamplingPlan.of(setup);
        Field field = field(setup, plan);
        int n = setup.particles();
        int total = plan.updates;
        int[] frameOf = plan.frameOf(setup.recordEvery());
        int frames = SamplingPlan.frames(frameOf);
        double[][] frameData = new double[frames][2 * n];
        double[] frameTimes = plan.frameTimes(frameOf);
        double[] result = new double[2 * n];
        float[] prior = prior(setup);
        NoiseStream stream = new NoiseStream(setup.seed());
        long grand = (long) n * total;
        long[] done = {0};
        Object lock = new Object();
        int tiles = (n + CpuNetwork.TILE - 1) / CpuNetwork.TILE;
        engine.parallel(tiles, () -> new Worker(field.scratch()), (w, u) -> {
            int from = u * CpuNetwork.TILE;
            int m = Math.min(CpuNetwork.TILE, n - from);
            run(plan, field, stream, prior, w, from, m, frameOf, frameData, result);
            synchronized (lock) {
                done[0] += (long) m * total;
                progress.update(done[0], grand);
            }
        });
        List<double[]> list = new ArrayList<>(frames);
        for (double[] f : frameData) {
            list.add(f);
        }
        return new Samples(result, List.copyOf(list), frameTimes);
    }

    /** Per-thread state of a tile. */
    private static final class Worker {
        final Object fieldScratch;
        final float[] x = new float[2 * CpuNetwork.TILE];
        final float[] z = new float[2 * CpuNetwork.TILE];
        final float[] score = new float[2 * CpuNetwork.TILE];
        final float[] vel = new float[2 * CpuNetwork.TILE];
        final float[] pred = new float[2 * CpuNetwork.TILE];
        final float[] d1 = new float[2 * CpuNetwork.TILE];
        final float[] memory = new float[2 * CpuNetwork.TILE];
        final int[] words = new int[4];
        final float[] normals = new float[4];

        Worker(Object fieldScratch) {
            this.fieldScratch = fieldScratch;
        }
    }

    /** All updates of particles [from, from + m). */
    private static void run(SamplingPlan plan, Field field, NoiseStream stream, float[] prior, Worker w, int from, int m, int[] frameOf,
                            double[][] frames, double[] result) {
        float[] x = w.x;
        for (int q = 0; q < m; q++) {
            stream.words(from + q, 0, w.words);
            NoiseStream.boxMullerF32(w.words[0], w.words[1], w.normals, 0);
            x[2 * q] = prior[0] + prior[2] * w.normals[0];
            x[2 * q + 1] = prior[1] + prior[3] * w.normals[0] + prior[4] * w.normals[1];
        }
        if (plan.keeps) {
            Arrays.fill(w.memory, 0, 2 * m, 0f);
        }
        record(frameOf[0], frames, x, from, m);
        field.startTile(w.fieldScratch, from, m);
        boolean useS = plan.useScore;
        boolean useU = plan.useVelocity;
        float[] sc = w.score;
        float[] u = w.vel;
        for (int k = 0; k < plan.updates; k++) {
            float cz = plan.cz[k];
            if (cz != 0f) {
                for (int q = 0; q < m; q++) {
                    stream.words(from + q, k + 1L, w.words);
                    NoiseStream.boxMullerF32(w.words[0], w.words[1], w.normals, 0);
                    w.z[2 * q] = w.normals[0];
                    w.z[2 * q + 1] = w.normals[1];
                }
            }
            field.eval(w.fieldScratch, m, x, plan.slot[k], useS ? sc : null, useU ? u : null);
            if (!plan.heun[k]) {
                float cx = plan.cx[k];
                float cs = useS ? plan.cs[k] : 0f;
                float cu = useU ? plan.cu[k] : 0f;
                boolean keeps = plan.keeps;
                float cp = plan.cp[k];
                float mx = plan.mx[k];
                float ms = plan.ms[k];
                for (int i = 0; i < 2 * m; i++) {
                    float v = cx * x[i];
                    if (keeps) {
                        v += cp * w.memory[i];
                        w.memory[i] = mx * x[i] + ms * sc[i];
                    }
                    if (useS) {
                        v += cs * sc[i];
                    }
                    if (useU) {
                        v += cu * u[i];
                    }
                    if (cz != 0f) {
                        v += cz * w.z[i];
                    }
                    x[i] = v;
                }
            } else {
                float h = plan.h[k];
                float kx = plan.kx[k];
                float ks = plan.ks[k];
                float ku = plan.ku[k];
                for (int i = 0; i < 2 * m; i++) {
                    float d = kx * x[i];
                    if (useS) {
                        d += ks * sc[i];
                    }
                    if (useU) {
                        d += ku * u[i];
                    }
                    w.d1[i] = d;
                    w.pred[i] = x[i] + h * d;
                }
                field.eval(w.fieldScratch, m, w.pred, plan.slotNext[k], useS ? sc : null, useU ? u : null);
                float kxN = plan.kxN[k];
                float ksN = plan.ksN[k];
                float kuN = plan.kuN[k];
                float half = 0.5f * h;
                for (int i = 0; i < 2 * m; i++) {
                    float d = kxN * w.pred[i];
                    if (useS) {
                        d += ksN * sc[i];
                    }
                    if (useU) {
                        d += kuN * u[i];
                    }
                    x[i] += half * (w.d1[i] + d);
                }
            }
            record(frameOf[k + 1], frames, x, from, m);
        }
        for (int i = 0; i < 2 * m; i++) {
            result[2 * from + i] = x[i];
        }
    }

    /** The setup's prior as float {mx, my, l11, l21, l22}. */
    private static float[] prior(SamplingSetup setup) {
        GaussianPrior p = setup.prior();
        return new float[] {(float) p.mx(), (float) p.my(), (float) p.l11(), (float) p.l21(), (float) p.l22()};
    }

    private static void record(int frame, double[][] frames, float[] x, int from, int m) {
        if (frame < 0) {
            return;
        }
        double[] f = frames[frame];
        for (int i = 0; i < 2 * m; i++) {
            f[2 * from + i] = x[i];
        }
    }

    // ------------------------------------------------------------------------------------------ fields

    /** The score and velocity of a tile at one of the plan's times (a slot). */
    private interface Field {
        Object scratch();

        /** Called once per tile before its updates (per-particle conditioning). */
        void startTile(Object scratch, int from, int m);

        /** Writes the score and/or the velocity (when the array is not null) at the m points of {@code xy}. */
        void eval(Object scratch, int m, float[] xy, int slot, float[] score, float[] vel);
    }

    private static Field field(SamplingSetup setup, SamplingPlan plan) {
        ScoreSource source = setup.source();
        ForwardProcess process = setup.process();
        if (source instanceof ScoreSource.ExactMixture exact) {
            return new MixtureField(exact.mixture(), process, plan);
        }
        SamplingPlan.Networks nets = plan.networks(setup);
        NetField s = nets.score() != null ? new NetField(nets.score(), process, plan, setup.particles()) : null;
        NetField u = nets.velocity() != null ? new NetField(nets.velocity(), process, plan, setup.particles()) : null;
        return new Field() {
            @Override
            public Object scratch() {
                return new Object[] {s == null ? null : s.scratch(), u == null ? null : u.scratch()};
            }

            @Override
            public void startTile(Object scratch, int from, int m) {
                Object[] pair = (Object[]) scratch;
                if (s != null) {
                    s.startTile((NetScratch) pair[0], from, m);
                }
                if (u != null) {
                    u.startTile((NetScratch) pair[1], from, m);
                }
            }

            @Override
            public void eval(Object scratch, int m, float[] xy, int slot, float[] score, float[] vel) {
                Object[] pair = (Object[]) scratch;
                if (score != null) {
                    s.eval((NetScratch) pair[0], m, xy, slot, score);
                }
                if (vel != null) {
                    u.eval((NetScratch) pair[1], m, xy, slot, vel);
                }
            }
        };
    }

    /** A network field's per-worker state: the tile with its conditions and, when guided, with the null condition. */
    private record NetScratch(CpuNetwork.Scratch cond, CpuNetwork.Scratch none, float[] unguided) {
    }

    /**
     * A network's field: the score {@code A f + B x} of its prediction ({@link Parameterization#scoreAffine}), or the
     * velocity {@code f}; the time context of every slot computed once.
     */
    private static final class NetField {
        final CpuNetwork net;
        final Condition condition;
        final float[][] contexts;
        final float[] scale;
        final float[] shift;
        final float guidance;
        final Condition none;

        NetField(ScoreSource.Network source, ForwardProcess process, SamplingPlan plan, int particles) {
            this.net = new CpuNetwork(source.spec(), source.parameters());
            if (source.condition() == null) {
                throw new IllegalArgumentException("condition: required, Condition.NONE for an unconditional network");
            }
            source.condition().check(source.spec().conditioning(), particles);
            this.condition = source.condition();
            this.guidance = (float) source.guidance();
            this.none = Condition.none(source.spec().conditioning(), 1);
            int slots = plan.times.size();
            this.contexts = new float[slots][];
            this.scale = new float[slots];
            this.shift = new float[slots];
            CpuNetwork.Scratch s = net.scratch();
            for (int k = 0; k < slots; k++) {
                double t = plan.times.get(k);
                contexts[k] = net.contextRow(s, t);
                if (source.parameterization() != Parameterization.VELOCITY) {
                    double[] ab = source.parameterization().scoreAffine(process, t);
                    scale[k] = (float) ab[0];
                    shift[k] = (float) ab[1];
                } else {
                    scale[k] = 1f;
                }
            }
        }

        NetScratch scratch() {
            return new NetScratch(net.scratch(), guidance != 1f ? net.scratch() : null, guidance != 1f ? new float[2 * CpuNetwork.TILE] : null);
        }

        void startTile(NetScratch s, int from, int m) {
            for (int q = 0; q < m; q++) {
                net.setCondition(s.cond(), q, condition, from + q);
                if (s.none() != null) {
                    net.setCondition(s.none(), q, none, 0);
                }
            }
        }

        /** The field at the m points of xy, guided {@code f(null) + w (f(c) - f(null))} where the source says. */
        void eval(NetScratch s, int m, float[] xy, int slot, float[] out) {
            evalOnce(s.cond(), m, xy, slot, out);
            if (s.none() != null) {
                float[] u = s.unguided();
                evalOnce(s.none(), m, xy, slot, u);
                for (int i = 0; i < 2 * m; i++) {
                    out[i] = u[i] + guidance * (out[i] - u[i]);
                }
            }
        }

        private void evalOnce(CpuNetwork.Scratch s, int m, float[] xy, int slot, float[] out) {
            System.arraycopy(xy, 0, s.xy, 0, 2 * m);
            float[] row = contexts[slot];
            for (int q = 0; q < m; q++) {
                s.ctxRow[q] = row;
            }
            net.forward(s, m);
            float c = scale[slot];
            float b = shift[slot];
            for (int q = 0; q < m; q++) {
                out[2 * q] = s.out[q][0] * c + b * xy[2 * q];
                out[2 * q + 1] = s.out[q][1] * c + b * xy[2 * q + 1];
            }
        }
    }

    /**
     * The closed-form noised mixture of {@link NoisedMixture} in float: responsibilities
     * {@code r_k = softmax(-|x - a mu_k|^2 / (2v))}, score {@code sum_k r_k (a mu_k - x) / v}, and on the Gaussian path
     * {@code u = alpha' E + beta'/beta (x - alpha E)}, {@code E = sum_k r_k (mu_k + a sigma^2 / v (x - a mu_k))} at the
     * clamped time.
     */
    private static final class MixtureField implements Field {
        final float[] mx;
        final float[] my;
        /** Per slot: aS, vS, aV, vV, gainV, alphaV, rateV, ratioV ({@link MixtureSlots}). */
        final float[] c;

        MixtureField(GaussianMixture mixture, ForwardProcess process, SamplingPlan plan) {
            float[] means = MixtureSlots.means(mixture);
            int kk = mixture.components();
            mx = new float[kk];
            my = new float[kk];
            for (int k = 0; k < kk; k++) {
                mx[k] = means[2 * k];
                my[k] = means[2 * k + 1];
            }
            c = MixtureSlots.table(mixture, process, plan);
        }

        @Override
        public Object scratch() {
            return new float[mx.length];
        }

        @Override
        public void startTile(Object scratch, int from, int m) {
        }

        @Override
        public void eval(Object scratch, int m, float[] xy, int slot, float[] score, float[] vel) {
            float[] r = (float[]) scratch;
            int o = MixtureSlots.WIDTH * slot;
            for (int q = 0; q < m; q++) {
                float x = xy[2 * q];
                float y = xy[2 * q + 1];
                if (score != null) {
                    float a = c[o];
                    float v = c[o + 1];
                    float sum = responsibilities(x, y, a, v, r);
                    float gx = 0f;
                    float gy = 0f;
                    for (int k = 0; k < mx.length; k++) {
                        gx += r[k] * (a * mx[k] - x);
                        gy += r[k] * (a * my[k] - y);
                    }
                    score[2 * q] = gx / sum / v;
                    score[2 * q + 1] = gy / sum / v;
                }
                if (vel != null) {
                    float a = c[o + 2];
                    float sum = responsibilities(x, y, a, c[o + 3], r);
                    float gain = c[o + 4];
                    float ex = 0f;
                    float ey = 0f;
                    for (int k = 0; k < mx.length; k++) {
                        ex += r[k] * (mx[k] + gain * (x - a * mx[k]));
                        ey += r[k] * (my[k] + gain * (y - a * my[k]));
                    }
                    ex /= sum;
                    ey /= sum;
                    vel[2 * q] = c[o + 6] * ex + c[o + 7] * (x - c[o + 5] * ex);
                    vel[2 * q + 1] = c[o + 6] * ey + c[o + 7] * (y - c[o + 5] * ey);
                }
            }
        }

        /** Unnormalised r_k (shifted by the largest logit) into r; returns their sum. */
        private float responsibilities(float x, float y, float a, float v, float[] r) {
            float max = Float.NEGATIVE_INFINITY;
            float twoV = 2f * v;
            for (int k = 0; k < mx.length; k++) {
                float dx = x - a * mx[k];
                float dy = y - a * my[k];
                float l = -(dx * dx + dy * dy) / twoV;
                r[k] = l;
                max = Math.max(max, l);
            }
            float sum = 0f;
            for (int k = 0; k < mx.length; k++) {
                float e = (float) Math.exp(r[k] - max);
                r[k] = e;
                sum += e;
            }
            return sum;
        }
    }
}
