// Forward processes and training objectives for the training kernel, in double (rounded to float where a network
// reads them), mirroring org.diffusion4j.process and org.diffusion4j.objective:
//
//   x_t = a(t) x0 + s(t) eps
//   ou             a = e^(-lambda t),  s^2 = sigma^2 / (2 lambda) (1 - e^(-2 lambda t)),  t = t_min + u (t_end - t_min)
//   ddpm           a = sqrt(alphaBar_t),  s = sqrt(1 - alphaBar_t),  t = min(T - 1, floor(u T))   (table: alphaBar)
//   gaussian-path  tc = min(t, t_max): a = tc,  s = sqrt(1 - tc),  t = u t_max
//   noise-levels   a = 1,  s = sigma_level,  level = min(L - 1, floor(u L))                    (table: sigma)
//
//   targets        weighted-dsm, score-matching: -eps / s;   epsilon-mse: eps, v = a eps - s x0 or x0 (its prediction);
//                  flow-matching: (1 - r tc) x0 + r x_t,  r = beta'/beta = -1 / (2 (1 - tc))
//   raw weight     weighted-dsm: clamp(s^2, w_min, w_max); others 1
//
// and the double Box-Muller of NoiseStream.boxMuller, which the training minibatch uses.
#ifndef DIFFUSION4J_PROCESS_CUH
#define DIFFUSION4J_PROCESS_CUH

#include "philox.cuh"

namespace d4j {

enum ProcessKind : int { PROC_OU = 0, PROC_DDPM = 1, PROC_PATH = 2, PROC_LEVELS = 3 };
enum ObjectiveKind : int { OBJ_WEIGHTED_DSM = 0, OBJ_EPSILON = 1, OBJ_SCORE = 2, OBJ_FLOW = 3, OBJ_V = 4, OBJ_X0 = 5 };

/** A process: kind, steps (T or L) and parameters; table points to alphaBar (ddpm) or the sigmas (levels). */
struct Proc {
    int kind;
    int steps;
    double lambda, sigma, t_end, t_min, t_max;
    const double* table;
};

/** An objective: kind and, for weighted-dsm, the clamp of the raw weight. */
struct Obj {
    int kind;
    double w_min, w_max;
};

D4J_HD double training_time(const Proc& p, double u) {
    switch (p.kind) {
        case PROC_OU:
            return p.t_min + u * (p.t_end - p.t_min);
        case PROC_PATH:
            return u * p.t_max;
        default: {
            int k = static_cast<int>(u * p.steps);
            return k < p.steps - 1 ? k : p.steps - 1;
        }
    }
}

D4J_HD double clamp_path(const Proc& p, double t) { return t < 0.0 ? 0.0 : (t > p.t_max ? p.t_max : t); }

D4J_HD double signal(const Proc& p, double t) {
    switch (p.kind) {
        case PROC_OU:
            return exp(-p.lambda * t);
        case PROC_DDPM:
            return sqrt(p.table[static_cast<int>(t)]);
        case PROC_PATH:
            return clamp_path(p, t);
        default:
            return 1.0;
    }
}

D4J_HD double noise(const Proc& p, double t) {
    switch (p.kind) {
        case PROC_OU:
            return sqrt(p.sigma * p.sigma / (2.0 * p.lambda) * -expm1(-2.0 * p.lambda * t));
        case PROC_DDPM:
            return sqrt(1.0 - p.table[static_cast<int>(t)]);
        case PROC_PATH:
            return sqrt(1.0 - clamp_path(p, t));
        default:
            return p.table[static_cast<int>(t)];
    }
}

/** The regression target of one coordinate. */
D4J_HD double objective_target(const Obj& o, const Proc& p, double x0, double eps, double t) {
    switch (o.kind) {
        case OBJ_EPSILON:
            return eps;
        case OBJ_V:
            return signal(p, t) * eps - noise(p, t) * x0;
        case OBJ_X0:
            return x0;
        case OBJ_FLOW: {
            double tc = clamp_path(p, t);
            double xt = signal(p, t) * x0 + noise(p, t) * eps;
            double ratio = -0.5 / (1.0 - tc);
            return (1.0 - ratio * tc) * x0 + ratio * xt;
        }
        default:
            return -eps / noise(p, t);
    }
}

D4J_HD double raw_weight(const Obj& o, const Proc& p, double t) {
    if (o.kind != OBJ_WEIGHTED_DSM) {
        return 1.0;
    }
    double s = noise(p, t);
    double w = s * s;
    return w < o.w_min ? o.w_min : (w > o.w_max ? o.w_max : w);
}

/** Box-Muller in double, as NoiseStream.boxMuller: u = w0 2^-32 + 2^-33, v = w1 2pi 2^-32 + pi 2^-32. */
D4J_HD void box_muller_f64(uint32_t w0, uint32_t w1, double& n0, double& n1) {
    const double TWO_PI = 6.283185307179586;
    const double PI = 3.141592653589793;
    double u = noise_uniform(w0);
    double v = static_cast<double>(w1) * (TWO_PI * 0x1.0p-32) + PI * 0x1.0p-32;
    double r = sqrt(-2.0 * log(u));
    n0 = r * sin(v);
    n1 = r * cos(v);
}

}  // namespace d4j

#endif  // DIFFUSION4J_PROCESS_CUH
