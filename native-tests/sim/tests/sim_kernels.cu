// Test kernels of the simulated GPU (native-tests/sim/tests/test_sim.cpp): compiled by nvcc into an sm_90 fatbin
// and for the host into a host module, like kernels/*.cu. Each exercises one thing the simulator must get right
// (barriers, warp collectives, atomics, shared memory, guard pages, register limits) or must report (misuse).
#include "dynamic_shared.cuh"

/** out[block] = sum of 0 .. blockDim.x - 1, by a shared-memory tree (blockDim.x a power of 2, at most 1024). */
extern "C" __global__ void block_sum(int* out) {
    __shared__ int s[1024];
    s[threadIdx.x] = threadIdx.x;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            s[threadIdx.x] += s[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[blockIdx.x] = s[0];
    }
}

/** Threads below 32 and the others wait at different __syncthreads (undefined on a GPU: must be reported). */
extern "C" __global__ void divergent_barrier(int* out) {
    if (threadIdx.x < 32) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    out[threadIdx.x] = 1;
}

/** Thread 5 returns before a __syncthreads the others wait at (must be reported). */
extern "C" __global__ void exited_barrier(int* out) {
    if (threadIdx.x == 5) {
        return;
    }
    __syncthreads();
    out[threadIdx.x] = 1;
}

/** Per thread t (lane l): 8 results of the warp collectives, out[8 t + k]. */
extern "C" __global__ void collectives(int* out) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    int lane = threadIdx.x & 31;
    int v = 100 * lane + 7;
    int* o = out + 8 * t;
    o[0] = __shfl_sync(0xffffffffu, v, 3);
    o[1] = __shfl_up_sync(0xffffffffu, v, 2);
    o[2] = __shfl_down_sync(0xffffffffu, v, 5);
    o[3] = __shfl_xor_sync(0xffffffffu, v, 9);
    o[4] = __shfl_down_sync(0xffffffffu, v, 1, 8);
    o[5] = static_cast<int>(__ballot_sync(0xffffffffu, lane % 3 == 0));
    o[6] = __any_sync(0xffffffffu, lane == 17);
    o[7] = __all_sync(0xffffffffu, lane < 31);
    __syncwarp();
}

/** Sums of the lanes of each warp by a shuffle tree, out[warp]. */
extern "C" __global__ void warp_sum(const float* in, float* out) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    float s = in[t];
    for (int offset = 16; offset > 0; offset >>= 1) {
        s += __shfl_down_sync(0xffffffffu, s, offset);
    }
    if ((threadIdx.x & 31) == 0) {
        out[t / 32] = s;
    }
}

/** Every lane calls a shuffle whose mask has only lanes 0-15 (lanes 16-31 are left out: must be reported). */
extern "C" __global__ void shuffle_outside_mask(int* out) {
    out[threadIdx.x] = __shfl_sync(0x0000ffffu, static_cast<int>(threadIdx.x), 0);
}

/** Lane 3 returns before a full-mask shuffle (must be reported). */
extern "C" __global__ void shuffle_after_exit(int* out) {
    if (threadIdx.x == 3) {
        return;
    }
    out[threadIdx.x] = __shfl_down_sync(0xffffffffu, static_cast<int>(threadIdx.x), 1);
}

/** Lanes 0-15 wait at __syncthreads, lanes 16-31 at __syncwarp of the full mask: a deadlock (must be reported). */
extern "C" __global__ void barrier_against_warp(int* out) {
    if (threadIdx.x < 16) {
        __syncthreads();
    } else {
        __syncwarp();
    }
    out[threadIdx.x] = 1;
}

/** Every thread of every block adds to the counters: counts[0] += 1, counts[1] += t, fsum += 0.5, max of t. */
extern "C" __global__ void atomics(unsigned long long* counts, float* fsum, int* maximum) {
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(&counts[0], 1ull);
    atomicAdd(&counts[1], static_cast<unsigned long long>(t));
    atomicAdd(fsum, 0.5f);
    atomicMax(maximum, t);
}

/** Thread t writes t to dynamic shared memory element t of `count`, then out[t] = shared[count - 1 - t]. */
extern "C" __global__ void dynamic_shared(float* out, int count) {
    D4J_DYNAMIC_SHARED(float, s);
    for (int k = threadIdx.x; k < count; k += blockDim.x) {
        s[k] = static_cast<float>(k);
    }
    __syncthreads();
    for (int k = threadIdx.x; k < count; k += blockDim.x) {
        out[k] = s[count - 1 - k];
    }
}

