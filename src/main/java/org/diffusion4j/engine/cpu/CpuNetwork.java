package org.diffusion4j.engine.cpu;

import java.util.List;
import org.diffusion4j.model.Activation;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;

/**
 * A network in float32, evaluated one tile of at most {@link #TILE} particles at a time: every layer of a tile runs
 * before the next tile starts, activations live in a per-thread {@link Scratch}, never in whole-batch tensors.
 *
 * <p>The first layer is split into a time-only part and the rest:
 * <pre>
 *   z0 = ctx(t) + W0[:, xy] (x, y) + W0[:, cond] c [+ label row]
 *   ctx(t) = b0 + W0[:, time] f(t)                  (plain trunk)
 *   ctx(t) = b_input + timeMlp(f(t))                (residual trunk)
 * </pre>
 * so that sampling computes ctx once per time and all particles of a step share it; training computes it per
 * sample. Linear layers run as axpy over the output index with a transposed {@code [in, out]} copy of the weights
 * ({@code y[j] += Wt[i, j] x[i]}); their backward passes use the row-major {@code [out, in]} weights of the flat
 * buffer ({@code dX[i] += W[j, i] dY[j]}, {@code dW[j, i] += dY[j] X[i]}). The formulas are those of the reference
 * network.
 */
final class CpuNetwork {
    /** Particles per tile. */
    static final int TILE = 16;
    /** Column block of a linear layer: a tile's outputs of one block stay in L1. */
    private static final int JB = 256;

    private static final int RELU = 0;
    private static final int SILU = 1;
    private static final int SOFTPLUS = 2;

    static final int COND_NONE = 0;
    static final int COND_ONEHOT = 1;
    static final int COND_VALUE = 2;
    static final int COND_LABEL = 3;

    /** A Linear layer: W [out, in] row-major at wOff, bias at bOff, and the transposed copy wt [in, out]. */
    static final class Lin {
        final int in;
        final int out;
        final int wOff;
        final int bOff;
        final float[] wt;

        Lin(ParameterLayout layout, String prefix) {
            ParameterLayout.Tensor w = layout.tensor(prefix + ".weight");
            this.out = w.rows();
            this.in = w.cols();
            this.wOff = w.offset();
            this.bOff = layout.tensor(prefix + ".bias").offset();
            this.wt = new float[in * out];
        }

        void refresh(float[] p) {
            for (int j = 0; j < out; j++) {
                int row = wOff + j * in;
                for (int i = 0; i < in; i++) {
                    wt[i * out + j] = p[row + i];
                }
            }
        }
    }

    /** A LayerNorm's gain and bias offsets. */
    record Norm(int gOff, int bOff, int width) {
        Norm(ParameterLayout layout, String prefix) {
            this(layout.tensor(prefix + ".weight").offset(), layout.tensor(prefix + ".bias").offset(),
                    layout.tensor(prefix + ".weight").size());
        }
    }

    final NetworkSpec spec;
    final ParameterLayout layout;
    private final int act;
    final float[] p;
    final boolean residual;
    /** Input width of the first layer, first hidden width, number of time features. */
    final int inW;
    final int h1;
    final int feats;
    final Lin first;
    private final int condCol;
    final int condKind;
    private final int classes;
    private final int condDim;
    private final int tableOff;
    private final int tableSteps;
    private final double timeScale;
    private final double[] freq;
    private final Lin tm0;
    private final Lin tm1;
    private final Lin cm0;
    private final Lin cm1;
    private final int labelOff;
    // plain trunk
    private final Lin[] hidden;
    private final int[] widths;
    private final Lin last;
    // residual trunk
    private final int width;
    private final int blocks;
    private final Norm[] bnorm;
    private final Lin[] b0;
    private final Lin[] b1;
    private final Norm onorm;
    private final Lin o0;
    private final Lin o1;
    private final int maxW;

