// Device test of kernels/network.cuh: the reference vectors of native-tests/vectors/network.txt run in a kernel (one
// thread per sample, tapes and gradients sample-minor as in the training kernel) must meet the tolerances of the host
// test. Without a CUDA device it prints SKIP and exits 0.
#include <cstdio>
#include <vector>

#include <cuda_runtime.h>

#include "../common/launch.cuh"

#include "network.cuh"
#include "../common/network_vectors.h"

namespace {

/** Sample q: time terms, forward, backward; out [q][2], tape [k][count], grad [k][count] (zeroed). */
__global__ void network_kernel(d4j::Net net, const float* P, const float* x, const float* y, const float* t, const int* labels,
                               const float* values, const float* d_out, int count, float* tape, float* grad, float* out) {
    int q = blockIdx.x * blockDim.x + threadIdx.x;
    if (q >= count) {
        return;
    }
    d4j::TapeLayout L = d4j::tape_layout(net);
    d4j::Strided tp{tape + q, count};
    d4j::Strided tt = tp.at(L.total);
    d4j::Cond cond{labels[q], values[q]};
    d4j::net_time_terms(net, P, t[q], tp.at(L.f), tp.at(L.time_pre), tt);
    float o[2];
    d4j::net_forward(net, P, x[q], y[q], cond, tt, tp, o);
    out[2 * q] = o[0];
    out[2 * q + 1] = o[1];
    float d[2] = {d_out[2 * q], d_out[2 * q + 1]};
    d4j::net_backward(net, P, t[q], cond, tp, d, d4j::Strided{grad + q, count});
}

template <typename T>
T* upload(const std::vector<T>& v) {
    T* p = nullptr;
    cudaMalloc(&p, v.size() * sizeof(T));
    cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice);
    return p;
}

}  // namespace

int main(int argc, char** argv) {
    (void) argc;
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("SKIP: no CUDA device\n");
        return 0;
    }
    std::vector<d4jtest::Network> all = d4jtest::read_network_vectors(d4jtest::vectors_path(argv[0]));
    if (all.empty()) {
        std::printf("FAIL: cannot read the network vectors (set D4J_VECTORS)\n");
        return 1;
    }
    int checks = 0;
    int failures = 0;
    for (const d4jtest::Network& n : all) {
        int count = static_cast<int>(n.samples.size());
        std::vector<float> x, y, t, values, d_out;
        std::vector<int> labels;
        for (const d4jtest::Sample& s : n.samples) {
            x.push_back(s.x);
            y.push_back(s.y);
            t.push_back(s.t);
            labels.push_back(s.label);
            values.push_back(s.value);
            d_out.push_back(s.d_out[0]);
            d_out.push_back(s.d_out[1]);
        }
        float* dP = upload(n.params);
        float *dx = upload(x), *dy = upload(y), *dt = upload(t), *dv = upload(values), *dd = upload(d_out);
        int* dl = upload(labels);
        float *tape = nullptr, *grad = nullptr, *out = nullptr;
        cudaMalloc(&tape, sizeof(float) * n.net.tape * count);
        cudaMalloc(&grad, sizeof(float) * n.net.params * count);
        cudaMalloc(&out, sizeof(float) * 2 * count);
        cudaMemset(grad, 0, sizeof(float) * n.net.params * count);
        D4J_LAUNCH(network_kernel, 1, 32, 0)(n.net, dP, dx, dy, dt, dl, dv, dd, count, tape, grad, out);
        cudaError_t e = cudaDeviceSynchronize();
        if (e != cudaSuccess) {
            std::printf("FAIL %s: kernel: %s\n", n.name.c_str(), cudaGetErrorString(e));
            return 1;
        }
        std::vector<float> h_out(2 * count), h_grad(static_cast<size_t>(n.net.params) * count);
        cudaMemcpy(h_out.data(), out, h_out.size() * sizeof(float), cudaMemcpyDeviceToHost);
        cudaMemcpy(h_grad.data(), grad, h_grad.size() * sizeof(float), cudaMemcpyDeviceToHost);
        for (int q = 0; q < count; ++q) {
            const d4jtest::Sample& s = n.samples[q];
            ++checks;
            if (!d4jtest::output_close(&h_out[2 * q], s)) {
                ++failures;
                std::printf("FAIL %s sample %d: out (%.9g, %.9g) vs (%.9g, %.9g)\n", n.name.c_str(), q, h_out[2 * q], h_out[2 * q + 1], s.out[0],
                            s.out[1]);
            }
            std::vector<float> g(n.net.params);
            for (int k = 0; k < n.net.params; ++k) {
                g[k] = h_grad[static_cast<size_t>(k) * count + q];
            }
            double tolerance;
            int at;
            double worst = d4jtest::gradient_error(g.data(), s, tolerance, at);
            ++checks;
            if (worst > tolerance) {
                ++failures;
                std::printf("FAIL %s sample %d: gradient error %.3g at %d, tolerance %.3g\n", n.name.c_str(), q, worst, at, tolerance);
            }
        }
        cudaFree(dP);
        cudaFree(dx);
        cudaFree(dy);
        cudaFree(dt);
        cudaFree(dv);
        cudaFree(dd);
        cudaFree(dl);
        cudaFree(tape);
        cudaFree(grad);
        cudaFree(out);
    }
    std::printf("%s: %d checks, %d failures\n", failures == 0 ? "PASS" : "FAIL", checks, failures);
    return failures == 0 ? 0 : 1;
}
