// One training step's loss and gradient, launched by org.diffusion4j.engine.cuda.TrainKernel. With the noise layout
// of TrainingSetup and the loss of ReferenceLoss:
//
//   sample i of step k:  (w0, w1) = words(seed, i, 2k):  x0 = data[index(w0, n)],  t = trainingTime(uniform(w1))
//                        eps = double Box-Muller of words(seed, i, 2k + 1)
//                        x_t = a(t) x0 + s(t) eps,  target, raw weight rw_i  (process.cuh, double, then float)
//   L       = sum_i rw_i |f_i - target_i|^2 / (2 sum_i rw_i)       (weights normalised to mean 1)
//   dL/df_i = rw_i (f_i - target_i) / sum_i rw_i
//
// Launches per step: d4j_train_chunk (noising, time terms, forward, loss, backward of every sample of a chunk into
// its own gradient column), d4j_reduce_gradient (the chunk's columns summed in a fixed order, added to the step's
// gradient), repeated per chunk of the batch; then d4j_reduce_loss (sum rw and sum rw |r|^2, fixed order). The
// 1 / sum rw scale is applied by the Adam kernel. Nothing depends on thread scheduling: the result is the same on
// every run.
#include "train_sample.cuh"

/**
 * Samples [first, first + count) of the batch, thread q = sample first + q. grad and tape are sample-minor with
 * `count` columns (element k of sample q at [k * count + q]); grad must be zero. Per sample, rw and rw |r|^2 go to
 * weight[first + q] and residual[first + q].
 */
extern "C" __global__ void d4j_train_chunk(const int* desc, const float* P, const double* data, const int* labels,
                                           const float* values, int points, int proc_kind, int proc_steps, double lambda,
                                           double sigma, double t_end, double t_min, double t_max, const double* table,
                                           int objective, double w_min, double w_max, double dropout, unsigned long long seed,
                                           long long step,
                                           int first, int count, float* tape, float* grad, double* weight, double* residual) {
    __shared__ d4j::Net net;
    if (threadIdx.x < d4j::NET_INTS) {
        reinterpret_cast<int*>(&net)[threadIdx.x] = desc[threadIdx.x];
    }
    __syncthreads();
    int q = blockIdx.x * blockDim.x + threadIdx.x;
    if (q >= count) {
        return;
    }
    long long i = static_cast<long long>(first) + q;
    d4j::Proc proc{proc_kind, proc_steps, lambda, sigma, t_end, t_min, t_max, table};
    d4j::Obj obj{objective, w_min, w_max};
    d4j::train_sample(net, P, data, labels, values, points, proc, obj, seed, step, i, dropout, d4j::Strided{tape + q, count},
                      d4j::Strided{grad + q, count}, weight[i], residual[i]);
}

/**
 * out[k] (+)= sum over the `count` columns of grad row k, one warp per parameter: lanes take columns lane, lane + 32,
 * ..., then a fixed shuffle tree. accumulate = 0 for the first chunk of a step.
 */
extern "C" __global__ void d4j_reduce_gradient(const float* grad, int params, int count, int accumulate, float* out) {
    long long warp = (static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
    int lane = threadIdx.x & 31;
    long long warps = static_cast<long long>(gridDim.x) * blockDim.x / 32;
    for (long long k = warp; k < params; k += warps) {
        const float* row = grad + k * count;
        float s = 0.0f;
        for (int c = lane; c < count; c += 32) {
            s += row[c];
        }
        for (int offset = 16; offset > 0; offset >>= 1) {
            s += __shfl_down_sync(0xffffffffu, s, offset);
        }
        if (lane == 0) {
            out[k] = accumulate ? out[k] + s : s;
        }
    }
}

/** One block: totals[0] = sum weight, totals[1] = sum residual over the batch, in a fixed order. */
extern "C" __global__ void d4j_reduce_loss(const double* weight, const double* residual, int batch, double* totals) {
    __shared__ double sw[256];
    __shared__ double sr[256];
    double a = 0.0;
    double b = 0.0;
    for (int i = threadIdx.x; i < batch; i += blockDim.x) {
        a += weight[i];
        b += residual[i];
    }
    sw[threadIdx.x] = a;
    sr[threadIdx.x] = b;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) {
            sw[threadIdx.x] += sw[threadIdx.x + half];
            sr[threadIdx.x] += sr[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        totals[0] = sw[0];
        totals[1] = sr[0];
    }
}