    /** Compiles {@code spec} with the given parameters (copied). */
    CpuNetwork(NetworkSpec spec, float[] parameters) {
        this.spec = spec;
        this.layout = ParameterLayout.of(spec);
        if (parameters == null || parameters.length != layout.size()) {
            throw new IllegalArgumentException("parameters: the network takes " + layout.size() + " values, got "
                    + (parameters == null ? "none" : parameters.length));
        }
        this.p = parameters.clone();
        this.act = spec.activation() == Activation.RELU ? RELU : spec.activation() == Activation.SILU ? SILU : SOFTPLUS;
        this.residual = spec.body() instanceof Body.Residual;
        this.inW = spec.inputWidth();
        this.h1 = spec.firstHiddenWidth();
        TimeEmbedding te = spec.time();
        this.feats = te.features();
        this.first = new Lin(layout, residual ? "input" : "layers.0");
        this.condCol = residual ? 2 : 2 + feats;
        Conditioning c = spec.conditioning();
        if (c instanceof Conditioning.OneHot o) {
            condKind = COND_ONEHOT;
            classes = o.classes();
            condDim = 0;
        } else if (c instanceof Conditioning.Continuous cc) {
            condKind = COND_VALUE;
            classes = 0;
            condDim = cc.embedDim();
        } else if (c instanceof Conditioning.LabelEmbedding l) {
            condKind = COND_LABEL;
            classes = l.classes();
            condDim = 0;
        } else {
            condKind = COND_NONE;
            classes = 0;
            condDim = 0;
        }
        if (te instanceof TimeEmbedding.Table table) {
            tableOff = layout.tensor("time.table").offset();
            tableSteps = table.steps();
        } else {
            tableOff = -1;
            tableSteps = 0;
        }
        timeScale = te instanceof TimeEmbedding.Raw raw ? raw.scale() : 0.0;
        if (te instanceof TimeEmbedding.Sinusoidal s) {
            freq = new double[s.dim() / 2];
            for (int k = 0; k < freq.length; k++) {
                freq[k] = s.frequency(k);
            }
        } else {
            freq = null;
        }
        boolean timeMlp = residual && feats > 0;
        tm0 = timeMlp ? new Lin(layout, "time_mlp.0") : null;
        tm1 = timeMlp ? new Lin(layout, "time_mlp.1") : null;
        cm0 = condKind == COND_VALUE ? new Lin(layout, "cond_mlp.0") : null;
        cm1 = condKind == COND_VALUE ? new Lin(layout, "cond_mlp.1") : null;
        labelOff = condKind == COND_LABEL ? layout.tensor("label.table").offset() : -1;
        int mw = Math.max(inW, h1);
        if (!residual) {
            List<Integer> hs = ((Body.Plain) spec.body()).hidden();
            widths = hs.stream().mapToInt(Integer::intValue).toArray();
            hidden = new Lin[widths.length - 1];
            for (int l = 1; l < widths.length; l++) {
                hidden[l - 1] = new Lin(layout, "layers." + l);
            }
            last = new Lin(layout, "layers." + widths.length);
            for (int w : widths) {
                mw = Math.max(mw, w);
            }
            width = 0;
            blocks = 0;
            bnorm = null;
            b0 = null;
            b1 = null;
            onorm = null;
            o0 = null;
            o1 = null;
        } else {
            Body.Residual res = (Body.Residual) spec.body();
            width = res.width();
            blocks = res.blocks();
            bnorm = new Norm[blocks];
            b0 = new Lin[blocks];
            b1 = new Lin[blocks];
            for (int j = 0; j < blocks; j++) {
                bnorm[j] = new Norm(layout, "blocks." + j + ".norm");
                b0[j] = new Lin(layout, "blocks." + j + ".0");
                b1[j] = new Lin(layout, "blocks." + j + ".1");
            }
            onorm = new Norm(layout, "output.norm");
            o0 = new Lin(layout, "output.0");
            o1 = new Lin(layout, "output.1");
            widths = null;
            hidden = null;
            last = null;
            mw = Math.max(mw, width);
        }
        maxW = Math.max(mw, Math.max(feats, condDim));
        refresh();
    }

    /** Replaces the parameters (same layout) and refreshes the transposed copies. */
    void load(float[] parameters) {
        System.arraycopy(parameters, 0, p, 0, p.length);
        refresh();
    }

    private void refresh() {
        for (Lin l : linears()) {
            l.refresh(p);
        }
    }

    private Lin[] linears() {
        java.util.ArrayList<Lin> all = new java.util.ArrayList<>();
        all.add(first);
        for (Lin l : new Lin[] {tm0, tm1, cm0, cm1, last, o0, o1}) {
            if (l != null) {
                all.add(l);
            }
        }
        if (hidden != null) {
            all.addAll(List.of(hidden));
        }
        if (b0 != null) {
            all.addAll(List.of(b0));
            all.addAll(List.of(b1));
        }
        return all.toArray(new Lin[0]);
    }

