// The networks of diffusion4j for one sample at a time: forward pass and hand-derived backward pass in float,
// compiled for the GPU (one thread per particle or per training sample) and for the host (native tests).
//
// A network is described by `Net`, 104 ints written by org.diffusion4j.engine.cuda.NetworkDescriptor from the
// network spec and its ParameterLayout (offsets into the flat parameter buffer P, PyTorch's names):
//
//   input     u = [x, y, f(t) (plain trunk only), c]          c: one-hot columns or cond_mlp(value)
//   f(t)      raw: scale t;  sinusoidal: (sin w_0 t, cos w_0 t, ...), w_i = 10000^(-2i/dim);  table: row t
//   plain     z_0 = W_0 u + b_0 (+ label.table[label]),  a_i = act(z_i),  z_i = W_i a_{i-1} + b_i,  out = W_L a + b_L
//   residual  h_0 = W_in u + b_in + time_mlp(f) (+ label.table[label])
//             h_{j+1} = h_j + W_j1 act(W_j0 LN_j(h_j) + b_j0) + b_j1,   out = W_o1 act(W_o0 LN_o(h_B) + b_o0) + b_o1
//   LN        y = g (x - mu) / sqrt(var + 1e-5) + b  (biased variance over the row)
//
// The time-only part of the first layer, `time terms` tt, is computed apart so that a sampler evaluates it once per
// time for all particles: plain tt = b_0 + W_0[:, time columns] f(t) (width[0] floats); residual
// tt = b_in + time_mlp(f(t)) (H floats). Without a time input tt is the bias alone.
//
// Per-sample storage (the tape, read back by the backward pass) and per-sample gradients are addressed through
// `Strided` views, so that on the GPU consecutive threads touch consecutive addresses.
#ifndef DIFFUSION4J_NETWORK_CUH
#define DIFFUSION4J_NETWORK_CUH

#include "activations.cuh"
#include "philox.cuh"

