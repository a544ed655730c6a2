// The CUDA built-ins for kernels compiled for the host and run by the simulated GPU (libcuda.so.1 of
// native-tests/sim). Force-included (g++ -include) before a kernel source, so kernels/*.cu compile unchanged:
//
//   - __global__, __device__, __host__, __forceinline__, __restrict__, __launch_bounds__ become plain C++;
//     __shared__ becomes `static thread_local`: a worker OS thread runs one block at a time and the block's CUDA
//     threads are fibers on it, so a block's threads share it and other blocks (other workers) do not.
//     Dynamic shared memory is kernels/dynamic_shared.cuh's D4J_DYNAMIC_SHARED (`extern __shared__` cannot be a macro).
//   - threadIdx, blockIdx, blockDim, gridDim are per worker thread, set by the executor before each fiber runs.
//   - __syncthreads, __syncwarp, __shfl_*_sync and the votes call into the executor, which rendezvouses the threads
//     and reports a barrier or collective that not every thread of the block or mask reaches.
//   - atomics are host atomics (blocks run in parallel on several workers); math is the host's libm, which differs
//     from CUDA's in the last ulps.
//
// __CUDACC__ and __CUDA_ARCH__ (900) are defined so the kernel headers take their device code paths;
// D4J_SIM says the code runs on the simulator.
#ifndef D4J_SIM_DEVICE_H
#define D4J_SIM_DEVICE_H

#define D4J_SIM 1
#ifndef __CUDACC__
#define __CUDACC__ 1
#endif
#ifndef __CUDA_ARCH__
#define __CUDA_ARCH__ 900
#endif

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define __shared__ static thread_local
#define __constant__ static
#define __launch_bounds__(...)
#define __align__(n) alignas(n)

struct uint3 {
    unsigned int x, y, z;
};

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {
    }
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {
    }
};

struct float2 {
    float x, y;
};
struct float4 {
    float x, y, z, w;
};
struct int2 {
    int x, y;
};
struct double2 {
    double x, y;
};

#define D4J_SIM_EXPORT __attribute__((visibility("default")))
extern thread_local uint3 threadIdx D4J_SIM_EXPORT;
extern thread_local uint3 blockIdx D4J_SIM_EXPORT;
extern thread_local dim3 blockDim D4J_SIM_EXPORT;
extern thread_local dim3 gridDim D4J_SIM_EXPORT;
constexpr int warpSize = 32;

extern "C" {
/** The block barrier; `site` names the call ("file:line"). */
D4J_SIM_EXPORT void d4j_sim_syncthreads(const char* site);
/** The block's dynamic shared memory (the launch's size, against a no-access page). */
D4J_SIM_EXPORT void* d4j_sim_dynamic_shared(void);
/**
 * A warp collective of the calling lane: kind (d4j_sim_warp_kind), mask, the lane's value (8 bytes), an argument
 * (source lane, delta, lane mask) and width. Returns the lane's result (8 bytes).
 */
D4J_SIM_EXPORT uint64_t d4j_sim_warp(int kind, unsigned mask, uint64_t value, int arg, int width, const char* site);
/** Reports a device-side trap (assert) and ends the calling thread's block. */
D4J_SIM_EXPORT void d4j_sim_trap(const char* what) __attribute__((noreturn));
}

enum d4j_sim_warp_kind { D4J_WARP_SYNC = 0, D4J_WARP_SHFL = 1, D4J_WARP_SHFL_UP = 2, D4J_WARP_SHFL_DOWN = 3,
                         D4J_WARP_SHFL_XOR = 4, D4J_WARP_BALLOT = 5, D4J_WARP_ANY = 6, D4J_WARP_ALL = 7,
                         D4J_WARP_MMA_TF32 = 8, D4J_WARP_MMA_TF32_K4 = 9 };

