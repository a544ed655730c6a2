// Host tests of kernels/philox.cuh: Random123 known answers, the (seed, particle, step) layout against words
// from the Java NoiseStream, and the pinned float Box-Muller. Plain C++17, no framework; exit status 1 on failure.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "philox.cuh"

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const char* what, int index) {
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAIL %s [%d]\n", what, index);
    }
}

// Random123 kat_vectors, philox4x32 with 10 rounds: counter, key, expected.
struct Kat {
    uint32_t c[4];
    uint32_t k[2];
    uint32_t expected[4];
};

const Kat KATS[] = {
    {{0u, 0u, 0u, 0u}, {0u, 0u}, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}},
    {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0xffffffffu, 0xffffffffu},
     {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}},
    {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, {0xa4093822u, 0x299f31d0u},
     {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}},
};

// (seed, particle, step) -> words and float normals, printed by the Java side:
//   mvn -q test-compile
//   java -cp target/classes:target/test-classes:<commons-rng-core jar>:<commons-rng-client-api jar>
//       org.diffusion4j.rng.NativeVectorsTest
// (NoiseStream.words and NoiseStream.normalsF32; NativeVectorsTest also checks these words against Commons RNG).
struct Vector {
    uint64_t seed, particle, step;
    uint32_t words[4];
    float normals[4];
};

const Vector VECTORS[] = {
    {0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000000ull, {0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
     {-0x1.d96d5ap-1f, 0x1.fb7668p-1f, -0x1.eda36ep-2f, -0x1.3c373ap-1f}},
    {0x000000000000002aull, 0x0000000000000000ull, 0x0000000000000000ull, {0x9ceaf053u, 0x77f5493bu, 0x12bf50adu, 0x5742b3d7u},
     {0x1.8d59c4p-3f, -0x1.f0bcb8p-1f, 0x1.ec8674p0f, -0x1.3c51acp0f}},
    {0x000000000000002aull, 0x0000000000000001ull, 0x0000000000000000ull, {0x02933769u, 0x2051e913u, 0x3b68b038u, 0xb62c409cu},
     {0x1.14a7e6p1f, 0x1.10582cp1f, -0x1.a8e594p0f, -0x1.a211bcp-2f}},
    {0x000000000000002aull, 0x0000000000000000ull, 0x0000000000000001ull, {0xfcdb2127u, 0x53ba6cfdu, 0x838f5a6eu, 0x744e06fbu},
     {0x1.1cf426p-3f, -0x1.2bc066p-4f, 0x1.4e85f8p-2f, -0x1.1b4e68p0f}},
    {0x0123456789abcdefull, 0x00000000075bcd15ull, 0x000000003ade68b1ull, {0xd69446b2u, 0xbb1e36f9u, 0x0efa770du, 0x7dbc4ddcu},
     {-0x1.2e042cp-1f, -0x1.22e5ep-4f, 0x1.0f1006p-3f, -0x1.3082f2p1f}},
    {0xffffffffffffffffull, 0x0000010000000003ull, 0x0000000200000001ull, {0xddda0a53u, 0xe637ff75u, 0x7de35153u, 0x64406d86u},
     {-0x1.440b42p-2f, 0x1.b9dc62p-2f, 0x1.801386p-1f, -0x1.d9f01ep-1f}},
    {0x00000000000007e8ull, 0x00000000000f4240ull, 0x00000000000000c7ull, {0x3f8f13a5u, 0xee8fe266u, 0xc22f5ebdu, 0xa79c28fbu},
     {-0x1.62b8cep-1f, 0x1.84c908p0f, -0x1.3a7612p-1f, -0x1.acff16p-2f}},
};

// Both sides round the same float u and v (same fma, same constants). With ulp(x) <= FLT_EPSILON |x|: r differs
// by at most 1 ulp (logf within 1 ulp, sqrt correctly rounded), sin/cos by at most 2 ulps of 1 (CUDA's sinf/cosf
// bound; glibc and Java's double-then-round are within 1), and the product adds half an ulp, so a normal of the
// pair moves by at most (1 + 2 + 0.5) FLT_EPSILON r, r the pair's radius: the tolerance is 4 FLT_EPSILON r.
// (On x86-64 glibc the seven vectors below agree bit for bit.)
bool normalsClose(const float* got, const float* expected) {
    for (int pair = 0; pair < 2; ++pair) {
        float a = expected[2 * pair];
        float b = expected[2 * pair + 1];
        double r = std::sqrt(static_cast<double>(a) * a + static_cast<double>(b) * b);
        double tol = 4.0 * FLT_EPSILON * r;
        for (int j = 0; j < 2; ++j) {
            int i = 2 * pair + j;
            if (!(std::fabs(static_cast<double>(got[i]) - expected[i]) <= tol)) {
                std::printf("  normal %d: got %a expected %a (tolerance %g)\n", i, got[i], expected[i], tol);
                return false;
            }
        }
    }
    return true;
}

}  // namespace

