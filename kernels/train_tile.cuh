// One tile's share of a training step, the body of d4j_train (train.cu), for the device and the host (the native
// host tests run it against the reference engine's loss and gradient, native-tests/vectors/training.txt):
//
//   sample i of step k:  (w0, w1) = words(seed, i, 2k):  x0 = data[index(w0, n)],  t = trainingTime(uniform(w1))
//                        eps = double Box-Muller of words(seed, i, 2k + 1);  x_t = a(t) x0 + s(t) eps
//                        target, raw weight rw (process.cuh); the null condition when uniform(w2) < label dropout
//   loss    L = sum_i rw_i |f_i - target_i|^2 / (2 sum_i rw_i),   dL/df_i = rw_i (f_i - target_i) / sum_i rw_i
//
// A block owns a tile of `tile` samples: forward with the tape in shared memory (pre-activations of every layer; the
// activations recomputed where needed), backward as tile GEMMs with the transposed weights, and every parameter's
// gradient reduced over the tile inside the block (delta^T a) into the tile's row of `partials`.
//
// The summation order of a gradient (and of the loss totals) over the batch is fixed, independent of tile, block and
// grid: leaves of TRAIN_LEAF consecutive samples summed in sample order (fused multiply-adds from +0), then a pairwise
// tree over the leaves (node = left + right; a missing right child leaves the left one as is). A tile of tp = 2^m
// leaves is an aligned subtree, computed here; d4j_train_update continues the same tree over the tiles' partials.
// At precision tf32 or tf32x3 a tensor layer's weight-gradient leaf is one m16n8k4 mma step from +0 instead (TF32
// operands, see tile.cuh); the tree over the leaves is the same.
//
// The layer GEMMs (forward, dx = W^T dz and the weight gradients) run on tensor cores as tile.cuh says for the
// network's precision (Net.precision); LayerNorm, activations, biases, the loss and the update stay FP32.
#ifndef DIFFUSION4J_TRAIN_TILE_CUH
#define DIFFUSION4J_TRAIN_TILE_CUH

#include "network.cuh"
#include "philox.cuh"
#include "process.cuh"
#include "tile.cuh"