    int size() {
        return p.length;
    }

    // ------------------------------------------------------------------------------------------ scratch

    /** The per-thread workspace of one tile: inputs, the time context, every activation the backward pass needs. */
    final class Scratch {
        final float[] xy = new float[2 * TILE];
        final int[] label = new int[TILE];
        final float[] value = new float[TILE];
        final int[] tIndex = new int[TILE];
        final float[] feat = new float[TILE * Math.max(1, feats)];
        final float[] ctx = new float[TILE * h1];
        /** Where particle q's context starts: {@code ctxArr[ctxOff[q] ..]}. */
        float[] ctxArr = ctx;
        final int[] ctxOff = new int[TILE];
        final float[] tmz = new float[residual && feats > 0 ? TILE * width : 0];
        final float[] tma = new float[tmz.length];
        final float[] cmIn = new float[TILE];
        final float[] cmz = new float[TILE * condDim];
        final float[] cma = new float[TILE * condDim];
        final float[] cmo = new float[TILE * condDim];
        final float[] dcm = new float[TILE * condDim];
        final float[] dcm2 = new float[TILE * condDim];
        final float[][] z;
        final float[][] a;
        final float[][] h;
        final float[][] xhat;
        final float[][] nrm;
        final float[][] inv;
        final float[] hz;
        final float[] ha;
        final float[] out = new float[2 * TILE];
        final float[] dOut = new float[2 * TILE];
        final float[] d1 = new float[TILE * maxW];
        final float[] d2 = new float[TILE * maxW];
        final float[] d3 = new float[TILE * maxW];
        final float[] dFeat = new float[TILE * Math.max(1, feats)];

        Scratch() {
            if (!residual) {
                z = new float[widths.length][];
                a = new float[widths.length][];
                for (int l = 0; l < widths.length; l++) {
                    z[l] = new float[TILE * widths[l]];
                    a[l] = new float[TILE * widths[l]];
                }
                h = null;
                xhat = null;
                nrm = null;
                inv = null;
                hz = null;
                ha = null;
            } else {
                z = new float[blocks][TILE * width];
                a = new float[blocks][TILE * width];
                h = new float[blocks + 1][TILE * width];
                xhat = new float[blocks + 1][TILE * width];
                nrm = new float[blocks + 1][TILE * width];
                inv = new float[blocks + 1][TILE];
                hz = new float[TILE * (width / 2)];
                ha = new float[TILE * (width / 2)];
            }
        }
    }

    Scratch scratch() {
        return new Scratch();
    }

    // ------------------------------------------------------------------------------------------ inputs

    /** Checks a label (one-hot or label embedding) against the network's classes. */
    void checkLabel(int l) {
        if (l < 0 || l >= classes) {
            throw new IllegalArgumentException("condition: label " + l + " is outside the trained classes 0.." + (classes - 1));
        }
    }

    /** Sets particle q's conditioning input from a batch condition at index i. */
    void setCondition(Scratch s, int q, Condition c, int i) {
        if (condKind == COND_ONEHOT || condKind == COND_LABEL) {
            int l = c.labels()[i];
            checkLabel(l);
            s.label[q] = l;
        } else if (condKind == COND_VALUE) {
            s.value[q] = (float) c.values()[i];
        }
    }

    /** The time features f(t) of particle q (computed in double, rounded to float); the table row index. */
    private void features(Scratch s, int q, double t) {
        int fo = q * feats;
        if (tableOff >= 0) {
            if (t != Math.rint(t) || t < 0 || t >= tableSteps) {
                throw new IllegalArgumentException("t: the time table takes integer steps in [0, " + (tableSteps - 1) + "], got " + t);
            }
            int row = (int) t;
            s.tIndex[q] = row;
            System.arraycopy(p, tableOff + row * feats, s.feat, fo, feats);
        } else if (freq != null) {
            for (int k = 0; k < freq.length; k++) {
                double angle = freq[k] * t;
                s.feat[fo + 2 * k] = (float) Math.sin(angle);
                s.feat[fo + 2 * k + 1] = (float) Math.cos(angle);
            }
        } else if (feats == 1) {
            s.feat[fo] = (float) (timeScale * t);
        }
    }

