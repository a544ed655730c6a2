// Device test of kernels/philox.cuh: the words and float normals computed in a kernel must equal the host
// functions of the same header (words exactly; normals to a few float ulps, since device logf/sinf/cosf and the
// host libm may round differently). Without a CUDA device it prints SKIP and exits 0.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include <cuda_runtime.h>

#include "../common/launch.cuh"

#include "philox.cuh"

namespace {

__global__ void noise_kernel(uint64_t seed, uint64_t first_particle, uint64_t step, int n, uint32_t* words, float* normals) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) {
        return;
    }
    uint64_t particle = first_particle + static_cast<uint64_t>(i);
    d4j::Words4 w = d4j::noise_words(seed, particle, step);
    words[4 * i] = w.x;
    words[4 * i + 1] = w.y;
    words[4 * i + 2] = w.z;
    words[4 * i + 3] = w.w;
    d4j::noise_normals_f32(seed, particle, step, normals + 4 * i);
}

bool cuda_ok(cudaError_t e, const char* what) {
    if (e != cudaSuccess) {
        std::printf("FAIL %s: %s\n", what, cudaGetErrorString(e));
        return false;
    }
    return true;
}

// The bound of the host test (see there): 4 FLT_EPSILON times the pair radius.
bool close(float got, float expected, float other) {
    double r = std::sqrt(static_cast<double>(expected) * expected + static_cast<double>(other) * other);
    return std::fabs(static_cast<double>(got) - expected) <= 4.0 * FLT_EPSILON * r;
}

}  // namespace

int main() {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("SKIP: no CUDA device\n");
        return 0;
    }
    struct Case {
        uint64_t seed, first_particle, step;
    };
    const Case cases[] = {{0u, 0u, 0u}, {42u, 0u, 7u}, {0x0123456789abcdefull, (1ull << 32) - 1000, (1ull << 33) + 1},
                          {~0ull, ~0ull - (1u << 20), ~0ull}};
    const int n = 1 << 20;
    uint32_t* d_words = nullptr;
    float* d_normals = nullptr;
    if (!cuda_ok(cudaMalloc(&d_words, 4 * sizeof(uint32_t) * n), "cudaMalloc")
        || !cuda_ok(cudaMalloc(&d_normals, 4 * sizeof(float) * n), "cudaMalloc")) {
        return 1;
    }
    std::vector<uint32_t> words(4 * static_cast<size_t>(n));
    std::vector<float> normals(4 * static_cast<size_t>(n));
    long failures = 0;
    for (const Case& c : cases) {
        D4J_LAUNCH(noise_kernel, (n + 255) / 256, 256, 0)(c.seed, c.first_particle, c.step, n, d_words, d_normals);
        if (!cuda_ok(cudaGetLastError(), "launch") || !cuda_ok(cudaDeviceSynchronize(), "kernel")
            || !cuda_ok(cudaMemcpy(words.data(), d_words, words.size() * sizeof(uint32_t), cudaMemcpyDeviceToHost), "copy")
            || !cuda_ok(cudaMemcpy(normals.data(), d_normals, normals.size() * sizeof(float), cudaMemcpyDeviceToHost), "copy")) {
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            uint64_t particle = c.first_particle + static_cast<uint64_t>(i);
            d4j::Words4 w = d4j::noise_words(c.seed, particle, c.step);
            float h[4];
            d4j::noise_normals_f32(c.seed, particle, c.step, h);
            const uint32_t* g = &words[4 * static_cast<size_t>(i)];
            const float* f = &normals[4 * static_cast<size_t>(i)];
            bool ok = g[0] == w.x && g[1] == w.y && g[2] == w.z && g[3] == w.w && close(f[0], h[0], h[1])
                      && close(f[1], h[1], h[0]) && close(f[2], h[2], h[3]) && close(f[3], h[3], h[2]);
            if (!ok && failures++ < 10) {
                std::printf("FAIL seed %llx particle %llx step %llx: words %08x %08x %08x %08x vs %08x %08x %08x %08x,"
                            " normals %a %a %a %a vs %a %a %a %a\n",
                            static_cast<unsigned long long>(c.seed), static_cast<unsigned long long>(particle),
                            static_cast<unsigned long long>(c.step), g[0], g[1], g[2], g[3], w.x, w.y, w.z, w.w,
                            f[0], f[1], f[2], f[3], h[0], h[1], h[2], h[3]);
            }
        }
    }
    cudaFree(d_words);
    cudaFree(d_normals);
    std::printf("%s: %d particles x %d cases, %ld mismatches\n", failures == 0 ? "PASS" : "FAIL", n,
                static_cast<int>(sizeof(cases) / sizeof(cases[0])), failures);
    return failures == 0 ? 0 : 1;
}
