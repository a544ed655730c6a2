package org.diffusion4j.engine.cpu;

import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainerState;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.objective.Objective;
import org.diffusion4j.objective.OptimizerSpec;
import org.diffusion4j.objective.TrainingRegimen;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.rng.NoiseStream;

/**
 * Training on the CPU engine. Per optimizer step k:
 * <ol>
 *   <li>the minibatch of {@link TrainingSetup}'s noise layout (data index and time from words(seed, i, 2k), eps from the
 *       double normals(seed, i, 2k + 1), exactly as the reference engine draws them, then rounded to float),
 *       drawn by the chunks below in parallel; targets {@code objective.target} and {@code a(t), s(t)} in double, rounded to float; weights
 *       {@code w_i = rawWeight(t_i) / mean_j rawWeight(t_j)} (1 if unweighted);</li>
 *   <li>fixed chunks of the batch in parallel, each fused per tile: {@code x_t = a x0 + s eps}, forward,
 *       {@code L += w_i |f_i - target_i|^2 / (2B)}, {@code dL/df_i = w_i (f_i - target_i) / B}, backward into the
 *       chunk's own gradient buffer;</li>
 *   <li>the chunk gradients summed in chunk order and Adam/AdamW in float
 *       ({@code m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p = p d - lr mHat / (sqrt(vHat) + eps)},
 *       {@code d = 1 - lr wd} for AdamW), in parallel over parameter ranges, in place on the network's own rows
 *       (whose transposes are then rebuilt in parallel), with lr the regimen's rate of the update;
 *       with clipping, a first parallel pass sums the gradient and the squares of each range (in double), the norm
 *       is the sum over ranges in order, and the update scales the gradient by the clipping factor in float;</li>
 *   <li>with an EMA, {@code e = d_k e + (1 - d_k) p} in float in the same pass.</li>
 * </ol>
 * The chunk size depends only on the batch size, so the result is bit-identical for any number of threads.
 */
final class CpuTrainer implements Trainer {
    /**
     * Upper bound on the number of gradient chunks: each chunk costs a zeroing and a reduction pass over a full
     * gradient, which at the presets' sizes (66k to 530k parameters, 4 chunks: 1 to 8 MiB of gradients) runs from L3
     * or memory; 2 chunks (one per core of a 2-core machine) measured 7 % more training steps/s than 4 on
     * ddpm-swissroll, 10 % on ddpm-ring (1 thread, CPU time). The update sums 2 chunks on the fly
     * ({@link CpuGemm#adamSum}); more would need {@link #reduce} first.
     */
    static final int MAX_CHUNKS = 2;
    /** The chunk size is a multiple of this (half a tile), so that a batch of 32 still gives two chunks. */
    static final int MIN_CHUNK = 16;
    /** Gradient segments (weight rows, biases, table rows) per unit of the parallel reduction and update. */
    private static final int SEGMENTS_PER_UNIT = 16;

    private final CpuEngine engine;
    private final TrainingSetup setup;
    private final CpuNetwork net;
    private final NoiseStream noise;
    /** Adam's moments per gradient segment (same index as the segment). */
    private final float[][] m;
    private final float[][] v;
    /** The network's own parameter rows per gradient segment, updated in place. */
    private final float[][] pSeg;
    /** The EMA per gradient segment, null without EMA. */
    private final float[][] eSeg;
    /** The squared gradient norm of each unit of segments (clipping). */
    private final double[] unitSq;
    /**
     * The units of segments (and of the network's transposes) of each worker, balanced by floats and the same every
     * step, so that a worker's parameter rows, moments and transposes stay in its core's caches.
     */
    private final int[] unitParts;
    private final int[] derivedParts;
    private final int batch;
    private final int chunkSize;
    private final int chunks;
    private final CpuNetwork.Grad[] chunkGrad;
    /** The scratch of each worker slot, kept across steps. */
    private final CpuNetwork.Scratch[] scratch;
    private final double[] chunkLoss;
    // the minibatch
    private final float[] x0;
    private final float[] eps;
    private final double[] t;
    private final float[] a;
    private final float[] s;
    private final float[] target;
    private final float[] gradScale;
    private final double[] lossScale;
    /** The objective's raw weight of each sample (1 if unweighted), normalized by their mean in {@link #chunk}. */
    private final double[] raw;
    private final int[] labels;
    private final double[] values;
    private final Condition condition;
    private int step;

