// Fused sampling: one launch runs every update of a sampler for all particles, launched by
// org.diffusion4j.engine.cuda.SampleKernel.
//
// Each thread walks particles i = thread, thread + threads, ... and keeps the particle's state in registers through
// all updates (SamplingPlan's table; sampler.cuh gives the arithmetic):
//
//   x = prior_std (n0, n1),                       (n0, n1) from normals(seed, i, step 0)
//   update k:  z from normals(seed, i, step k + 1) when cz != 0;  S, U at the update's slot;  Euler or Heun
//
// Fields: a score network (output times scale[slot]: -1 / s(t) for eps prediction, 1 for score prediction), a
// velocity network, or the exact noised mixture. The time terms of every slot (network.cuh) are computed on the
// host once per distinct time, not per particle. Network parameters are copied to shared memory when the launcher
// says they fit (params_in_shared), else read through the cache. The per-thread forward tape lives in `tape`,
// sample-minor (element k of thread g at tape[k * threads + g]), so a warp's accesses are contiguous.
#include "network.cuh"
#include "philox.cuh"
#include "sampler.cuh"

namespace {

using d4j::Cond;
using d4j::Net;
using d4j::Strided;
using d4j::Update;

/** Per-slot coefficients of the exact mixture: score (a, v), velocity (a, v, gain, alpha, rate, ratio). */
constexpr int MIXTURE_SLOT = 8;

/** Unnormalised responsibilities r_k = exp(l_k - max l), l_k = -|x - a mu_k|^2 / (2v); returns sum_k r_k f_k. */
__device__ void mixture_moments(const float* mu, int K, float a, float v, float x, float y, float gain, bool posterior,
                                float& sum, float& ex, float& ey) {
    float twoV = 2.0f * v;
    float max = -INFINITY;
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

__device__ void mixture_score(const float* mu, int K, const float* c, float x, float y, float out[2]) {
    float sum, gx, gy;
    mixture_moments(mu, K, c[0], c[1], x, y, 0.0f, false, sum, gx, gy);
    out[0] = gx / sum / c[1];
    out[1] = gy / sum / c[1];
}

__device__ void mixture_velocity(const float* mu, int K, const float* c, float x, float y, float out[2]) {
    float sum, ex, ey;
    mixture_moments(mu, K, c[2], c[3], x, y, c[4], true, sum, ex, ey);
    ex /= sum;
    ey /= sum;
    out[0] = c[6] * ex + c[7] * (x - c[5] * ex);
    out[1] = c[6] * ey + c[7] * (y - c[5] * ey);
}

/** What one field evaluation needs: a network with its per-slot time terms and output scale, or nothing. */
struct NetField {
    const Net* net;
    const float* P;
    const float* tt;
    const float* scale;
};

__device__ void net_field(const NetField& f, int slot, Cond c, float x, float y, const Strided& tape, float out[2]) {
    Strided tt{const_cast<float*>(f.tt + static_cast<long long>(slot) * f.net->time_width), 1};
    d4j::net_forward(*f.net, f.P, x, y, c, tt, tape, out);
    float s = f.scale == nullptr ? 1.0f : f.scale[slot];
    out[0] *= s;
    out[1] *= s;
}

}  // namespace

/**
 * All updates of all particles.
 *
 * score_*: the score network (desc null when the score comes from the mixture or is not needed); flow_*: the velocity
 * network (desc null: none); mixture: K means (x, y) and per-slot coefficients (null: no mixture); labels / values:
 * per-particle conditioning (null: none); plan: the updates; frame_of[j]: the frame that state j is recorded in, or
 * -1 (null: none), frames [frame][particle][2]; xy: the final state [particle][2]. The launch covers particles
 * [first, first + count) (a chunk of the run: noise and conditioning are addressed by the absolute particle index,
 * xy and frames by the index within the chunk).
 */
extern "C" __global__ void d4j_sample(const int* score_desc, const float* score_params, const float* score_tt,
                                      const float* score_scale, const int* flow_desc, const float* flow_params,
                                      const float* flow_tt, const float* mixture, int components, const float* mixture_slots,
                                      const int* labels, const float* values, const Update* plan, int updates,
                                      float prior_std, unsigned long long seed, long long first, int count, int use_score,
                                      int use_velocity, int params_in_shared, float* tape, float* xy, const int* frame_of,
                                      float* frames) {
    extern __shared__ float shared[];
    __shared__ Net nets[2];
    if (threadIdx.x < d4j::NET_INTS) {
        if (score_desc != nullptr) {
            reinterpret_cast<int*>(&nets[0])[threadIdx.x] = score_desc[threadIdx.x];
        }
        if (flow_desc != nullptr) {
            reinterpret_cast<int*>(&nets[1])[threadIdx.x] = flow_desc[threadIdx.x];
        }
    }
    __syncthreads();
    const float* Ps = score_params;
    const float* Pf = flow_params;
    if (params_in_shared) {
        int ns = score_desc != nullptr ? nets[0].params : 0;
        int nf = flow_desc != nullptr ? nets[1].params : 0;
        for (int k = threadIdx.x; k < ns; k += blockDim.x) {
            shared[k] = score_params[k];
        }
        for (int k = threadIdx.x; k < nf; k += blockDim.x) {
            shared[ns + k] = flow_params[k];
        }
        __syncthreads();
        Ps = shared;
        Pf = shared + ns;
    }
    NetField sf{&nets[0], Ps, score_tt, score_scale};
    NetField uf{&nets[1], Pf, flow_tt, nullptr};
    long long threads = static_cast<long long>(gridDim.x) * blockDim.x;
    long long g = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    Strided tape_s{tape + g, threads};
    Strided tape_u = tape_s;
    if (score_desc != nullptr && flow_desc != nullptr) {
        tape_u = tape_s.at(nets[0].tape);
    }
    for (long long q = g; q < count; q += threads) {
        long long i = first + q;
        Cond c{labels != nullptr ? labels[i] : 0, values != nullptr ? values[i] : 0.0f};
        float nz[4];
        d4j::noise_normals_f32(seed, static_cast<uint64_t>(i), 0, nz);
        float x = prior_std * nz[0];
        float y = prior_std * nz[1];
        if (frame_of != nullptr && frame_of[0] >= 0) {
            float* f = frames + static_cast<long long>(frame_of[0]) * 2 * count;
            f[2 * q] = x;
            f[2 * q + 1] = y;
        }
        for (int k = 0; k < updates; ++k) {
            const Update u = plan[k];
            float zx = 0.0f;
            float zy = 0.0f;
            if (u.cz != 0.0f) {
                d4j::noise_normals_f32(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(k) + 1, nz);
                zx = nz[0];
                zy = nz[1];
            }
            float S[2] = {0.0f, 0.0f};
            float U[2] = {0.0f, 0.0f};
            if (use_score) {
                if (mixture != nullptr) {
                    mixture_score(mixture, components, mixture_slots + u.slot * MIXTURE_SLOT, x, y, S);
                } else {
                    net_field(sf, u.slot, c, x, y, tape_s, S);
                }
            }
            if (use_velocity) {
                if (mixture != nullptr) {
                    mixture_velocity(mixture, components, mixture_slots + u.slot * MIXTURE_SLOT, x, y, U);
                } else {
                    net_field(uf, u.slot, c, x, y, tape_u, U);
                }
            }
            if (!u.heun) {
                x = d4j::euler_update(u, x, S[0], U[0], zx);
                y = d4j::euler_update(u, y, S[1], U[1], zy);
            } else {
                float d1x = d4j::heun_slope(u.kx, u.ks, u.ku, x, S[0], U[0]);
                float d1y = d4j::heun_slope(u.kx, u.ks, u.ku, y, S[1], U[1]);
                float px = fmaf(u.h, d1x, x);
                float py = fmaf(u.h, d1y, y);
                if (use_score) {
                    if (mixture != nullptr) {
                        mixture_score(mixture, components, mixture_slots + u.slot_next * MIXTURE_SLOT, px, py, S);
                    } else {
                        net_field(sf, u.slot_next, c, px, py, tape_s, S);
                    }
                }
                if (use_velocity) {
                    if (mixture != nullptr) {
                        mixture_velocity(mixture, components, mixture_slots + u.slot_next * MIXTURE_SLOT, px, py, U);
                    } else {
                        net_field(uf, u.slot_next, c, px, py, tape_u, U);
                    }
                }
                float d2x = d4j::heun_slope(u.kx_next, u.ks_next, u.ku_next, px, S[0], U[0]);
                float d2y = d4j::heun_slope(u.kx_next, u.ks_next, u.ku_next, py, S[1], U[1]);
                float half = 0.5f * u.h;
                x = fmaf(half, d1x + d2x, x);
                y = fmaf(half, d1y + d2y, y);
            }
            if (frame_of != nullptr && frame_of[k + 1] >= 0) {
                float* f = frames + static_cast<long long>(frame_of[k + 1]) * 2 * count;
                f[2 * q] = x;
                f[2 * q + 1] = y;
            }
        }
        xy[2 * q] = x;
        xy[2 * q + 1] = y;
    }
}

/**
 * The time terms of every slot, one thread per slot (network.cuh's net_time_terms): tt [slot][time_width], tape a
 * per-slot scratch, slot-minor. Run once per sampling run, before d4j_sample.
 */
extern "C" __global__ void d4j_time_terms(const int* desc, const float* P, const float* times, int slots, float* tape, float* tt) {
    __shared__ Net net;
    if (threadIdx.x < d4j::NET_INTS) {
        reinterpret_cast<int*>(&net)[threadIdx.x] = desc[threadIdx.x];
    }
    __syncthreads();
    int s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= slots) {
        return;
    }
    d4j::TapeLayout L = d4j::tape_layout(net);
    Strided tp{tape + s, slots};
    d4j::net_time_terms(net, P, times[s], tp.at(L.f), tp.at(L.time_pre), Strided{tt + static_cast<long long>(s) * net.time_width, 1});
}