    /**
     * The time context of particle q into {@code s.ctx[q h1 ..]}: {@code b0 + W0[:, time] f(t)} (plain) or
     * {@code b_input + timeMlp(f(t))} (residual); keeps f(t) and the time MLP's activations for the backward pass.
     */
    void context(Scratch s, int q, double t) {
        if (!Double.isFinite(t)) {
            throw new IllegalArgumentException("t: every time must be finite, got " + t);
        }
        int co = q * h1;
        System.arraycopy(p, first.bOff, s.ctx, co, h1);
        if (feats == 0) {
            return;
        }
        features(s, q, t);
        int fo = q * feats;
        if (!residual) {
            for (int f = 0; f < feats; f++) {
                axpy(first.wt, (2 + f) * h1, s.feat[fo + f], s.ctx, co, h1);
            }
            return;
        }
        int to = q * width;
        linearRow(tm0, s.feat, fo, s.tmz, to);
        activate(s.tmz, s.tma, to, width);
        for (int j = 0; j < width; j++) {
            s.ctx[co + j] += p[tm1.bOff + j];
        }
        for (int i = 0; i < width; i++) {
            float v = s.tma[to + i];
            if (v != 0f) {
                axpy(tm1.wt, i * width, v, s.ctx, co, width);
            }
        }
    }

    /** Computes the time context of {@code t} into {@code dst[at .. at + h1)} (for sharing across particles). */
    void contextInto(Scratch s, double t, float[] dst, int at) {
        context(s, 0, t);
        System.arraycopy(s.ctx, 0, dst, at, h1);
    }

    // ------------------------------------------------------------------------------------------ forward

    /** Runs particles 0..m-1 of the tile (inputs and context pointers set); outputs in {@code s.out}. */
    void forward(Scratch s, int m) {
        float[] z0 = residual ? s.h[0] : s.z[0];
        firstPre(s, m, z0);
        if (!residual) {
            activate(z0, s.a[0], 0, m * widths[0]);
            for (int l = 1; l < widths.length; l++) {
                linear(hidden[l - 1], s.a[l - 1], s.z[l], m);
                activate(s.z[l], s.a[l], 0, m * widths[l]);
            }
            linear(last, s.a[widths.length - 1], s.out, m);
            return;
        }
        int n = m * width;
        for (int j = 0; j < blocks; j++) {
            layerNorm(bnorm[j], s.h[j], s.xhat[j], s.inv[j], s.nrm[j], m);
            linear(b0[j], s.nrm[j], s.z[j], m);
            activate(s.z[j], s.a[j], 0, n);
            linear(b1[j], s.a[j], s.h[j + 1], m);
            float[] prev = s.h[j];
            float[] next = s.h[j + 1];
            for (int i = 0; i < n; i++) {
                next[i] += prev[i];
            }
        }
        layerNorm(onorm, s.h[blocks], s.xhat[blocks], s.inv[blocks], s.nrm[blocks], m);
        linear(o0, s.nrm[blocks], s.hz, m);
        activate(s.hz, s.ha, 0, m * (width / 2));
        linear(o1, s.ha, s.out, m);
    }

    /** z0 = ctx + W0[:, xy] (x, y) + conditioning (one-hot column, cond_mlp columns or label row). */
    private void firstPre(Scratch s, int m, float[] z0) {
        if (condKind == COND_VALUE) {
            for (int q = 0; q < m; q++) {
                s.cmIn[q] = s.value[q];
            }
            linear(cm0, s.cmIn, s.cmz, m);
            activate(s.cmz, s.cma, 0, m * condDim);
            linear(cm1, s.cma, s.cmo, m);
        }
        float[] wt = first.wt;
        for (int q = 0; q < m; q++) {
            int zo = q * h1;
            System.arraycopy(s.ctxArr, s.ctxOff[q], z0, zo, h1);
            axpy(wt, 0, s.xy[2 * q], z0, zo, h1);
            axpy(wt, h1, s.xy[2 * q + 1], z0, zo, h1);
            switch (condKind) {
                case COND_ONEHOT:
                    axpy(wt, (condCol + s.label[q]) * h1, 1f, z0, zo, h1);
                    break;
                case COND_VALUE:
                    for (int e = 0; e < condDim; e++) {
                        axpy(wt, (condCol + e) * h1, s.cmo[q * condDim + e], z0, zo, h1);
                    }
                    break;
                case COND_LABEL: {
                    int lo = labelOff + s.label[q] * h1;
                    for (int j = 0; j < h1; j++) {
                        z0[zo + j] += p[lo + j];
                    }
                    break;
                }
                default:
                    break;
            }
        }
    }