    CpuTrainer(CpuEngine engine, TrainingSetup setup, float[] initial) {
        this.engine = engine;
        this.setup = setup;
        this.net = new CpuNetwork(setup.network(), initial);
        this.noise = new NoiseStream(setup.seed());
        this.batch = setup.batchSize();
        int perChunk = Math.max(MIN_CHUNK, (batch + MAX_CHUNKS - 1) / MAX_CHUNKS);
        this.chunkSize = (perChunk + MIN_CHUNK - 1) / MIN_CHUNK * MIN_CHUNK;
        this.chunks = (batch + chunkSize - 1) / chunkSize;
        this.chunkGrad = new CpuNetwork.Grad[chunks];
        for (int c = 0; c < chunks; c++) {
            chunkGrad[c] = net.grad();
        }
        int segments = chunkGrad[0].segs.length;
        this.m = new float[segments][];
        this.v = new float[segments][];
        this.pSeg = net.parameterSegments();
        this.eSeg = setup.regimen().hasEma() ? new float[segments][] : null;
        for (int k = 0; k < segments; k++) {
            int len = chunkGrad[0].segs[k].length;
            m[k] = new float[len];
            v[k] = new float[len];
            if (eSeg != null) {
                eSeg[k] = pSeg[k].clone();
            }
        }
        this.unitSq = new double[units(segments)];
        long[] unitCost = new long[unitSq.length];
        for (int k = 0; k < segments; k++) {
            unitCost[k / SEGMENTS_PER_UNIT] += chunkGrad[0].segs[k].length;
        }
        this.unitParts = CpuEngine.balance(unitCost, engine.threads());
        long[] derivedCost = new long[net.derivedUnits()];
        for (int u = 0; u < derivedCost.length; u++) {
            derivedCost[u] = net.derivedCost(u);
        }
        this.derivedParts = CpuEngine.balance(derivedCost, engine.threads());
        this.chunkLoss = new double[chunks];
        this.scratch = new CpuNetwork.Scratch[engine.threads()];
        this.x0 = new float[2 * batch];
        this.eps = new float[2 * batch];
        this.t = new double[batch];
        this.a = new float[batch];
        this.s = new float[batch];
        this.target = new float[2 * batch];
        this.gradScale = new float[batch];
        this.lossScale = new double[batch];
        this.raw = new double[batch];
        Conditioning c = setup.network().conditioning();
        boolean byValue = c instanceof Conditioning.Continuous;
        boolean byLabel = setup.network().isConditional() && !byValue;
        if (byLabel && !setup.data().hasLabels()) {
            throw new IllegalArgumentException("data: the network is conditioned on a label but the data carry no labels");
        }
        if (byValue && !setup.data().hasValues()) {
            throw new IllegalArgumentException("data: the network is conditioned on a value but the data carry no values");
        }
        this.labels = byLabel ? new int[batch] : null;
        this.values = byValue ? new double[batch] : null;
        this.condition = byLabel ? new Condition(labels, null) : byValue ? new Condition(null, values) : Condition.NONE;
    }

    /** Draws chunk c of the minibatch of step k (the layout of {@link TrainingSetup}). */
    private void drawChunk(int k, int c) {
        Points data = setup.data();
        ForwardProcess process = setup.process();
        Objective objective = setup.objective();
        int n = data.size();
        int[] w = new int[4];
        double[] z = new double[4];
        double[] tg = new double[2];
        int end = Math.min(batch, (c + 1) * chunkSize);
        for (int i = c * chunkSize; i < end; i++) {
            noise.words(i, 2L * k, w);
            int j = NoiseStream.index(w[0], n);
            double ti = process.trainingTime(NoiseStream.uniform(w[1]));
            noise.normals(i, 2L * k + 1, z);
            t[i] = ti;
            double x = data.x(j);
            double y = data.y(j);
            x0[2 * i] = (float) x;
            x0[2 * i + 1] = (float) y;
            eps[2 * i] = (float) z[0];
            eps[2 * i + 1] = (float) z[1];
            a[i] = (float) process.signal(ti);
            s[i] = (float) process.noise(ti);
            objective.target(process, x, y, z[0], z[1], ti, tg);
            target[2 * i] = (float) tg[0];
            target[2 * i + 1] = (float) tg[1];
            boolean drop = setup.dropsCondition(w);
            if (labels != null) {
                labels[i] = drop ? Condition.NULL_LABEL : data.label(j);
            }
            if (values != null) {
                values[i] = drop ? Double.NaN : data.value(j);
            }
            raw[i] = objective.weighted() ? objective.rawWeight(process, ti) : 1.0;
        }
    }

