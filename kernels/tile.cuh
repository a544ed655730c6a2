// Tile-fused networks: a block owns a tile of `tp` particles (or training samples) and evaluates a network layer by
// layer as small GEMMs, with the tile's activations in shared memory and nothing per particle in global memory.
//
// Activations are stored feature-major, a[k][p] (row k of a buffer holds feature k of the tile's tp particles), so a
// layer is out[j][p] = init(j, p) + sum_k W[j][k] a[k][p]: a GEMM of the layer's weights (J x K) by the tile's
// activations (K x tp). The block's threads form a grid of `cols` = tp / TILE_RP columns by `rowgroups` rows; a
// thread computes a TILE_RJ x TILE_RP register tile (outputs j0..j0+3 of particles p0..p0+3): per k one 16-byte load
// of 4 weights and one of 4 activations from shared memory, then 16 fused multiply-adds. A pass covers `rows` =
// rowgroups x TILE_RJ outputs of every particle of the tile; a layer is ceil(J / rows) passes.
//
// Weights are read from global memory (L2) in K-slices of TILE_KS rows, transposed into shared memory (Ws[k][r],
// r = j - first row of the pass) and double buffered: slice s + 1 is copied with cp.async while slice s is used.
//
// Determinism: every output is the same sequence of fused multiply-adds, s = init, s = fma(W[j][k], a[k][p], s) for
// k = 0, 1, ..., K - 1, whatever the tile size, thread count or grid: results are bit-identical across launch shapes.
//
// Tensor cores (mma.sync m16n8k8, TF32) slot in at the register tile: a pass's rows are a multiple of 16 when
// rowgroups >= 4, a slice's K (TILE_KS = 16) is two k8 steps, and the Ws / a layouts are the row-major A and
// column-major B fragments' sources.
//
// Host builds (native host tests) run a block as one thread (Block{0, 1}, tp = TILE_RP): no barriers needed.
#ifndef DIFFUSION4J_TILE_CUH
#define DIFFUSION4J_TILE_CUH

#include <string.h>

#include "network.cuh"

namespace d4j {

constexpr int TILE_RJ = 4;   // outputs per register tile
constexpr int TILE_RP = 4;   // particles per register tile
constexpr int TILE_KS = 16;  // K rows per weight slice

/** The calling thread within its block. */
struct Block {
    int tid;
    int threads;
};

/** __syncthreads on the device; nothing in a host build, where a block is one thread. */
D4J_HD void block_sync() {
#if defined(__CUDA_ARCH__)
    __syncthreads();
#endif
}

// Device-only code generation: loop unrolling and cp.async (sm_80+: copies of 4 bytes global -> shared, zero-filled
// when invalid) where nvcc compiles for a GPU; a plain loop and a plain copy in host builds, the simulated GPU's
// (D4J_SIM, which defines __CUDA_ARCH__ to take the device paths) included.
#if defined(__CUDA_ARCH__) && !defined(D4J_SIM)
#define D4J_UNROLL _Pragma("unroll")
#if __CUDA_ARCH__ >= 800
#define D4J_CP_ASYNC 1
#endif
#else
#define D4J_UNROLL
#endif

D4J_HD void stage_f32(float* dst, const float* src, bool valid) {
#ifdef D4J_CP_ASYNC
    unsigned addr = static_cast<unsigned>(__cvta_generic_to_shared(dst));
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(addr), "l"(src), "r"(valid ? 4 : 0) : "memory");
#else
    *dst = valid ? *src : 0.0f;
#endif
}

