// Forward-process simulation of the data, launched by org.diffusion4j.engine.cuda.ForwardKernel; the grids, frames
// and noise layout of org.diffusion4j.engine.reference.ReferenceForward, with per-state coefficients computed on the
// host in double and rounded to float:
//
//   closed form  state k = ca[k] x0 + cs[k] (n0, n1),  (n0, n1) from normals(seed, i, step k); state 0 is the data
//   stepwise     x = ca[k-1] x + cs[k-1] (n0, n1),      (n0, n1) from normals(seed, i, step k)
//                OU (Euler-Maruyama): ca = 1 - lambda h, cs = sigma sqrt(h);  DDPM: ca = sqrt(1 - beta), cs = sqrt(beta)
#include "philox.cuh"

/** One thread per data point (grid-stride); frames [frame][point][2], frame_of[k] the frame of state k or -1. */
extern "C" __global__ void d4j_forward(const float* x0, int points, const float* ca, const float* cs, int steps, int stepwise,
                                       unsigned long long seed, const int* frame_of, float* frames) {
    long long threads = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < points; i += threads) {
        float ax = x0[2 * i];
        float ay = x0[2 * i + 1];
        float x = ax;
        float y = ay;
        if (frame_of[0] >= 0) {
            float* f = frames + static_cast<long long>(frame_of[0]) * 2 * points;
            f[2 * i] = x;
            f[2 * i + 1] = y;
        }
        for (int k = 1; k <= steps; ++k) {
            if (!stepwise && frame_of[k] < 0) {
                continue;
            }
            float z[4];
            d4j::noise_normals_f32(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(k), z);
            if (stepwise) {
                x = fmaf(ca[k - 1], x, cs[k - 1] * z[0]);
                y = fmaf(ca[k - 1], y, cs[k - 1] * z[1]);
            } else {
                x = fmaf(ca[k], ax, cs[k] * z[0]);
                y = fmaf(ca[k], ay, cs[k] * z[1]);
            }
            if (frame_of[k] >= 0) {
                float* f = frames + static_cast<long long>(frame_of[k]) * 2 * points;
                f[2 * i] = x;
                f[2 * i + 1] = y;
            }
        }
    }
}
