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
// Tensor cores (Net.precision tf32 or tf32x3): a layer with J >= 16 outputs and K >= 8 inputs runs as mma.sync
// m16n8k8 TF32 (row-major A = the weights from Ws[k][r], column-major B = the activations a[k][p], FP32 C); other
// layers (the 2-wide head, its transposed backward, a first layer of few inputs) and precision fp32 run the FMA path
// above. The choice depends on the layer's dims and the precision only. The warps of a block share a pass's 16 x 8
// output tiles (4 per warp, tile_layer_mma); K is padded with zeros to a multiple of 8 and J to a multiple of 16, so every
// output is the same sequence, s = init, then one mma step per k8 group k = 0-7, 8-15, ... of K, whatever the launch
// shape: results stay bit-identical across shapes for each precision (an mma's k index kk reads k row MMA_K_ROW[kk]
// of its group, the order the simulated GPU sums them in). An mma step is
//   tf32    s = mma(hi(W), hi(a), s)
//   tf32x3  s = mma(lo(W), hi(a), s); s = mma(hi(W), lo(a), s); s = mma(hi(W), hi(a), s)
// with hi(x) = cvt.rna.tf32.f32(x) and lo(x) = cvt.rna.tf32.f32(x - hi(x)) (x - hi(x) is exact in FP32). The shapes
// the tensor path runs (tile_shape_valid_for): tp a multiple of 8, threads a multiple of 32 and threads >= tp (a
// pass then has >= 16 rows).
//
// Host builds (native host tests) run a block as one thread (Block{0, 1}, tp = TILE_RP): no barriers needed; their
// tensor layers run tile_layer_scalar, the same sequence per output with each mma emulated as the simulated GPU does
// (products of TF32 operands in k order, fused into the FP32 accumulator).
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

/** The arithmetic of the layer GEMMs (Net.precision; KernelCodes.precision writes the same codes). */
enum Precision : int { PRECISION_FP32 = 0, PRECISION_TF32X3 = 1, PRECISION_TF32 = 2 };

constexpr int MMA_M = 16;  // outputs (rows of W) of an mma tile
constexpr int MMA_N = 8;   // particles of an mma tile
constexpr int MMA_K = 8;   // inputs of an mma step
/** The k row of its k8 group an mma k index reads on the tensor path (lane t holds k indices t and t + 4: rows 2t, 2t + 1). */
constexpr int MMA_K_ROW[MMA_K] = {0, 2, 4, 6, 1, 3, 5, 7};

/** A launch shape's tile geometry. */
struct TileShape {
    int tp;         // particles per tile, a multiple of TILE_RP
    int ld;         // floats between rows of the tile's buffers: tp, or tp + TILE_RP (tile_shape_padded)
    int cols;       // tp / TILE_RP
    int rowgroups;  // threads / cols
    int rows;       // outputs per pass: rowgroups x TILE_RJ
    int precision;  // of the network the shape runs (Precision)
};

/** The geometry of tiles of tp particles on blocks of `threads` (a multiple of tp / TILE_RP), precision fp32. */
D4J_HD TileShape tile_shape(int tp, int threads) {
    TileShape s;
    s.tp = tp;
    s.ld = tp;
    s.cols = tp / TILE_RP;
    s.rowgroups = threads / s.cols;
    s.rows = s.rowgroups * TILE_RJ;
    s.precision = PRECISION_FP32;
    return s;
}

