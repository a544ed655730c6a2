// One sampler update of one particle, the arithmetic every sampler of diffusion4j reduces to. The coefficients of
// each update come from org.diffusion4j.engine.SamplingPlan (computed in double on the host, rounded to float),
// with S the score and U the velocity at the update's field time and z ~ N(0, I):
//
//   Euler-type   x' = cx x + cs S(x) + cu U(x) + cz z
//   Heun         d1 = kx x + ks S(x) + ku U(x),  p = x + h d1,
//                d2 = kx' p + ks' S(p) + ku' U(p),  x' = x + h / 2 (d1 + d2)
//
//   ddpm         cx = 1 / sqrt(alpha_t), cs = beta_t / sqrt(alpha_t), cz = sigma_t (0 at t = 0)
//   reverse-sde  cx = 1 + h k(t), cs = h g(t)^2, cz = g(t) sqrt(h)          (Euler-Maruyama; h = 1 on DDPM)
//   pf-euler     cx = 1 + h k(t), cs = h g(t)^2 / 2;   flow ODE: cx = 1, cu = h
//   langevin-flow  cx = 1, cu = h, cs = h sigma^2 / 2, cz = sigma sqrt(h)
//   annealed     cx = 1, cs = a_i / 2, cz = sqrt(a_i)
//   ddim         cx = a' / a, cs = a' s^2 / a - s sqrt(s'^2 - sig^2), cz = sig
//
// A plan that keeps state (SamplingPlan.keeps: DPM-Solver++(2M)'s previous data prediction) holds one 2-vector m per
// particle, 0 at the start: the Euler-type update adds cp m, then sets m = mx x + ms S from that update's x and S.
#ifndef DIFFUSION4J_SAMPLER_CUH
#define DIFFUSION4J_SAMPLER_CUH

#include "philox.cuh"

namespace d4j {

/** One update's coefficients: 20 four-byte fields, the layout SamplingPlan's device table writes. */
struct Update {
    float cx, cs, cu, cz;
    int heun;
    float h, kx, ks, ku, kx_next, ks_next, ku_next;
    int slot, slot_next;
    float cp, mx, ms;
    int reserved0, reserved1, reserved2;
};

static_assert(sizeof(Update) == 80, "Update must be 20 four-byte fields");

/** x' = cx x + cs S + cu U + cz z for one coordinate (terms whose coefficient is 0 are skipped). */
D4J_HD float euler_update(const Update& u, float x, float score, float velocity, float z) {
    float v = u.cx * x;
    if (u.cs != 0.0f) {
        v = fmaf(u.cs, score, v);
    }
    if (u.cu != 0.0f) {
        v = fmaf(u.cu, velocity, v);
    }
    if (u.cz != 0.0f) {
        v = fmaf(u.cz, z, v);
    }
    return v;
}

/** The kept memory of one coordinate: returns x' + cp m for the update's x' and sets m = mx x + ms S. */
D4J_HD float memory_update(const Update& u, float next, float x, float score, float& m) {
    float v = fmaf(u.cp, m, next);
    m = fmaf(u.mx, x, u.ms * score);
    return v;
}

/** Heun's first slope d1 = kx x + ks S + ku U. */
D4J_HD float heun_slope(float kx, float ks, float ku, float x, float score, float velocity) {
    float d = kx * x;
    if (ks != 0.0f) {
        d = fmaf(ks, score, d);
    }
    if (ku != 0.0f) {
        d = fmaf(ku, velocity, d);
    }
    return d;
}

}  // namespace d4j

#endif  // DIFFUSION4J_SAMPLER_CUH
