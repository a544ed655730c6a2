// One particle's whole sampling run, the body of d4j_sample (sample.cu), written for the device and the host so that
// the native host tests run it against the reference engine's samples (native-tests/vectors/sampling.txt).
//
//   x = prior_std (n0, n1),                       (n0, n1) from normals(seed, i, step 0)
//   update k:  z from normals(seed, i, step k + 1) when cz != 0;  S, U at the update's slot;  Euler or Heun
//
// Fields: a score network (output times scale[slot]: -1 / s(t) for eps prediction, 1 for score prediction), a
// velocity network (time terms of every slot computed beforehand, network.cuh), or the exact noised mixture
// (MixtureSlots: score (a, v), velocity (a, v, gain, alpha, alpha', beta'/beta) per slot).
#ifndef DIFFUSION4J_SAMPLE_RUN_CUH
#define DIFFUSION4J_SAMPLE_RUN_CUH

#include "network.cuh"
#include "philox.cuh"
#include "sampler.cuh"

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
 * What one field evaluation needs: a network with its per-slot time terms and output scale, and its classifier-free
 * guidance weight w (1: unguided; else f = f(null) + w (f(c) - f(null)), two evaluations).
 */
struct NetField {
    const Net* net;
    const float* P;
    const float* tt;
    const float* scale;
    float guidance;
};

D4J_HD void net_field(const NetField& f, int slot, Cond c, float x, float y, const Strided& tape, float out[2]) {
    Strided tt{const_cast<float*>(f.tt + static_cast<long long>(slot) * f.net->time_width), 1};
    d4j::net_forward(*f.net, f.P, x, y, c, tt, tape, out);
    if (f.guidance != 1.0f) {
        float u[2];
        Cond none{-1, 0.0f / 0.0f};
        d4j::net_forward(*f.net, f.P, x, y, none, tt, tape, u);
        out[0] = fmaf(f.guidance, out[0] - u[0], u[0]);
        out[1] = fmaf(f.guidance, out[1] - u[1], u[1]);
    }
    float s = f.scale == nullptr ? 1.0f : f.scale[slot];
    out[0] *= s;
    out[1] *= s;
}


/** Everything a particle's run reads: the fields, the plan and the noise. */
struct SampleRun {
    NetField score;                 // score.net null: no score network
    NetField velocity;              // velocity.net null: no velocity network
    const float* mixture;           // K means (x, y), or null
    int components;
    const float* mixture_slots;     // MIXTURE_SLOT per slot
    const Update* plan;
    int updates;
    float prior_std;
    unsigned long long seed;
    int use_score, use_velocity;
};

/** The field at one slot: S and/or U, from the mixture or the networks. */
D4J_HD void sample_fields(const SampleRun& r, int slot, Cond c, float x, float y, const Strided& tape_s, const Strided& tape_u, float S[2],
                          float U[2]) {
    if (r.use_score) {
        if (r.mixture != nullptr) {
            mixture_score(r.mixture, r.components, r.mixture_slots + slot * MIXTURE_SLOT, x, y, S);
        } else {
            net_field(r.score, slot, c, x, y, tape_s, S);
        }
    }
    if (r.use_velocity) {
        if (r.mixture != nullptr) {
            mixture_velocity(r.mixture, r.components, r.mixture_slots + slot * MIXTURE_SLOT, x, y, U);
        } else {
            net_field(r.velocity, slot, c, x, y, tape_u, U);
        }
    }
}

/** Stores state (x, y) as entry q of a frame: frames [frame][count][2]. */
D4J_HD void record_frame(float* frames, int frame, long long count, long long q, float x, float y) {
    float* f = frames + static_cast<long long>(frame) * 2 * count;
    f[2 * q] = x;
    f[2 * q + 1] = y;
}

/**
 * Particle i's run: every update of the plan. frame_of[j] (or null) says which frame state j goes to, kept as entry q
 * of `count` in frames. Returns the final state in out[2].
 */
D4J_HD void sample_particle(const SampleRun& r, long long i, Cond c, const Strided& tape_s, const Strided& tape_u, const int* frame_of,
                            float* frames, long long count, long long q, float out[2]) {
    float nz[4];
    noise_normals_f32(r.seed, static_cast<uint64_t>(i), 0, nz);
    float x = r.prior_std * nz[0];
    float y = r.prior_std * nz[1];
    if (frame_of != nullptr && frame_of[0] >= 0) {
        record_frame(frames, frame_of[0], count, q, x, y);
    }
    for (int k = 0; k < r.updates; ++k) {
        const Update u = r.plan[k];
        float zx = 0.0f;
        float zy = 0.0f;
        if (u.cz != 0.0f) {
            noise_normals_f32(r.seed, static_cast<uint64_t>(i), static_cast<uint64_t>(k) + 1, nz);
            zx = nz[0];
            zy = nz[1];
        }
        float S[2] = {0.0f, 0.0f};
        float U[2] = {0.0f, 0.0f};
        sample_fields(r, u.slot, c, x, y, tape_s, tape_u, S, U);
        if (!u.heun) {
            x = euler_update(u, x, S[0], U[0], zx);
            y = euler_update(u, y, S[1], U[1], zy);
        } else {
            float d1x = heun_slope(u.kx, u.ks, u.ku, x, S[0], U[0]);
            float d1y = heun_slope(u.kx, u.ks, u.ku, y, S[1], U[1]);
            float px = fmaf(u.h, d1x, x);
            float py = fmaf(u.h, d1y, y);
            sample_fields(r, u.slot_next, c, px, py, tape_s, tape_u, S, U);
            float d2x = heun_slope(u.kx_next, u.ks_next, u.ku_next, px, S[0], U[0]);
            float d2y = heun_slope(u.kx_next, u.ks_next, u.ku_next, py, S[1], U[1]);
            float half = 0.5f * u.h;
            x = fmaf(half, d1x + d2x, x);
            y = fmaf(half, d1y + d2y, y);
        }
        if (frame_of != nullptr && frame_of[k + 1] >= 0) {
            record_frame(frames, frame_of[k + 1], count, q, x, y);
        }
    }
    out[0] = x;
    out[1] = y;
}

}  // namespace d4j

#endif  // DIFFUSION4J_SAMPLE_RUN_CUH