    /** y = b + x W^T for the m rows of a tile, column-blocked, axpy over the outputs. */
    private void linear(Lin l, float[] x, float[] y, int m) {
        int in = l.in;
        int out = l.out;
        float[] wt = l.wt;
        for (int q = 0; q < m; q++) {
            System.arraycopy(p, l.bOff, y, q * out, out);
        }
        for (int j0 = 0; j0 < out; j0 += JB) {
            int len = Math.min(JB, out - j0);
            for (int i = 0; i < in; i++) {
                int wr = i * out + j0;
                for (int q = 0; q < m; q++) {
                    float v = x[q * in + i];
                    if (v != 0f) {
                        axpy(wt, wr, v, y, q * out + j0, len);
                    }
                }
            }
        }
    }

    /** One row: y[yo ..] = b + W x[xo ..]. */
    private void linearRow(Lin l, float[] x, int xo, float[] y, int yo) {
        System.arraycopy(p, l.bOff, y, yo, l.out);
        for (int i = 0; i < l.in; i++) {
            float v = x[xo + i];
            if (v != 0f) {
                axpy(l.wt, i * l.out, v, y, yo, l.out);
            }
        }
    }

    /** y[yo + j] += a w[wo + j], j < n. */
    static void axpy(float[] w, int wo, float a, float[] y, int yo, int n) {
        for (int j = 0; j < n; j++) {
            y[yo + j] += w[wo + j] * a;
        }
    }

    private void activate(float[] z, float[] a, int from, int n) {
        switch (act) {
            case RELU:
                for (int i = from; i < from + n; i++) {
                    float v = z[i];
                    a[i] = v > 0f ? v : 0f;
                }
                break;
            case SILU:
                for (int i = from; i < from + n; i++) {
                    float v = z[i];
                    a[i] = v * sigmoid(v);
                }
                break;
            default:
                for (int i = from; i < from + n; i++) {
                    float v = z[i];
                    a[i] = v > (float) Activation.SOFTPLUS_THRESHOLD ? v : (float) Math.log1p(Math.exp(v));
                }
                break;
        }
    }

    /** dZ = dA o act'(Z) over n entries. */
    private void activationBackward(float[] z, float[] dA, float[] dZ, int n) {
        switch (act) {
            case RELU:
                for (int i = 0; i < n; i++) {
                    dZ[i] = z[i] > 0f ? dA[i] : 0f;
                }
                break;
            case SILU:
                for (int i = 0; i < n; i++) {
                    float v = z[i];
                    float sg = sigmoid(v);
                    dZ[i] = dA[i] * (sg * (1f + v * (1f - sg)));
                }
                break;
            default:
                for (int i = 0; i < n; i++) {
                    float v = z[i];
                    dZ[i] = v > (float) Activation.SOFTPLUS_THRESHOLD ? dA[i] : dA[i] * sigmoid(v);
                }
                break;
        }
    }

    private static float sigmoid(float x) {
        if (x >= 0f) {
            return (float) (1.0 / (1.0 + Math.exp(-x)));
        }
        double e = Math.exp(x);
        return (float) (e / (1.0 + e));
    }

    /** y = g o (x - mu) r + b per row, r = 1 / sqrt(var + eps), biased variance; keeps xhat and r. */
    private void layerNorm(Norm nm, float[] x, float[] xhat, float[] inv, float[] y, int m) {
        int w = nm.width();
        float eps = (float) NetworkSpec.LAYER_NORM_EPS;
        for (int q = 0; q < m; q++) {
            int o = q * w;
            float sum = 0f;
            for (int j = 0; j < w; j++) {
                sum += x[o + j];
            }
            float mu = sum / w;
            float var = 0f;
            for (int j = 0; j < w; j++) {
                float d = x[o + j] - mu;
                var += d * d;
            }
            var /= w;
            float r = (float) (1.0 / Math.sqrt(var + eps));
            inv[q] = r;
            for (int j = 0; j < w; j++) {
                float xh = (x[o + j] - mu) * r;
                xhat[o + j] = xh;
                y[o + j] = p[nm.gOff() + j] * xh + p[nm.bOff() + j];
            }
        }
    }

    // ------------------------------------------------------------------------------------------ backward

