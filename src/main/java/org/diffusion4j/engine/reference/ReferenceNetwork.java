package org.diffusion4j.engine.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffusion4j.model.Body;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.Conditioning;
import org.diffusion4j.model.NetworkSpec;
import org.diffusion4j.model.ParameterLayout;
import org.diffusion4j.model.TimeEmbedding;

/**
 * The reference network: forward pass and hand-derived backward pass in double precision, written with
 * Commons Math matrices to be read, not to be fast. A batch is an {@code n x features} matrix, one row per sample.
 *
 * <p>Layers and their gradients (upstream gradient {@code dY}, PyTorch's conventions):
 * <pre>
 *   Linear      Z = X W^T + 1 b^T             dW = dZ^T X,  db = column sums of dZ,  dX = dZ W
 *   activation  A = act(Z)                    dZ = dA o act'(Z)                     (o: elementwise)
 *   LayerNorm   mu = mean_j x_j,  var = mean_j (x_j - mu)^2   (biased, per row),  r = 1 / sqrt(var + 1e-5)
 *               xh = (x - mu) r,  y = g o xh + b
 *               dg = column sums of dY o xh,  db = column sums of dY,  dxh = dY o g
 *               dx = r (dxh - mean_j dxh - xh mean_j (dxh o xh))
 *   table       rows E[k_i]                   dE[k] += dRow_i for every sample i with index k
 *   sum         h = a + b                     da = db = dh
 * </pre>
 * Time features of a sample at time t: raw {@code scale t}; sinusoidal {@code (sin w_0 t, cos w_0 t, ...)} with
 * {@code w_i = 10000^(-2i/dim)}; table: row t of {@code time.table} (t an integer step in [0, T)). Conditioning:
 * one-hot columns; a continuous value c through {@code cond_mlp: Linear(1, e) -> act -> Linear(e, e)}; a label
 * embedding row added to the first hidden pre-activation. The trunks are those of {@link Body.Plain} and
 * {@link Body.Residual}.
 */
public final class ReferenceNetwork {
    private final NetworkSpec spec;
    private final ParameterLayout layout;
    private final double[] params;

    /** A network with the given flat parameters (copied), in the layout of {@link ParameterLayout#of}(spec). */
    public ReferenceNetwork(NetworkSpec spec, double[] parameters) {
        if (spec == null) {
            throw new IllegalArgumentException("network: required");
        }
        this.spec = spec;
        this.layout = ParameterLayout.of(spec);
        if (parameters == null || parameters.length != layout.size()) {
            throw new IllegalArgumentException("parameters: the network takes " + layout.size() + " values, got "
                    + (parameters == null ? "none" : parameters.length));
        }
        this.params = parameters.clone();
    }

    /** A network with float parameters, widened to double. */
    public ReferenceNetwork(NetworkSpec spec, float[] parameters) {
        this(spec, widen(parameters));
    }

    public NetworkSpec spec() {
        return spec;
    }

    public ParameterLayout layout() {
        return layout;
    }

    /** A copy of the parameters. */
    public double[] parameters() {
        return params.clone();
    }

    // ------------------------------------------------------------------------------------------ the pass

    /** {@code Linear -> act -> Linear}: its input, the pre-activation, the hidden state and the output. */
    private record TwoLayer(RealMatrix in, RealMatrix pre, RealMatrix hidden, RealMatrix out) {
    }

    /** A LayerNorm's normalised input, per-row 1/sqrt(var + eps) and output. */
    private record Norm(RealMatrix xhat, double[] invStd, RealMatrix out) {
    }

    /** A residual block {@code h + twoLayer(LayerNorm(h))}. */
    private record Block(Norm norm, TwoLayer mlp) {
    }

    /** Everything the backward pass needs from one forward pass. */
    public static final class Pass {
        private final ReferenceNetwork network;
        private final int n;
        // inputs: time features (n x F, null without time), table steps, labels of a label embedding,
        // the continuous-conditioning MLP, and the concatenated input matrix of the first Linear
        private RealMatrix timeFeatures;
        private int[] timeIndex;
        private int[] labels;
        private TwoLayer condMlp;
        private boolean[] condNull;
        private RealMatrix input;
        // plain trunk: pre-activations Z_i and activations A_i of the hidden layers
        private final List<RealMatrix> pre = new ArrayList<>();
        private final List<RealMatrix> post = new ArrayList<>();
        // residual trunk: time MLP, blocks, output LayerNorm and head
        private TwoLayer timeMlp;
        private final List<Block> blocks = new ArrayList<>();
        private Norm outNorm;
        private TwoLayer head;
        private RealMatrix output;

