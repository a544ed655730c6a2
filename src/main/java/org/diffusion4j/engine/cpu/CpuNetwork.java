package org.diffusion4j.engine.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
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
 * sample (the residual trunk's time MLP as GEMMs of the tile). Every linear layer of a tile is one small GEMM of
 * {@link CpuGemm}: forward {@code Y = b + X W^T} on the transposed weight rows {@code Wt[i]}, the input gradient
 * {@code dX = dY W} on the rows {@code W[j]}, the weight gradient {@code dW += dY^T X} summed over the tile inside
 * the kernel (no per-sample gradients); the first tile of a gradient chunk writes dW, the later ones add to it. The
 * formulas are those of the reference network.
 */
final class CpuNetwork {
    /**
     * Particles per tile: the rows of every GEMM. 32 rather than 16: the weight gradient's kernel sums 32 samples per
     * load and store of dW (measured about 10 % more training steps/s on the residual trunk, 4 % on the others).
     */
    static final int TILE = 32;
    /** The matrix kernel of every linear layer. */
    private static final CpuGemm GEMM = CpuGemm.INSTANCE;

    private static final int RELU = 0;
    private static final int SILU = 1;
    private static final int SOFTPLUS = 2;

    private static final int COND_NONE = 0;
    private static final int COND_ONEHOT = 1;
    private static final int COND_VALUE = 2;
    private static final int COND_LABEL = 3;

    /** A Linear layer: rows of W [out, in], rows of the transpose [in, out], the bias; offsets in the flat buffer. */
    static final class Lin {
        final int id;
        final int in;
        final int out;
        final int wOff;
        final int bOff;
        final float[][] w;
        final float[][] wt;
        final float[] b;

        Lin(ParameterLayout layout, String prefix, int id) {
            ParameterLayout.Tensor t = layout.tensor(prefix + ".weight");
            this.id = id;
            this.out = t.rows();
            this.in = t.cols();
            this.wOff = t.offset();
            this.bOff = layout.tensor(prefix + ".bias").offset();
            this.w = new float[out][in];
            this.wt = new float[in][out];
            this.b = new float[out];
        }

        void refresh(float[] p) {
            for (int j = 0; j < out; j++) {
                System.arraycopy(p, wOff + j * in, w[j], 0, in);
            }
            transpose(0, in);
            System.arraycopy(p, bOff, b, 0, out);
        }

        /**
         * Rows i0..i1-1 of the transpose from the rows of W, 8 rows of W at a time: each read runs along a row of W,
         * each row of the transpose gets 8 adjacent floats (one store burst, its reference loaded once), and the
         * i1 - i0 rows written (at most {@link #TRANSPOSE_BLOCK} cache lines at a time) stay in L1.
         */
        void transpose(int i0, int i1) {
            for (int c0 = i0; c0 < i1; c0 += TRANSPOSE_BLOCK) {
                int c1 = Math.min(i1, c0 + TRANSPOSE_BLOCK);
                int j = 0;
                for (; j + 8 <= out; j += 8) {
                    float[] r0 = w[j];
                    float[] r1 = w[j + 1];
                    float[] r2 = w[j + 2];
                    float[] r3 = w[j + 3];
                    float[] r4 = w[j + 4];
                    float[] r5 = w[j + 5];
                    float[] r6 = w[j + 6];
                    float[] r7 = w[j + 7];
                    for (int i = c0; i < c1; i++) {
                        float[] t = wt[i];
                        t[j] = r0[i];
                        t[j + 1] = r1[i];
                        t[j + 2] = r2[i];
                        t[j + 3] = r3[i];
                        t[j + 4] = r4[i];
                        t[j + 5] = r5[i];
                        t[j + 6] = r6[i];
                        t[j + 7] = r7[i];
                    }
                }
                for (; j < out; j++) {
                    float[] r = w[j];
                    for (int i = c0; i < c1; i++) {
                        wt[i][j] = r[i];
                    }
                }
            }
        }
    }

    /** A LayerNorm: gain and bias. */
    static final class Norm {
        final int id;
        final int gOff;
        final int bOff;
        final float[] g;
        final float[] b;

        Norm(ParameterLayout layout, String prefix, int id) {
            this.id = id;
            this.gOff = layout.tensor(prefix + ".weight").offset();
            this.bOff = layout.tensor(prefix + ".bias").offset();
            int w = layout.tensor(prefix + ".weight").size();
            this.g = new float[w];
            this.b = new float[w];
        }

        void refresh(float[] p) {
            System.arraycopy(p, gOff, g, 0, g.length);
            System.arraycopy(p, bOff, b, 0, b.length);
        }
    }

    /** Columns of W (rows of the transpose) per block of {@link Lin#transpose} and per unit of {@link #refreshDerived}. */
    static final int TRANSPOSE_BLOCK = 32;

    final NetworkSpec spec;
    final ParameterLayout layout;
    private final int act;
    final boolean residual;
    /** Input width of the first layer, first hidden width, number of time features. */
    final int inW;
    final int h1;
    final int feats;
    final Lin first;
    private final int condCol;
    private final int condKind;
    private final int classes;
    private final int condDim;
    private final int tableOff;
    private final int tableSteps;
    private final float[][] table;
    /** With a time table: the time columns of the first layer by row, {@code timeCols[j][k] = W0[j][2 + k]}. */
    private final float[][] timeCols;
    /** Plain trunk: the time rows of the first layer's transpose, {@code timeWt[k] = Wt0[2 + k]} (the same arrays). */
    private final float[][] timeWt;
    /**
     * Rows of the first layer's input gradient GEMM: the bias, x, y and (plain trunk) the time features; the
     * conditioning inputs are sparse or few and stay per sample.
     */
    private final int firstRows;
    private final double timeScale;
    private final double[] freq;
    private final Lin tm0;
    private final Lin tm1;
    private final Lin cm0;
    private final Lin cm1;
    private final int labelOff;
    private final float[][] labelTable;
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
    private final List<Lin> lins = new ArrayList<>();
    private final List<Norm> norms = new ArrayList<>();
    /** The parameter arrays in segment order ({@link #segments}). */
    private final float[][] segments;
    private final int[] segmentOffsets;
    /** The units of {@link #refreshDerived}: {layer id, first column}. */
    private final int[][] derivedUnits;

    /** Compiles {@code spec} with the given parameters (copied). */
    CpuNetwork(NetworkSpec spec, float[] parameters) {
        this.spec = spec;
        this.layout = ParameterLayout.of(spec);
        if (parameters == null || parameters.length != layout.size()) {
            throw new IllegalArgumentException("parameters: the network takes " + layout.size() + " values, got "
                    + (parameters == null ? "none" : parameters.length));
        }
        this.act = spec.activation() == Activation.RELU ? RELU : spec.activation() == Activation.SILU ? SILU : SOFTPLUS;
        this.residual = spec.body() instanceof Body.Residual;
        this.inW = spec.inputWidth();
        this.h1 = spec.firstHiddenWidth();
        TimeEmbedding te = spec.time();
        this.feats = te.features();
        this.first = lin(residual ? "input" : "layers.0");
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
        if (te instanceof TimeEmbedding.Table tt) {
            tableOff = layout.tensor("time.table").offset();
            tableSteps = tt.steps();
            table = new float[tableSteps][feats];
            timeCols = residual ? null : new float[h1][feats];
        } else {
            tableOff = -1;
            tableSteps = 0;
            table = null;
            timeCols = null;
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
        tm0 = timeMlp ? lin("time_mlp.0") : null;
        tm1 = timeMlp ? lin("time_mlp.1") : null;
        cm0 = condKind == COND_VALUE ? lin("cond_mlp.0") : null;
        cm1 = condKind == COND_VALUE ? lin("cond_mlp.1") : null;
        labelOff = condKind == COND_LABEL ? layout.tensor("label.table").offset() : -1;
        labelTable = condKind == COND_LABEL ? new float[classes][h1] : null;
        int mw = Math.max(inW, h1);
        if (!residual) {
            widths = ((Body.Plain) spec.body()).hidden().stream().mapToInt(Integer::intValue).toArray();
            hidden = new Lin[widths.length - 1];
            for (int l = 1; l < widths.length; l++) {
                hidden[l - 1] = lin("layers." + l);
            }
            last = lin("layers." + widths.length);
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
                bnorm[j] = norm("blocks." + j + ".norm");
                b0[j] = lin("blocks." + j + ".0");
                b1[j] = lin("blocks." + j + ".1");
            }
            onorm = norm("output.norm");
            o0 = lin("output.0");
            o1 = lin("output.1");
            widths = null;
            hidden = null;
            last = null;
            mw = Math.max(mw, width);
        }
        maxW = Math.max(mw, Math.max(feats, condDim));
        timeWt = !residual && feats > 0 ? Arrays.copyOfRange(first.wt, 2, 2 + feats) : null;
        firstRows = 3 + (residual ? 0 : feats);
        load(parameters);
        this.segments = segments(lins, norms, table, labelTable, l -> l.w, l -> l.b, n -> n.g, n -> n.b);
        this.segmentOffsets = offsetsOfSegments();
        List<int[]> units = new ArrayList<>();
        for (Lin l : lins) {
            for (int i0 = 0; i0 < l.in; i0 += TRANSPOSE_BLOCK) {
                units.add(new int[] {l.id, i0});
            }
        }
        this.derivedUnits = units.toArray(new int[0][]);
    }

    private Lin lin(String prefix) {
        Lin l = new Lin(layout, prefix, lins.size());
        lins.add(l);
        return l;
    }

    private Norm norm(String prefix) {
        Norm n = new Norm(layout, prefix, norms.size());
        norms.add(n);
        return n;
    }

    /** Replaces the parameters (same layout): every row, table and transpose. */
    void load(float[] p) {
        for (Lin l : lins) {
            l.refresh(p);
        }
        for (Norm n : norms) {
            n.refresh(p);
        }
        if (table != null) {
            for (int r = 0; r < tableSteps; r++) {
                System.arraycopy(p, tableOff + r * feats, table[r], 0, feats);
            }
        }
        refreshTimeCols();
        if (labelTable != null) {
            for (int r = 0; r < classes; r++) {
                System.arraycopy(p, labelOff + r * h1, labelTable[r], 0, h1);
            }
        }
    }

    private void refreshTimeCols() {
        if (timeCols != null) {
            for (int j = 0; j < h1; j++) {
                System.arraycopy(first.w[j], 2, timeCols[j], 0, feats);
            }
        }
    }

    /**
     * The network's own parameter arrays as segments, in the order of {@link Grad#segs} (one home for that order:
     * {@link #segments}). An optimizer updates them in place, then runs {@link #refreshDerived} over every unit.
     */
    float[][] parameterSegments() {
        return segments.clone();
    }

    /** Units of {@link #refreshDerived}. */
    int derivedUnits() {
        return derivedUnits.length;
    }

    /** The floats unit u of {@link #refreshDerived} writes. */
    long derivedCost(int unit) {
        int[] u = derivedUnits[unit];
        Lin l = lins.get(u[0]);
        return (long) Math.min(TRANSPOSE_BLOCK, l.in - u[1]) * l.out;
    }

    /**
     * Rebuilds the copies derived from the parameter rows after an in-place update: unit u transposes
     * {@link #TRANSPOSE_BLOCK} columns of one layer's W; the unit of the first layer's first columns also copies its
     * time columns. Units write disjoint arrays, so they may run in parallel.
     */
    void refreshDerived(int unit) {
        int[] u = derivedUnits[unit];
        Lin l = lins.get(u[0]);
        l.transpose(u[1], Math.min(l.in, u[1] + TRANSPOSE_BLOCK));
        if (l == first && u[1] == 0) {
            refreshTimeCols();
        }
    }

    /**
     * The segments of a network-shaped set of arrays, in the one order every optimizer pass uses: each linear
     * layer's weight rows then bias, each LayerNorm's gain then bias, the time table's rows, the label table's rows.
     */
    private static float[][] segments(List<Lin> lins, List<Norm> norms, float[][] table, float[][] labels,
            Function<Lin, float[][]> wRows, Function<Lin, float[]> bias, Function<Norm, float[]> gain, Function<Norm, float[]> shift) {
        List<float[]> s = new ArrayList<>();
        for (Lin l : lins) {
            s.addAll(Arrays.asList(wRows.apply(l)));
            s.add(bias.apply(l));
        }
        for (Norm n : norms) {
            s.add(gain.apply(n));
            s.add(shift.apply(n));
        }
        if (table != null) {
            s.addAll(Arrays.asList(table));
        }
        if (labels != null) {
            s.addAll(Arrays.asList(labels));
        }
        return s.toArray(new float[0][]);
    }

    /** The offset in the flat layout of each of {@link #segments}' segments. */
    private int[] offsetsOfSegments() {
        List<Integer> o = new ArrayList<>();
        for (Lin l : lins) {
            for (int j = 0; j < l.out; j++) {
                o.add(l.wOff + j * l.in);
            }
            o.add(l.bOff);
        }
        for (Norm n : norms) {
            o.add(n.gOff);
            o.add(n.bOff);
        }
        for (int r = 0; table != null && r < tableSteps; r++) {
            o.add(tableOff + r * feats);
        }
        for (int r = 0; labelTable != null && r < classes; r++) {
            o.add(labelOff + r * h1);
        }
        return o.stream().mapToInt(Integer::intValue).toArray();
    }

    // ------------------------------------------------------------------------------------------ gradients

    /**
     * Gradient buffers in the network's structure. Every row of a weight, every bias, LayerNorm vector and table row
     * is a segment: a contiguous range of the flat layout. The first layer's weight gradient is also gathered
     * transposed ({@code firstT [in][h1]}) and folded into its rows by {@link #foldFirst}.
     */
    final class Grad {
        final float[][][] w = new float[lins.size()][][];
        final float[][] b = new float[lins.size()][];
        final float[][] ng = new float[norms.size()][];
        final float[][] nb = new float[norms.size()][];
        final float[][] timeTable;
        final float[][] label;
        final float[][] firstT = new float[inW][h1];
        /** The rows the first layer's gradient GEMM adds to: the bias, then firstT's x, y and time rows. */
        final float[][] firstGrad;
        /** The segments and their offsets in the flat layout. */
        final float[][] segs;
        final int[] offs;
        /** Segments that {@link #zero} clears: all but the weight rows the next backward pass overwrites. */
        private final float[][] cleared;
        /** Set by {@link #zero}: the next backward pass writes the GEMM layers' weight gradients instead of adding. */
        boolean fresh;

        Grad() {
            List<float[]> written = new ArrayList<>();
            for (Lin l : lins) {
                w[l.id] = new float[l.out][l.in];
                b[l.id] = new float[l.out];
                if (l != first) {
                    written.addAll(Arrays.asList(w[l.id]));
                }
            }
            for (Norm n : norms) {
                ng[n.id] = new float[n.g.length];
                nb[n.id] = new float[n.b.length];
            }
            timeTable = table == null ? null : new float[tableSteps][feats];
            label = labelTable == null ? null : new float[classes][h1];
            firstGrad = new float[firstRows][];
            firstGrad[0] = b[first.id];
            System.arraycopy(firstT, 0, firstGrad, 1, firstRows - 1);
            segs = segments(lins, norms, timeTable, label, l -> w[l.id], l -> b[l.id], n -> ng[n.id], n -> nb[n.id]);
            offs = segmentOffsets;
            Set<float[]> skip = Collections.newSetFromMap(new IdentityHashMap<>());
            skip.addAll(written);
            cleared = Arrays.stream(segs).filter(seg -> !skip.contains(seg)).toArray(float[][]::new);
        }

        /** Starts a sum over tiles: clears the gradient (the GEMM layers' weights are written by the first tile). */
        void zero() {
            for (float[] seg : cleared) {
                Arrays.fill(seg, 0f);
            }
            fresh = true;
            for (float[] row : firstT) {
                Arrays.fill(row, 0f);
            }
        }

        /** Adds the transposed first-layer gradient into the first layer's rows and clears it. */
        void foldFirst() {
            float[][] gw = w[first.id];
            for (int c = 0; c < inW; c++) {
                float[] row = firstT[c];
                for (int j = 0; j < h1; j++) {
                    gw[j][c] += row[j];
                }
                Arrays.fill(row, 0f);
            }
        }

        /** The gradient in the flat layout (after {@link #foldFirst}). */
        float[] flat() {
            float[] f = new float[layout.size()];
            for (int k = 0; k < segs.length; k++) {
                System.arraycopy(segs[k], 0, f, offs[k], segs[k].length);
            }
            return f;
        }
    }

    Grad grad() {
        return new Grad();
    }

    // ------------------------------------------------------------------------------------------ scratch

    /** The per-thread workspace of one tile: inputs, the time context, every activation the backward pass needs. */
    final class Scratch {
        final float[] xy = new float[2 * TILE];
        final int[] label = new int[TILE];
        /** Particles whose continuous condition is the null value (classifier-free guidance). */
        final boolean[] condNull = new boolean[TILE];
        final int[] tIndex = new int[TILE];
        final float[][] feat = new float[TILE][Math.max(1, feats)];
        final float[][] ctx = new float[TILE][h1];
        /** Particle q's context row: its own {@code ctx[q]} in training, a shared row of a time in sampling. */
        final float[][] ctxRow = new float[TILE][];
        final float[][] tmz = new float[TILE][residual && feats > 0 ? width : 0];
        final float[][] tma = new float[TILE][tmz[0].length];
        /** sigmoid(z) of the SiLU layers (null for the other activations): time MLP, cond MLP, trunk, output. */
        final float[][] tmSig = silu(tmz[0].length);
        final float[][] cmIn = new float[TILE][1];
        final float[][] cmz = new float[TILE][condDim];
        final float[][] cma = new float[TILE][condDim];
        final float[][] cmo = new float[TILE][condDim];
        final float[][] dcm = new float[TILE][condDim];
        final float[][] dcm2 = new float[TILE][condDim];
        final float[][] cmSig = silu(condDim);
        final float[][][] z;
        final float[][][] a;
        final float[][][] h;
        final float[][][] xhat;
        final float[][][] nrm;
        final float[][] inv;
        final float[][] hz;
        final float[][] ha;
        final float[][][] sig;
        final float[][] hSig;
        final float[][] out = new float[TILE][2];
        final float[][] dOut = new float[TILE][2];
        final float[][] d1 = new float[TILE][maxW];
        final float[][] d2 = new float[TILE][maxW];
        final float[][] d3 = new float[TILE][maxW];
        final float[][] dFeat = new float[TILE][Math.max(1, feats)];
        /** A layer's input transposed, one row of TILE particles per input feature. */
        final float[][] col = new float[maxW][TILE];
        /** The first layer's inputs transposed, rows as {@link Grad#firstGrad}: ones (the bias), x, y, time features. */
        final float[][] firstIn = new float[firstRows][TILE];

        Scratch() {
            Arrays.fill(firstIn[0], 1f);
            if (!residual) {
                z = new float[widths.length][][];
                a = new float[widths.length][][];
                sig = new float[widths.length][][];
                for (int l = 0; l < widths.length; l++) {
                    z[l] = new float[TILE][widths[l]];
                    a[l] = new float[TILE][widths[l]];
                    sig[l] = silu(widths[l]);
                }
                hSig = null;
                h = null;
                xhat = null;
                nrm = null;
                inv = null;
                hz = null;
                ha = null;
            } else {
                z = new float[blocks][TILE][width];
                a = new float[blocks][TILE][width];
                h = new float[blocks + 1][TILE][width];
                xhat = new float[blocks + 1][TILE][width];
                nrm = new float[blocks + 1][TILE][width];
                inv = new float[blocks + 1][TILE];
                hz = new float[TILE][width / 2];
                ha = new float[TILE][width / 2];
                sig = new float[blocks][][];
                for (int j = 0; j < blocks; j++) {
                    sig[j] = silu(width);
                }
                hSig = silu(width / 2);
            }
        }
    }

    Scratch scratch() {
        return new Scratch();
    }

    /** A tile's buffer of sigmoid(z) for a SiLU layer of width n; null for the other activations. */
    private float[][] silu(int n) {
        return act == SILU ? new float[TILE][n] : null;
    }

    // ------------------------------------------------------------------------------------------ inputs

    /** Sets particle q's conditioning input from a batch condition at index i. */
    void setCondition(Scratch s, int q, Condition c, int i) {
        if (condKind == COND_ONEHOT || condKind == COND_LABEL) {
            int l = c.labels()[i];
            if ((l < 0 || l >= classes) && l != Condition.NULL_LABEL) {
                throw new IllegalArgumentException("condition: label " + l + " is outside the trained classes 0.." + (classes - 1));
            }
            s.label[q] = l;
        } else if (condKind == COND_VALUE) {
            double v = c.values()[i];
            if (Double.isInfinite(v)) {
                throw new IllegalArgumentException("condition: every value must be finite (or NaN for no condition), got " + v);
            }
            s.condNull[q] = Double.isNaN(v);
            s.cmIn[q][0] = s.condNull[q] ? 0f : (float) v;
        }
    }

    /** The time features f(t) of particle q (computed in double, rounded to float); the table row index. */
    private void features(Scratch s, int q, double t) {
        float[] f = s.feat[q];
        if (table != null) {
            if (t != Math.rint(t) || t < 0 || t >= tableSteps) {
                throw new IllegalArgumentException("t: the time table takes integer steps in [0, " + (tableSteps - 1) + "], got " + t);
            }
            int row = (int) t;
            s.tIndex[q] = row;
            System.arraycopy(table[row], 0, f, 0, feats);
        } else if (freq != null) {
            for (int k = 0; k < freq.length; k++) {
                double angle = freq[k] * t;
                f[2 * k] = (float) Math.sin(angle);
                f[2 * k + 1] = (float) Math.cos(angle);
            }
        } else if (feats == 1) {
            f[0] = (float) (timeScale * t);
        }
    }

    /**
     * Starts the time context of particle q: {@code s.ctx[q] = b0} and the features f(t); {@link #timeMlp} then
     * completes the contexts of the whole tile. Keeps f(t) for the backward pass.
     */
    void context(Scratch s, int q, double t) {
        if (!Double.isFinite(t)) {
            throw new IllegalArgumentException("t: every time must be finite, got " + t);
        }
        float[] ctx = s.ctx[q];
        System.arraycopy(first.b, 0, ctx, 0, h1);
        s.ctxRow[q] = ctx;
        if (feats == 0) {
            return;
        }
        features(s, q, t);
    }

    /**
     * Completes the contexts of particles 0..m-1 (after {@link #context} for each), GEMMs of the tile:
     * {@code ctx = b0 + F Wt0[time]} (plain trunk, F the tile's features), on the residual trunk
     * {@code ctx = (b_input + b_mlp1) + W_mlp1 act(b_mlp0 + W_mlp0 f(t))}; keeps the time MLP's activations.
     */
    void timeMlp(Scratch s, int m) {
        if (feats == 0) {
            return;
        }
        if (!residual) {
            GEMM.mulAdd(s.feat, timeWt, s.ctx, m, feats, h1, false);
            return;
        }
        linear(tm0, s.feat, s.tmz, m);
        activate(s.tmz, s.tma, s.tmSig, m, width);
        float[] hb = tm1.b;
        for (int q = 0; q < m; q++) {
            float[] ctx = s.ctx[q];
            for (int j = 0; j < width; j++) {
                ctx[j] += hb[j];
            }
        }
        GEMM.mulAdd(s.tma, tm1.wt, s.ctx, m, width, width, false);
    }

    /** The time context of {@code t} as a new row (shared by every particle at that time). */
    float[] contextRow(Scratch s, double t) {
        context(s, 0, t);
        timeMlp(s, 1);
        return s.ctx[0].clone();
    }

    // ------------------------------------------------------------------------------------------ forward

    /** Runs particles 0..m-1 of the tile (inputs and context rows set); outputs in {@code s.out}. */
    void forward(Scratch s, int m) {
        float[][] z0 = residual ? s.h[0] : s.z[0];
        firstPre(s, m, z0);
        if (!residual) {
            activate(z0, s.a[0], s.sig[0], m, widths[0]);
            for (int l = 1; l < widths.length; l++) {
                linear(hidden[l - 1], s.a[l - 1], s.z[l], m);
                activate(s.z[l], s.a[l], s.sig[l], m, widths[l]);
            }
            linear(last, s.a[widths.length - 1], s.out, m);
            return;
        }
        for (int j = 0; j < blocks; j++) {
            layerNorm(bnorm[j], s.h[j], s.xhat[j], s.inv[j], s.nrm[j], m);
            linear(b0[j], s.nrm[j], s.z[j], m);
            activate(s.z[j], s.a[j], s.sig[j], m, width);
            linear(b1[j], s.a[j], s.h[j + 1], m);
            for (int q = 0; q < m; q++) {
                float[] prev = s.h[j][q];
                float[] next = s.h[j + 1][q];
                for (int i = 0; i < width; i++) {
                    next[i] += prev[i];
                }
            }
        }
        layerNorm(onorm, s.h[blocks], s.xhat[blocks], s.inv[blocks], s.nrm[blocks], m);
        linear(o0, s.nrm[blocks], s.hz, m);
        activate(s.hz, s.ha, s.hSig, m, width / 2);
        linear(o1, s.ha, s.out, m);
    }

    /** z0 = ctx + W0[:, xy] (x, y) + conditioning (one-hot column, cond_mlp columns or label row). */
    private void firstPre(Scratch s, int m, float[][] z0) {
        if (condKind == COND_VALUE) {
            linear(cm0, s.cmIn, s.cmz, m);
            activate(s.cmz, s.cma, s.cmSig, m, condDim);
            linear(cm1, s.cma, s.cmo, m);
        }
        float[][] wt = first.wt;
        float[] wx = wt[0];
        float[] wy = wt[1];
        for (int q = 0; q < m; q++) {
            float[] z = z0[q];
            float[] c = s.ctxRow[q];
            float x = s.xy[2 * q];
            float y = s.xy[2 * q + 1];
            for (int j = 0; j < h1; j++) {
                z[j] = c[j] + wx[j] * x + wy[j] * y;
            }
            switch (condKind) {
                case COND_ONEHOT:
                    if (s.label[q] != Condition.NULL_LABEL) {
                        axpy(wt[condCol + s.label[q]], 1f, z, h1);
                    }
                    break;
                case COND_VALUE: {
                    if (!s.condNull[q]) {
                        float[] co = s.cmo[q];
                        for (int e = 0; e < condDim; e++) {
                            axpy(wt[condCol + e], co[e], z, h1);
                        }
                    }
                    break;
                }
                case COND_LABEL:
                    if (s.label[q] != Condition.NULL_LABEL) {
                        axpy(labelTable[s.label[q]], 1f, z, h1);
                    }
                    break;
                default:
                    break;
            }
        }
    }

    /**
     * y = b + x W^T for the m rows of a tile: one {@link CpuGemm} call on the transposed weights (row dot products
     * for outputs of width <= 4). Every output element sees the same operations in the same order however the rows
     * are grouped.
     */
    private static void linear(Lin l, float[][] x, float[][] y, int m) {
        int in = l.in;
        int out = l.out;
        if (out <= 4) {
            for (int q = 0; q < m; q++) {
                float[] xq = x[q];
                float[] yq = y[q];
                for (int j = 0; j < out; j++) {
                    yq[j] = l.b[j] + GEMM.dot(l.w[j], xq, in);
                }
            }
            return;
        }
        for (int q = 0; q < m; q++) {
            System.arraycopy(l.b, 0, y[q], 0, out);
        }
        GEMM.mulAdd(x, l.wt, y, m, in, out, false);
    }

    /** y[j] += w[j] a, j < n. */
    static void axpy(float[] w, float a, float[] y, int n) {
        for (int j = 0; j < n; j++) {
            y[j] += w[j] * a;
        }
    }

    /**
     * a = act(z) for the m rows of a tile; for SiLU also {@code sig = sigmoid(z)} (a buffer of the scratch's, null for
     * the other activations), which the backward pass then reads instead of computing it again.
     */
    private void activate(float[][] z, float[][] a, float[][] sig, int m, int n) {
        switch (act) {
            case RELU:
                for (int q = 0; q < m; q++) {
                    float[] zq = z[q];
                    float[] aq = a[q];
                    for (int i = 0; i < n; i++) {
                        aq[i] = Math.max(zq[i], 0f);
                    }
                }
                break;
            case SILU:
                GEMM.activate(CpuGemm.SILU, z, a, sig, m, n);
                break;
            default:
                // x itself above Activation.SOFTPLUS_THRESHOLD: CpuMath.softplus rounds to x there
                GEMM.activate(CpuGemm.SOFTPLUS, z, a, null, m, n);
                break;
        }
    }

    /** dZ = dA o act'(Z) for the m rows of a tile (dZ distinct from dA and Z); sig as kept by {@link #activate}. */
    private void activationBackward(float[][] z, float[][] sig, float[][] dA, float[][] dZ, int m, int n) {
        if (act == SOFTPLUS) {
            GEMM.activate(CpuGemm.SIGMOID, z, dZ, null, m, n);
        }
        for (int q = 0; q < m; q++) {
            float[] zq = z[q];
            float[] da = dA[q];
            float[] dz = dZ[q];
            switch (act) {
                case RELU:
                    GEMM.reluBackward(zq, da, dz, n);
                    break;
                case SILU: {
                    float[] sq = sig[q];
                    for (int i = 0; i < n; i++) {
                        float sg = sq[i];
                        dz[i] = da[i] * (sg * (1f + zq[i] * (1f - sg)));
                    }
                    break;
                }
                default:
                    // dz holds sigmoid(z), 1 above the threshold 20: CpuMath.sigmoid rounds to 1 there
                    for (int i = 0; i < n; i++) {
                        dz[i] *= da[i];
                    }
                    break;
            }
        }
    }

    /** y = g o (x - mu) r + b per row, r = 1 / sqrt(var + eps), biased variance; keeps xhat and r. */
    private static void layerNorm(Norm nm, float[][] x, float[][] xhat, float[] inv, float[][] y, int m) {
        float eps = (float) NetworkSpec.LAYER_NORM_EPS;
        for (int q = 0; q < m; q++) {
            inv[q] = GEMM.layerNorm(x[q], xhat[q], y[q], nm.g, nm.b, nm.g.length, eps);
        }
    }

    // ------------------------------------------------------------------------------------------ backward

    /**
     * Backpropagates {@code s.dOut} (dL/d output of the tile) through the last forward pass of this scratch,
     * adding dL/dtheta into {@code g}.
     */
    void backward(Scratch s, int m, Grad g) {
        float[][] dz0;
        if (!residual) {
            int lastIdx = widths.length - 1;
            linearBackward(last, s.a[lastIdx], s.dOut, s.d1, g, m, s.col);
            for (int l = lastIdx; l >= 0; l--) {
                activationBackward(s.z[l], s.sig[l], s.d1, s.d2, m, widths[l]);
                if (l > 0) {
                    linearBackward(hidden[l - 1], s.a[l - 1], s.d2, s.d1, g, m, s.col);
                }
            }
            dz0 = s.d2;
        } else {
            int half = width / 2;
            linearBackward(o1, s.ha, s.dOut, s.d1, g, m, s.col);
            activationBackward(s.hz, s.hSig, s.d1, s.d2, m, half);
            linearBackward(o0, s.nrm[blocks], s.d2, s.d1, g, m, s.col);
            float[][] dh = s.d3;
            layerNormBackward(onorm, s.xhat[blocks], s.inv[blocks], s.d1, dh, g, m);
            for (int j = blocks - 1; j >= 0; j--) {
                linearBackward(b1[j], s.a[j], dh, s.d1, g, m, s.col);
                activationBackward(s.z[j], s.sig[j], s.d1, s.d2, m, width);
                linearBackward(b0[j], s.nrm[j], s.d2, s.d1, g, m, s.col);
                layerNormBackward(bnorm[j], s.xhat[j], s.inv[j], s.d1, s.d2, g, m);
                for (int q = 0; q < m; q++) {
                    float[] a = dh[q];
                    float[] d = s.d2[q];
                    for (int i = 0; i < width; i++) {
                        a[i] += d[i];
                    }
                }
            }
            dz0 = dh;
        }
        firstBackward(s, m, dz0, g);
        g.fresh = false;
    }

    /**
     * dW += dY^T X (the tile's samples summed in the kernel's registers), db += column sums of dY; dX = dY W when dX
     * is not null. {@code col} receives dY transposed, one row of the tile per output, for the shapes that
     * {@link CpuGemm#mulAddTransA} does not run on vectors.
     */
    private static void linearBackward(Lin l, float[][] x, float[][] dY, float[][] dX, Grad g, int m, float[][] col) {
        int in = l.in;
        int out = l.out;
        float[] gb = g.b[l.id];
        boolean trans = GEMM.transAFits(out, in);
        for (int q = 0; q < m; q++) {
            float[] dy = dY[q];
            GEMM.addTo(gb, dy, out);
            if (!trans) {
                for (int j = 0; j < out; j++) {
                    col[j][q] = dy[j];
                }
            }
        }
        // the chunk's first tile writes the weight gradient (Grad.zero leaves it), the others add to it
        if (trans) {
            GEMM.mulAddTransA(dY, x, g.w[l.id], out, m, in, g.fresh);
        } else {
            GEMM.mulAdd(col, x, g.w[l.id], out, m, in, g.fresh);
        }
        if (dX != null) {
            GEMM.mulAdd(dY, l.w, dX, m, out, in, true);
        }
    }

    /** dg += dY o xh, db += dY; dx = r (dxh - mean dxh - xh mean(dxh o xh)), dxh = dY o g. */
    private static void layerNormBackward(Norm nm, float[][] xhat, float[] inv, float[][] dY, float[][] dx, Grad g, int m) {
        int w = nm.g.length;
        float[] gg = g.ng[nm.id];
        float[] gb = g.nb[nm.id];
        float[] gain = nm.g;
        for (int q = 0; q < m; q++) {
            float[] dy = dY[q];
            float[] xh = xhat[q];
            float[] d = dx[q];
            float meanD = 0f;
            float meanDX = 0f;
            for (int j = 0; j < w; j++) {
                gg[j] += dy[j] * xh[j];
                gb[j] += dy[j];
            }
            for (int j = 0; j < w; j++) {
                float dxh = dy[j] * gain[j];
                meanD += dxh;
                meanDX += dxh * xh[j];
            }
            meanD /= w;
            meanDX /= w;
            float r = inv[q];
            for (int j = 0; j < w; j++) {
                d[j] = r * (dy[j] * gain[j] - meanD - xh[j] * meanDX);
            }
        }
    }

    /** Gradients of the first layer, the time embedding (table, time MLP) and the conditioning inputs. */
    private void firstBackward(Scratch s, int m, float[][] dz0, Grad g) {
        float[][] wt = first.wt;
        float[][] gT = g.firstT;
        // [db; dW0[:, x]; dW0[:, y]; dW0[:, time]] += [1; x; y; f]^T dz over the tile, one GEMM
        float[][] in = s.firstIn;
        for (int q = 0; q < m; q++) {
            in[1][q] = s.xy[2 * q];
            in[2][q] = s.xy[2 * q + 1];
            for (int k = 3; k < firstRows; k++) {
                in[k][q] = s.feat[q][k - 3];
            }
        }
        GEMM.mulAdd(in, dz0, g.firstGrad, firstRows, m, h1, false);
        if (!residual && table != null) {
            // dTable[t_q] += W0[:, time]^T dz_q: the tile's feature gradients as one GEMM, then added by time index
            GEMM.mulAdd(dz0, timeCols, s.dFeat, m, h1, feats, true);
            for (int q = 0; q < m; q++) {
                float[] tr = g.timeTable[s.tIndex[q]];
                float[] df = s.dFeat[q];
                for (int k = 0; k < feats; k++) {
                    tr[k] += df[k];
                }
            }
        }
        for (int q = 0; q < m; q++) {
            float[] dz = dz0[q];
            switch (condKind) {
                case COND_ONEHOT:
                    if (s.label[q] != Condition.NULL_LABEL) {
                        axpy(dz, 1f, gT[condCol + s.label[q]], h1);
                    }
                    break;
                case COND_VALUE: {
                    float[] co = s.cmo[q];
                    float[] dc = s.dcm[q];
                    for (int e = 0; e < condDim; e++) {
                        if (s.condNull[q]) {
                            dc[e] = 0f;
                        } else {
                            dc[e] = GEMM.dot(wt[condCol + e], dz, h1);
                            axpy(dz, co[e], gT[condCol + e], h1);
                        }
                    }
                    break;
                }
                case COND_LABEL:
                    if (s.label[q] != Condition.NULL_LABEL) {
                        axpy(dz, 1f, g.label[s.label[q]], h1);
                    }
                    break;
                default:
                    break;
            }
        }
        if (condKind == COND_VALUE) {
            linearBackward(cm1, s.cma, s.dcm, s.dcm2, g, m, s.col);
            activationBackward(s.cmz, s.cmSig, s.dcm2, s.dcm, m, condDim);
            linearBackward(cm0, s.cmIn, s.dcm, null, g, m, s.col);
        }
        if (residual && feats > 0) {
            linearBackward(tm1, s.tma, dz0, s.d1, g, m, s.col);
            activationBackward(s.tmz, s.tmSig, s.d1, s.d2, m, width);
            linearBackward(tm0, s.feat, s.d2, table != null ? s.dFeat : null, g, m, s.col);
            if (table != null) {
                for (int q = 0; q < m; q++) {
                    float[] tr = g.timeTable[s.tIndex[q]];
                    float[] df = s.dFeat[q];
                    for (int k = 0; k < feats; k++) {
                        tr[k] += df[k];
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ batch helpers

    /** Loads particles [from, from + m) of a batch into the tile with per-sample contexts (the training layout). */
    void loadTile(Scratch s, int m, int from, float[] xy, double[] t, Condition condition) {
        for (int q = 0; q < m; q++) {
            int i = from + q;
            s.xy[2 * q] = xy[2 * i];
            s.xy[2 * q + 1] = xy[2 * i + 1];
            context(s, q, feats > 0 ? t[i] : 0.0);
            setCondition(s, q, condition, i);
        }
        timeMlp(s, m);
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
            for (int q = 0; q < m; q++) {
                out[2 * (from + q)] = s.out[q][0];
                out[2 * (from + q) + 1] = s.out[q][1];
            }
        }
        return out;
    }

    /** The gradient of {@code sum_i dOut_i . f_i} with respect to every parameter (flat layout). */
    float[] gradient(double[] xy, double[] t, Condition condition, double[] dOut) {
        int n = xy.length / 2;
        float[] xf = toFloat(xy);
        Grad g = grad();
        Scratch s = scratch();
        for (int from = 0; from < n; from += TILE) {
            int m = Math.min(TILE, n - from);
            loadTile(s, m, from, xf, t, condition);
            forward(s, m);
            for (int q = 0; q < m; q++) {
                s.dOut[q][0] = (float) dOut[2 * (from + q)];
                s.dOut[q][1] = (float) dOut[2 * (from + q) + 1];
            }
            backward(s, m, g);
        }
        g.foldFirst();
        return g.flat();
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
