// The kernel table of a host module: a kernels/<name>.cu compiled for the host, one shared library per source,
// which the simulated GPU matches to the fatbin given to cuModuleLoadData by its kernel set. The build
// (native-tests/sim/build.sh) compiles a generated translation unit per module:
//
//   #include "kernels/train.cu"
//   #include "d4j_sim/module.h"
//   D4J_SIM_MODULE(D4J_SIM_KERNEL(d4j_train_chunk), D4J_SIM_KERNEL(d4j_reduce_gradient), ...)
//
// Each entry carries the kernel's name, a function that calls it with the parameters of cuLaunchKernel
// (void** kernelParams: a pointer per parameter), and the host sizes and alignments of its parameters, which the
// simulator checks against the cubin's.
#ifndef D4J_SIM_MODULE_H
#define D4J_SIM_MODULE_H

#include <cstddef>
#include <type_traits>
#include <utility>

extern "C" {

struct d4j_sim_kernel {
    const char* name;
    void (*invoke)(void* const* params);
    unsigned params;
    const unsigned* sizes;
    const unsigned* alignments;
};

/** The kernels of a host module (exported by every module as d4j_sim_module_kernels). */
typedef const d4j_sim_kernel* (*d4j_sim_module_fn)(unsigned* count);
}

#ifdef __cplusplus
namespace d4j_sim {

template <typename... A>
struct Signature {
    static constexpr unsigned count = sizeof...(A);
    static constexpr unsigned sizes[sizeof...(A) + 1] = {static_cast<unsigned>(sizeof(A))..., 0u};
    static constexpr unsigned alignments[sizeof...(A) + 1] = {static_cast<unsigned>(alignof(A))..., 1u};

    template <void (*F)(A...), std::size_t... I>
    static void call(void* const* p, std::index_sequence<I...>) {
        F(*static_cast<typename std::remove_cv<typename std::remove_reference<A>::type>::type*>(p[I])...);
    }

    template <void (*F)(A...)>
    static void invoke(void* const* p) {
        call<F>(p, std::index_sequence_for<A...>{});
    }
};

template <typename... A>
Signature<A...> signature_of(void (*)(A...));

}  // namespace d4j_sim

#define D4J_SIM_KERNEL(k)                                                                                            \
    d4j_sim_kernel {                                                                                                 \
        #k, &decltype(d4j_sim::signature_of(&k))::template invoke<&k>, decltype(d4j_sim::signature_of(&k))::count, \
            decltype(d4j_sim::signature_of(&k))::sizes, decltype(d4j_sim::signature_of(&k))::alignments            \
    }

#define D4J_SIM_MODULE(...)                                                                          \
    extern "C" __attribute__((visibility("default"))) const d4j_sim_kernel* d4j_sim_module_kernels( \
        unsigned* d4j_sim_count) {                                                                   \
        static const d4j_sim_kernel d4j_sim_kernels[] = {__VA_ARGS__};                               \
        *d4j_sim_count = sizeof(d4j_sim_kernels) / sizeof(d4j_sim_kernels[0]);                       \
        return d4j_sim_kernels;                                                                      \
    }
#endif

#endif
