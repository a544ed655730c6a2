// One training sample's share of a step, the body of d4j_train_chunk (train.cu), for the device and the host (the
// native host tests run it against the reference engine's loss and gradient, native-tests/vectors/training.txt):
//
//   (w0, w1) = words(seed, i, 2k):  x0 = data[index(w0, n)],  t = trainingTime(uniform(w1))
//   eps = double Box-Muller of words(seed, i, 2k + 1);  x_t = a(t) x0 + s(t) eps;  target, raw weight rw (process.cuh)
//   the null condition when uniform(w2) < label dropout (classifier-free guidance)
//   weight = rw,  residual = rw |f - target|^2,  gradient column += d(rw (f - target) . f)/dP
#ifndef DIFFUSION4J_TRAIN_SAMPLE_CUH
#define DIFFUSION4J_TRAIN_SAMPLE_CUH

#include "network.cuh"
#include "philox.cuh"
#include "process.cuh"

namespace d4j {

/** Sample i of optimizer step `step`: tape and grad are its views (grad zero on entry). */
D4J_HD void train_sample(const Net& net, const float* P, const double* data, const int* labels, const float* values, int points,
                         const Proc& proc, const Obj& obj, unsigned long long seed, long long step, long long i, double dropout,
                         const Strided& tp, const Strided& grad, double& weight, double& residual) {
    Words4 w = noise_words(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(2 * step));
    int j = static_cast<int>(noise_index(w.x, static_cast<uint32_t>(points)));
    double t = training_time(proc, noise_uniform(w.y));
    Words4 we = noise_words(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(2 * step + 1));
    double eps[2];
    box_muller_f64(we.x, we.y, eps[0], eps[1]);
    double a = signal(proc, t);
    double s = noise(proc, t);
    double x0[2] = {data[2 * j], data[2 * j + 1]};
    float xt[2];
    float target[2];
    for (int c = 0; c < 2; ++c) {
        xt[c] = static_cast<float>(a * x0[c] + s * eps[c]);
        target[c] = static_cast<float>(objective_target(obj, proc, x0[c], eps[c], t));
    }
    double rw = raw_weight(obj, proc, t);
    Cond cond{labels != nullptr ? labels[j] : 0, values != nullptr ? values[j] : 0.0f};
    if (dropout > 0.0 && noise_uniform(w.z) < dropout) {
        cond = Cond{-1, 0.0f / 0.0f};  // label dropout: the null condition of classifier-free guidance
    }
    TapeLayout L = tape_layout(net);
    Strided tt = tp.at(L.total);
    net_time_terms(net, P, static_cast<float>(t), tp.at(L.f), tp.at(L.time_pre), tt);
    float f[2];
    net_forward(net, P, xt[0], xt[1], cond, tt, tp, f);
    float r0 = f[0] - target[0];
    float r1 = f[1] - target[1];
    float dOut[2] = {static_cast<float>(rw * r0), static_cast<float>(rw * r1)};
    net_backward(net, P, static_cast<float>(t), cond, tp, dOut, grad);
    weight = rw;
    residual = rw * (static_cast<double>(r0) * r0 + static_cast<double>(r1) * r1);
}

}  // namespace d4j

#endif  // DIFFUSION4J_TRAIN_SAMPLE_CUH
