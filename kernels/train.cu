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
#include "network.cuh"
#include "philox.cuh"
#include "process.cuh"

/**
 * Samples [first, first + count) of the batch, thread q = sample first + q. grad and tape are sample-minor with
 * `count` columns (element k of sample q at [k * count + q]); grad must be zero. Per sample, rw and rw |r|^2 go to
 * weight[first + q] and residual[first + q].
 */
extern "C" __global__ void d4j_train_chunk(const int* desc, const float* P, const double* data, const int* labels,
                                           const float* values, int points, int proc_kind, int proc_steps, double lambda,
                                           double sigma, double t_end, double t_min, double t_max, const double* table,
                                           int objective, double w_min, double w_max, unsigned long long seed, long long step,
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
    d4j::Words4 w = d4j::noise_words(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(2 * step));
    int j = static_cast<int>(d4j::noise_index(w.x, static_cast<uint32_t>(points)));
    double t = d4j::training_time(proc, d4j::noise_uniform(w.y));
    d4j::Words4 we = d4j::noise_words(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(2 * step + 1));
    double eps[2];
    d4j::box_muller_f64(we.x, we.y, eps[0], eps[1]);
    double a = d4j::signal(proc, t);
    double s = d4j::noise(proc, t);
    double x0[2] = {data[2 * j], data[2 * j + 1]};
    float xt[2];
    float target[2];
    for (int c = 0; c < 2; ++c) {
        xt[c] = static_cast<float>(a * x0[c] + s * eps[c]);
        target[c] = static_cast<float>(d4j::objective_target(obj, proc, x0[c], eps[c], t));
    }
    double rw = d4j::raw_weight(obj, proc, t);
    d4j::Cond cond{labels != nullptr ? labels[j] : 0, values != nullptr ? values[j] : 0.0f};
    d4j::Strided tp{tape + q, count};
    d4j::TapeLayout L = d4j::tape_layout(net);
    d4j::Strided tt = tp.at(L.total);
    d4j::net_time_terms(net, P, static_cast<float>(t), tp.at(L.f), tp.at(L.time_pre), tt);
    float f[2];
    d4j::net_forward(net, P, xt[0], xt[1], cond, tt, tp, f);
    float r0 = f[0] - target[0];
    float r1 = f[1] - target[1];
    float dOut[2] = {static_cast<float>(rw * r0), static_cast<float>(rw * r1)};
    d4j::net_backward(net, P, static_cast<float>(t), cond, tp, dOut, d4j::Strided{grad + q, count});
    weight[i] = rw;
    residual[i] = rw * (static_cast<double>(r0) * r0 + static_cast<double>(r1) * r1);
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