        private Pass(ReferenceNetwork network, int n) {
            this.network = network;
            this.n = n;
        }

        /** Batch size. */
        public int size() {
            return n;
        }

        /**
         * The smallest |z| over all pre-activations that enter an activation: how far this pass sits from a ReLU
         * kink (finite-difference checks need it away from 0).
         */
        public double minAbsPreActivation() {
            double min = Double.POSITIVE_INFINITY;
            List<RealMatrix> all = new ArrayList<>(pre);
            for (TwoLayer t : new TwoLayer[] {condMlp, timeMlp, head}) {
                if (t != null) {
                    all.add(t.pre());
                }
            }
            blocks.forEach(b -> all.add(b.mlp().pre()));
            for (RealMatrix z : all) {
                for (double[] row : z.getData()) {
                    for (double v : row) {
                        min = Math.min(min, Math.abs(v));
                    }
                }
            }
            return min;
        }
    }

    // ------------------------------------------------------------------------------------------ forward

    /**
     * Runs the network on a batch.
     *
     * @param xy        positions, interleaved {@code x_0, y_0, x_1, y_1, ...} (n x 2)
     * @param t         one time per sample (may be null when the network takes no time)
     * @param condition labels or values fitting the network's conditioning ({@link Condition#NONE} if none)
     */
    public Pass forward(double[] xy, double[] t, Condition condition) {
        int n = checkBatch(xy, t, condition);
        Pass p = new Pass(this, n);
        RealMatrix pos = interleavedToMatrix(xy, n);
        if (spec.time().features() > 0) {
            p.timeFeatures = timeFeatures(t, p);
        }
        List<RealMatrix> parts = new ArrayList<>();
        parts.add(pos);
        if (spec.body() instanceof Body.Plain && p.timeFeatures != null) {
            parts.add(p.timeFeatures);
        }
        RealMatrix cond = conditioningFeatures(condition, p);
        if (cond != null) {
            parts.add(cond);
        }
        p.input = concatColumns(parts);
        if (spec.body() instanceof Body.Plain plain) {
            plainForward(plain, p);
        } else {
            residualForward((Body.Residual) spec.body(), p);
        }
        return p;
    }

    /** The outputs of a pass, interleaved (n x 2). */
    public double[] output(Pass pass) {
        checkPass(pass);
        return matrixToInterleaved(pass.output);
    }

    private void plainForward(Body.Plain plain, Pass p) {
        int layers = plain.hidden().size();
        RealMatrix a = p.input;
        for (int i = 0; i < layers; i++) {
            RealMatrix z = linear("layers." + i, a);
            if (i == 0 && p.labels != null) {
                z = z.add(tableRows("label.table", p.labels));
            }
            a = activate(z);
            p.pre.add(z);
            p.post.add(a);
        }
        p.output = linear("layers." + layers, a);
    }

    private void residualForward(Body.Residual res, Pass p) {
        RealMatrix h = linear("input", p.input);
        if (p.timeFeatures != null) {
            p.timeMlp = twoLayer("time_mlp", p.timeFeatures);
            h = h.add(p.timeMlp.out());
        }
        if (p.labels != null) {
            h = h.add(tableRows("label.table", p.labels));
        }
        for (int j = 0; j < res.blocks(); j++) {
            Norm norm = layerNorm("blocks." + j + ".norm", h);
            TwoLayer mlp = twoLayer("blocks." + j, norm.out());
            p.blocks.add(new Block(norm, mlp));
            h = h.add(mlp.out());
        }
        p.outNorm = layerNorm("output.norm", h);
        p.head = twoLayer("output", p.outNorm.out());
        p.output = p.head.out();
    }

