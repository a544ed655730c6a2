// A tile's whole sampling run, the body of d4j_sample (sample.cu), written for the device and the host so that the
// native host tests run it against the reference engine's samples (native-tests/vectors/sampling.txt).
//
//   x = (mx + l11 n0, my + l21 n0 + l22 n1),      (n0, n1) from normals(seed, i, step 0): the prior N(m, L L^T)
//   update k:  z from normals(seed, i, step k + 1) when cz != 0;  S, U at the update's slot;  Euler or Heun;
//              a plan that keeps state also adds cp m and sets m = mx x + ms S (sampler.cuh)
//
// Fields: a score network (the score A f + B x of its output f, with {A, B} = affine[slot] of
// Parameterization.scoreAffine: eps, v, x0 or score prediction), a velocity network (time terms of every slot computed
// beforehand by d4j_time_terms), or the exact noised mixture (MixtureSlots: score (a, v), velocity (a, v, gain, alpha,
// alpha', beta'/beta) per slot).
//
// A block owns a tile of `tile` particles through every update: their states, inputs and activations live in shared
// memory (sample_layout), the networks run as tile GEMMs (tile.cuh), and every particle's arithmetic is the same
// whatever the tile, block or grid size, so samples are bit-identical across launch shapes.
#ifndef DIFFUSION4J_SAMPLE_RUN_CUH
#define DIFFUSION4J_SAMPLE_RUN_CUH

#include "network.cuh"
#include "philox.cuh"
#include "sampler.cuh"
#include "tile.cuh"

