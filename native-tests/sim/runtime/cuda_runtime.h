// The subset of the CUDA runtime API that native-tests/device uses, for programs compiled for the host and run on
// the simulated GPU (native-tests/sim). Programs built by nvcc against the real runtime cannot run on the simulator
// (the static runtime reaches the driver through cuGetProcAddress), so the device tests are compiled a second time
// with g++, this header first on the include path and d4j_sim/device.h force-included; each call maps to the
// simulator's driver API. Kernel launches use native-tests/common/launch.cuh's D4J_LAUNCH instead of <<<>>>.
#ifndef D4J_SIM_CUDA_RUNTIME_H
#define D4J_SIM_CUDA_RUNTIME_H

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "d4j_sim/device.h"

extern "C" {
int cuInit(unsigned flags);
int cuDeviceGetCount(int* count);
int cuDevicePrimaryCtxRetain(void** ctx, int device);
int cuCtxSetCurrent(void* ctx);
int cuCtxSynchronize(void);
int cuMemAlloc_v2(unsigned long long* p, size_t bytes);
int cuMemFree_v2(unsigned long long p);
int cuMemcpyHtoD_v2(unsigned long long dst, const void* src, size_t n);
int cuMemcpyDtoH_v2(void* dst, unsigned long long src, size_t n);
int cuMemcpyDtoD_v2(unsigned long long dst, unsigned long long src, size_t n);
int cuMemsetD8_v2(unsigned long long dst, unsigned char value, size_t n);
int cuGetErrorString(int code, const char** text);
int d4j_sim_launch(const char* name, const unsigned grid[3], const unsigned block[3], size_t shared, void (*body)(void*), void* arg);
}

// Error codes: the driver's values, which the runtime shares for the codes used here.
enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorIllegalAddress = 700,
    cudaErrorLaunchFailure = 719,
};

enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3 };

namespace d4j_sim {

inline cudaError_t& last_error() {
    static cudaError_t e = cudaSuccess;
    return e;
}

inline cudaError_t record(int code) {
    cudaError_t e = static_cast<cudaError_t>(code);
    if (e != cudaSuccess) {
        last_error() = e;
    }
    return e;
}

/** The primary context, made current on first use (as the runtime does). */
inline int ensure_context() {
    static int status = [] {
        void* ctx = nullptr;
        int r = cuInit(0);
        if (r == 0) {
            r = cuDevicePrimaryCtxRetain(&ctx, 0);
        }
        if (r == 0) {
            r = cuCtxSetCurrent(ctx);
        }
        return r;
    }();
    return status;
}

template <typename Kernel, typename... Args>
struct LaunchState {
    Kernel kernel;
    std::tuple<Args...> args;
};

template <typename State>
void run_launch(void* arg) {
    auto* s = static_cast<State*>(arg);
    std::apply(s->kernel, s->args);
}

template <typename Kernel>
struct Launcher {
    const char* name;
    Kernel kernel;
    dim3 grid;
    dim3 block;
    size_t shared;

    template <typename... Args>
    void operator()(Args&&... args) const {
        if (int r = ensure_context(); r != 0) {
            record(r);
            return;
        }
        LaunchState<Kernel, typename std::decay<Args>::type...> state{kernel, {std::forward<Args>(args)...}};
        unsigned g[3] = {grid.x, grid.y, grid.z};
        unsigned b[3] = {block.x, block.y, block.z};
        record(d4j_sim_launch(name, g, b, shared, &run_launch<decltype(state)>, &state));
    }
};

template <typename Kernel>
Launcher<Kernel> launch(const char* name, Kernel kernel, dim3 grid, dim3 block, size_t shared) {
    return Launcher<Kernel>{name, kernel, grid, block, shared};
}

}  // namespace d4j_sim

inline cudaError_t cudaGetDeviceCount(int* count) {
    int r = cuInit(0);
    return d4j_sim::record(r != 0 ? r : cuDeviceGetCount(count));
}

template <typename T>
inline cudaError_t cudaMalloc(T** p, size_t bytes) {
    if (int r = d4j_sim::ensure_context(); r != 0) {
        return d4j_sim::record(r);
    }
    unsigned long long d = 0;
    int r = cuMemAlloc_v2(&d, bytes);
    *p = reinterpret_cast<T*>(d);
    return d4j_sim::record(r);
}

inline cudaError_t cudaFree(void* p) {
    return p == nullptr ? cudaSuccess : d4j_sim::record(cuMemFree_v2(reinterpret_cast<unsigned long long>(p)));
}

inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind kind) {
    auto d = reinterpret_cast<unsigned long long>(dst);
    auto s = reinterpret_cast<unsigned long long>(src);
    switch (kind) {
        case cudaMemcpyHostToDevice:
            return d4j_sim::record(cuMemcpyHtoD_v2(d, src, n));
        case cudaMemcpyDeviceToHost:
            return d4j_sim::record(cuMemcpyDtoH_v2(dst, s, n));
        case cudaMemcpyDeviceToDevice:
            return d4j_sim::record(cuMemcpyDtoD_v2(d, s, n));
        default:
            std::memcpy(dst, src, n);
            return cudaSuccess;
    }
}

inline cudaError_t cudaMemset(void* p, int value, size_t n) {
    return d4j_sim::record(cuMemsetD8_v2(reinterpret_cast<unsigned long long>(p), static_cast<unsigned char>(value), n));
}

inline cudaError_t cudaDeviceSynchronize() {
    return d4j_sim::record(cuCtxSynchronize());
}

inline cudaError_t cudaGetLastError() {
    cudaError_t e = d4j_sim::last_error();
    d4j_sim::last_error() = cudaSuccess;
    return e;
}

inline const char* cudaGetErrorString(cudaError_t e) {
    const char* text = "unknown error";
    cuGetErrorString(static_cast<int>(e), &text);
    return text;
}

#endif
