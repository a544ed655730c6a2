// Fused sampling: one launch runs every update of a sampler for all particles, launched by
// org.diffusion4j.engine.cuda.SampleKernel.
//
// Each thread walks particles i = thread, thread + threads, ... and keeps the particle's state in registers through
// all updates of SamplingPlan's table (sample_run.cuh: one particle's run, also compiled for the host tests).
// The time terms of every slot (network.cuh) are computed on the
// host once per distinct time, not per particle. Network parameters are copied to shared memory when the launcher
// says they fit (params_in_shared), else read through the cache. The per-thread forward tape lives in `tape`,
// sample-minor (element k of thread g at tape[k * threads + g]), so a warp's accesses are contiguous.
#include "dynamic_shared.cuh"
#include "network.cuh"
#include "sample_run.cuh"


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
                                      const int* labels, const float* values, const d4j::Update* plan, int updates,
                                      float prior_std, unsigned long long seed, long long first, int count, int use_score,
                                      int use_velocity, int params_in_shared, float score_guidance, float flow_guidance, float* tape, float* xy, const int* frame_of,
                                      float* frames) {
    D4J_DYNAMIC_SHARED(float, shared);
    __shared__ d4j::Net nets[2];
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
    d4j::SampleRun run{d4j::NetField{score_desc != nullptr ? &nets[0] : nullptr, Ps, score_tt, score_scale, score_guidance},
                       d4j::NetField{flow_desc != nullptr ? &nets[1] : nullptr, Pf, flow_tt, nullptr, flow_guidance},
                       mixture, components, mixture_slots, plan, updates, prior_std, seed, use_score, use_velocity};
    long long threads = static_cast<long long>(gridDim.x) * blockDim.x;
    long long g = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    d4j::Strided tape_s{tape + g, threads};
    d4j::Strided tape_u = tape_s;
    if (score_desc != nullptr && flow_desc != nullptr) {
        tape_u = tape_s.at(nets[0].tape);
    }
    for (long long q = g; q < count; q += threads) {
        long long i = first + q;
        d4j::Cond c{labels != nullptr ? labels[i] : 0, values != nullptr ? values[i] : 0.0f};
        float out[2];
        d4j::sample_particle(run, i, c, tape_s, tape_u, frame_of, frames, count, q, out);
        xy[2 * q] = out[0];
        xy[2 * q + 1] = out[1];
    }
}

/**
 * The time terms of every slot, one thread per slot (network.cuh's net_time_terms): tt [slot][time_width], tape a
 * per-slot scratch, slot-minor. Run once per sampling run, before d4j_sample.
 */
extern "C" __global__ void d4j_time_terms(const int* desc, const float* P, const float* times, int slots, float* tape, float* tt) {
    __shared__ d4j::Net net;
    if (threadIdx.x < d4j::NET_INTS) {
        reinterpret_cast<int*>(&net)[threadIdx.x] = desc[threadIdx.x];
    }
    __syncthreads();
    int s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= slots) {
        return;
    }
    d4j::TapeLayout L = d4j::tape_layout(net);
    d4j::Strided tp{tape + s, slots};
    d4j::net_time_terms(net, P, times[s], tp.at(L.f), tp.at(L.time_pre), d4j::Strided{tt + static_cast<long long>(s) * net.time_width, 1});
}