    /** The loss and gradient scales of chunk c's samples: {@code w_i / B} and {@code w_i / 2B}, w_i = raw_i / mean(raw). */
    private void scaleChunk(int c) {
        boolean weighted = setup.objective().weighted();
        double mean = 0;
        if (weighted) {
            // every chunk sums the whole batch in the same order, so the mean is one value
            for (int i = 0; i < batch; i++) {
                mean += raw[i] / batch;
            }
        }
        int end = Math.min(batch, (c + 1) * chunkSize);
        for (int i = c * chunkSize; i < end; i++) {
            double wi = weighted ? raw[i] / mean : 1.0;
            gradScale[i] = (float) (wi / batch);
            lossScale[i] = wi / (2.0 * batch);
        }
    }

    @Override
    public double step() {
        int k = step;
        engine.parallelPinned(chunks, slot -> null, (ignored, c) -> drawChunk(k, c));
        engine.parallelPinned(chunks, this::scratch, this::chunk);
        double loss = 0;
        for (int c = 0; c < chunks; c++) {
            loss += chunkLoss[c];
        }
        step++;
        OptimizerSpec o = setup.optimizer();
        TrainingRegimen r = setup.regimen();
        double lrK = r.learningRate(o.learningRate(), step);
        float scale = 1f;
        if (r.clips()) {
            forEachPart(unitParts, this::reduce);
            double sq = 0;
            for (double u : unitSq) {
                sq += u;
            }
            scale = (float) r.clipFactor(Math.sqrt(sq));
        }
        CpuGemm.Adam adam = new CpuGemm.Adam((float) o.beta1(), 1f - (float) o.beta1(), (float) o.beta2(), 1f - (float) o.beta2(),
                (float) (1 - Math.pow(o.beta1(), step)), (float) (1 - Math.pow(o.beta2(), step)),
                o.kind() == OptimizerSpec.Kind.ADAMW ? (float) (1 - lrK * o.weightDecay()) : 1f,
                (float) lrK, (float) o.eps(), scale);
        boolean reduced = r.clips();
        double d = r.hasEma() ? r.emaDecay(step) : 0;
        float ed = (float) d;
        float eo = (float) (1 - d);
        forEachPart(unitParts, unit -> update(unit, reduced, adam, ed, eo));
        forEachPart(derivedParts, net::refreshDerived);
        return loss;
    }

    /** Runs {@code body} for every unit, part k of {@code bounds} (see {@link CpuEngine#balance}) on worker k. */
    private void forEachPart(int[] bounds, java.util.function.IntConsumer body) {
        engine.parallelPinned(bounds.length - 1, slot -> null, (ignored, part) -> {
            for (int u = bounds[part]; u < bounds[part + 1]; u++) {
                body.accept(u);
            }
        });
    }

    private static int units(int segments) {
        return (segments + SEGMENTS_PER_UNIT - 1) / SEGMENTS_PER_UNIT;
    }

    /** Sums the chunk gradients of a unit of segments in chunk order into the first chunk's, and their squares. */
    private void reduce(int unit) {
        float[][] segs0 = chunkGrad[0].segs;
        int end = Math.min(segs0.length, (unit + 1) * SEGMENTS_PER_UNIT);
        double sq = 0;
        for (int k = unit * SEGMENTS_PER_UNIT; k < end; k++) {
            float[] sum = segs0[k];
            for (int c = 1; c < chunks; c++) {
                CpuGemm.INSTANCE.addTo(sum, chunkGrad[c].segs[k], sum.length);
            }
            for (float g : sum) {
                sq += (double) g * g;
            }
        }
        unitSq[unit] = sq;
    }

    private CpuNetwork.Scratch scratch(int slot) {
        if (scratch[slot] == null) {
            scratch[slot] = net.scratch();
        }
        return scratch[slot];
    }