namespace d4j {

constexpr int TRAIN_LEAF = 4;          // samples per leaf of the summation tree (= TILE_RP, the smallest tile)
constexpr int TRAIN_TILE_LEVELS = 6;   // tree levels inside a tile: tiles up to TRAIN_LEAF * 2^5 = 128 samples
constexpr int TRAIN_TREE_LEVELS = 26;  // levels over the tiles: up to 2^25 tile partials

/** The argument of d4j_train, written field by field by org.diffusion4j.engine.cuda.TrainKernel. */
struct TrainArgs {
    const float* P;           // parameters
    const double* data;       // data points [points][2]
    const int* labels;        // per-point labels (null: none)
    const float* values;      // per-point values (null: none)
    float* partials;          // [tiles][params]: each tile's gradient subtree (unscaled)
    double* loss_partials;    // [tiles][2]: each tile's subtree of rw and rw |f - target|^2
    unsigned long long seed;
    long long step;           // optimizer step (0-based): the noise counter
    double dropout;           // label dropout
    Proc proc;
    Obj obj;
    int points;
    int batch;
    int tile;                 // samples per tile: TRAIN_LEAF x a power of two
    int threads;
    Net net;
};

static_assert(sizeof(Proc) == 56 && sizeof(Obj) == 24, "Proc and Obj: the layout TrainKernel writes");
static_assert(sizeof(TrainArgs) == 6 * 8 + 3 * 8 + 56 + 24 + 4 * 4 + NET_INTS * 4, "TrainArgs: the layout TrainKernel writes");

/** Pairwise carry of the summation tree: leaf g of a run enters with value v; returns the node it completes. */
template <int LEVELS, class T>
D4J_HD T tree_push(T (&pending)[LEVELS], long long g, T v) {
    D4J_UNROLL
    for (int level = 0; level < LEVELS; ++level) {
        if (((g >> level) & 1) == 0) {
            pending[level] = v;
            return v;
        }
        v = pending[level] + v;
    }
    return v;
}

/** The root of a run of n leaves pushed with tree_push (a missing right child leaves the left one as is). */
template <int LEVELS, class T>
D4J_HD T tree_root(const T (&pending)[LEVELS], long long n, T last) {
    // the last leaf's completed node is `last`; the nodes still pending (set bits of n above it) join it from the left
    T v = last;
    long long g = n - 1;
    int level = 0;
    while (level < LEVELS && ((g >> level) & 1) == 1) {
        ++level;
    }
    // `last` completes the subtree at `level`; higher set bits of n hold pending left subtrees
    D4J_UNROLL
    for (int l = 0; l < LEVELS; ++l) {
        if (l > level && ((n >> l) & 1) == 1) {
            v = pending[l] + v;
        }
    }
    return v;
}

/** The tile of a block: shape, tile index, the samples it holds (n <= tp valid ones) and its shared memory. */
struct TrainTile {
    TileShape s;
    long long tile;
    int n;
};

/**
 * For each output idx < outputs: the sum over the tile's valid samples of x y, contrib(idx, p, x, y) giving (x, y) or
 * false to skip the sample, in the tree order of the file comment; store(idx, v) receives the tile's subtree. Ends
 * with a barrier.
 */
template <class Contrib, class Store>
D4J_HD void tile_reduce(const Block& b, const TrainTile& t, int outputs, Contrib contrib, Store store) {
    const int leaves = t.s.tp / TRAIN_LEAF;
    for (int idx = b.tid; idx < outputs; idx += b.threads) {
        float pending[TRAIN_TILE_LEVELS];
        float v = 0.0f;
        for (int g = 0; g < leaves; ++g) {
            float s = 0.0f;
            for (int p = g * TRAIN_LEAF; p < (g + 1) * TRAIN_LEAF; ++p) {
                float x, y;
                if (p < t.n && contrib(idx, p, x, y)) {
                    s = fmaf(x, y, s);
                }
            }
            v = tree_push(pending, g, s);
        }
        store(idx, v);
    }
    block_sync();  // the inputs may be overwritten next
}

/** dst[k][p] = f(k, p) for k < rows, p < tp (rows ld apart); ends with a barrier. */
template <class F>
D4J_HD void tile_map(const Block& b, const TileShape& s, int rows, float* dst, F f) {
    int n = rows * s.tp;
    for (int e = b.tid; e < n; e += b.threads) {
        int k = e / s.tp;
        int p = e % s.tp;
        dst[k * s.ld + p] = f(k, p);
    }
    block_sync();
}

/** Offsets (floats) of a training tile's shared memory. */
struct TrainLayout {
    int rw, res;                       // doubles [tp] each
    int xt, target, out, dout;         // [2][ld]
    int tnet, trow, label, value;      // [tp] (trow, label: ints)
    int u, cond_pre, f, time_pre;      // input rows, cond_mlp pre-activation, time features, time MLP pre-activation
    int z[NET_MAX_LAYERS];             // plain: pre-activation of hidden layer i
    int h, zb, zo;                     // residual: h_j (B + 1 of them), zb_j, zo
    int s1, s2, s3, dh;                // scratch rows
    int wbuf, total;
};

D4J_HD int train_scratch_rows(const Net& n) {
    int m = n.in_width;
    m = n.cond_dim > m ? n.cond_dim : m;
    int count = n.body == BODY_PLAIN ? n.layers : 1;
    for (int i = 0; i < count; ++i) {
        m = n.width[i] > m ? n.width[i] : m;
    }
    return m;
}

D4J_HD TrainLayout train_layout(const Net& n, const TileShape& s) {
    TrainLayout L{};
    const int tp = s.tp;
    const int ld = s.ld;
    int o = 0;
    L.rw = o;
    o += 2 * ld;
    L.res = o;
    o += 2 * ld;
    L.xt = o;
    o += 2 * ld;
    L.target = o;
    o += 2 * ld;
    L.out = o;
    o += 2 * ld;
    L.dout = o;
    o += 2 * ld;
    L.tnet = o;
    o += tp;
    L.trow = o;
    o += tp;
    L.label = o;
    o += tp;
    L.value = o;
    o += tp;
    L.u = o;
    o += n.in_width * ld;
    L.cond_pre = o;
    o += (n.cond_kind == COND_CONTINUOUS ? n.cond_dim : 0) * ld;
    int F = time_features(n);
    L.f = o;
    o += (n.body == BODY_RESIDUAL ? F : 0) * ld;
    L.time_pre = o;
    o += (n.body == BODY_RESIDUAL && F > 0 ? n.width[0] : 0) * ld;
    if (n.body == BODY_PLAIN) {
        for (int i = 0; i < n.layers; ++i) {
            L.z[i] = o;
            o += n.width[i] * ld;
        }
    } else {
        int H = n.width[0];
        L.h = o;
        o += (n.layers + 1) * H * ld;
        L.zb = o;
        o += n.layers * H * ld;
        L.zo = o;
        o += (H / 2) * ld;
        L.dh = o;
        o += H * ld;
    }
    int r = train_scratch_rows(n);
    L.s1 = o;
    o += r * ld;
    L.s2 = o;
    o += r * ld;
    L.s3 = o;
    o += r * ld;
    L.wbuf = o;
    o += weight_slice_floats(s);
    L.total = o;
    return L;
}

/** Bytes of dynamic shared memory d4j_train needs for the args' tile and threads. */
D4J_HD long long train_shared_bytes(const TrainArgs& a) {
    return 4LL * train_layout(a.net, tile_shape_padded(a.tile, a.threads)).total;
}

/**
 * The gradient of one tensor's [J][K] weights from dz [J][ld] and a [K][ld] (delta^T a) on the FP32 pipe, in the tree
 * order of the file comment: a thread owns 4 rows j0.. and the 4 columns kb + 8q of a 32-column group and reads each
 * leaf as one 16-byte vector of 4 samples per row (the 8 threads of a vector access read consecutive rows of `a`,
 * which the padded rows put in distinct banks; dz's rows are broadcast). Samples past the batch have dz = 0.
 */
D4J_HD void tile_weight_gradient_fma(const Block& b, const TrainTile& t, float* G, int w, int J, int K, const float* dz, const float* a) {
    const int ld = t.s.ld;
    const int leaves = t.s.tp / TRAIN_LEAF;
    const int jgroups = (J + 3) / 4;
    const int kgroups = (K + 31) / 32;
    const int units = jgroups * kgroups * 8;
    for (int unit = b.tid; unit < units; unit += b.threads) {
        const int lane = unit % 8;
        const int kg = (unit / 8) % kgroups;
        const int j0 = unit / (8 * kgroups) * 4;
        const int kb = kg * 32 + lane;
        const float* drow[4];
        const float* arow[4];
        D4J_UNROLL
        for (int i = 0; i < 4; ++i) {
            drow[i] = dz + (j0 + i < J ? j0 + i : J - 1) * ld;
            arow[i] = a + (kb + 8 * i < K ? kb + 8 * i : K - 1) * ld;
        }
        float pending[TRAIN_TILE_LEVELS][4][4];
        float v[4][4];
        for (int g = 0; g < leaves; ++g) {
            F4 d[4];
            F4 x[4];
            D4J_UNROLL
            for (int i = 0; i < 4; ++i) {
                d[i] = load4(drow[i] + g * TRAIN_LEAF);
                x[i] = load4(arow[i] + g * TRAIN_LEAF);
            }
            D4J_UNROLL
            for (int i = 0; i < 4; ++i) {
                D4J_UNROLL
                for (int q = 0; q < 4; ++q) {
                    float s = 0.0f;
                    D4J_UNROLL
                    for (int e = 0; e < TRAIN_LEAF; ++e) {
                        s = fmaf(d[i].v[e], x[q].v[e], s);
                    }
                    v[i][q] = s;
                }
            }
            D4J_UNROLL
            for (int level = 0; level < TRAIN_TILE_LEVELS; ++level) {
                if (((g >> level) & 1) == 0) {
                    D4J_UNROLL
                    for (int i = 0; i < 4; ++i) {
                        D4J_UNROLL
                        for (int q = 0; q < 4; ++q) {
                            pending[level][i][q] = v[i][q];
                        }
                    }
                    break;
                }
                D4J_UNROLL
                for (int i = 0; i < 4; ++i) {
                    D4J_UNROLL
                    for (int q = 0; q < 4; ++q) {
                        v[i][q] = pending[level][i][q] + v[i][q];
                    }
                }
            }
        }
        D4J_UNROLL
        for (int i = 0; i < 4; ++i) {
            D4J_UNROLL
            for (int q = 0; q < 4; ++q) {
                if (j0 + i < J && kb + 8 * q < K) {
                    G[w + (j0 + i) * K + kb + 8 * q] = v[i][q];
                }
            }
        }
    }
}

/**
 * The same on tensor cores (a layer tile.cuh's tensor_layer puts there): 16 x 8 output tiles (rows j of dz, columns k
 * of a) shared by the warps, each leaf of TRAIN_LEAF samples one m16n8k4 step from +0 (tf32x3: lo(dz) hi(a), hi(dz)
 * lo(a), hi(dz) hi(a), as tile.cuh's mma steps), then the leaves' tree in FP32 as on the FMA path: the same order of
 * sums whatever the shape. The rows of dz and a are ld = tp + 4 floats apart, so each fragment load is conflict-free;
 * rows past J or K are read clamped and their outputs dropped.
 */
D4J_HD void tile_weight_gradient_mma(const Block& b, const TrainTile& t, float* G, int w, int J, int K, const float* dz, const float* a) {
    const int ld = t.s.ld;
    const int leaves = t.s.tp / TRAIN_LEAF;
    const int lane = b.tid % 32;
    const int g = lane / 4;
    const int q4 = lane % 4;
    const int mtiles = (J + MMA_M - 1) / MMA_M;
    const int tiles = mtiles * ((K + MMA_N - 1) / MMA_N);
    for (int tile = b.tid / 32; tile < tiles; tile += b.threads / 32) {
        const int j0 = tile % mtiles * MMA_M;
        const int k0 = tile / mtiles * MMA_N;
        const float* d0 = dz + (j0 + g < J ? j0 + g : J - 1) * ld + q4;
        const float* d1 = dz + (j0 + g + 8 < J ? j0 + g + 8 : J - 1) * ld + q4;
        const float* x0 = a + (k0 + g < K ? k0 + g : K - 1) * ld + q4;
        float pending[TRAIN_TILE_LEVELS][4];
        float v[4];
        for (int leaf = 0; leaf < leaves; ++leaf) {
            const int p = leaf * TRAIN_LEAF;
            const float dv[2] = {d0[p], d1[p]};
            const float xv[1] = {x0[p]};
            const Tf32Split<2> A = split_tf32(dv, t.s.precision);
            const Tf32Split<1> B = split_tf32(xv, t.s.precision);
            float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            if (t.s.precision == PRECISION_TF32X3) {
                mma_tf32_k4(s, A.lo, B.hi);
                mma_tf32_k4(s, A.hi, B.lo);
            }
            mma_tf32_k4(s, A.hi, B.hi);
            D4J_UNROLL
            for (int q = 0; q < 4; ++q) {
                v[q] = s[q];
            }
            D4J_UNROLL
            for (int level = 0; level < TRAIN_TILE_LEVELS; ++level) {
                if (((leaf >> level) & 1) == 0) {
                    D4J_UNROLL
                    for (int q = 0; q < 4; ++q) {
                        pending[level][q] = v[q];
                    }
                    break;
                }
                D4J_UNROLL
                for (int q = 0; q < 4; ++q) {
                    v[q] = pending[level][q] + v[q];
                }
            }
        }
        D4J_UNROLL
        for (int q = 0; q < 4; ++q) {
            const int j = j0 + g + (q >> 1) * 8;
            const int k = k0 + 2 * q4 + (q & 1);
            if (j < J && k < K) {
                G[w + j * K + k] = v[q];
            }
        }
    }
}

/** One tile_weight_gradient leaf of a host build: what the simulated m16n8k4 steps compute for output (j, k). */
D4J_HD float weight_gradient_leaf(int precision, const float (&d)[TRAIN_LEAF], const float (&x)[TRAIN_LEAF]) {
    float dh[TRAIN_LEAF], xh[TRAIN_LEAF], dl[TRAIN_LEAF], xl[TRAIN_LEAF];
    for (int e = 0; e < TRAIN_LEAF; ++e) {
        dh[e] = tf32_float(tf32_bits(d[e]));
        xh[e] = tf32_float(tf32_bits(x[e]));
        dl[e] = d[e] - dh[e];
        xl[e] = x[e] - xh[e];
    }
    float s = 0.0f;
    if (precision == PRECISION_TF32X3) {
        s = mma_element(s, dl, xh);
        s = mma_element(s, dh, xl);
    }
    return mma_element(s, dh, xh);
}

/**
 * The gradient of one tensor's [J][K] weights and [J] bias from dz [J][ld] and a [K][ld] (delta^T a), in the tree
 * order of the file comment: on tensor cores where tile.cuh's tensor_layer says so (host builds: the same sums, each
 * simulated m16n8k4 step emulated), else on the FP32 pipe; the bias on the FP32 pipe.
 */
D4J_HD void tile_weight_gradient(const Block& b, const TrainTile& t, float* G, int w, int bias, int J, int K, const float* dz, const float* a) {
    const int ld = t.s.ld;
    if (!tensor_layer(t.s.precision, dense(nullptr, K, J))) {
        tile_weight_gradient_fma(b, t, G, w, J, K, dz, a);
    } else {
#if defined(__CUDA_ARCH__)
        tile_weight_gradient_mma(b, t, G, w, J, K, dz, a);
#else
        for (int j = 0; j < J; ++j) {
            for (int k = 0; k < K; ++k) {
                float pending[TRAIN_TILE_LEVELS];
                float v = 0.0f;
                for (int leaf = 0; leaf < t.s.tp / TRAIN_LEAF; ++leaf) {
                    float d[TRAIN_LEAF], x[TRAIN_LEAF];
                    for (int e = 0; e < TRAIN_LEAF; ++e) {
                        d[e] = dz[j * ld + leaf * TRAIN_LEAF + e];
                        x[e] = a[k * ld + leaf * TRAIN_LEAF + e];
                    }
                    v = tree_push(pending, leaf, weight_gradient_leaf(t.s.precision, d, x));
                }
                G[w + j * K + k] = v;
            }
        }
#endif
    }
    tile_reduce(
            b, t, J,
            [&](int idx, int p, float& x, float& y) {
                x = dz[idx * ld + p];
                y = 1.0f;
                return true;
            },
            [&](int idx, float v) { G[bias + idx] = v; });
}

/** dx[k][p] = sum_j W[j][k] dz[j][p] (W row-major [J][K]), epi(k, p, v) receiving each. */
template <class Epi>
D4J_HD void tile_backward_input(const Block& b, const TileShape& s, float* wbuf, const float* W, int J, int K, const float* dz, Epi epi) {
    Layer t{W, K, K, J, J, 0, true};
    tile_layer(b, s, wbuf, t, dz, [](int, int) { return 0.0f; }, epi);
}

/**
 * LayerNorm backward per sample (layer_norm_backward of network.cuh): dh[k][p] += rstd (dxhat - mean(dxhat) - xhat
 * mean(dxhat xhat)), dxhat = dy g; xhat[k][p] receives (h - mu) rstd. Then the gain and bias gradients.
 */
D4J_HD void tile_layer_norm_backward(const Block& b, const TrainTile& t, const float* P, float* G, int g, int beta, const float* h, int H,
                                     const float* dy, float* dh, float* xhat) {
    const int ld = t.s.ld;
    for (int p = b.tid; p < t.s.tp; p += b.threads) {
        float mu, rstd;
        layer_norm_stats(Strided{const_cast<float*>(h) + p, ld}, H, mu, rstd);
        float mean_dxh = 0.0f;
        float mean_dxh_xh = 0.0f;
        for (int k = 0; k < H; ++k) {
            float xh = (h[k * ld + p] - mu) * rstd;
            float dxh = dy[k * ld + p] * P[g + k];
            xhat[k * ld + p] = xh;
            mean_dxh += dxh;
            mean_dxh_xh += dxh * xh;
        }
        mean_dxh /= H;
        mean_dxh_xh /= H;
        for (int k = 0; k < H; ++k) {
            float xh = xhat[k * ld + p];
            float dxh = dy[k * ld + p] * P[g + k];
            dh[k * ld + p] += rstd * (dxh - mean_dxh - xh * mean_dxh_xh);
        }
    }
    block_sync();
    tile_reduce(
            b, t, H,
            [&](int k, int p, float& x, float& y) {
                x = dy[k * ld + p];
                y = xhat[k * ld + p];
                return true;
            },
            [&](int k, float v) { G[g + k] = v; });
    tile_reduce(
            b, t, H,
            [&](int k, int p, float& x, float& y) {
                x = dy[k * ld + p];
                y = 1.0f;
                return true;
            },
            [&](int k, float v) { G[beta + k] = v; });
}

/** Gradient of the label embedding [classes][width]: rows of the tile's labelled samples (label >= 0). */
D4J_HD void tile_label_gradient(const Block& b, const TrainTile& t, const Net& n, float* G, int width, const int* label, const float* dz) {
    const int ld = t.s.ld;
    tile_reduce(
            b, t, n.cond_dim * width,
            [&](int idx, int p, float& x, float& y) {
                if (label[p] != idx / width) {
                    return false;
                }
                x = dz[(idx % width) * ld + p];
                y = 1.0f;
                return true;
            },
            [&](int idx, float v) { G[n.label_table + idx] = v; });
}

/** Gradient of the time table [T][F] from df [F][ld] (rows of the samples' time steps). */
D4J_HD void tile_time_table_gradient(const Block& b, const TrainTile& t, const Net& n, float* G, const int* trow, const float* df) {
    const int ld = t.s.ld;
    const int F = n.time_dim;
    tile_reduce(
            b, t, n.time_steps * F,
            [&](int idx, int p, float& x, float& y) {
                if (trow[p] != idx / F) {
                    return false;
                }
                x = df[(idx % F) * ld + p];
                y = 1.0f;
                return true;
            },
            [&](int idx, float v) { G[n.time_table + idx] = v; });
}

/** Backward of the continuous conditioning MLP from dc (rows cc.. of du), for samples with a value. */
D4J_HD void tile_cond_mlp_backward(const Block& b, const TrainTile& t, const Net& n, const float* P, float* G, const float* value,
                                   const float* pre, const float* dc, float* act_pre, float* dpre) {
    const int ld = t.s.ld;
    const int e = n.cond_dim;
    for (int p = b.tid; p < t.s.tp; p += b.threads) {
        for (int j = 0; j < e; ++j) {
            float s = 0.0f;
            for (int m = 0; m < e; ++m) {
                s = fmaf(P[n.cond_mlp[2] + m * e + j], dc[m * ld + p], s);
            }
            float z = pre[j * ld + p];
            act_pre[j * ld + p] = activate(n.act, z);
            dpre[j * ld + p] = s * activate_derivative(n.act, z);
        }
    }
    block_sync();
    auto has = [&](int p) { return !is_null_value(value[p]); };
    tile_reduce(
            b, t, e * e,
            [&](int idx, int p, float& x, float& y) {
                x = dc[(idx / e) * ld + p];
                y = act_pre[(idx % e) * ld + p];
                return has(p);
            },
            [&](int idx, float v) { G[n.cond_mlp[2] + idx] = v; });
    tile_reduce(
            b, t, e,
            [&](int m, int p, float& x, float& y) {
                x = dc[m * ld + p];
                y = 1.0f;
                return has(p);
            },
            [&](int m, float v) { G[n.cond_mlp[3] + m] = v; });
    tile_reduce(
            b, t, e,
            [&](int j, int p, float& x, float& y) {
                x = dpre[j * ld + p];
                y = 1.0f;
                return has(p);
            },
            [&](int j, float v) { G[n.cond_mlp[1] + j] = v; });
    tile_reduce(
            b, t, e,
            [&](int j, int p, float& x, float& y) {
                x = dpre[j * ld + p];
                y = value[p];
                return has(p);
            },
            [&](int j, float v) { G[n.cond_mlp[0] + j] = v; });
}

/**
 * Tile `tile` of the step: samples tile * tp + p < batch. Writes the tile's gradient subtree to partials[tile] and its
 * loss subtree (sum rw, sum rw |r|^2) to loss_partials[tile].
 */
D4J_HD void train_tile(const TrainArgs& a, const Block& b, const TileShape& shape, float* smem, long long tile) {
    const TileShape s = with_precision(shape, a.net.precision);
    const Net& n = a.net;
    const float* P = a.P;
    const TrainLayout L = train_layout(n, s);
    const int tp = s.tp;
    const int ld = s.ld;
    TrainTile t{s, tile, static_cast<int>(a.batch - tile * tp < tp ? a.batch - tile * tp : tp)};
    float* G = a.partials + tile * static_cast<long long>(n.params);
    double* rw = reinterpret_cast<double*>(smem + L.rw);
    double* res = reinterpret_cast<double*>(smem + L.res);
    float* xt = smem + L.xt;
    float* target = smem + L.target;
    float* tnet = smem + L.tnet;
    int* trow = reinterpret_cast<int*>(smem + L.trow);
    int* label = reinterpret_cast<int*>(smem + L.label);
    float* value = smem + L.value;
    float* u = smem + L.u;
    float* wbuf = smem + L.wbuf;
    float* s1 = smem + L.s1;
    float* s2 = smem + L.s2;
    float* s3 = smem + L.s3;
    const int act = n.act;
    const int F = time_features(n);
    const int cc = cond_column(n);
    // the minibatch: noise, data, time, x_t, target, raw weight, conditioning; the network's inputs u
    for (int p = b.tid; p < tp; p += b.threads) {
        long long i = tile * tp + p;
        bool valid = p < t.n;
        Words4 w = noise_words(a.seed, static_cast<uint64_t>(valid ? i : 0), static_cast<uint64_t>(2 * a.step));
        int j = static_cast<int>(noise_index(w.x, static_cast<uint32_t>(a.points)));
        double time = training_time(a.proc, noise_uniform(w.y));
        Words4 we = noise_words(a.seed, static_cast<uint64_t>(valid ? i : 0), static_cast<uint64_t>(2 * a.step + 1));
        double eps[2];
        box_muller_f64(we.x, we.y, eps[0], eps[1]);
        double sa = signal(a.proc, time);
        double sn = noise(a.proc, time);
        for (int c = 0; c < 2; ++c) {
            double x0 = a.data[2 * j + c];
            xt[c * ld + p] = static_cast<float>(sa * x0 + sn * eps[c]);
            target[c * ld + p] = static_cast<float>(objective_target(a.obj, a.proc, x0, eps[c], time));
        }
        rw[p] = valid ? raw_weight(a.obj, a.proc, time) : 0.0;
        Cond cond{a.labels != nullptr ? a.labels[j] : 0, a.values != nullptr ? a.values[j] : 0.0f};
        if (a.dropout > 0.0 && noise_uniform(w.z) < a.dropout) {
            cond = Cond{-1, 0.0f / 0.0f};  // label dropout: the null condition of classifier-free guidance
        }
        float tn = static_cast<float>(time);
        tnet[p] = tn;
        trow[p] = static_cast<int>(tn);
        value[p] = n.cond_kind == COND_CONTINUOUS ? cond.value : 0.0f;
        u[p] = xt[p];
        u[ld + p] = xt[ld + p];
        float feat[64];
        if (F > 0) {
            time_feature_values(n, P, tn, feat);
        }
        float* frows = n.body == BODY_PLAIN ? u + 2 * ld : smem + L.f;
        for (int k = 0; k < F; ++k) {
            frows[k * ld + p] = feat[k];
        }
        tile_condition(n, P, p, ld, cond, u + (cc - 2) * ld, label, smem + L.cond_pre);
    }
    block_sync();
    float* out = smem + L.out;
    float* dout = smem + L.dout;
    if (n.body == BODY_PLAIN) {
        // forward: z_i kept, activations recomputed into s1
        const float* in = u;
        int K = n.in_width;
        for (int i = 0; i < n.layers; ++i) {
            const float* bias = P + n.lin[2 * i + 1];
            float* z = smem + L.z[i];
            const int w = n.width[i];
            tile_layer(
                    b, s, wbuf, dense(P + n.lin[2 * i], K, w), in, [&](int jj, int) { return bias[jj]; },
                    [&](int jj, int p, float v) {
                        if (i == 0 && label[p] >= 0) {
                            v += P[n.label_table + label[p] * w + jj];
                        }
                        z[jj * ld + p] = v;
                    });
            tile_map(b, s, w, s1, [&](int k, int p) { return activate(act, z[k * ld + p]); });
            in = s1;
            K = w;
        }
        const float* bl = P + n.lin[2 * n.layers + 1];
        tile_layer(
                b, s, wbuf, dense(P + n.lin[2 * n.layers], K, 2), s1, [&](int jj, int) { return bl[jj]; },
                [&](int jj, int p, float v) { out[jj * ld + p] = v; });
    } else {
        const int H = n.width[0];
        float* h0 = smem + L.h;
        const float* bin = P + n.lin[1];
        if (F > 0) {
            float* pre = smem + L.time_pre;
            const float* bt0 = P + n.time_mlp[1];
            const float* bt1 = P + n.time_mlp[3];
            tile_layer(
                    b, s, wbuf, dense(P + n.time_mlp[0], F, H), smem + L.f, [&](int jj, int) { return bt0[jj]; },
                    [&](int jj, int p, float v) { pre[jj * ld + p] = v; });
            tile_map(b, s, H, s1, [&](int k, int p) { return activate(act, pre[k * ld + p]); });
            tile_layer(
                    b, s, wbuf, dense(P + n.time_mlp[2], H, H), s1, [&](int jj, int) { return bt1[jj]; },
                    [&](int jj, int p, float v) { h0[jj * ld + p] = bin[jj] + v; });
        } else {
            tile_map(b, s, H, h0, [&](int k, int) { return bin[k]; });
        }
        tile_layer(
                b, s, wbuf, dense(P + n.lin[0], n.in_width, H), u, [&](int jj, int p) { return h0[jj * ld + p]; },
                [&](int jj, int p, float v) {
                    if (label[p] >= 0) {
                        v += P[n.label_table + label[p] * H + jj];
                    }
                    h0[jj * ld + p] = v;
                });
        for (int blk = 0; blk < n.layers; ++blk) {
            const int* o = n.blk[blk];
            float* h = smem + L.h + blk * H * ld;
            float* hn = h + H * ld;
            float* zb = smem + L.zb + blk * H * ld;
            const float* b0 = P + o[3];
            const float* b1 = P + o[5];
            tile_layer_norm(b, s, P + o[0], P + o[1], h, H, s1);
            tile_layer(
                    b, s, wbuf, dense(P + o[2], H, H), s1, [&](int jj, int) { return b0[jj]; },
                    [&](int jj, int p, float v) { zb[jj * ld + p] = v; });
            tile_map(b, s, H, s2, [&](int k, int p) { return activate(act, zb[k * ld + p]); });
            tile_layer(
                    b, s, wbuf, dense(P + o[4], H, H), s2, [&](int jj, int) { return b1[jj]; },
                    [&](int jj, int p, float v) { hn[jj * ld + p] = v + h[jj * ld + p]; });
        }
        float* hB = smem + L.h + n.layers * H * ld;
        float* zo = smem + L.zo;
        const float* bo0 = P + n.out[3];
        const float* bo1 = P + n.out[5];
        tile_layer_norm(b, s, P + n.out[0], P + n.out[1], hB, H, s1);
        tile_layer(
                b, s, wbuf, dense(P + n.out[2], H, H / 2), s1, [&](int jj, int) { return bo0[jj]; },
                [&](int jj, int p, float v) { zo[jj * ld + p] = v; });
        tile_map(b, s, H / 2, s2, [&](int k, int p) { return activate(act, zo[k * ld + p]); });
        tile_layer(
                b, s, wbuf, dense(P + n.out[4], H / 2, 2), s2, [&](int jj, int) { return bo1[jj]; },
                [&](int jj, int p, float v) { out[jj * ld + p] = v; });
    }
    // loss: dOut = rw (f - target); the tile's loss subtree
    for (int p = b.tid; p < tp; p += b.threads) {
        float r0 = out[p] - target[p];
        float r1 = out[ld + p] - target[ld + p];
        bool valid = p < t.n;
        dout[p] = valid ? static_cast<float>(rw[p] * r0) : 0.0f;
        dout[ld + p] = valid ? static_cast<float>(rw[p] * r1) : 0.0f;
        res[p] = valid ? rw[p] * (static_cast<double>(r0) * r0 + static_cast<double>(r1) * r1) : 0.0;
    }
    block_sync();
    if (b.tid == 0) {
        double pw[TRAIN_TILE_LEVELS];
        double pr[TRAIN_TILE_LEVELS];
        double vw = 0.0;
        double vr = 0.0;
        for (int g = 0; g < tp / TRAIN_LEAF; ++g) {
            double sw = 0.0;
            double sr = 0.0;
            for (int p = g * TRAIN_LEAF; p < (g + 1) * TRAIN_LEAF && p < t.n; ++p) {
                sw += rw[p];
                sr += res[p];
            }
            vw = tree_push(pw, g, sw);
            vr = tree_push(pr, g, sr);
        }
        a.loss_partials[2 * tile] = vw;
        a.loss_partials[2 * tile + 1] = vr;
    }
    // backward
    if (n.body == BODY_PLAIN) {
        const int last = n.layers - 1;
        const int wl = n.width[last];
        float* zl = smem + L.z[last];
        // head: s1 holds act(z_last) from the forward
        tile_weight_gradient(b, t, G, n.lin[2 * n.layers], n.lin[2 * n.layers + 1], 2, wl, dout, s1);
        tile_backward_input(b, s, wbuf, P + n.lin[2 * n.layers], 2, wl, dout,
                            [&](int k, int p, float v) { zl[k * ld + p] = v * activate_derivative(act, zl[k * ld + p]); });
        for (int i = last; i >= 1; --i) {
            float* dz = smem + L.z[i];
            float* zp = smem + L.z[i - 1];
            const int wp = n.width[i - 1];
            tile_map(b, s, wp, s1, [&](int k, int p) { return activate(act, zp[k * ld + p]); });
            tile_weight_gradient(b, t, G, n.lin[2 * i], n.lin[2 * i + 1], n.width[i], wp, dz, s1);
            tile_backward_input(b, s, wbuf, P + n.lin[2 * i], n.width[i], wp, dz,
                                [&](int k, int p, float v) { zp[k * ld + p] = v * activate_derivative(act, zp[k * ld + p]); });
        }
        float* dz0 = smem + L.z[0];
        tile_weight_gradient(b, t, G, n.lin[0], n.lin[1], n.width[0], n.in_width, dz0, u);
        if (n.cond_kind == COND_LABEL) {
            tile_label_gradient(b, t, n, G, n.width[0], label, dz0);
        }
        if (n.time_kind == TIME_TABLE || n.cond_kind == COND_CONTINUOUS) {
            tile_backward_input(b, s, wbuf, P + n.lin[0], n.width[0], n.in_width, dz0, [&](int k, int p, float v) { s1[k * ld + p] = v; });
        }
        if (n.time_kind == TIME_TABLE) {
            tile_time_table_gradient(b, t, n, G, trow, s1 + 2 * ld);
        }
        if (n.cond_kind == COND_CONTINUOUS) {
            tile_cond_mlp_backward(b, t, n, P, G, value, smem + L.cond_pre, s1 + cc * ld, s2, s3);
        }
        block_sync();
        return;
    }
    const int H = n.width[0];
    const int H2 = H / 2;
    float* zo = smem + L.zo;
    float* dh = smem + L.dh;
    float* hB = smem + L.h + n.layers * H * ld;
    // head: s2 holds act(zo) from the forward
    tile_weight_gradient(b, t, G, n.out[4], n.out[5], 2, H2, dout, s2);
    tile_backward_input(b, s, wbuf, P + n.out[4], 2, H2, dout,
                        [&](int k, int p, float v) { zo[k * ld + p] = v * activate_derivative(act, zo[k * ld + p]); });
    tile_layer_norm(b, s, P + n.out[0], P + n.out[1], hB, H, s1);
    tile_weight_gradient(b, t, G, n.out[2], n.out[3], H2, H, zo, s1);
    tile_backward_input(b, s, wbuf, P + n.out[2], H2, H, zo, [&](int k, int p, float v) { s2[k * ld + p] = v; });
    tile_map(b, s, H, dh, [](int, int) { return 0.0f; });
    tile_layer_norm_backward(b, t, P, G, n.out[0], n.out[1], hB, H, s2, dh, s3);
    for (int blk = n.layers - 1; blk >= 0; --blk) {
        const int* o = n.blk[blk];
        float* h = smem + L.h + blk * H * ld;
        float* zb = smem + L.zb + blk * H * ld;
        tile_map(b, s, H, s1, [&](int k, int p) { return activate(act, zb[k * ld + p]); });
        tile_weight_gradient(b, t, G, o[4], o[5], H, H, dh, s1);
        tile_backward_input(b, s, wbuf, P + o[4], H, H, dh,
                            [&](int k, int p, float v) { s2[k * ld + p] = v * activate_derivative(act, zb[k * ld + p]); });
        tile_layer_norm(b, s, P + o[0], P + o[1], h, H, s1);
        tile_weight_gradient(b, t, G, o[2], o[3], H, H, s2, s1);
        tile_backward_input(b, s, wbuf, P + o[2], H, H, s2, [&](int k, int p, float v) { s1[k * ld + p] = v; });
        tile_layer_norm_backward(b, t, P, G, o[0], o[1], h, H, s1, dh, s3);
    }
    tile_weight_gradient(b, t, G, n.lin[0], n.lin[1], H, n.in_width, dh, u);
    if (n.cond_kind == COND_LABEL) {
        tile_label_gradient(b, t, n, G, H, label, dh);
    }
    if (n.cond_kind == COND_CONTINUOUS) {
        tile_backward_input(b, s, wbuf, P + n.lin[0], H, n.in_width, dh, [&](int k, int p, float v) { s1[k * ld + p] = v; });
        tile_cond_mlp_backward(b, t, n, P, G, value, smem + L.cond_pre, s1 + cc * ld, s2, s3);
    }
    if (F > 0) {
        float* pre = smem + L.time_pre;
        tile_map(b, s, H, s1, [&](int k, int p) { return activate(act, pre[k * ld + p]); });
        tile_weight_gradient(b, t, G, n.time_mlp[2], n.time_mlp[3], H, H, dh, s1);
        tile_backward_input(b, s, wbuf, P + n.time_mlp[2], H, H, dh,
                            [&](int k, int p, float v) { s2[k * ld + p] = v * activate_derivative(act, pre[k * ld + p]); });
        tile_weight_gradient(b, t, G, n.time_mlp[0], n.time_mlp[1], H, F, s2, smem + L.f);
        if (n.time_kind == TIME_TABLE) {
            tile_backward_input(b, s, wbuf, P + n.time_mlp[0], H, F, s2, [&](int k, int p, float v) { s3[k * ld + p] = v; });
            tile_time_table_gradient(b, t, n, G, trow, s3);
        }
    }
    block_sync();
}

/**
 * The update's arguments: Adam / AdamW of ReferenceOptimizer, fused with the last levels of the gradient's tree, with the
 * training regimen's per-step values (TrainingRegimen, computed on the host in double): the learning rate of the step,
 * gradient-norm clipping and the EMA of the weights.
 */
struct UpdateArgs {
    float* P;
    float* m;
    float* v;
    float* grad;                  // the step's summed gradient (unscaled), kept for tests
    const float* partials;        // [tiles][params]
    const double* loss_partials;  // [tiles][2]
    double* totals;               // {sum rw, sum rw |r|^2}
    double* losses;               // the loss of step k at losses[k % ring]
    float* ema;                   // the EMA of P (null: none)
    double* norm_partials;        // [norm_chunks(params)]: squared gradient norm of each chunk (clipping only)
    long long step;               // 0-based
    double clip;                  // the largest gradient norm (0: no clipping)
    double clip_eps;              // clip_grad_norm_'s guard: the factor is clip / (norm + clip_eps)
    int params;
    int tiles;
    int ring;
    float lr, b1, b2, eps, decay, c1, c2;  // c1 = 1 - b1^k, c2 = 1 - b2^k (k = step + 1), decay = 1 - lr wd or 1
    float ema_d, ema_od;                   // e = ema_d e + ema_od P after the update (d_k and 1 - d_k)
};

static_assert(sizeof(UpdateArgs) == 13 * 8 + 3 * 4 + 9 * 4, "UpdateArgs: the layout CudaTrainer writes");

// Clipping needs the whole gradient's norm before any update: d4j_train_norm sums the tiles' partials into grad and
// the squares of g = grad / sum rw per chunk of NORM_CHUNK parameters, d4j_train_update sums the chunks. Both sums run
// in a fixed order for blocks of UPDATE_BLOCK threads (thread-strided sums, then a pairwise tree over the threads),
// so the norm does not depend on the grid.
constexpr int UPDATE_BLOCK = 256;                 // threads of d4j_train_norm and d4j_train_update (a power of two)
constexpr int NORM_CHUNK = 8 * UPDATE_BLOCK;      // parameters per norm partial

/** Chunks of NORM_CHUNK parameters. */
D4J_HD long long norm_chunks(long long params) {
    return (params + NORM_CHUNK - 1) / NORM_CHUNK;
}

/** The clipping factor of a gradient of squared norm sq: min(1, clip / (sqrt(sq) + clip_eps)), 1 without clipping. */
D4J_HD double clip_factor(const UpdateArgs& a, double sq) {
    if (a.clip <= 0.0) {
        return 1.0;
    }
    double f = a.clip / (sqrt(sq) + a.clip_eps);
    return f < 1.0 ? f : 1.0;
}

/** The tree over the tiles' loss partials: {sum rw, sum rw |r|^2}. */
D4J_HD void loss_totals(const double* loss_partials, int tiles, double out[2]) {
    for (int c = 0; c < 2; ++c) {
        double pending[TRAIN_TREE_LEVELS];
        double v = 0.0;
        for (int g = 0; g < tiles; ++g) {
            v = tree_push(pending, g, loss_partials[2 * g + c]);
        }
        out[c] = tree_root(pending, tiles, v);
    }
}

/** Parameter k's summed gradient: the tree over the tiles' partials (+0 turns a -0 into +0, the same for every tiling). */
D4J_HD float gradient_total(const float* partials, long long params, int tiles, long long k) {
    float pending[TRAIN_TREE_LEVELS];
    float v = 0.0f;
    for (int g = 0; g < tiles; ++g) {
        v = tree_push(pending, g, partials[g * params + k]);
    }
    return tree_root(pending, tiles, v) + 0.0f;
}

/** Adam / AdamW on parameter k with gradient g (already divided by sum rw and clipped), then the EMA. */
D4J_HD void adam_update(const UpdateArgs& a, long long k, float g) {
    float mk = a.b1 * a.m[k] + (1.0f - a.b1) * g;
    float vk = a.b2 * a.v[k] + (1.0f - a.b2) * g * g;
    a.m[k] = mk;
    a.v[k] = vk;
    float p = a.P[k] * a.decay - a.lr * (mk / a.c1) / (sqrtf(vk / a.c2) + a.eps);
    a.P[k] = p;
    if (a.ema != nullptr) {
        a.ema[k] = a.ema_d * a.ema[k] + a.ema_od * p;
    }
}

}  // namespace d4j

#endif  // DIFFUSION4J_TRAIN_TILE_CUH