/** One lane's fragments of mma.sync.aligned.m16n8k8 (or k4).row.col.f32.tf32.tf32.f32 (d = a b + d, in place). */
struct d4j_sim_mma_lane {
    const unsigned* a;  // 4 registers of A (16 x 8, row-major); 2 for k4 (16 x 4)
    const unsigned* b;  // 2 registers of B (8 x 8, column-major); 1 for k4 (4 x 8)
    float* d;           // 4 registers of C on entry, D on return
};

// A call site as "file:line": reports name it, and threads waiting at different __syncthreads are told apart.
#define D4J_SIM_STR2(x) #x
#define D4J_SIM_STR(x) D4J_SIM_STR2(x)
#define D4J_SIM_SITE() (__FILE__ ":" D4J_SIM_STR(__LINE__))
#define __syncthreads() d4j_sim_syncthreads(D4J_SIM_SITE())

namespace d4j_sim {

template <typename T>
inline uint64_t to_bits(T v) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "warp collectives move at most 8 bytes");
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}

template <typename T>
inline T from_bits(uint64_t b) {
    T v;
    std::memcpy(&v, &b, sizeof(T));
    return v;
}

}  // namespace d4j_sim

template <typename T>
inline T __d4j_shfl(int kind, unsigned mask, T v, int arg, int width, const char* site) {
    return d4j_sim::from_bits<T>(d4j_sim_warp(kind, mask, d4j_sim::to_bits(v), arg, width, site));
}

#define __shfl_sync(mask, v, src, ...) __d4j_shfl(D4J_WARP_SHFL, (mask), (v), (src), __d4j_width(__VA_ARGS__), D4J_SIM_SITE())
#define __shfl_up_sync(mask, v, d, ...) __d4j_shfl(D4J_WARP_SHFL_UP, (mask), (v), (d), __d4j_width(__VA_ARGS__), D4J_SIM_SITE())
#define __shfl_down_sync(mask, v, d, ...) __d4j_shfl(D4J_WARP_SHFL_DOWN, (mask), (v), (d), __d4j_width(__VA_ARGS__), D4J_SIM_SITE())
#define __shfl_xor_sync(mask, v, m, ...) __d4j_shfl(D4J_WARP_SHFL_XOR, (mask), (v), (m), __d4j_width(__VA_ARGS__), D4J_SIM_SITE())
// mma.sync m16n8k8 (and m16n8k4) TF32 of the whole warp (every lane, mask 0xffffffff): the last lane to arrive gathers the 32 lanes'
// fragments by the PTX layout, rounds A and B as cvt.rna.tf32.f32 does, and computes every lane's D (executor.cpp).
inline void __d4j_mma_m16n8k8_tf32(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2], const char* site) {
    d4j_sim_mma_lane lane{a, b, d};
    d4j_sim_warp(D4J_WARP_MMA_TF32, 0xffffffffu, reinterpret_cast<uint64_t>(&lane), 0, 32, site);
}
#define d4j_sim_mma_m16n8k8_tf32(d, a, b) __d4j_mma_m16n8k8_tf32((d), (a), (b), D4J_SIM_SITE())
inline void __d4j_mma_m16n8k4_tf32(float (&d)[4], const unsigned (&a)[2], const unsigned (&b)[1], const char* site) {
    d4j_sim_mma_lane lane{a, b, d};
    d4j_sim_warp(D4J_WARP_MMA_TF32_K4, 0xffffffffu, reinterpret_cast<uint64_t>(&lane), 0, 32, site);
}
#define d4j_sim_mma_m16n8k4_tf32(d, a, b) __d4j_mma_m16n8k4_tf32((d), (a), (b), D4J_SIM_SITE())
#define __syncwarp(...) ((void)d4j_sim_warp(D4J_WARP_SYNC, __d4j_mask(__VA_ARGS__), 0, 0, 32, D4J_SIM_SITE()))
#define __ballot_sync(mask, p) static_cast<unsigned>(d4j_sim_warp(D4J_WARP_BALLOT, (mask), (p) ? 1u : 0u, 0, 32, D4J_SIM_SITE()))
#define __any_sync(mask, p) static_cast<int>(d4j_sim_warp(D4J_WARP_ANY, (mask), (p) ? 1u : 0u, 0, 32, D4J_SIM_SITE()))
#define __all_sync(mask, p) static_cast<int>(d4j_sim_warp(D4J_WARP_ALL, (mask), (p) ? 1u : 0u, 0, 32, D4J_SIM_SITE()))