/** 48 KiB of static shared memory: with any dynamic shared memory the block needs to opt in. */
extern "C" __global__ void static_shared_48k(float* out) {
    __shared__ float big[12288];
    big[threadIdx.x] = 1.0f;
    __syncthreads();
    out[threadIdx.x] = big[(threadIdx.x + 1) % blockDim.x];
}

/** out[k] = 1 for k in [0, n]: one element more than a buffer of n (the guard page must catch it). */
extern "C" __global__ void write_past_end(float* out, int n) {
    for (int k = threadIdx.x; k <= n; k += blockDim.x) {
        out[k] = 1.0f;
    }
}

/** Keeps 96 values per thread live across a loop: more registers than 1024 threads may have. */
extern "C" __global__ void many_registers(const float* in, float* out) {
    float v[96];
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    int n = gridDim.x * blockDim.x;
#pragma unroll
    for (int i = 0; i < 96; ++i) {
        v[i] = in[i * n + t];
    }
#pragma unroll
    for (int r = 0; r < 4; ++r) {
#pragma unroll
        for (int i = 0; i < 96; ++i) {
            v[i] = v[i] * v[(i + 1) % 96] + v[(i + 7) % 96];
        }
    }
#pragma unroll
    for (int i = 0; i < 96; ++i) {
        out[i * n + t] = v[i];
    }
}

/** counter[0] += 1 per thread (for graph capture: the launch runs when the graph is launched). */
extern "C" __global__ void count_threads(unsigned* counter) {
    atomicAdd(counter, 1u);
}

#include "tile.cuh"

/**
 * One mma.sync m16n8k8 TF32 of a warp through kernels/tile.cuh's mma_tf32: D = A B + D with A [16][8], B [8][8] and D
 * [16][8] row-major in global memory, the lanes loading and storing their fragments by the PTX layout; swap != 0
 * plants a wrong A layout (a1 and a2 exchanged), which the simulator must expose.
 */
extern "C" __global__ void mma_tf32_tile(const float* A, const float* B, float* D, int swap) {
    int lane = threadIdx.x % 32;
    int g = lane / 4;
    int t = lane % 4;
    unsigned a[4] = {d4j::tf32_bits(A[g * 8 + t]), d4j::tf32_bits(A[(g + 8) * 8 + t]), d4j::tf32_bits(A[g * 8 + t + 4]),
                     d4j::tf32_bits(A[(g + 8) * 8 + t + 4])};
    if (swap != 0) {
        unsigned x = a[1];
        a[1] = a[2];
        a[2] = x;
    }
    unsigned b[2] = {d4j::tf32_bits(B[t * 8 + g]), d4j::tf32_bits(B[(t + 4) * 8 + g])};
    float d[4] = {D[g * 8 + 2 * t], D[g * 8 + 2 * t + 1], D[(g + 8) * 8 + 2 * t], D[(g + 8) * 8 + 2 * t + 1]};
    d4j::mma_tf32(d, a, b);
    D[g * 8 + 2 * t] = d[0];
    D[g * 8 + 2 * t + 1] = d[1];
    D[(g + 8) * 8 + 2 * t] = d[2];
    D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

/** One mma.sync m16n8k4 TF32 (tile.cuh's mma_tf32_k4): D = A B + D, A [16][4], B [4][8], D [16][8] row-major. */
extern "C" __global__ void mma_tf32_k4_tile(const float* A, const float* B, float* D) {
    int lane = threadIdx.x % 32;
    int g = lane / 4;
    int t = lane % 4;
    unsigned a[2] = {d4j::tf32_bits(A[g * 4 + t]), d4j::tf32_bits(A[(g + 8) * 4 + t])};
    unsigned b[1] = {d4j::tf32_bits(B[t * 8 + g])};
    float d[4] = {D[g * 8 + 2 * t], D[g * 8 + 2 * t + 1], D[(g + 8) * 8 + 2 * t], D[(g + 8) * 8 + 2 * t + 1]};
    d4j::mma_tf32_k4(d, a, b);
    D[g * 8 + 2 * t] = d[0];
    D[g * 8 + 2 * t + 1] = d[1];
    D[(g + 8) * 8 + 2 * t] = d[2];
    D[(g + 8) * 8 + 2 * t + 1] = d[3];
}

/** An mma of a 16-thread block: a warp of 16 lanes cannot run it (reported). */
extern "C" __global__ void mma_partial_warp(int* out) {
    unsigned a[4] = {0, 0, 0, 0};
    unsigned b[2] = {0, 0};
    float d[4] = {0, 0, 0, 0};
    d4j::mma_tf32(d, a, b);
    out[threadIdx.x] = static_cast<int>(d[0]);
}