/** The same geometry for a network of the given precision. */
D4J_HD TileShape with_precision(TileShape s, int precision) {
    s.precision = precision;
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

/**
 * Whether tp particles on `threads` threads is a shape the tile code runs at the given precision: the tensor-core
 * precisions need whole warps, tiles of mma columns (tp a multiple of MMA_N) and passes of at least MMA_M rows
 * (threads >= tp).
 */
D4J_HD bool tile_shape_valid_for(int tp, int threads, int precision) {
    if (!tile_shape_valid(tp, threads)) {
        return false;
    }
    return precision == PRECISION_FP32 || (tp % MMA_N == 0 && threads % 32 == 0 && threads >= tp);
}

/**
 * Floats a row of a weight slice is padded by on the tensor path: with slice rows rows + 4 floats apart (rows a
 * multiple of 16) the A fragment's lanes, rows r0 + g of k rows 2t (MMA_K_ROW), fall in 32 distinct banks.
 */
constexpr int MMA_SLICE_PAD = 4;

/** Floats of the double-buffered weight slices (room for the tensor path's padded rows). */
D4J_HD int weight_slice_floats(const TileShape& s) { return 2 * TILE_KS * (s.rows + MMA_SLICE_PAD); }

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

/** Copies W[jp .. jp + rows)[k0 .. k0 + TILE_KS) transposed into dst[k][r], rows `stride` floats apart (zeros outside the matrix). */
D4J_HD void stage_slice(const Block& b, int rows, int stride, float* dst, const Layer& L, int jp, int k0) {
    int n = TILE_KS * rows;
    for (int e = b.tid; e < n; e += b.threads) {
        // consecutive threads read consecutive floats of one row of W
        int r = L.transposed ? e % rows : e / TILE_KS;
        int k = L.transposed ? e / rows : e % TILE_KS;
        int j = jp + r;
        int kk = k0 + k;
        bool valid = j < L.J && kk < L.K;
        int col = kk < L.split ? kk : kk + L.shift;
        long long at = L.transposed ? static_cast<long long>(col) * L.ldw + j : static_cast<long long>(j) * L.ldw + col;
        stage_f32(dst + k * stride + r, valid ? L.W + at : L.W, valid);
    }
    stage_commit();
}

D4J_HD void stage_slice(const Block& b, const TileShape& s, float* dst, const Layer& L, int jp, int k0) {
    stage_slice(b, s.rows, s.rows, dst, L, jp, k0);
}

/** Whether the layer runs on tensor cores at this precision: decided by the precision and the layer's dims only. */
D4J_HD bool tensor_layer(int precision, const Layer& L) { return precision != PRECISION_FP32 && L.J >= MMA_M && L.K >= MMA_K; }

/**
 * x rounded to TF32 as cvt.rna.tf32.f32 does, as a 32-bit pattern: to nearest with ties away from zero, keeping 10
 * of the 23 mantissa bits (11 significant bits; the low 13 bits zero); inf and NaN are kept (a magnitude that rounds
 * past the largest finite float becomes inf).
 */
D4J_HD unsigned tf32_bits(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800 && !defined(D4J_SIM)
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
#else
    unsigned u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0x7f800000u) {
        return u;
    }
    // sign and magnitude: adding half of the dropped part's unit to the magnitude rounds half away from zero
    return (u + 0x1000u) & 0xffffe000u;
#endif
}