namespace d4j {

/** Per-slot coefficients of the exact mixture: score (a, v), velocity (a, v, gain, alpha, rate, ratio). */
constexpr int MIXTURE_SLOT = 8;

/** Unnormalised responsibilities r_k = exp(l_k - max l), l_k = -|x - a mu_k|^2 / (2v); returns sum_k r_k f_k. */
D4J_HD void mixture_moments(const float* mu, int K, float a, float v, float x, float y, float gain, bool posterior,
                                float& sum, float& ex, float& ey) {
    float twoV = 2.0f * v;
    float max = -3.402823466e38f;
    for (int k = 0; k < K; ++k) {
        float dx = x - a * mu[2 * k];
        float dy = y - a * mu[2 * k + 1];
        max = fmaxf(max, -(dx * dx + dy * dy) / twoV);
    }
    sum = 0.0f;
    ex = 0.0f;
    ey = 0.0f;
    for (int k = 0; k < K; ++k) {
        float mx = mu[2 * k];
        float my = mu[2 * k + 1];
        float dx = x - a * mx;
        float dy = y - a * my;
        float r = expf(-(dx * dx + dy * dy) / twoV - max);
        sum += r;
        if (posterior) {
            // E[x0 | x] per component: mu_k + a sigma^2 / v (x - a mu_k)
            ex += r * (mx + gain * dx);
            ey += r * (my + gain * dy);
        } else {
            ex += r * (a * mx - x);
            ey += r * (a * my - y);
        }
    }
}

D4J_HD void mixture_score(const float* mu, int K, const float* c, float x, float y, float out[2]) {
    float sum, gx, gy;
    mixture_moments(mu, K, c[0], c[1], x, y, 0.0f, false, sum, gx, gy);
    out[0] = gx / sum / c[1];
    out[1] = gy / sum / c[1];
}

D4J_HD void mixture_velocity(const float* mu, int K, const float* c, float x, float y, float out[2]) {
    float sum, ex, ey;
    mixture_moments(mu, K, c[2], c[3], x, y, c[4], true, sum, ex, ey);
    ex /= sum;
    ey /= sum;
    out[0] = c[6] * ex + c[7] * (x - c[5] * ex);
    out[1] = c[6] * ey + c[7] * (y - c[5] * ey);
}

/**
 * One network of the field: parameters, time terms of every slot [slot][time_width], the per-slot conversion of the
 * output to the field, {A, B} per slot for A f + B x (null: f itself), and the classifier-free guidance weight w (1:
 * unguided; else f = f(null) + w (f(c) - f(null)), two passes, converted once).
 */
struct Field {
    const float* P;
    const float* tt;
    const float* affine;
    float guidance;
    int present;
    Net net;
};

static_assert(sizeof(Field) == 32 + NET_INTS * 4, "Field: 3 pointers, 2 four-byte fields, the Net");

/** The prior N(m, L L^T), L lower triangular (GaussianPrior): mean (mx, my), L = [[l11, 0], [l21, l22]]. */
struct Prior {
    float mx, my, l11, l21, l22;
};

/** A draw of the prior from two standard normals: (mx + l11 n0, my + l21 n0 + l22 n1). */
D4J_HD void prior_draw(const Prior& g, float n0, float n1, float& x, float& y) {
    x = fmaf(g.l11, n0, g.mx);
    y = fmaf(g.l22, n1, fmaf(g.l21, n0, g.my));
}

/** The argument of d4j_sample, written field by field by org.diffusion4j.engine.cuda.SampleKernel. */
struct SampleArgs {
    Field score;                  // score.present 0: no score network
    Field flow;                   // the velocity network
    const float* means;           // the exact mixture's K means (x, y), or null
    const float* mixture_slots;   // MIXTURE_SLOT per slot
    const int* labels;            // per-particle conditioning (null: none)
    const float* values;
    const Update* plan;           // the updates (SamplingPlan's device table)
    const int* frame_of;          // frame of state j, or -1 (null: no frames)
    float* frames;                // [frame][count][2]
    float* xy;                    // the final states [count][2]
    unsigned long long seed;
    long long first;              // the launch covers particles [first, first + count)
    int components;
    int updates;
    int count;
    int use_score;
    int use_velocity;
    int tile;                     // particles per tile
    int threads;                  // threads per block
    int keeps;                    // the plan keeps a 2-vector per particle across updates (SamplingPlan.keeps)
    Prior prior;
    int reserved;
};

static_assert(sizeof(SampleArgs) == 2 * sizeof(Field) + 10 * 8 + 14 * 4, "SampleArgs: the layout SampleKernel writes");

/** Whether field f (0 score, 1 velocity) is a network evaluated on the tile. */
D4J_HD bool uses_net(const SampleArgs& a, int f) {
    const Field& fd = f == 0 ? a.score : a.flow;
    return a.means == nullptr && fd.present != 0 && (f == 0 ? a.use_score : a.use_velocity) != 0;
}

/** Offsets (floats) of a tile's shared memory: states, fields, per-network inputs, activations, weight slices. */
struct SampleLayout {
    int sx, sy, px, py, d1x, d1y, mem, fs, fu, out_c, out_n;
    int u[2][2];      // [field][0 conditioned, 1 null]
    int label[2][2];  // ints
    int x, y, h, wbuf, total;
};

D4J_HD SampleLayout sample_layout(const SampleArgs& a, const TileShape& s) {
    SampleLayout L{};
    const int tp = s.tp;
    int o = 0;
    L.sx = o;
    L.sy = o + tp;
    L.px = o + 2 * tp;
    L.py = o + 3 * tp;
    L.d1x = o + 4 * tp;
    L.d1y = o + 5 * tp;
    o += 6 * tp;
    L.mem = o;  // [2][tp], the kept memory
    o += a.keeps ? 2 * tp : 0;
    L.fs = o;
    o += 2 * tp;
    L.fu = o;
    o += 2 * tp;
    L.out_c = o;
    o += 2 * tp;
    L.out_n = o;
    o += 2 * tp;
    int act = 0;
    int res = 0;
    for (int f = 0; f < 2; ++f) {
        const Field& fd = f == 0 ? a.score : a.flow;
        for (int v = 0; v < 2; ++v) {
            L.u[f][v] = o;
            L.label[f][v] = o;
        }
        if (!uses_net(a, f)) {
            continue;
        }
        int guided = fd.guidance != 1.0f ? 2 : 1;
        for (int v = 0; v < guided; ++v) {
            L.u[f][v] = o;
            o += tile_input_rows(fd.net) * tp;
            L.label[f][v] = o;
            o += tp;
        }
        int r = tile_activation_rows(fd.net);
        int c = fd.net.cond_kind == COND_CONTINUOUS ? fd.net.cond_dim : 0;  // cond_mlp's scratch, in x
        act = r > act ? r : act;
        act = c > act ? c : act;
        int h = tile_residual_rows(fd.net);
        res = h > res ? h : res;
    }
    L.x = o;
    o += act * tp;
    L.y = o;
    o += act * tp;
    L.h = o;
    o += res * tp;
    L.wbuf = o;
    o += act > 0 ? weight_slice_floats(s) : 0;
    L.total = o;
    return L;
}

/** Bytes of dynamic shared memory d4j_sample needs for the args' tile and threads. */
D4J_HD long long sample_shared_bytes(const SampleArgs& a) {
    return 4LL * sample_layout(a, tile_shape(a.tile, a.threads)).total;
}

/** Stores state (x, y) as entry q of a frame: frames [frame][count][2]. */
D4J_HD void record_frame(float* frames, int frame, long long count, long long q, float x, float y) {
    float* f = frames + static_cast<long long>(frame) * 2 * count;
    f[2 * q] = x;
    f[2 * q + 1] = y;
}

/** The fields S (fs) and U (fu) [2][tp] at a slot for the tile's points (px, py). */
D4J_HD void sample_fields(const SampleArgs& a, const Block& b, const TileShape& s, float* smem, const SampleLayout& L, int slot,
                          const float* px, const float* py) {
    const int tp = s.tp;
    if (a.means != nullptr) {
        for (int p = b.tid; p < tp; p += b.threads) {
            float out[2];
            const float* c = a.mixture_slots + slot * MIXTURE_SLOT;
            if (a.use_score) {
                mixture_score(a.means, a.components, c, px[p], py[p], out);
                smem[L.fs + p] = out[0];
                smem[L.fs + tp + p] = out[1];
            }
            if (a.use_velocity) {
                mixture_velocity(a.means, a.components, c, px[p], py[p], out);
                smem[L.fu + p] = out[0];
                smem[L.fu + tp + p] = out[1];
            }
        }
        block_sync();
        return;
    }
    ForwardScratch m{smem + L.x, smem + L.y, smem + L.h, smem + L.wbuf};
    for (int f = 0; f < 2; ++f) {
        if (!uses_net(a, f)) {
            continue;
        }
        const Field& fd = f == 0 ? a.score : a.flow;
        const bool guided = fd.guidance != 1.0f;
        for (int p = b.tid; p < tp; p += b.threads) {
            for (int v = 0; v < (guided ? 2 : 1); ++v) {
                smem[L.u[f][v] + p] = px[p];
                smem[L.u[f][v] + tp + p] = py[p];
            }
        }
        block_sync();
        const float* tt = fd.tt + static_cast<long long>(slot) * fd.net.time_width;
        tile_forward(b, s, fd.net, fd.P, tt, smem + L.u[f][0], reinterpret_cast<const int*>(smem + L.label[f][0]), m, smem + L.out_c);
        if (guided) {
            tile_forward(b, s, fd.net, fd.P, tt, smem + L.u[f][1], reinterpret_cast<const int*>(smem + L.label[f][1]), m, smem + L.out_n);
        }
        const float A = fd.affine == nullptr ? 1.0f : fd.affine[2 * slot];
        const float B = fd.affine == nullptr ? 0.0f : fd.affine[2 * slot + 1];
        float* dst = smem + (f == 0 ? L.fs : L.fu);
        for (int p = b.tid; p < tp; p += b.threads) {
            for (int o = 0; o < 2; ++o) {
                float v = smem[L.out_c + o * tp + p];
                if (guided) {
                    float w = smem[L.out_n + o * tp + p];
                    v = fmaf(fd.guidance, v - w, w);
                }
                v *= A;
                if (B != 0.0f) {
                    v = fmaf(B, o == 0 ? px[p] : py[p], v);
                }
                dst[o * tp + p] = v;
            }
        }
        block_sync();
    }
}

/** Tile `tile` of the launch: particles first + tile * tp + p, p < tp (those at or past count are computed, not stored). */
D4J_HD void sample_tile(const SampleArgs& a, const Block& b, const TileShape& s, float* smem, long long tile) {
    const SampleLayout L = sample_layout(a, s);
    const int tp = s.tp;
    float* sx = smem + L.sx;
    float* sy = smem + L.sy;
    float* px = smem + L.px;
    float* py = smem + L.py;
    const long long q0 = tile * tp;
    for (int p = b.tid; p < tp; p += b.threads) {
        long long q = q0 + p;
        bool valid = q < a.count;
        long long i = a.first + (valid ? q : 0);
        float nz[4];
        noise_normals_f32(a.seed, static_cast<uint64_t>(i), 0, nz);
        prior_draw(a.prior, nz[0], nz[1], sx[p], sy[p]);
        for (int o = 0; o < 2; ++o) {
            smem[L.fs + o * tp + p] = 0.0f;  // a field the sampler does not use stays 0, as its coefficient
            smem[L.fu + o * tp + p] = 0.0f;
            if (a.keeps) {
                smem[L.mem + o * tp + p] = 0.0f;
            }
        }
        Cond c{a.labels != nullptr ? a.labels[i] : 0, a.values != nullptr ? a.values[i] : 0.0f};
        for (int f = 0; f < 2; ++f) {
            if (!uses_net(a, f)) {
                continue;
            }
            const Field& fd = f == 0 ? a.score : a.flow;
            tile_condition(fd.net, fd.P, p, tp, c, smem + L.u[f][0], reinterpret_cast<int*>(smem + L.label[f][0]), smem + L.x);
            if (fd.guidance != 1.0f) {
                tile_condition(fd.net, fd.P, p, tp, Cond{-1, 0.0f / 0.0f}, smem + L.u[f][1], reinterpret_cast<int*>(smem + L.label[f][1]),
                               smem + L.x);
            }
        }
        if (valid && a.frame_of != nullptr && a.frame_of[0] >= 0) {
            record_frame(a.frames, a.frame_of[0], a.count, q, sx[p], sy[p]);
        }
    }
    block_sync();
    const float* fs = smem + L.fs;
    const float* fu = smem + L.fu;
    float* mem = smem + L.mem;
    for (int k = 0; k < a.updates; ++k) {
        const Update u = a.plan[k];
        sample_fields(a, b, s, smem, L, u.slot, sx, sy);
        if (u.heun) {
            for (int p = b.tid; p < tp; p += b.threads) {
                float d1x = heun_slope(u.kx, u.ks, u.ku, sx[p], fs[p], fu[p]);
                float d1y = heun_slope(u.kx, u.ks, u.ku, sy[p], fs[tp + p], fu[tp + p]);
                smem[L.d1x + p] = d1x;
                smem[L.d1y + p] = d1y;
                px[p] = fmaf(u.h, d1x, sx[p]);
                py[p] = fmaf(u.h, d1y, sy[p]);
            }
            block_sync();
            sample_fields(a, b, s, smem, L, u.slot_next, px, py);
        }
        for (int p = b.tid; p < tp; p += b.threads) {
            long long q = q0 + p;
            bool valid = q < a.count;
            if (!u.heun) {
                float zx = 0.0f;
                float zy = 0.0f;
                if (u.cz != 0.0f) {
                    float nz[4];
                    noise_normals_f32(a.seed, static_cast<uint64_t>(a.first + (valid ? q : 0)), static_cast<uint64_t>(k) + 1, nz);
                    zx = nz[0];
                    zy = nz[1];
                }
                float nx = euler_update(u, sx[p], fs[p], fu[p], zx);
                float ny = euler_update(u, sy[p], fs[tp + p], fu[tp + p], zy);
                if (a.keeps) {
                    nx = memory_update(u, nx, sx[p], fs[p], mem[p]);
                    ny = memory_update(u, ny, sy[p], fs[tp + p], mem[tp + p]);
                }
                sx[p] = nx;
                sy[p] = ny;
            } else {
                float d2x = heun_slope(u.kx_next, u.ks_next, u.ku_next, px[p], fs[p], fu[p]);
                float d2y = heun_slope(u.kx_next, u.ks_next, u.ku_next, py[p], fs[tp + p], fu[tp + p]);
                float half = 0.5f * u.h;
                sx[p] = fmaf(half, smem[L.d1x + p] + d2x, sx[p]);
                sy[p] = fmaf(half, smem[L.d1y + p] + d2y, sy[p]);
            }
            if (valid && a.frame_of != nullptr && a.frame_of[k + 1] >= 0) {
                record_frame(a.frames, a.frame_of[k + 1], a.count, q, sx[p], sy[p]);
            }
        }
        block_sync();
    }
    for (int p = b.tid; p < tp; p += b.threads) {
        long long q = q0 + p;
        if (q < a.count) {
            a.xy[2 * q] = sx[p];
            a.xy[2 * q + 1] = sy[p];
        }
    }
    block_sync();
}

}  // namespace d4j

#endif  // DIFFUSION4J_SAMPLE_RUN_CUH
