// Adam / AdamW in float, launched by org.diffusion4j.engine.cuda.AdamKernel; the update of ReferenceOptimizer:
//
//   g = grad / sum_rw                        (the loss normalisation of train.cu: totals[0] = sum of raw weights)
//   p = p d,  d = 1 - lr wd for AdamW, 1 for Adam
//   m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
//   p = p - lr (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - b1^k,  c2 = 1 - b2^k  (computed on the host in double)

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