int main() {
    int i = 0;
    for (const Kat& kat : KATS) {
        d4j::Words4 c = {kat.c[0], kat.c[1], kat.c[2], kat.c[3]};
        d4j::Words4 out = d4j::philox4x32_10(c, kat.k[0], kat.k[1]);
        check(out.x == kat.expected[0] && out.y == kat.expected[1] && out.z == kat.expected[2]
                  && out.w == kat.expected[3], "philox4x32_10 kat", i);
        // the same vector through the layout: seed = key, step = counter (x, y), particle = counter (z, w)
        uint64_t seed = kat.k[0] | (static_cast<uint64_t>(kat.k[1]) << 32);
        uint64_t step = kat.c[0] | (static_cast<uint64_t>(kat.c[1]) << 32);
        uint64_t particle = kat.c[2] | (static_cast<uint64_t>(kat.c[3]) << 32);
        d4j::Words4 w = d4j::noise_words(seed, particle, step);
        check(w.x == kat.expected[0] && w.y == kat.expected[1] && w.z == kat.expected[2] && w.w == kat.expected[3],
              "noise_words kat", i);
        ++i;
    }

    i = 0;
    for (const Vector& v : VECTORS) {
        d4j::Words4 w = d4j::noise_words(v.seed, v.particle, v.step);
        check(w.x == v.words[0] && w.y == v.words[1] && w.z == v.words[2] && w.w == v.words[3],
              "noise_words java vector", i);
        float normals[4];
        d4j::noise_normals_f32(v.seed, v.particle, v.step, normals);
        check(normalsClose(normals, v.normals), "noise_normals_f32 java vector", i);
        ++i;
    }

    // uniforms: exact at both end words; indices cover [0, n)
    check(d4j::noise_uniform(0u) == 0x1.0p-33, "uniform(0) = 2^-33", 0);
    check(d4j::noise_uniform(0xffffffffu) == 1.0 - 0x1.0p-33, "uniform(2^32 - 1) = 1 - 2^-33", 0);
    check(d4j::noise_index(0xffffffffu, 11u) == 10u && d4j::noise_index(0u, 11u) == 0u
              && d4j::noise_index(0x80000000u, 8u) == 4u, "noise_index", 0);

    // the float constants are the double values rounded once, as on the Java side
    check(d4j::TWO_PI_M32_F == static_cast<float>(2.0 * M_PI * 0x1.0p-32), "2 pi 2^-32 constant", 0);
    check(d4j::PI_M32_F == static_cast<float>(M_PI * 0x1.0p-32), "pi 2^-32 constant", 0);

    // Box-Muller at the extreme words: finite; the largest radius is sqrt(-2 ln 2^-33) = sqrt(66 ln 2)
    float n0, n1;
    d4j::box_muller_f32(0u, 0u, n0, n1);
    double r = std::sqrt(static_cast<double>(n0) * n0 + static_cast<double>(n1) * n1);
    check(std::fabs(r - std::sqrt(66.0 * std::log(2.0))) <= 4.0 * FLT_EPSILON * r, "largest Box-Muller radius", 0);
    d4j::box_muller_f32(0xffffffffu, 0xffffffffu, n0, n1);
    check(std::isfinite(n0) && std::isfinite(n1) && std::fabs(n0) < 1e-3f && std::fabs(n1) < 1e-3f,
          "Box-Muller at u -> 1 is finite and near 0", 0);

    // moments over many draws: mean 0 and variance 1 within 5 standard errors (1/sqrt(N), sqrt(2/N))
    const int draws = 250000;
    double sum = 0, sumSq = 0;
    for (int p = 0; p < draws; ++p) {
        float out[4];
        d4j::noise_normals_f32(7u, static_cast<uint64_t>(p), 0u, out);
        for (float x : out) {
            sum += x;
            sumSq += static_cast<double>(x) * x;
        }
    }
    double count = 4.0 * draws;
    double mean = sum / count;
    check(std::fabs(mean) <= 5.0 / std::sqrt(count), "normal mean", 0);
    check(std::fabs(sumSq / count - mean * mean - 1.0) <= 5.0 * std::sqrt(2.0 / count), "normal variance", 0);

    std::printf("%s: %d checks, %d failures\n", failures == 0 ? "PASS" : "FAIL", checks, failures);
    return failures == 0 ? 0 : 1;
}