inline int __d4j_width() {
    return 32;
}
inline int __d4j_width(int w) {
    return w;
}
inline unsigned __d4j_mask() {
    return 0xffffffffu;
}
inline unsigned __d4j_mask(unsigned m) {
    return m;
}

inline unsigned __activemask() {
    return 0xffffffffu;
}

// ---- atomics: blocks run in parallel on several workers, so these are real host atomics.

inline int atomicAdd(int* p, int v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned atomicAdd(unsigned* p, unsigned v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline float atomicAdd(float* p, float v) {
    float old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    float next;
    do {
        next = old + v;
    } while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return old;
}
inline double atomicAdd(double* p, double v) {
    double old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    double next;
    do {
        next = old + v;
    } while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return old;
}
inline int atomicSub(int* p, int v) {
    return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned atomicSub(unsigned* p, unsigned v) {
    return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST);
}
template <typename T>
inline T atomicExch(T* p, T v) {
    T old;
    __atomic_exchange(p, &v, &old, __ATOMIC_SEQ_CST);
    return old;
}
template <typename T>
inline T atomicCAS(T* p, T compare, T v) {
    __atomic_compare_exchange(p, &compare, &v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return compare;
}
template <typename T>
inline T atomicMax(T* p, T v) {
    T old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange(p, &old, &v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <typename T>
inline T atomicMin(T* p, T v) {
    T old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange(p, &old, &v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline unsigned atomicInc(unsigned* p, unsigned limit) {
    unsigned old;
    __atomic_load(p, &old, __ATOMIC_RELAXED);
    unsigned next;
    do {
        next = old >= limit ? 0u : old + 1u;
    } while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return old;
}
inline int atomicOr(int* p, int v) {
    return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned atomicOr(unsigned* p, unsigned v) {
    return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}
inline int atomicAnd(int* p, int v) {
    return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned atomicAnd(unsigned* p, unsigned v) {
    return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
}
inline void __threadfence() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void __threadfence_block() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

// ---- math: the host's libm and exact integer intrinsics.

inline float __fmaf_rn(float a, float b, float c) {
    return std::fma(a, b, c);
}
inline double __fma_rn(double a, double b, double c) {
    return std::fma(a, b, c);
}
inline float __uint2float_rn(unsigned v) {
    return static_cast<float>(v);
}
inline float __int2float_rn(int v) {
    return static_cast<float>(v);
}
inline unsigned __umulhi(unsigned a, unsigned b) {
    return static_cast<unsigned>((static_cast<uint64_t>(a) * b) >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * b) >> 64);
}
inline float __expf(float x) {
    return std::exp(x);
}
inline float __logf(float x) {
    return std::log(x);
}
inline float __sinf(float x) {
    return std::sin(x);
}
inline float __cosf(float x) {
    return std::cos(x);
}
inline float __fdividef(float a, float b) {
    return a / b;
}
inline float rsqrtf(float x) {
    return 1.0f / std::sqrt(x);
}
inline double rsqrt(double x) {
    return 1.0 / std::sqrt(x);
}
inline float __saturatef(float x) {
    return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}
inline int __popc(unsigned v) {
    return __builtin_popcount(v);
}
inline int __ffs(int v) {
    return __builtin_ffs(v);
}
inline int __clz(int v) {
    return v == 0 ? 32 : __builtin_clz(static_cast<unsigned>(v));
}
using std::max;
using std::min;
inline int max(int a, int b) {
    return a > b ? a : b;
}
inline int min(int a, int b) {
    return a < b ? a : b;
}

#define __trap() d4j_sim_trap("__trap()")

#endif