D4J_HD float tf32_float(unsigned bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/**
 * d = A B + d for one warp: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32. With g = lane / 4, t = lane % 4:
 * a = {A[g][t], A[g + 8][t], A[g][t + 4], A[g + 8][t + 4]}, b = {B[t][g], B[t + 4][g]},
 * d = {D[g][2t], D[g][2t + 1], D[g + 8][2t], D[g + 8][2t + 1]}. The simulated GPU gathers the 32 lanes' fragments
 * (d4j_sim_mma_m16n8k8_tf32). Host builds never call it (tile_layer_scalar).
 */
D4J_HD void mma_tf32(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#if defined(D4J_SIM)
    d4j_sim_mma_m16n8k8_tf32(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#elif defined(__CUDA_ARCH__)
    __trap();  // the kernels are built for sm_80 and newer
#else
    (void) d;
    (void) a;
    (void) b;
#endif
}

/**
 * d = A B + d for one warp: mma.sync.aligned.m16n8k4.row.col.f32.tf32.tf32.f32 (the weight gradients' leaves of 4
 * samples). With g = lane / 4, t = lane % 4: a = {A[g][t], A[g + 8][t]}, b = {B[t][g]}, d as for mma_tf32.
 */
D4J_HD void mma_tf32_k4(float (&d)[4], const unsigned (&a)[2], const unsigned (&b)[1]) {
#if defined(D4J_SIM)
    d4j_sim_mma_m16n8k4_tf32(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k4.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(b[0]));
#elif defined(__CUDA_ARCH__)
    __trap();
#else
    (void) d;
    (void) a;
    (void) b;
#endif
}

/** A fragment's operands as the tensor path feeds them: hi = TF32(v), lo = TF32(v - hi) (tf32x3 only). */
template <int N>
struct Tf32Split {
    unsigned hi[N];
    unsigned lo[N];
};

template <int N>
D4J_HD Tf32Split<N> split_tf32(const float (&v)[N], int precision) {
    Tf32Split<N> f;
    D4J_UNROLL
    for (int i = 0; i < N; ++i) {
        f.hi[i] = tf32_bits(v[i]);
        f.lo[i] = precision == PRECISION_TF32X3 ? tf32_bits(v[i] - tf32_float(f.hi[i])) : 0u;
    }
    return f;
}

/** One mma step of the file comment: d += W x over a k8 group from the split A (weights) and B (activations) fragments. */
D4J_HD void mma_step(int precision, float (&d)[4], const Tf32Split<4>& w, const Tf32Split<2>& x) {
    if (precision == PRECISION_TF32X3) {
        mma_tf32(d, w.lo, x.hi);
        mma_tf32(d, w.hi, x.lo);
    }
    mma_tf32(d, w.hi, x.hi);
}

/** W[j][k] of a layer as stage_slice reads it (0 outside the matrix). */
D4J_HD float layer_weight(const Layer& L, int j, int k) {
    if (j >= L.J || k >= L.K) {
        return 0.0f;
    }
    int col = k < L.split ? k : k + L.shift;
    return L.transposed ? L.W[static_cast<long long>(col) * L.ldw + j] : L.W[static_cast<long long>(j) * L.ldw + col];
}

/** d + sum over the k group of w[kk] x[kk] as one simulated mma computes an element: TF32 operands, fused in k order. */
template <int N>
D4J_HD float mma_element(float d, const float (&w)[N], const float (&x)[N]) {
    for (int kk = 0; kk < N; ++kk) {
        d = fmaf(tf32_float(tf32_bits(w[kk])), tf32_float(tf32_bits(x[kk])), d);
    }
    return d;
}

/**
 * A tensor layer on a host build (one thread): per output, the sequence of the file comment with every mma step
 * emulated element by element (mma_element), so host and simulated GPU agree to the bit.
 */
template <class Init, class Epi>
D4J_HD void tile_layer_scalar(const TileShape& s, const Layer& L, const float* in, Init init, Epi epi) {
    for (int j = 0; j < L.J; ++j) {
        for (int p = 0; p < s.tp; ++p) {
            float d = init(j, p);
            for (int k0 = 0; k0 < L.K; k0 += MMA_K) {
                float w[MMA_K], x[MMA_K], wh[MMA_K], xh[MMA_K], wl[MMA_K], xl[MMA_K];
                for (int kk = 0; kk < MMA_K; ++kk) {
                    int k = k0 + MMA_K_ROW[kk];
                    w[kk] = layer_weight(L, j, k);
                    x[kk] = k < L.K ? in[static_cast<long long>(k) * s.ld + p] : 0.0f;
                    wh[kk] = tf32_float(tf32_bits(w[kk]));
                    xh[kk] = tf32_float(tf32_bits(x[kk]));
                    wl[kk] = w[kk] - wh[kk];
                    xl[kk] = x[kk] - xh[kk];
                }
                if (s.precision == PRECISION_TF32X3) {
                    d = mma_element(d, wl, xh);
                    d = mma_element(d, wh, xl);
                }
                d = mma_element(d, wh, xh);
            }
            epi(j, p, d);
        }
    }
}

/**
 * A tensor layer on the device: the warps share each pass's MMA_M x MMA_N output tiles, tile i of warp w being number
 * 4 w + i, and a fragment is loaded and split once for a warp's consecutive tiles that share it. An mma's k index
 * kk = t (t + 4) reads k row 2t (2t + 1) of its k8 group (MMA_K_ROW): with the weight slices' rows rows +
 * MMA_SLICE_PAD floats apart the A loads are conflict-free, and so are the B loads where the activations' rows are
 * padded (ld = tp + 4, training); where they are not (ld = tp, sampling: B loads 4-way conflicted) the tiles are
 * numbered column-major (a column of MMA_N particles first: consecutive tiles share B), else row-major (share A).
 * The order only chooses which warp computes a tile: every output is the same sequence either way. Needs a shape of
 * tile_shape_valid_for (then 4 tiles per warp, fewer where rows is not a multiple of MMA_M).
 */
template <class Init, class Epi>
D4J_HD void tile_layer_mma(const Block& b, const TileShape& s, float* wbuf, const Layer& L, const float* in, Init init, Epi epi) {
    const int rows = s.rows - s.rows % MMA_M;  // rows of a pass: whole mma tiles
    const int stride = rows + MMA_SLICE_PAD;
    const int ld = s.ld;
    const int slice = TILE_KS * stride;
    const int lane = b.tid % 32;
    const int warp = b.tid / 32;
    const int g = lane / 4;
    const int t = lane % 4;
    const int mtiles = rows / MMA_M;
    const int ntiles = s.tp / MMA_N;
    const int tiles = mtiles * ntiles;
    const bool by_column = s.ld == s.tp;
    const int slices = (L.K + TILE_KS - 1) / TILE_KS;
    for (int jp = 0; jp < L.J; jp += rows) {
        float acc[4][4];
        D4J_UNROLL
        for (int i = 0; i < 4; ++i) {
            const int tile = 4 * warp + i;
            const int r0 = (by_column ? tile % mtiles : tile / ntiles) * MMA_M;
            const int c0 = (by_column ? tile / mtiles : tile % ntiles) * MMA_N;
            D4J_UNROLL
            for (int q = 0; q < 4; ++q) {
                int j = jp + r0 + g + (q >> 1) * 8;
                acc[i][q] = tile < tiles && j < L.J ? init(j, c0 + 2 * t + (q & 1)) : 0.0f;
            }
        }
        stage_slice(b, rows, stride, wbuf, L, jp, 0);
        for (int sl = 0; sl < slices; ++sl) {
            const float* cur = wbuf + (sl & 1) * slice;
            if (sl + 1 < slices) {
                stage_slice(b, rows, stride, wbuf + ((sl + 1) & 1) * slice, L, jp, (sl + 1) * TILE_KS);
                stage_wait(1);
            } else {
                stage_wait(0);
            }
            block_sync();
            const int kn = L.K - sl * TILE_KS < TILE_KS ? L.K - sl * TILE_KS : TILE_KS;
            const float* a = in + static_cast<long long>(sl) * TILE_KS * ld;
            for (int k8 = 0; k8 < kn; k8 += MMA_K) {
                Tf32Split<4> w{};
                Tf32Split<2> x{};
                int wr = -1;  // the row and column of the fragments held (warp-uniform)
                int xc = -1;
                D4J_UNROLL
                for (int i = 0; i < 4; ++i) {
                    const int tile = 4 * warp + i;
                    const int r0 = (by_column ? tile % mtiles : tile / ntiles) * MMA_M;
                    const int c0 = (by_column ? tile / mtiles : tile % ntiles) * MMA_N;
                    if (tile >= tiles || jp + r0 >= L.J) {
                        continue;  // the same for the whole warp
                    }
                    if (r0 != wr) {
                        const float* wk = cur + (k8 + 2 * t) * stride + r0 + g;
                        const float v[4] = {wk[0], wk[8], wk[stride], wk[stride + 8]};
                        w = split_tf32(v, s.precision);
                        wr = r0;
                    }
                    if (c0 != xc) {
                        const int k = k8 + 2 * t;
                        const float v[2] = {k < kn ? a[k * ld + c0 + g] : 0.0f, k + 1 < kn ? a[(k + 1) * ld + c0 + g] : 0.0f};
                        x = split_tf32(v, s.precision);
                        xc = c0;
                    }
                    mma_step(s.precision, acc[i], w, x);
                }
            }
            block_sync();
        }
        D4J_UNROLL
        for (int i = 0; i < 4; ++i) {
            const int tile = 4 * warp + i;
            const int r0 = (by_column ? tile % mtiles : tile / ntiles) * MMA_M;
            const int c0 = (by_column ? tile / mtiles : tile % ntiles) * MMA_N;
            if (tile >= tiles) {
                continue;
            }
            D4J_UNROLL
            for (int q = 0; q < 4; ++q) {
                int j = jp + r0 + g + (q >> 1) * 8;
                if (j < L.J) {
                    epi(j, c0 + 2 * t + (q & 1), acc[i][q]);
                }
            }
        }
    }
    block_sync();
}

/**
 * out = init + W in for the tile: in is [K][ld] in shared memory; init(j, p) gives the accumulator's start (bias or
 * time terms), epi(j, p, v) receives every output j < J. Ends with a barrier, so out may be read at once. Tensor
 * layers (tensor_layer) take the mma path.
 */
template <class Init, class Epi>
D4J_HD void tile_layer(const Block& b, const TileShape& s, float* wbuf, const Layer& L, const float* in, Init init, Epi epi) {
    if (tensor_layer(s.precision, L)) {
#if defined(__CUDA_ARCH__)
        tile_layer_mma(b, s, wbuf, L, in, init, epi);
#else
        (void) b;
        (void) wbuf;
        tile_layer_scalar(s, L, in, init, epi);
#endif
        return;
    }
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
D4J_HD void tile_forward(const Block& b, const TileShape& shape, const Net& n, const float* P, const float* tt, const float* u,
                         const int* label, const ForwardScratch& m, float* out) {
    const TileShape s = with_precision(shape, n.precision);
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