    /**
     * Backpropagates {@code s.dOut} (dL/d output of the tile) through the last forward pass of this scratch,
     * adding dL/dtheta into {@code g} (flat layout) and dL/dW0^T of the first layer into {@code gFirstT} ([in, h1]).
     */
    void backward(Scratch s, int m, float[] g, float[] gFirstT) {
        float[] dz0;
        if (!residual) {
            int lastIdx = widths.length - 1;
            linearBackward(last, s.a[lastIdx], s.dOut, s.d1, g, m);
            float[] dA = s.d1;
            float[] dZ = s.d2;
            for (int l = lastIdx; l >= 0; l--) {
                activationBackward(s.z[l], dA, dZ, m * widths[l]);
                if (l > 0) {
                    linearBackward(hidden[l - 1], s.a[l - 1], dZ, dA, g, m);
                }
            }
            dz0 = dZ;
        } else {
            int half = width / 2;
            linearBackward(o1, s.ha, s.dOut, s.d1, g, m);
            activationBackward(s.hz, s.d1, s.d2, m * half);
            linearBackward(o0, s.nrm[blocks], s.d2, s.d1, g, m);
            float[] dh = s.d3;
            layerNormBackward(onorm, s.xhat[blocks], s.inv[blocks], s.d1, dh, g, m);
            int n = m * width;
            for (int j = blocks - 1; j >= 0; j--) {
                linearBackward(b1[j], s.a[j], dh, s.d1, g, m);
                activationBackward(s.z[j], s.d1, s.d2, n);
                linearBackward(b0[j], s.nrm[j], s.d2, s.d1, g, m);
                layerNormBackward(bnorm[j], s.xhat[j], s.inv[j], s.d1, s.d2, g, m);
                for (int i = 0; i < n; i++) {
                    dh[i] += s.d2[i];
                }
            }
            dz0 = dh;
        }
        firstBackward(s, m, dz0, g, gFirstT);
    }

    /** dW += dY^T X, db += column sums of dY; dX = dY W when dX is not null. */
    private void linearBackward(Lin l, float[] x, float[] dY, float[] dX, float[] g, int m) {
        int in = l.in;
        int out = l.out;
        for (int j = 0; j < out; j++) {
            int gr = l.wOff + j * in;
            for (int q = 0; q < m; q++) {
                float d = dY[q * out + j];
                if (d != 0f) {
                    g[l.bOff + j] += d;
                    axpy(x, q * in, d, g, gr, in);
                }
            }
        }
        if (dX == null) {
            return;
        }
        java.util.Arrays.fill(dX, 0, m * in, 0f);
        for (int j = 0; j < out; j++) {
            int wr = l.wOff + j * in;
            for (int q = 0; q < m; q++) {
                float d = dY[q * out + j];
                if (d != 0f) {
                    axpy(p, wr, d, dX, q * in, in);
                }
            }
        }
    }

    /** dg += dY o xh, db += dY; dx = r (dxh - mean dxh - xh mean(dxh o xh)), dxh = dY o g. */
    private void layerNormBackward(Norm nm, float[] xhat, float[] inv, float[] dY, float[] dx, float[] g, int m) {
        int w = nm.width();
        int go = nm.gOff();
        int bo = nm.bOff();
        for (int q = 0; q < m; q++) {
            int o = q * w;
            float meanD = 0f;
            float meanDX = 0f;
            for (int j = 0; j < w; j++) {
                float dy = dY[o + j];
                float xh = xhat[o + j];
                g[go + j] += dy * xh;
                g[bo + j] += dy;
                float dxh = dy * p[go + j];
                meanD += dxh;
                meanDX += dxh * xh;
            }
            meanD /= w;
            meanDX /= w;
            float r = inv[q];
            for (int j = 0; j < w; j++) {
                float dxh = dY[o + j] * p[go + j];
                dx[o + j] = r * (dxh - meanD - xhat[o + j] * meanDX);
            }
        }
    }

