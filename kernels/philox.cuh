// Philox4x32-10 and the noise stream of diffusion4j, shared by the CUDA kernels and host code.
//
// The device twin of org.diffusion4j.rng.Philox and org.diffusion4j.rng.NoiseStream:
//
//   key     = (seed & 0xffffffff, seed >> 32)
//   counter = (step & 0xffffffff, step >> 32, particle & 0xffffffff, particle >> 32)
//   words   = philox4x32_10(counter, key)
//
// which is the layout of cuRAND's curand_init(seed, subsequence = particle, offset = 4 * step).
// Words must match the Java side exactly; float normals agree to float rounding (the Box-Muller arithmetic
// is pinned: word rounded to float, the affine maps as single fmas with the same float constants).
//
// Compiles as CUDA (nvcc) and as plain C++17 (g++): without __CUDACC__ the functions are host-only inline.
#ifndef DIFFUSION4J_PHILOX_CUH
#define DIFFUSION4J_PHILOX_CUH

#include <stdint.h>

#ifdef __CUDACC__
#define D4J_HD __host__ __device__ __forceinline__
#else
#include <cmath>
#define D4J_HD inline
#endif

namespace d4j {

/** Four 32-bit words: a Philox counter or a Philox output block. */
struct Words4 {
    uint32_t x, y, z, w;
};

/** Round multipliers and Weyl key increments of Philox4x32. */
constexpr uint32_t PHILOX_M0 = 0xD2511F53u;
constexpr uint32_t PHILOX_M1 = 0xCD9E8D57u;
constexpr uint32_t PHILOX_W0 = 0x9E3779B9u;
constexpr uint32_t PHILOX_W1 = 0xBB67AE85u;

/** Box-Muller constants as float, equal to NoiseStream's: 2^-32, 2^-33, (float)(2 pi 2^-32), (float)(pi 2^-32). */
constexpr float TWO_POW_M32_F = 0x1.0p-32f;
constexpr float TWO_POW_M33_F = 0x1.0p-33f;
constexpr float TWO_PI_M32_F = 0x1.921fb6p-30f;
constexpr float PI_M32_F = 0x1.921fb6p-31f;

/** (hi, lo) = a * b as a 64-bit product. */
D4J_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
#ifdef __CUDA_ARCH__
    lo = a * b;
    hi = __umulhi(a, b);
#else
    uint64_t p = static_cast<uint64_t>(a) * b;
    hi = static_cast<uint32_t>(p >> 32);
    lo = static_cast<uint32_t>(p);
#endif
}

/**
 * One Philox round: (hi0, lo0) = M0 c.x, (hi1, lo1) = M1 c.z, c' = (hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0).
 */
D4J_HD Words4 philox_round(Words4 c, uint32_t k0, uint32_t k1) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(PHILOX_M0, c.x, hi0, lo0);
    mulhilo32(PHILOX_M1, c.z, hi1, lo1);
    Words4 out = {hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
    return out;
}

/** philox4x32_10(counter, key): ten rounds, the key bumped by (W0, W1) between rounds. */
D4J_HD Words4 philox4x32_10(Words4 counter, uint32_t k0, uint32_t k1) {
#ifdef __CUDA_ARCH__
#pragma unroll
#endif
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        counter = philox_round(counter, k0, k1);
    }
    return counter;
}

/** The four words of (seed, particle, step): key = seed, counter = (step, particle) as 64-bit halves. */
D4J_HD Words4 noise_words(uint64_t seed, uint64_t particle, uint64_t step) {
    Words4 counter = {static_cast<uint32_t>(step), static_cast<uint32_t>(step >> 32),
                      static_cast<uint32_t>(particle), static_cast<uint32_t>(particle >> 32)};
    return philox4x32_10(counter, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

/** A word as a uniform on (0, 1): w 2^-32 + 2^-33, exact in double (curand_uniform's map). */
D4J_HD double noise_uniform(uint32_t word) {
    return static_cast<double>(word) * 0x1.0p-32 + 0x1.0p-33;
}

/** A word as an index in [0, n): floor(w n / 2^32), exact. */
D4J_HD uint32_t noise_index(uint32_t word, uint32_t n) {
    return static_cast<uint32_t>((static_cast<uint64_t>(word) * n) >> 32);
}

/** An unsigned word rounded to the nearest float (__uint2float_rn). */
D4J_HD float word_to_float(uint32_t word) {
#ifdef __CUDA_ARCH__
    return __uint2float_rn(word);
#else
    return static_cast<float>(word);
#endif
}

D4J_HD float fma_f(float a, float b, float c) {
#ifdef __CUDA_ARCH__
    return __fmaf_rn(a, b, c);
#else
    return std::fma(a, b, c);
#endif
}

/**
 * Box-Muller in float, pinned as NoiseStream.boxMullerF32:
 *   u = fma(float(w0), 2^-32, 2^-33),  v = fma(float(w1), 2pi 2^-32, pi 2^-32),  r = sqrt(-2 ln u)
 *   n0 = r sin v,  n1 = r cos v.
 * ln, sin, cos are the accurate float functions (not the __logf/__sinf intrinsics), within a few ulps of the
 * Java side, which evaluates them in double and rounds once.
 */
D4J_HD void box_muller_f32(uint32_t w0, uint32_t w1, float& n0, float& n1) {
    float u = fma_f(word_to_float(w0), TWO_POW_M32_F, TWO_POW_M33_F);
    float v = fma_f(word_to_float(w1), TWO_PI_M32_F, PI_M32_F);
    float r = sqrtf(-2.0f * logf(u));
    n0 = r * sinf(v);
    n1 = r * cosf(v);
}

/** Four standard normals of (seed, particle, step): Box-Muller on (w0, w1) and on (w2, w3). */
D4J_HD void noise_normals_f32(uint64_t seed, uint64_t particle, uint64_t step, float out[4]) {
    Words4 w = noise_words(seed, particle, step);
    box_muller_f32(w.x, w.y, out[0], out[1]);
    box_muller_f32(w.z, w.w, out[2], out[3]);
}

}  // namespace d4j

#endif  // DIFFUSION4J_PHILOX_CUH