    /** Time features, one row per sample (see the class comment). */
    private RealMatrix timeFeatures(double[] t, Pass p) {
        int n = t.length;
        TimeEmbedding te = spec.time();
        if (te instanceof TimeEmbedding.Raw raw) {
            RealMatrix f = new Array2DRowRealMatrix(n, 1);
            for (int i = 0; i < n; i++) {
                f.setEntry(i, 0, raw.scale() * t[i]);
            }
            return f;
        }
        if (te instanceof TimeEmbedding.Sinusoidal s) {
            RealMatrix f = new Array2DRowRealMatrix(n, s.dim());
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < s.dim() / 2; k++) {
                    double angle = s.frequency(k) * t[i];
                    f.setEntry(i, 2 * k, Math.sin(angle));
                    f.setEntry(i, 2 * k + 1, Math.cos(angle));
                }
            }
            return f;
        }
        TimeEmbedding.Table table = (TimeEmbedding.Table) te;
        p.timeIndex = new int[n];
        for (int i = 0; i < n; i++) {
            if (t[i] != Math.rint(t[i]) || t[i] < 0 || t[i] >= table.steps()) {
                throw new IllegalArgumentException("t: the time table takes integer steps in [0, " + (table.steps() - 1) + "], got " + t[i]);
            }
            p.timeIndex[i] = (int) t[i];
        }
        return tableRows("time.table", p.timeIndex);
    }

    /** The conditioning columns of the input (one-hot or cond_mlp output), or null; remembers labels. */
    private RealMatrix conditioningFeatures(Condition condition, Pass p) {
        Conditioning c = spec.conditioning();
        if (c instanceof Conditioning.OneHot oneHot) {
            RealMatrix f = new Array2DRowRealMatrix(p.n, oneHot.classes());
            for (int i = 0; i < p.n; i++) {
                if (condition.labels()[i] != Condition.NULL_LABEL) {
                    f.setEntry(i, condition.labels()[i], 1.0);
                }
            }
            return f;
        }
        if (c instanceof Conditioning.Continuous) {
            RealMatrix value = new Array2DRowRealMatrix(p.n, 1);
            p.condNull = new boolean[p.n];
            for (int i = 0; i < p.n; i++) {
                double v = condition.values()[i];
                p.condNull[i] = Double.isNaN(v);
                value.setEntry(i, 0, p.condNull[i] ? 0.0 : v);
            }
            TwoLayer mlp = twoLayer("cond_mlp", value);
            // the null value of classifier-free guidance: zero conditioning features
            RealMatrix out = mlp.out().copy();
            for (int i = 0; i < p.n; i++) {
                if (p.condNull[i]) {
                    out.setRow(i, new double[out.getColumnDimension()]);
                }
            }
            p.condMlp = new TwoLayer(mlp.in(), mlp.pre(), mlp.hidden(), out);
            return out;
        }
        if (c instanceof Conditioning.LabelEmbedding) {
            p.labels = condition.labels().clone();
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------ backward

    /**
     * The gradient of {@code sum_i dOutput_i . f_i} with respect to every parameter, in the flat layout.
     *
     * @param dOutput dL/d(output), interleaved (n x 2)
     */
    public double[] backward(Pass pass, double[] dOutput) {
        double[] grad = new double[params.length];
        backpropToInput(pass, dOutput, grad);
        return grad;
    }

    /** The gradient of {@code sum_i dOutput_i . f_i} with respect to the positions xy, interleaved (n x 2). */
    public double[] inputGradient(Pass pass, double[] dOutput) {
        RealMatrix dInput = backpropToInput(pass, dOutput, new double[params.length]);
        return matrixToInterleaved(dInput.getSubMatrix(0, pass.n - 1, 0, 1));
    }

    /** Backpropagates through the whole network, accumulating into grad; returns dL/d(input matrix). */
    private RealMatrix backpropToInput(Pass p, double[] dOutput, double[] grad) {
        checkPass(p);
        if (dOutput == null || dOutput.length != 2 * p.n) {
            throw new IllegalArgumentException("dOutput: needs 2 values per sample (" + 2 * p.n + "), got "
                    + (dOutput == null ? "none" : dOutput.length));
        }
        RealMatrix dOut = interleavedToMatrix(dOutput, p.n);
        RealMatrix dInput;
        RealMatrix dTimeFeatures = null;
        if (spec.body() instanceof Body.Plain plain) {
            dInput = plainBackward(plain, p, dOut, grad);
            if (p.timeFeatures != null) {
                dTimeFeatures = columns(dInput, 2, spec.time().features());
            }
        } else {
            RealMatrix dh = residualBackward((Body.Residual) spec.body(), p, dOut, grad);
            dInput = linearBackward("input", p.input, dh, grad);
            if (p.timeMlp != null) {
                dTimeFeatures = twoLayerBackward("time_mlp", p.timeMlp, dh, grad);
            }
            if (p.labels != null) {
                tableRowsBackward("label.table", p.labels, dh, grad);
            }
        }
        if (p.timeIndex != null) {
            tableRowsBackward("time.table", p.timeIndex, dTimeFeatures, grad);
        }
        if (p.condMlp != null) {
            int first = p.input.getColumnDimension() - p.condMlp.out().getColumnDimension();
            RealMatrix dCond = columns(dInput, first, p.condMlp.out().getColumnDimension()).copy();
            for (int i = 0; i < p.n; i++) {
                if (p.condNull[i]) {
                    dCond.setRow(i, new double[dCond.getColumnDimension()]);
                }
            }
            twoLayerBackward("cond_mlp", p.condMlp, dCond, grad);
        }
        return dInput;
    }

    /** Plain trunk backward: returns dL/d(input). */
    private RealMatrix plainBackward(Body.Plain plain, Pass p, RealMatrix dOut, double[] grad) {
        int layers = plain.hidden().size();
        RealMatrix dA = linearBackward("layers." + layers, p.post.get(layers - 1), dOut, grad);
        for (int i = layers - 1; i >= 0; i--) {
            RealMatrix dZ = activationBackward(p.pre.get(i), dA);
            if (i == 0 && p.labels != null) {
                tableRowsBackward("label.table", p.labels, dZ, grad);
            }
            RealMatrix in = i == 0 ? p.input : p.post.get(i - 1);
            dA = linearBackward("layers." + i, in, dZ, grad);
        }
        return dA;
    }

    /** Residual trunk backward: returns dL/dh of the first hidden state. */
    private RealMatrix residualBackward(Body.Residual res, Pass p, RealMatrix dOut, double[] grad) {
        RealMatrix dNorm = twoLayerBackward("output", p.head, dOut, grad);
        RealMatrix dh = layerNormBackward("output.norm", p.outNorm, dNorm, grad);
        for (int j = res.blocks() - 1; j >= 0; j--) {
            Block b = p.blocks.get(j);
            RealMatrix dBlockNorm = twoLayerBackward("blocks." + j, b.mlp(), dh, grad);
            dh = dh.add(layerNormBackward("blocks." + j + ".norm", b.norm(), dBlockNorm, grad));
        }
        return dh;
    }

    // ------------------------------------------------------------------------------------------ layers

    /** Z = X W^T + 1 b^T. */
    private RealMatrix linear(String prefix, RealMatrix x) {
        RealMatrix z = x.multiply(weight(prefix).transpose());
        double[] b = vector(prefix + ".bias");
        for (int i = 0; i < z.getRowDimension(); i++) {
            for (int j = 0; j < b.length; j++) {
                z.addToEntry(i, j, b[j]);
            }
        }
        return z;
    }

    /** dW = dZ^T X, db = column sums of dZ (accumulated into grad); returns dX = dZ W. */
    private RealMatrix linearBackward(String prefix, RealMatrix x, RealMatrix dz, double[] grad) {
        accumulate(grad, prefix + ".weight", dz.transpose().multiply(x).getData());
        accumulate(grad, prefix + ".bias", columnSums(dz));
        return dz.multiply(weight(prefix));
    }

    /** A = act(Z), elementwise. */
    private RealMatrix activate(RealMatrix z) {
        return map(z, spec.activation()::apply);
    }

    /** dZ = dA o act'(Z). */
    private RealMatrix activationBackward(RealMatrix z, RealMatrix dA) {
        return hadamard(dA, map(z, spec.activation()::derivative));
    }

    /** Linear(prefix.0) -> act -> Linear(prefix.1). */
    private TwoLayer twoLayer(String prefix, RealMatrix x) {
        RealMatrix z = linear(prefix + ".0", x);
        RealMatrix a = activate(z);
        return new TwoLayer(x, z, a, linear(prefix + ".1", a));
    }

    /** Backward of {@link #twoLayer}; returns dX. */
    private RealMatrix twoLayerBackward(String prefix, TwoLayer t, RealMatrix dOut, double[] grad) {
        RealMatrix dA = linearBackward(prefix + ".1", t.hidden(), dOut, grad);
        RealMatrix dZ = activationBackward(t.pre(), dA);
        return linearBackward(prefix + ".0", t.in(), dZ, grad);
    }

    /** y = g o (x - mu) / sqrt(var + eps) + b, per row, biased variance. */
    private Norm layerNorm(String prefix, RealMatrix x) {
        int n = x.getRowDimension();
        int w = x.getColumnDimension();
        double[] g = vector(prefix + ".weight");
        double[] b = vector(prefix + ".bias");
        RealMatrix xhat = new Array2DRowRealMatrix(n, w);
        RealMatrix y = new Array2DRowRealMatrix(n, w);
        double[] invStd = new double[n];
        for (int i = 0; i < n; i++) {
            double[] row = x.getRow(i);
            double mu = mean(row);
            double var = 0;
            for (double v : row) {
                var += (v - mu) * (v - mu);
            }
            var /= w;
            invStd[i] = 1.0 / Math.sqrt(var + NetworkSpec.LAYER_NORM_EPS);
            for (int j = 0; j < w; j++) {
                double xh = (row[j] - mu) * invStd[i];
                xhat.setEntry(i, j, xh);
                y.setEntry(i, j, g[j] * xh + b[j]);
            }
        }
        return new Norm(xhat, invStd, y);
    }

    /** dg = sums of dY o xh, db = sums of dY; returns dx = r (dxh - mean dxh - xh mean(dxh o xh)), dxh = dY o g. */
    private RealMatrix layerNormBackward(String prefix, Norm norm, RealMatrix dY, double[] grad) {
        int n = dY.getRowDimension();
        int w = dY.getColumnDimension();
        double[] g = vector(prefix + ".weight");
        accumulate(grad, prefix + ".weight", columnSums(hadamard(dY, norm.xhat())));
        accumulate(grad, prefix + ".bias", columnSums(dY));
        RealMatrix dx = new Array2DRowRealMatrix(n, w);
        for (int i = 0; i < n; i++) {
            double[] xh = norm.xhat().getRow(i);
            double[] dxh = new double[w];
            double meanDxh = 0;
            double meanDxhXh = 0;
            for (int j = 0; j < w; j++) {
                dxh[j] = dY.getEntry(i, j) * g[j];
                meanDxh += dxh[j] / w;
                meanDxhXh += dxh[j] * xh[j] / w;
            }
            for (int j = 0; j < w; j++) {
                dx.setEntry(i, j, norm.invStd()[i] * (dxh[j] - meanDxh - xh[j] * meanDxhXh));
            }
        }
        return dx;
    }

    /** Row k_i of a [rows, cols] table for every sample i. */
    private RealMatrix tableRows(String name, int[] index) {
        ParameterLayout.Tensor t = layout.tensor(name);
        RealMatrix out = new Array2DRowRealMatrix(index.length, t.cols());
        for (int i = 0; i < index.length; i++) {
            if (index[i] == Condition.NULL_LABEL) {
                continue; // the null label of classifier-free guidance: a zero row
            }
            for (int j = 0; j < t.cols(); j++) {
                out.setEntry(i, j, params[t.offset() + index[i] * t.cols() + j]);
            }
        }
        return out;
    }

    /** dTable[k_i] += dRows_i. */
    private void tableRowsBackward(String name, int[] index, RealMatrix dRows, double[] grad) {
        ParameterLayout.Tensor t = layout.tensor(name);
        for (int i = 0; i < index.length; i++) {
            if (index[i] == Condition.NULL_LABEL) {
                continue;
            }
            for (int j = 0; j < t.cols(); j++) {
                grad[t.offset() + index[i] * t.cols() + j] += dRows.getEntry(i, j);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** A weight tensor as a [rows, cols] matrix. */
    private RealMatrix weight(String prefix) {
        ParameterLayout.Tensor t = layout.tensor(prefix + ".weight");
        double[][] w = new double[t.rows()][t.cols()];
        for (int r = 0; r < t.rows(); r++) {
            System.arraycopy(params, t.offset() + r * t.cols(), w[r], 0, t.cols());
        }
        return new Array2DRowRealMatrix(w, false);
    }

    private double[] vector(String name) {
        ParameterLayout.Tensor t = layout.tensor(name);
        double[] v = new double[t.size()];
        System.arraycopy(params, t.offset(), v, 0, v.length);
        return v;
    }

    private void accumulate(double[] grad, String name, double[][] values) {
        ParameterLayout.Tensor t = layout.tensor(name);
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < values[r].length; c++) {
                grad[t.offset() + r * values[r].length + c] += values[r][c];
            }
        }
    }

    private void accumulate(double[] grad, String name, double[] values) {
        ParameterLayout.Tensor t = layout.tensor(name);
        for (int k = 0; k < values.length; k++) {
            grad[t.offset() + k] += values[k];
        }
    }

    private static RealMatrix map(RealMatrix m, DoubleUnaryOperator f) {
        RealMatrix out = new Array2DRowRealMatrix(m.getRowDimension(), m.getColumnDimension());
        for (int i = 0; i < m.getRowDimension(); i++) {
            for (int j = 0; j < m.getColumnDimension(); j++) {
                out.setEntry(i, j, f.applyAsDouble(m.getEntry(i, j)));
            }
        }
        return out;
    }

    private static RealMatrix hadamard(RealMatrix a, RealMatrix b) {
        RealMatrix out = new Array2DRowRealMatrix(a.getRowDimension(), a.getColumnDimension());
        for (int i = 0; i < a.getRowDimension(); i++) {
            for (int j = 0; j < a.getColumnDimension(); j++) {
                out.setEntry(i, j, a.getEntry(i, j) * b.getEntry(i, j));
            }
        }
        return out;
    }

    private static double[] columnSums(RealMatrix m) {
        double[] s = new double[m.getColumnDimension()];
        for (int i = 0; i < m.getRowDimension(); i++) {
            for (int j = 0; j < s.length; j++) {
                s[j] += m.getEntry(i, j);
            }
        }
        return s;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static RealMatrix concatColumns(List<RealMatrix> parts) {
        int n = parts.get(0).getRowDimension();
        int w = parts.stream().mapToInt(RealMatrix::getColumnDimension).sum();
        RealMatrix out = new Array2DRowRealMatrix(n, w);
        int at = 0;
        for (RealMatrix m : parts) {
            out.setSubMatrix(m.getData(), 0, at);
            at += m.getColumnDimension();
        }
        return out;
    }

    private static RealMatrix columns(RealMatrix m, int first, int count) {
        return m.getSubMatrix(0, m.getRowDimension() - 1, first, first + count - 1);
    }

    private static RealMatrix interleavedToMatrix(double[] v, int n) {
        RealMatrix m = new Array2DRowRealMatrix(n, 2);
        for (int i = 0; i < n; i++) {
            m.setEntry(i, 0, v[2 * i]);
            m.setEntry(i, 1, v[2 * i + 1]);
        }
        return m;
    }

    private static double[] matrixToInterleaved(RealMatrix m) {
        double[] v = new double[2 * m.getRowDimension()];
        for (int i = 0; i < m.getRowDimension(); i++) {
            v[2 * i] = m.getEntry(i, 0);
            v[2 * i + 1] = m.getEntry(i, 1);
        }
        return v;
    }

    private static double[] widen(float[] p) {
        if (p == null) {
            return null;
        }
        double[] d = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            d[i] = p[i];
        }
        return d;
    }

    private void checkPass(Pass pass) {
        if (pass == null || pass.network != this) {
            throw new IllegalArgumentException("pass: must come from forward() of this network");
        }
    }

    /** Validates a batch; returns its size n. */
    private int checkBatch(double[] xy, double[] t, Condition condition) {
        if (xy == null || xy.length == 0 || xy.length % 2 != 0) {
            throw new IllegalArgumentException("xy: needs 2 values (x, y) per sample and at least one sample, got "
                    + (xy == null ? "none" : xy.length + " values"));
        }
        int n = xy.length / 2;
        for (double v : xy) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("xy: every coordinate must be finite, got " + v);
            }
        }
        if (spec.time().features() > 0 || t != null) {
            if (t == null || t.length != n) {
                throw new IllegalArgumentException("t: needs one time per sample (" + n + "), got " + (t == null ? "none" : t.length));
            }
            for (double v : t) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("t: every time must be finite, got " + v);
                }
            }
        }
        if (condition == null) {
            throw new IllegalArgumentException("condition: required, Condition.NONE for an unconditional network");
        }
        condition.check(spec.conditioning(), n);
        if (condition.values() != null) {
            for (double v : condition.values()) {
                if (Double.isInfinite(v)) {
                    throw new IllegalArgumentException("condition: every value must be finite (or NaN for no condition), got " + v);
                }
            }
        }
        return n;
    }
}