    /** Gradients of the first layer, the time embedding (table, time MLP) and the conditioning inputs. */
    private void firstBackward(Scratch s, int m, float[] dz0, float[] g, float[] gT) {
        float[] wt = first.wt;
        for (int q = 0; q < m; q++) {
            int zo = q * h1;
            for (int j = 0; j < h1; j++) {
                g[first.bOff + j] += dz0[zo + j];
            }
            axpy(dz0, zo, s.xy[2 * q], gT, 0, h1);
            axpy(dz0, zo, s.xy[2 * q + 1], gT, h1, h1);
            if (!residual && feats > 0) {
                int fo = q * feats;
                for (int f = 0; f < feats; f++) {
                    axpy(dz0, zo, s.feat[fo + f], gT, (2 + f) * h1, h1);
                }
                if (tableOff >= 0) {
                    int to = tableOff + s.tIndex[q] * feats;
                    for (int f = 0; f < feats; f++) {
                        g[to + f] += dot(wt, (2 + f) * h1, dz0, zo, h1);
                    }
                }
            }
            switch (condKind) {
                case COND_ONEHOT:
                    axpy(dz0, zo, 1f, gT, (condCol + s.label[q]) * h1, h1);
                    break;
                case COND_VALUE:
                    for (int e = 0; e < condDim; e++) {
                        s.dcm[q * condDim + e] = dot(wt, (condCol + e) * h1, dz0, zo, h1);
                        axpy(dz0, zo, s.cmo[q * condDim + e], gT, (condCol + e) * h1, h1);
                    }
                    break;
                case COND_LABEL:
                    axpy(dz0, zo, 1f, g, labelOff + s.label[q] * h1, h1);
                    break;
                default:
                    break;
            }
        }
        if (condKind == COND_VALUE) {
            linearBackward(cm1, s.cma, s.dcm, s.dcm2, g, m);
            activationBackward(s.cmz, s.dcm2, s.dcm, m * condDim);
            linearBackward(cm0, s.cmIn, s.dcm, null, g, m);
        }
        if (residual && feats > 0) {
            linearBackward(tm1, s.tma, dz0, s.d1, g, m);
            activationBackward(s.tmz, s.d1, s.d2, m * width);
            linearBackward(tm0, s.feat, s.d2, tableOff >= 0 ? s.dFeat : null, g, m);
            if (tableOff >= 0) {
                for (int q = 0; q < m; q++) {
                    int to = tableOff + s.tIndex[q] * feats;
                    for (int f = 0; f < feats; f++) {
                        g[to + f] += s.dFeat[q * feats + f];
                    }
                }
            }
        }
    }

    /** Adds the transposed first-layer gradient {@code gT [in, h1]} into g's {@code [h1, in]} weight. */
    void foldFirst(float[] gT, float[] g) {
        for (int j = 0; j < h1; j++) {
            int row = first.wOff + j * inW;
            for (int c = 0; c < inW; c++) {
                g[row + c] += gT[c * h1 + j];
            }
        }
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0f;
        for (int j = 0; j < n; j++) {
            s += a[ao + j] * b[bo + j];
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------ batch helpers

    /**
     * Loads particles [from, from + m) of a batch into the tile with per-sample contexts (the training layout).
     *
     * @param xy interleaved positions of the whole batch
     * @param t  one time per sample (ignored without time input)
     */
    void loadTile(Scratch s, int m, int from, float[] xy, double[] t, Condition condition) {
        s.ctxArr = s.ctx;
        for (int q = 0; q < m; q++) {
            int i = from + q;
            s.xy[2 * q] = xy[2 * i];
            s.xy[2 * q + 1] = xy[2 * i + 1];
            context(s, q, feats > 0 ? t[i] : 0.0);
            s.ctxOff[q] = q * h1;
            setCondition(s, q, condition, i);
        }
    }

    /** The outputs for a batch (interleaved), one tile at a time. */
    float[] outputs(double[] xy, double[] t, Condition condition) {
        int n = xy.length / 2;
        float[] xf = toFloat(xy);
        float[] out = new float[2 * n];
        Scratch s = scratch();
        for (int from = 0; from < n; from += TILE) {
            int m = Math.min(TILE, n - from);
            loadTile(s, m, from, xf, t, condition);
            forward(s, m);
            System.arraycopy(s.out, 0, out, 2 * from, 2 * m);
        }
        return out;
    }

    /** The gradient of {@code sum_i dOut_i . f_i} with respect to every parameter (flat layout). */
    float[] gradient(double[] xy, double[] t, Condition condition, double[] dOut) {
        int n = xy.length / 2;
        float[] xf = toFloat(xy);
        float[] g = new float[p.length];
        float[] gT = new float[inW * h1];
        Scratch s = scratch();
        for (int from = 0; from < n; from += TILE) {
            int m = Math.min(TILE, n - from);
            loadTile(s, m, from, xf, t, condition);
            forward(s, m);
            for (int k = 0; k < 2 * m; k++) {
                s.dOut[k] = (float) dOut[2 * from + k];
            }
            backward(s, m, g, gT);
        }
        foldFirst(gT, g);
        return g;
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