namespace d4j {

constexpr int NET_MAX_LAYERS = 8;
constexpr int NET_MAX_BLOCKS = 8;
constexpr int NET_INTS = 104;
constexpr float LAYER_NORM_EPS = 1e-5f;

enum BodyKind : int { BODY_PLAIN = 0, BODY_RESIDUAL = 1 };
enum TimeKind : int { TIME_NONE = 0, TIME_RAW = 1, TIME_SINUSOIDAL = 2, TIME_TABLE = 3 };
enum CondKind : int { COND_NONE = 0, COND_ONE_HOT = 1, COND_CONTINUOUS = 2, COND_LABEL = 3 };

/** The network descriptor: every field 4 bytes, in this order (NetworkDescriptor writes the same ints). */
struct Net {
    int body, act, time_kind, time_dim, time_steps;
    float time_scale;
    int cond_kind, cond_dim, in_width, layers;
    int width[NET_MAX_LAYERS];          // plain: the hidden widths; residual: width[0] = H
    int time_table;                     // offset of time.table [T, dim]
    int time_mlp[4];                    // time_mlp.0.weight, .0.bias, .1.weight, .1.bias
    int cond_mlp[4];                    // cond_mlp.0.weight, .0.bias, .1.weight, .1.bias
    int label_table;                    // label.table [K, width[0]]
    int lin[2 * (NET_MAX_LAYERS + 1)];  // plain: layers.i.weight, layers.i.bias; residual: input.weight, input.bias
    int blk[NET_MAX_BLOCKS][6];         // residual block j: norm.weight, norm.bias, 0.weight, 0.bias, 1.weight, 1.bias
    int out[6];                         // residual head: output.norm.weight, .bias, output.0.weight, .bias, output.1.weight, .bias
    int time_width;                     // floats of the time terms
    int tape;                           // floats of the per-sample tape (forward values and backward workspace)
    int params;                         // floats of P
    int precision;                      // the layer GEMMs' arithmetic in the tile kernels (Precision of tile.cuh)
};

static_assert(sizeof(Net) == NET_INTS * 4, "Net must be NET_INTS 4-byte fields");

/** A view of floats k * stride apart: element k of one sample in a sample-minor buffer. */
struct Strided {
    float* p;
    long long stride;
    D4J_HD float& operator[](int k) const { return p[static_cast<long long>(k) * stride]; }
    D4J_HD Strided at(int offset) const { return Strided{p + static_cast<long long>(offset) * stride, stride}; }
};

/**
 * One sample's conditioning: a label (one-hot, label embedding) or a value (continuous). The null condition of
 * classifier-free guidance is label -1 (zero one-hot vector, no embedding row) or value NaN (zero features).
 */
struct Cond {
    int label;
    float value;
};

D4J_HD bool is_null_value(float v) { return v != v; }

D4J_HD int hidden_width(const Net& n) { return n.width[0]; }

/** Width of the time features f(t). */
D4J_HD int time_features(const Net& n) { return n.time_kind == TIME_NONE ? 0 : n.time_dim; }

/** Width of the conditioning features c in u (one-hot classes or the embedding), 0 for none or a label embedding. */
D4J_HD int cond_features(const Net& n) {
    return n.cond_kind == COND_ONE_HOT || n.cond_kind == COND_CONTINUOUS ? n.cond_dim : 0;
}

/** Column of u where c starts: after x, y and (plain trunk) f(t). */
D4J_HD int cond_column(const Net& n) { return 2 + (n.body == BODY_PLAIN ? time_features(n) : 0); }

/** f(t) into f[0..dim): angles of the sinusoidal embedding in double, then rounded. */
D4J_HD void time_feature_values(const Net& n, const float* P, float t, float* f) {
    switch (n.time_kind) {
        case TIME_RAW:
            f[0] = n.time_scale * t;
            break;
        case TIME_SINUSOIDAL:
            for (int i = 0; i < n.time_dim / 2; ++i) {
                double w = exp(-(2.0 * i / n.time_dim) * 9.210340371976184);  // ln 10000
                double angle = w * static_cast<double>(t);
                f[2 * i] = static_cast<float>(sin(angle));
                f[2 * i + 1] = static_cast<float>(cos(angle));
            }
            break;
        case TIME_TABLE: {
            const float* row = P + n.time_table + static_cast<int>(t) * n.time_dim;
            for (int k = 0; k < n.time_dim; ++k) {
                f[k] = row[k];
            }
            break;
        }
        default:
            break;
    }
}

// ---------------------------------------------------------------------------------------------- tape layout

/** Offsets of the tape's parts (floats from the start of one sample's tape). */
struct TapeLayout {
    int u, f, cond_pre, time_pre, z, h, zb, zo, work, total;
};

D4J_HD int max_width(const Net& n) {
    int m = n.in_width;
    int count = n.body == BODY_PLAIN ? n.layers : 1;
    for (int i = 0; i < count; ++i) {
        m = n.width[i] > m ? n.width[i] : m;
    }
    return m;
}

/**
 *   u [in_width], f [time_dim], cond_pre [e], time_pre [H] (residual with time),
 *   plain: z_i [width_i] for every hidden layer
 *   residual: h_j [H] j = 0..B, zb_j [H] j < B, zo [H/2]
 *   work [3 max_width + 8]: backward (and LayerNorm) workspace
 */
D4J_HD TapeLayout tape_layout(const Net& n) {
    TapeLayout t{};
    int o = 0;
    t.u = o;
    o += n.in_width;
    t.f = o;
    o += time_features(n);
    t.cond_pre = o;
    o += n.cond_kind == COND_CONTINUOUS ? n.cond_dim : 0;
    t.time_pre = o;
    o += n.body == BODY_RESIDUAL && n.time_kind != TIME_NONE ? n.width[0] : 0;
    t.z = o;
    t.h = o;
    if (n.body == BODY_PLAIN) {
        for (int i = 0; i < n.layers; ++i) {
            o += n.width[i];
        }
        t.zb = o;
        t.zo = o;
    } else {
        int H = n.width[0];
        o += (n.layers + 1) * H;
        t.zb = o;
        o += n.layers * H;
        t.zo = o;
        o += H / 2;
    }
    t.work = o;
    o += 3 * max_width(n) + 8;
    t.total = o;
    return t;
}

// ---------------------------------------------------------------------------------------------- forward

/** z[j] = b[j] + sum_k W[j, k] x[k] for j < out (W row-major [out, in]); x and z are tape views. */
D4J_HD void linear(const float* W, const float* b, int in, int out, const Strided& x, const Strided& z) {
    for (int j = 0; j < out; ++j) {
        const float* row = W + static_cast<long long>(j) * in;
        float s = b[j];
        for (int k = 0; k < in; ++k) {
            s = fmaf(row[k], x[k], s);
        }
        z[j] = s;
    }
}

/** The continuous conditioning c = W1 act(W0 v + b0) + b1 into c, keeping the pre-activation. */
D4J_HD void cond_mlp_forward(const Net& n, const float* P, float value, const Strided& pre, const Strided& c) {
    int e = n.cond_dim;
    for (int j = 0; j < e; ++j) {
        pre[j] = fmaf(P[n.cond_mlp[0] + j], value, P[n.cond_mlp[1] + j]);
    }
    for (int m = 0; m < e; ++m) {
        const float* row = P + n.cond_mlp[2] + m * e;
        float s = P[n.cond_mlp[3] + m];
        for (int j = 0; j < e; ++j) {
            s = fmaf(row[j], activate(n.act, pre[j]), s);
        }
        c[m] = s;
    }
}

/**
 * The time terms tt at time t (see the file comment) into tt, for one sample. f (time_dim floats) receives f(t);
 * pre (H floats, residual with time) the time MLP's pre-activation.
 */
D4J_HD void net_time_terms(const Net& n, const float* P, float t, const Strided& f, const Strided& pre, const Strided& tt) {
    int F = time_features(n);
    float feat[64];
    if (F > 0) {
        time_feature_values(n, P, t, feat);
        for (int k = 0; k < F; ++k) {
            f[k] = feat[k];
        }
    }
    if (n.body == BODY_PLAIN) {
        int h0 = n.width[0];
        const float* W = P + n.lin[0];
        const float* b = P + n.lin[1];
        for (int j = 0; j < h0; ++j) {
            float s = b[j];
            const float* row = W + static_cast<long long>(j) * n.in_width + 2;
            for (int k = 0; k < F; ++k) {
                s = fmaf(row[k], feat[k], s);
            }
            tt[j] = s;
        }
        return;
    }
    int H = n.width[0];
    const float* bin = P + n.lin[1];
    if (F == 0) {
        for (int j = 0; j < H; ++j) {
            tt[j] = bin[j];
        }
        return;
    }
    for (int m = 0; m < H; ++m) {
        const float* row = P + n.time_mlp[0] + static_cast<long long>(m) * F;
        float s = P[n.time_mlp[1] + m];
        for (int k = 0; k < F; ++k) {
            s = fmaf(row[k], feat[k], s);
        }
        pre[m] = s;
    }
    for (int j = 0; j < H; ++j) {
        const float* row = P + n.time_mlp[2] + static_cast<long long>(j) * H;
        float s = P[n.time_mlp[3] + j];
        for (int m = 0; m < H; ++m) {
            s = fmaf(row[m], activate(n.act, pre[m]), s);
        }
        tt[j] = bin[j] + s;
    }
}

/** LayerNorm statistics of h[0..H): mean and 1 / sqrt(var + eps). */
D4J_HD void layer_norm_stats(const Strided& h, int H, float& mu, float& rstd) {
    float s = 0.0f;
    for (int k = 0; k < H; ++k) {
        s += h[k];
    }
    mu = s / H;
    float v = 0.0f;
    for (int k = 0; k < H; ++k) {
        float d = h[k] - mu;
        v = fmaf(d, d, v);
    }
    rstd = 1.0f / sqrtf(v / H + LAYER_NORM_EPS);
}

/** y = g (h - mu) rstd + b. */
D4J_HD void layer_norm(const float* g, const float* b, const Strided& h, int H, const Strided& y) {
    float mu, rstd;
    layer_norm_stats(h, H, mu, rstd);
    for (int k = 0; k < H; ++k) {
        y[k] = fmaf(g[k], (h[k] - mu) * rstd, b[k]);
    }
}

/**
 * The forward pass of one sample at (x, y) with time terms tt and conditioning c, writing the tape and out[2]. The
 * tape's u must already hold f(t) in its time columns for a plain trunk with time (net_time_terms writes f(t) to the
 * tape's f; the forward copies it) — pass the same tape to both.
 */
D4J_HD void net_forward(const Net& n, const float* P, float x, float y, Cond c, const Strided& tt, const Strided& tape,
                        float out[2]) {
    TapeLayout L = tape_layout(n);
    Strided u = tape.at(L.u);
    u[0] = x;
    u[1] = y;
    int F = time_features(n);
    if (n.body == BODY_PLAIN) {
        Strided f = tape.at(L.f);
        for (int k = 0; k < F; ++k) {
            u[2 + k] = f[k];
        }
    }
    int cc = cond_column(n);
    if (n.cond_kind == COND_ONE_HOT) {
        for (int k = 0; k < n.cond_dim; ++k) {
            u[cc + k] = k == c.label ? 1.0f : 0.0f;
        }
    } else if (n.cond_kind == COND_CONTINUOUS) {
        if (is_null_value(c.value)) {
            for (int k = 0; k < n.cond_dim; ++k) {
                u[cc + k] = 0.0f;
            }
        } else {
            cond_mlp_forward(n, P, c.value, tape.at(L.cond_pre), u.at(cc));
        }
    }
    Strided work = tape.at(L.work);
    if (n.body == BODY_PLAIN) {
        // first layer: tt already holds b_0 + W_0[:, time] f; add the x, y and conditioning columns
        int h0 = n.width[0];
        const float* W0 = P + n.lin[0];
        Strided z = tape.at(L.z);
        for (int j = 0; j < h0; ++j) {
            const float* row = W0 + static_cast<long long>(j) * n.in_width;
            float s = tt[j];
            s = fmaf(row[0], x, s);
            s = fmaf(row[1], y, s);
            for (int k = cc; k < n.in_width; ++k) {
                s = fmaf(row[k], u[k], s);
            }
            if (n.cond_kind == COND_LABEL && c.label >= 0) {
                s += P[n.label_table + c.label * h0 + j];
            }
            z[j] = s;
        }
        int offset = L.z;
        for (int i = 1; i < n.layers; ++i) {
            Strided prev = tape.at(offset);
            Strided a = work;
            for (int k = 0; k < n.width[i - 1]; ++k) {
                a[k] = activate(n.act, prev[k]);
            }
            offset += n.width[i - 1];
            linear(P + n.lin[2 * i], P + n.lin[2 * i + 1], n.width[i - 1], n.width[i], a, tape.at(offset));
        }
        Strided last = tape.at(offset);
        int w = n.width[n.layers - 1];
        for (int k = 0; k < w; ++k) {
            work[k] = activate(n.act, last[k]);
        }
        const float* WL = P + n.lin[2 * n.layers];
        const float* bL = P + n.lin[2 * n.layers + 1];
        for (int o = 0; o < 2; ++o) {
            float s = bL[o];
            for (int k = 0; k < w; ++k) {
                s = fmaf(WL[o * w + k], work[k], s);
            }
            out[o] = s;
        }
        return;
    }
    int H = n.width[0];
    Strided h0 = tape.at(L.h);
    const float* Win = P + n.lin[0];
    for (int j = 0; j < H; ++j) {
        const float* row = Win + static_cast<long long>(j) * n.in_width;
        float s = tt[j];
        for (int k = 0; k < n.in_width; ++k) {
            s = fmaf(row[k], u[k], s);
        }
        if (n.cond_kind == COND_LABEL && c.label >= 0) {
            s += P[n.label_table + c.label * H + j];
        }
        h0[j] = s;
    }
    Strided normed = work;
    Strided act = work.at(H);
    for (int j = 0; j < n.layers; ++j) {
        Strided h = tape.at(L.h + j * H);
        Strided next = tape.at(L.h + (j + 1) * H);
        Strided zb = tape.at(L.zb + j * H);
        layer_norm(P + n.blk[j][0], P + n.blk[j][1], h, H, normed);
        linear(P + n.blk[j][2], P + n.blk[j][3], H, H, normed, zb);
        for (int k = 0; k < H; ++k) {
            act[k] = activate(n.act, zb[k]);
        }
        linear(P + n.blk[j][4], P + n.blk[j][5], H, H, act, next);
        for (int k = 0; k < H; ++k) {
            next[k] += h[k];
        }
    }
    Strided hB = tape.at(L.h + n.layers * H);
    Strided zo = tape.at(L.zo);
    layer_norm(P + n.out[0], P + n.out[1], hB, H, normed);
    linear(P + n.out[2], P + n.out[3], H, H / 2, normed, zo);
    for (int k = 0; k < H / 2; ++k) {
        act[k] = activate(n.act, zo[k]);
    }
    const float* Wo = P + n.out[4];
    for (int o = 0; o < 2; ++o) {
        float s = P[n.out[5] + o];
        for (int k = 0; k < H / 2; ++k) {
            s = fmaf(Wo[o * (H / 2) + k], act[k], s);
        }
        out[o] = s;
    }
}

// ---------------------------------------------------------------------------------------------- backward

/**
 * Backward through z = W x + b for one sample: G[W] += dz x^T, G[b] += dz, and, when dx is given, dx = W^T dz.
 * G is this sample's gradient view (every parameter index k at G[k]).
 */
D4J_HD void linear_backward(const float* P, int w, int b, int in, int out, const Strided& x, const Strided& dz,
                            const Strided& G, const Strided* dx) {
    for (int j = 0; j < out; ++j) {
        float d = dz[j];
        G[b + j] += d;
        for (int k = 0; k < in; ++k) {
            G[w + j * in + k] += d * x[k];
        }
    }
    if (dx != nullptr) {
        for (int k = 0; k < in; ++k) {
            float s = 0.0f;
            for (int j = 0; j < out; ++j) {
                s = fmaf(P[w + j * in + k], dz[j], s);
            }
            (*dx)[k] = s;
        }
    }
}

/**
 * Backward through y = LN(h) with gain g: G[g] += dy xhat, G[b] += dy, and dh += rstd (dxhat - mean(dxhat) -
 * xhat mean(dxhat xhat)), dxhat = dy g. xhat is recomputed from h.
 */
D4J_HD void layer_norm_backward(const float* P, int g, int b, const Strided& h, int H, const Strided& dy, const Strided& dh,
                                const Strided& G) {
    float mu, rstd;
    layer_norm_stats(h, H, mu, rstd);
    float mean_dxh = 0.0f;
    float mean_dxh_xh = 0.0f;
    for (int k = 0; k < H; ++k) {
        float xh = (h[k] - mu) * rstd;
        float dxh = dy[k] * P[g + k];
        G[g + k] += dy[k] * xh;
        G[b + k] += dy[k];
        mean_dxh += dxh;
        mean_dxh_xh += dxh * xh;
    }
    mean_dxh /= H;
    mean_dxh_xh /= H;
    for (int k = 0; k < H; ++k) {
        float xh = (h[k] - mu) * rstd;
        float dxh = dy[k] * P[g + k];
        dh[k] += rstd * (dxh - mean_dxh - xh * mean_dxh_xh);
    }
}

/** Backward of the continuous conditioning MLP given dc = dL/dc. */
D4J_HD void cond_mlp_backward(const Net& n, const float* P, float value, const Strided& pre, const Strided& dc,
                              const Strided& work, const Strided& G) {
    int e = n.cond_dim;
    for (int m = 0; m < e; ++m) {
        G[n.cond_mlp[3] + m] += dc[m];
        for (int j = 0; j < e; ++j) {
            G[n.cond_mlp[2] + m * e + j] += dc[m] * activate(n.act, pre[j]);
        }
    }
    for (int j = 0; j < e; ++j) {
        float s = 0.0f;
        for (int m = 0; m < e; ++m) {
            s = fmaf(P[n.cond_mlp[2] + m * e + j], dc[m], s);
        }
        float dpre = s * activate_derivative(n.act, pre[j]);
        work[j] = dpre;
    }
    for (int j = 0; j < e; ++j) {
        G[n.cond_mlp[1] + j] += work[j];
        G[n.cond_mlp[0] + j] += work[j] * value;
    }
}

/**
 * The backward pass of one sample: adds d(dOut . out)/dP into G, given the tape of its forward pass (and of
 * net_time_terms), its time t and its conditioning. G must start at zero for this sample (each sample owns its
 * gradient view).
 */
D4J_HD void net_backward(const Net& n, const float* P, float t, Cond c, const Strided& tape, const float dOut[2],
                         const Strided& G) {
    TapeLayout L = tape_layout(n);
    Strided u = tape.at(L.u);
    Strided f = tape.at(L.f);
    int W = max_width(n);
    Strided wa = tape.at(L.work);
    Strided wb = tape.at(L.work + W);
    Strided wc = tape.at(L.work + 2 * W);
    int F = time_features(n);
    int cc = cond_column(n);
    if (n.body == BODY_PLAIN) {
        int last = n.width[n.layers - 1];
        int offset = L.z;
        for (int i = 0; i < n.layers - 1; ++i) {
            offset += n.width[i];
        }
        // head: out = W_L act(z_{L-1}) + b_L
        Strided zl = tape.at(offset);
        for (int k = 0; k < last; ++k) {
            wc[k] = activate(n.act, zl[k]);
        }
        int wL = n.lin[2 * n.layers];
        int bL = n.lin[2 * n.layers + 1];
        for (int o = 0; o < 2; ++o) {
            G[bL + o] += dOut[o];
            for (int k = 0; k < last; ++k) {
                G[wL + o * last + k] += dOut[o] * wc[k];
            }
        }
        for (int k = 0; k < last; ++k) {
            float s = P[wL + k] * dOut[0] + P[wL + last + k] * dOut[1];
            wa[k] = s * activate_derivative(n.act, zl[k]);  // dz_{L-1}
        }
        for (int i = n.layers - 1; i >= 1; --i) {
            int prevOffset = offset - n.width[i - 1];
            Strided zp = tape.at(prevOffset);
            for (int k = 0; k < n.width[i - 1]; ++k) {
                wc[k] = activate(n.act, zp[k]);
            }
            linear_backward(P, n.lin[2 * i], n.lin[2 * i + 1], n.width[i - 1], n.width[i], wc, wa, G, &wb);
            for (int k = 0; k < n.width[i - 1]; ++k) {
                wa[k] = wb[k] * activate_derivative(n.act, zp[k]);
            }
            offset = prevOffset;
        }
        // first layer over u = [x, y, f, c]
        bool needInput = n.time_kind == TIME_TABLE || n.cond_kind == COND_CONTINUOUS;
        linear_backward(P, n.lin[0], n.lin[1], n.in_width, n.width[0], u, wa, G, needInput ? &wb : nullptr);
        if (n.cond_kind == COND_LABEL && c.label >= 0) {
            for (int j = 0; j < n.width[0]; ++j) {
                G[n.label_table + c.label * n.width[0] + j] += wa[j];
            }
        }
        if (n.time_kind == TIME_TABLE) {
            for (int k = 0; k < F; ++k) {
                G[n.time_table + static_cast<int>(t) * F + k] += wb[2 + k];
            }
        }
        if (n.cond_kind == COND_CONTINUOUS && !is_null_value(c.value)) {
            cond_mlp_backward(n, P, c.value, tape.at(L.cond_pre), wb.at(cc), wc, G);
        }
        return;
    }
    int H = n.width[0];
    int H2 = H / 2;
    // head: out = W_o1 act(zo) + b_o1, zo = W_o0 LN_o(h_B) + b_o0
    Strided zo = tape.at(L.zo);
    for (int k = 0; k < H2; ++k) {
        wc[k] = activate(n.act, zo[k]);
    }
    for (int o = 0; o < 2; ++o) {
        G[n.out[5] + o] += dOut[o];
        for (int k = 0; k < H2; ++k) {
            G[n.out[4] + o * H2 + k] += dOut[o] * wc[k];
        }
    }
    for (int k = 0; k < H2; ++k) {
        float s = P[n.out[4] + k] * dOut[0] + P[n.out[4] + H2 + k] * dOut[1];
        wa[k] = s * activate_derivative(n.act, zo[k]);  // dzo
    }
    Strided hB = tape.at(L.h + n.layers * H);
    layer_norm(P + n.out[0], P + n.out[1], hB, H, wc);  // LN_o(h_B)
    linear_backward(P, n.out[2], n.out[3], H, H2, wc, wa, G, &wb);  // wb = d LN_o
    Strided dh = wa;
    for (int k = 0; k < H; ++k) {
        dh[k] = 0.0f;
    }
    layer_norm_backward(P, n.out[0], n.out[1], hB, H, wb, dh, G);
    for (int j = n.layers - 1; j >= 0; --j) {
        Strided h = tape.at(L.h + j * H);
        Strided zb = tape.at(L.zb + j * H);
        // second linear of the block: input act(zb), upstream dh
        for (int k = 0; k < H; ++k) {
            wc[k] = activate(n.act, zb[k]);
        }
        linear_backward(P, n.blk[j][4], n.blk[j][5], H, H, wc, dh, G, &wb);
        for (int k = 0; k < H; ++k) {
            wb[k] *= activate_derivative(n.act, zb[k]);  // dzb
        }
        layer_norm(P + n.blk[j][0], P + n.blk[j][1], h, H, wc);  // LN_j(h_j)
        // dLN = W_j0^T dzb, written over wc after its use as the weight-gradient input
        for (int m = 0; m < H; ++m) {
            float d = wb[m];
            G[n.blk[j][3] + m] += d;
            for (int k = 0; k < H; ++k) {
                G[n.blk[j][2] + m * H + k] += d * wc[k];
            }
        }
        for (int k = 0; k < H; ++k) {
            float s = 0.0f;
            for (int m = 0; m < H; ++m) {
                s = fmaf(P[n.blk[j][2] + m * H + k], wb[m], s);
            }
            wc[k] = s;
        }
        layer_norm_backward(P, n.blk[j][0], n.blk[j][1], h, H, wc, dh, G);
    }
    // h_0 = W_in u + b_in + time_mlp(f) (+ label row)
    bool needInput = n.cond_kind == COND_CONTINUOUS;
    linear_backward(P, n.lin[0], n.lin[1], n.in_width, H, u, dh, G, needInput ? &wb : nullptr);
    if (n.cond_kind == COND_LABEL && c.label >= 0) {
        for (int j = 0; j < H; ++j) {
            G[n.label_table + c.label * H + j] += dh[j];
        }
    }
    if (n.cond_kind == COND_CONTINUOUS && !is_null_value(c.value)) {
        cond_mlp_backward(n, P, c.value, tape.at(L.cond_pre), wb.at(cc), wc, G);
    }
    if (F > 0) {
        Strided pre = tape.at(L.time_pre);
        for (int m = 0; m < H; ++m) {
            wc[m] = activate(n.act, pre[m]);
        }
        linear_backward(P, n.time_mlp[2], n.time_mlp[3], H, H, wc, dh, G, &wb);
        for (int m = 0; m < H; ++m) {
            wb[m] *= activate_derivative(n.act, pre[m]);  // d pre
        }
        linear_backward(P, n.time_mlp[0], n.time_mlp[1], F, H, f, wb, G, n.time_kind == TIME_TABLE ? &wc : nullptr);
        if (n.time_kind == TIME_TABLE) {
            for (int k = 0; k < F; ++k) {
                G[n.time_table + static_cast<int>(t) * F + k] += wc[k];
            }
        }
    }
}

}  // namespace d4j

#endif  // DIFFUSION4J_NETWORK_CUH
