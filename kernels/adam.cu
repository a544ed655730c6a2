// Adam / AdamW in float, launched by org.diffusion4j.engine.cuda.AdamKernel; the update of ReferenceOptimizer:
//
//   g = grad / sum_rw                        (the loss normalisation of train.cu: totals[0] = sum of raw weights)
//   p = p d,  d = 1 - lr wd for AdamW, 1 for Adam
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
//   p = p - lr (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - b1^k,  c2 = 1 - b2^k  (computed on the host in double)
//
// lr is the regimen's rate of update k, computed on the host (TrainingRegimen). Clipping and the EMA of the weights
// are two more launches around d4j_adam: d4j_clip before it, d4j_ema after it.

extern "C" __global__ void d4j_adam(float* p, float* m, float* v, const float* grad, const double* totals, int params,
                                    float lr, float b1, float b2, float eps, float decay, float c1, float c2) {
    float scale = static_cast<float>(1.0 / totals[0]);
    long long threads = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; k < params; k += threads) {
        float g = grad[k] * scale;
        float mk = b1 * m[k] + (1.0f - b1) * g;
        float vk = b2 * v[k] + (1.0f - b2) * g * g;
        m[k] = mk;
        v[k] = vk;
        p[k] = p[k] * decay - lr * (mk / c1) / (sqrtf(vk / c2) + eps);
    }
}

// Threads of d4j_clip's single block (a power of two).
#define D4J_CLIP_BLOCK 512

// Gradient-norm clipping, PyTorch's clip_grad_norm_: the norm of g = grad / totals[0] in double, summed in a fixed
// order (thread-strided partial sums, then a tree in shared memory; one block, so the result does not depend on
// scheduling); where f = max_norm / (norm + 1e-6) < 1, totals[0] becomes totals[0] / f, so that d4j_adam's
// g = grad / totals[0] is the clipped gradient f g.
extern "C" __global__ void d4j_clip(const float* grad, double* totals, int params, double max_norm) {
    __shared__ double part[D4J_CLIP_BLOCK];
    double inv = 1.0 / totals[0];
    double s = 0.0;
    for (int k = threadIdx.x; k < params; k += blockDim.x) {
        double g = static_cast<double>(grad[k]) * inv;
        s += g * g;
    }
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) {
            part[threadIdx.x] += part[threadIdx.x + w];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        double f = max_norm / (sqrt(part[0]) + 1e-6);
        if (f < 1.0) {
            totals[0] = totals[0] / f;
        }
    }
}

// The EMA of the weights after an update: e = d e + od p, d = d_k and od = 1 - d_k rounded to float on the host
// (the cpu engine's update).
extern "C" __global__ void d4j_ema(float* e, const float* p, int params, float d, float od) {
    long long threads = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; k < params; k += threads) {
        e[k] = d * e[k] + od * p[k];
    }
}