    /** Chunk c: noising, forward, loss and backward of its samples, tile by tile, into its own gradient buffer. */
    private void chunk(CpuNetwork.Scratch sc, int c) {
        CpuNetwork.Grad g = chunkGrad[c];
        g.zero();
        scaleChunk(c);
        int end = Math.min(batch, (c + 1) * chunkSize);
        double loss = 0;
        for (int from = c * chunkSize; from < end; from += CpuNetwork.TILE) {
            int mm = Math.min(CpuNetwork.TILE, end - from);
            for (int q = 0; q < mm; q++) {
                int i = from + q;
                sc.xy[2 * q] = a[i] * x0[2 * i] + s[i] * eps[2 * i];
                sc.xy[2 * q + 1] = a[i] * x0[2 * i + 1] + s[i] * eps[2 * i + 1];
                net.context(sc, q, t[i]);
                net.setCondition(sc, q, condition, i);
            }
            net.timeMlp(sc, mm);
            net.forward(sc, mm);
            for (int q = 0; q < mm; q++) {
                int i = from + q;
                float r0 = sc.out[q][0] - target[2 * i];
                float r1 = sc.out[q][1] - target[2 * i + 1];
                loss += lossScale[i] * ((double) r0 * r0 + (double) r1 * r1);
                sc.dOut[q][0] = gradScale[i] * r0;
                sc.dOut[q][1] = gradScale[i] * r1;
            }
            net.backward(sc, mm, g);
        }
        g.foldFirst();
        chunkLoss[c] = loss;
    }

    /**
     * Applies Adam/AdamW to a unit of segments, after summing its chunk gradients in chunk order unless
     * {@link #reduce} did, with the gradient scaled by {@code adam.scale()} (the clipping factor, 1 without clipping),
     * in place on the network's rows, then the EMA ({@code e = ed e + eo p}).
     */
    private void update(int unit, boolean reduced, CpuGemm.Adam adam, float ed, float eo) {
        float[][] segs0 = chunkGrad[0].segs;
        int end = Math.min(segs0.length, (unit + 1) * SEGMENTS_PER_UNIT);
        for (int k = unit * SEGMENTS_PER_UNIT; k < end; k++) {
            float[] g0 = segs0[k];
            float[] pk = pSeg[k];
            if (reduced || chunks == 1) {
                // the sum is already in the first chunk's buffer, or there is one chunk
                CpuGemm.INSTANCE.adam(adam, g0, m[k], v[k], pk, g0.length);
            } else {
                CpuGemm.INSTANCE.adamSum(adam, g0, chunkGrad[1].segs[k], m[k], v[k], pk, g0.length);
            }
            if (eSeg != null) {
                float[] ek = eSeg[k];
                for (int i = 0; i < ek.length; i++) {
                    ek[i] = ed * ek[i] + eo * pk[i];
                }
            }
        }
    }

    /** The summed gradient of the last step's minibatch, flat (for tests; valid until the next step). */
    float[] lastGradient() {
        float[] g = chunkGrad[0].flat();
        if (chunks > 1 && !setup.regimen().clips()) {
            // the update summed the chunks on the fly, in chunk order, as addTo does
            float[] g1 = chunkGrad[1].flat();
            for (int i = 0; i < g.length; i++) {
                g[i] += g1[i];
            }
        }
        return g;
    }

    @Override
    public int stepsDone() {
        return step;
    }

    @Override
    public float[] parameters() {
        return flatten(pSeg);
    }

    @Override
    public float[] emaParameters() {
        return eSeg == null ? null : flatten(eSeg);
    }

    private float[] flatten(float[][] segs) {
        float[] f = new float[net.layout.size()];
        int[] offs = chunkGrad[0].offs;
        for (int k = 0; k < segs.length; k++) {
            System.arraycopy(segs[k], 0, f, offs[k], segs[k].length);
        }
        return f;
    }

    private void scatter(double[] flat, float[][] segs) {
        int[] offs = chunkGrad[0].offs;
        for (int k = 0; k < segs.length; k++) {
            for (int i = 0; i < segs[k].length; i++) {
                segs[k][i] = (float) flat[offs[k] + i];
            }
        }
    }

    @Override
    public TrainerState state() {
        return new TrainerState(step, TrainerState.doubles(parameters()), TrainerState.doubles(flatten(m)), TrainerState.doubles(flatten(v)),
                eSeg == null ? null : TrainerState.doubles(flatten(eSeg)));
    }

    @Override
    public void restore(TrainerState s) {
        if (s.parameters().length != net.layout.size()) {
            throw new IllegalArgumentException("state: " + s.parameters().length + " parameters, the network has " + net.layout.size());
        }
        if ((s.ema() == null) != (eSeg == null)) {
            throw new IllegalArgumentException("state: " + (eSeg == null ? "has an EMA the regimen does not keep" : "lacks the EMA the regimen keeps"));
        }
        net.load(TrainerState.floats(s.parameters()));
        scatter(s.m(), m);
        scatter(s.v(), v);
        if (eSeg != null) {
            scatter(s.ema(), eSeg);
        }
        step = s.step();
    }
}
