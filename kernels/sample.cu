// Fused sampling: one launch runs every update of a sampler for all particles, launched by
// org.diffusion4j.engine.cuda.SampleKernel.
//
// Persistent blocks: block b takes tiles b, b + grid, ... of `tile` particles and keeps each tile through all updates
// of SamplingPlan's table (sample_run.cuh), its networks evaluated as tile GEMMs (tile.cuh) from shared memory. The
// time terms of every slot are computed once per distinct time by d4j_time_terms, not per particle.
#include "dynamic_shared.cuh"
#include "network.cuh"
#include "sample_run.cuh"

/** Every update of every particle of the launch (SampleArgs in sample_run.cuh). */
extern "C" __global__ void d4j_sample(const d4j::SampleArgs a) {
    D4J_DYNAMIC_SHARED(float, smem);
    d4j::Block b{static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x)};
    d4j::TileShape s = d4j::tile_shape(a.tile, a.threads);
    long long tiles = (static_cast<long long>(a.count) + a.tile - 1) / a.tile;
    for (long long t = blockIdx.x; t < tiles; t += gridDim.x) {
        d4j::sample_tile(a, b, s, smem, t);
    }
}

/** The dynamic shared memory d4j_sample needs for the args' tile and threads, in bytes, into bytes[0] (-1: a
 * shape the tile code does not run; at most INT_MAX). */
extern "C" __global__ void d4j_sample_shared(const d4j::SampleArgs a, int* bytes) {
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        long long b = d4j::sample_shared_bytes(a);
        bool valid = d4j::tile_shape_valid_for(a.tile, a.threads, a.score.net.precision)
                     && d4j::tile_shape_valid_for(a.tile, a.threads, a.flow.net.precision);
        bytes[0] = !valid ? -1 : b > 0x7fffffffLL ? 0x7fffffff : static_cast<int>(b);
    }
}

/** The argument of d4j_time_terms: a network, its parameters, the times of the slots and the outputs. */
struct TimeTermsArgs {
    const float* P;
    const float* times;
    float* scratch;  // per slot: net.tape floats, slot-minor
    float* tt;       // [slot][time_width]
    int slots;
    int reserved;
    d4j::Net net;
};

static_assert(sizeof(TimeTermsArgs) == 40 + d4j::NET_INTS * 4, "TimeTermsArgs: the layout SampleKernel writes");

/** The time terms of every slot, one thread per slot (network.cuh's net_time_terms). Run once per sampling run. */
extern "C" __global__ void d4j_time_terms(const TimeTermsArgs a) {
    int s = blockIdx.x * blockDim.x + threadIdx.x;
    if (s >= a.slots) {
        return;
    }
    d4j::TapeLayout L = d4j::tape_layout(a.net);
    d4j::Strided tp{a.scratch + s, a.slots};
    d4j::net_time_terms(a.net, a.P, a.times[s], tp.at(L.f), tp.at(L.time_pre),
                        d4j::Strided{a.tt + static_cast<long long>(s) * a.net.time_width, 1});
}