D4J_HD void stage_commit() {
#ifdef D4J_CP_ASYNC
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

/** Waits until at most `pending` (0 or 1) committed groups of this thread are still in flight. */
D4J_HD void stage_wait(int pending) {
#ifdef D4J_CP_ASYNC
    if (pending == 0) {
        asm volatile("cp.async.wait_group 0;\n" ::: "memory");
    } else {
        asm volatile("cp.async.wait_group 1;\n" ::: "memory");
    }
#else
    (void) pending;
#endif
}

struct alignas(16) F4 {
    float v[4];
};

/** Four floats from 16-byte aligned shared memory (one vector load on the device). */
D4J_HD F4 load4(const float* p) {
#if defined(__CUDA_ARCH__)
    return *reinterpret_cast<const F4*>(p);
#else
    F4 r;
    memcpy(&r, p, sizeof r);
    return r;
#endif
}

/** A launch shape's tile geometry. */
struct TileShape {
    int tp;         // particles per tile, a multiple of TILE_RP
    int ld;         // floats between rows of the tile's buffers: tp, or tp + TILE_RP (tile_shape_padded)
    int cols;       // tp / TILE_RP
    int rowgroups;  // threads / cols
    int rows;       // outputs per pass: rowgroups x TILE_RJ
};

/** The geometry of tiles of tp particles on blocks of `threads` (a multiple of tp / TILE_RP). */
D4J_HD TileShape tile_shape(int tp, int threads) {
    TileShape s;
    s.tp = tp;
    s.ld = tp;
    s.cols = tp / TILE_RP;
    s.rowgroups = threads / s.cols;
    s.rows = s.rowgroups * TILE_RJ;
    return s;
}

/**
 * The same geometry with rows TILE_RP floats longer than the tile: consecutive rows then start in different banks, so
 * reading row k of consecutive threads (the weight gradient's delta^T a) is free of bank conflicts.
 */
D4J_HD TileShape tile_shape_padded(int tp, int threads) {
    TileShape s = tile_shape(tp, threads);
    s.ld = tp + TILE_RP;
    return s;
}

/** Whether tp particles on `threads` threads is a shape the tile code runs. */
D4J_HD bool tile_shape_valid(int tp, int threads) {
    return tp >= TILE_RP && tp % TILE_RP == 0 && threads >= tp / TILE_RP && threads % (tp / TILE_RP) == 0 && threads >= 1;
}

/** Floats of the double-buffered weight slices. */
D4J_HD int weight_slice_floats(const TileShape& s) { return 2 * TILE_KS * s.rows; }

/**
 * One layer's weights: W row-major [J][ldw] in global memory; input row k of the tile reads column k of W for
 * k < split and column k + shift beyond (how the first layer skips the time columns folded into the time terms).
 * Transposed (the backward pass's dx = W^T dz): output j, input k is W[k][j], W row-major [K][ldw].
 */
struct Layer {
    const float* W;
    int ldw;
    int J, K;
    int split, shift;
    bool transposed;
};

D4J_HD Layer dense(const float* W, int in, int out) { return Layer{W, in, out, in, in, 0, false}; }

/** Copies W[jp .. jp + rows)[k0 .. k0 + TILE_KS) transposed into dst[k][r] (zeros outside the matrix). */
D4J_HD void stage_slice(const Block& b, const TileShape& s, float* dst, const Layer& L, int jp, int k0) {
    int n = TILE_KS * s.rows;
    for (int e = b.tid; e < n; e += b.threads) {
        // consecutive threads read consecutive floats of one row of W
        int r = L.transposed ? e % s.rows : e / TILE_KS;
        int k = L.transposed ? e / s.rows : e % TILE_KS;
        int j = jp + r;
        int kk = k0 + k;
        bool valid = j < L.J && kk < L.K;
        int col = kk < L.split ? kk : kk + L.shift;
        long long at = L.transposed ? static_cast<long long>(col) * L.ldw + j : static_cast<long long>(j) * L.ldw + col;
        stage_f32(dst + k * s.rows + r, valid ? L.W + at : L.W, valid);
    }
    stage_commit();
}

/**
 * out = init + W in for the tile: in is [K][ld] in shared memory; init(j, p) gives the accumulator's start (bias or
 * time terms), epi(j, p, v) receives every output j < J. Ends with a barrier, so out may be read at once.
 */
template <class Init, class Epi>
D4J_HD void tile_layer(const Block& b, const TileShape& s, float* wbuf, const Layer& L, const float* in, Init init, Epi epi) {
    const int ld = s.ld;
    const int slice = TILE_KS * s.rows;
    const int c = b.tid % s.cols;
    const int g = b.tid / s.cols;
    const int p0 = c * TILE_RP;
    const int slices = (L.K + TILE_KS - 1) / TILE_KS;
    for (int jp = 0; jp < L.J; jp += s.rows) {
        float acc[TILE_RJ][TILE_RP];
        D4J_UNROLL
        for (int i = 0; i < TILE_RJ; ++i) {
            int j = jp + g * TILE_RJ + i;
            D4J_UNROLL
            for (int q = 0; q < TILE_RP; ++q) {
                acc[i][q] = j < L.J ? init(j, p0 + q) : 0.0f;
            }
        }
        stage_slice(b, s, wbuf, L, jp, 0);
        for (int sl = 0; sl < slices; ++sl) {
            const float* cur = wbuf + (sl & 1) * slice;
            if (sl + 1 < slices) {
                stage_slice(b, s, wbuf + ((sl + 1) & 1) * slice, L, jp, (sl + 1) * TILE_KS);
                stage_wait(1);
            } else {
                stage_wait(0);
            }
            block_sync();
            int kn = L.K - sl * TILE_KS < TILE_KS ? L.K - sl * TILE_KS : TILE_KS;
            const float* a = in + static_cast<long long>(sl) * TILE_KS * ld + p0;
            const float* w = cur + g * TILE_RJ;
            for (int k = 0; k < kn; ++k) {
                F4 av = load4(a + k * ld);
                F4 wv = load4(w + k * s.rows);
                D4J_UNROLL
                for (int i = 0; i < TILE_RJ; ++i) {
                    D4J_UNROLL
                    for (int q = 0; q < TILE_RP; ++q) {
                        acc[i][q] = fmaf(wv.v[i], av.v[q], acc[i][q]);
                    }
                }
            }
            block_sync();
        }
        for (int i = 0; i < TILE_RJ; ++i) {
            int j = jp + g * TILE_RJ + i;
            if (j < L.J) {
                for (int q = 0; q < TILE_RP; ++q) {
                    epi(j, p0 + q, acc[i][q]);
                }
            }
        }
    }
    block_sync();
}

/** y[k][p] = g[k] (h[k][p] - mu_p) rstd_p + beta[k] over the tile (layer_norm of network.cuh per particle). */
D4J_HD void tile_layer_norm(const Block& b, const TileShape& s, const float* g, const float* beta, const float* h, int H, float* y) {
    const int ld = s.ld;
    for (int p = b.tid; p < s.tp; p += b.threads) {
        float mu, rstd;
        layer_norm_stats(Strided{const_cast<float*>(h) + p, ld}, H, mu, rstd);
        for (int k = 0; k < H; ++k) {
            y[k * ld + p] = fmaf(g[k], (h[k * ld + p] - mu) * rstd, beta[k]);
        }
    }
    block_sync();
}

/** Rows of the tile's input buffer u: x, y, then the conditioning features (one-hot or cond_mlp), no time columns. */
D4J_HD int tile_input_rows(const Net& n) { return 2 + cond_features(n); }

/** Widest activation buffer a forward pass needs (rows of x and y). */
D4J_HD int tile_activation_rows(const Net& n) {
    int m = 2;
    int count = n.body == BODY_PLAIN ? n.layers : 1;
    for (int i = 0; i < count; ++i) {
        m = n.width[i] > m ? n.width[i] : m;
    }
    return m;
}

/** Rows of the residual stream h (0 for a plain trunk). */
D4J_HD int tile_residual_rows(const Net& n) { return n.body == BODY_RESIDUAL ? n.width[0] : 0; }

/**
 * Particle p's conditioning into the tile's input rows 2.. of u (rows ld floats apart) and its label into label[p]: one-hot columns,
 * cond_mlp(value) (pre: a scratch of cond_dim rows), or the label of a label embedding; the null condition (label -1,
 * value NaN) gives zero features and no embedding row.
 */
D4J_HD void tile_condition(const Net& n, const float* P, int p, int ld, Cond c, float* u, int* label, float* pre) {
    label[p] = n.cond_kind == COND_LABEL ? c.label : -1;
    if (n.cond_kind == COND_ONE_HOT) {
        for (int k = 0; k < n.cond_dim; ++k) {
            u[(2 + k) * ld + p] = k == c.label ? 1.0f : 0.0f;
        }
    } else if (n.cond_kind == COND_CONTINUOUS) {
        if (is_null_value(c.value)) {
            for (int k = 0; k < n.cond_dim; ++k) {
                u[(2 + k) * ld + p] = 0.0f;
            }
        } else {
            cond_mlp_forward(n, P, c.value, Strided{pre + p, ld}, Strided{u + 2 * ld + p, ld});
        }
    }
}

/** The shared-memory buffers of a forward pass. */
struct ForwardScratch {
    float* x;     // [tile_activation_rows][tp]
    float* y;     // [tile_activation_rows][tp]
    float* h;     // [tile_residual_rows][tp]
    float* wbuf;  // weight_slice_floats
};

/**
 * The network's output for the tile into out [2][tp]: u holds the inputs (tile_input_rows rows), label the
 * per-particle labels (-1: none), tt the time terms of the tiles' common time (time_width floats, global memory).
 */
D4J_HD void tile_forward(const Block& b, const TileShape& s, const Net& n, const float* P, const float* tt, const float* u,
                         const int* label, const ForwardScratch& m, float* out) {
    const int ld = s.ld;
    const int act = n.act;
    const bool labelled = n.cond_kind == COND_LABEL;
    const int in_rows = tile_input_rows(n);
    if (n.body == BODY_PLAIN) {
        const int h0 = n.width[0];
        float* cur = m.x;
        float* nxt = m.y;
        Layer first{P + n.lin[0], n.in_width, h0, in_rows, 2, cond_column(n) - 2, false};
        tile_layer(
                b, s, m.wbuf, first, u, [&](int j, int) { return tt[j]; },
                [&](int j, int p, float v) {
                    if (labelled && label[p] >= 0) {
                        v += P[n.label_table + label[p] * h0 + j];
                    }
                    cur[j * ld + p] = activate(act, v);
                });
        for (int i = 1; i < n.layers; ++i) {
            const float* bias = P + n.lin[2 * i + 1];
            tile_layer(
                    b, s, m.wbuf, dense(P + n.lin[2 * i], n.width[i - 1], n.width[i]), cur, [&](int j, int) { return bias[j]; },
                    [&](int j, int p, float v) { nxt[j * ld + p] = activate(act, v); });
            float* t = cur;
            cur = nxt;
            nxt = t;
        }
        const float* bias = P + n.lin[2 * n.layers + 1];
        tile_layer(
                b, s, m.wbuf, dense(P + n.lin[2 * n.layers], n.width[n.layers - 1], 2), cur, [&](int j, int) { return bias[j]; },
                [&](int j, int p, float v) { out[j * ld + p] = v; });
        return;
    }
    const int H = n.width[0];
    float* h = m.h;
    tile_layer(
            b, s, m.wbuf, dense(P + n.lin[0], n.in_width, H), u, [&](int j, int) { return tt[j]; },
            [&](int j, int p, float v) {
                if (labelled && label[p] >= 0) {
                    v += P[n.label_table + label[p] * H + j];
                }
                h[j * ld + p] = v;
            });
    for (int blk = 0; blk < n.layers; ++blk) {
        const int* o = n.blk[blk];
        tile_layer_norm(b, s, P + o[0], P + o[1], h, H, m.x);
        const float* b0 = P + o[3];
        const float* b1 = P + o[5];
        tile_layer(
                b, s, m.wbuf, dense(P + o[2], H, H), m.x, [&](int j, int) { return b0[j]; },
                [&](int j, int p, float v) { m.y[j * ld + p] = activate(act, v); });
        tile_layer(
                b, s, m.wbuf, dense(P + o[4], H, H), m.y, [&](int j, int) { return b1[j]; },
                [&](int j, int p, float v) { h[j * ld + p] += v; });
    }
    tile_layer_norm(b, s, P + n.out[0], P + n.out[1], h, H, m.x);
    const float* bo0 = P + n.out[3];
    const float* bo1 = P + n.out[5];
    tile_layer(
            b, s, m.wbuf, dense(P + n.out[2], H, H / 2), m.x, [&](int j, int) { return bo0[j]; },
            [&](int j, int p, float v) { m.y[j * ld + p] = activate(act, v); });
    tile_layer(
            b, s, m.wbuf, dense(P + n.out[4], H / 2, 2), m.y, [&](int j, int) { return bo1[j]; },
            [&](int j, int p, float v) { out[j * ld + p] = v; });
}

}  // namespace d4j

#endif  // DIFFUSION4J_TILE_CUH
