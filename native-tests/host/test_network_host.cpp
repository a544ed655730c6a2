// Host tests of kernels/network.cuh, activations.cuh, process.cuh and sampler.cuh: the device code compiled for the
// host and checked against the reference engine's vectors (native-tests/vectors/network.txt, written by
// NetworkVectorsTest) and against values computed here by hand. Plain C++17; exit status 1 on failure.
//
// Tolerances: float32 through at most five layers of width <= 16 against double: outputs within
// 2e-5 (1 + |ref|), gradients within 5e-5 max(1, max |ref grad|) per network and sample (observed errors are about
// ten times smaller).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "activations.cuh"
#include "network.cuh"
#include "process.cuh"
#include "sampler.cuh"
#include "../common/network_vectors.h"

namespace {

int failures = 0;
int checks = 0;

void check(bool ok, const std::string& what) {
    ++checks;
    if (!ok) {
        ++failures;
        std::printf("FAIL %s\n", what.c_str());
    }
}

/** Every network of the vector file: time terms, forward and backward against the reference. */
void network_vectors(const std::string& path) {
    std::vector<d4jtest::Network> all = d4jtest::read_network_vectors(path);
    check(!all.empty(), "cannot read " + path + " (set D4J_VECTORS)");
    for (const d4jtest::Network& n : all) {
        const d4j::Net& net = n.net;
        check(static_cast<int>(n.params.size()) == net.params, n.name + ": descriptor params");
        d4j::TapeLayout L = d4j::tape_layout(net);
        check(net.tape == L.total + net.time_width, n.name + ": descriptor tape size equals tape_layout + time terms");
        int s = 0;
        for (const d4jtest::Sample& v : n.samples) {
            std::vector<float> tape(net.tape, 0.0f);
            std::vector<float> grad(net.params, 0.0f);
            d4j::Strided tp{tape.data(), 1};
            d4j::Strided tt = tp.at(L.total);
            d4j::Cond cond{v.label, v.value};
            d4j::net_time_terms(net, n.params.data(), v.t, tp.at(L.f), tp.at(L.time_pre), tt);
            float out[2];
            d4j::net_forward(net, n.params.data(), v.x, v.y, cond, tt, tp, out);
            char buf[256];
            std::snprintf(buf, sizeof buf, "%s sample %d: out (%.9g, %.9g) vs reference (%.9g, %.9g)", n.name.c_str(), s, out[0], out[1],
                          v.out[0], v.out[1]);
            check(d4jtest::output_close(out, v), buf);
            d4j::net_backward(net, n.params.data(), v.t, cond, tp, v.d_out, d4j::Strided{grad.data(), 1});
            double tolerance;
            int at;
            double worst = d4jtest::gradient_error(grad.data(), v, tolerance, at);
            std::snprintf(buf, sizeof buf, "%s sample %d: gradient error %.3g at parameter %d, tolerance %.3g", n.name.c_str(), s, worst, at,
                          tolerance);
            check(worst <= tolerance, buf);
            ++s;
        }
    }
}

/** Activations and their derivatives against their formulas and central differences. */
void activations() {
    const float zs[] = {-30.0f, -3.0f, -0.5f, 0.25f, 2.0f, 19.0f, 25.0f};
    for (float z : zs) {
        double s = 1.0 / (1.0 + std::exp(-static_cast<double>(z)));
        check(std::fabs(d4j::activate(d4j::ACT_RELU, z) - (z > 0 ? z : 0)) == 0, "relu");
        check(std::fabs(d4j::activate(d4j::ACT_SILU, z) - z * s) <= 1e-6 * (1 + std::fabs(z)), "silu " + std::to_string(z));
        double sp = z > 20 ? z : std::log1p(std::exp(static_cast<double>(z)));
        check(std::fabs(d4j::activate(d4j::ACT_SOFTPLUS, z) - sp) <= 1e-6 * (1 + sp), "softplus " + std::to_string(z));
        check(std::fabs(d4j::activate_derivative(d4j::ACT_SILU, z) - s * (1 + z * (1 - s))) <= 1e-6, "silu' " + std::to_string(z));
        check(std::fabs(d4j::activate_derivative(d4j::ACT_SOFTPLUS, z) - (z > 20 ? 1.0 : s)) <= 1e-6, "softplus' " + std::to_string(z));
        check(d4j::activate_derivative(d4j::ACT_RELU, z) == (z > 0 ? 1.0f : 0.0f), "relu'");
    }
}

/**
 * One particle's DDPM step and Euler-Maruyama step, by hand. DDPM at t with beta = 0.02, alphaBar = 0.5:
 * x' = (x - beta / sqrt(1 - alphaBar) eps) / sqrt(1 - beta) + sqrt(beta) z, eps = -sqrt(1 - alphaBar) score.
 * OU reverse SDE (lambda 0.5, sigma 0.5, h 0.01): x' = x + h (lambda x + sigma^2 score) + sigma sqrt(h) z.
 */
void sampler_steps() {
    double beta = 0.02, alphaBar = 0.5, x = 0.7, eps = -1.3, z = 0.4;
    double score = -eps / std::sqrt(1 - alphaBar);
    double expected = (x - beta / std::sqrt(1 - alphaBar) * eps) / std::sqrt(1 - beta) + std::sqrt(beta) * z;
    d4j::Update u{};
    u.cx = static_cast<float>(1 / std::sqrt(1 - beta));
    u.cs = static_cast<float>(beta / std::sqrt(1 - beta));
    u.cz = static_cast<float>(std::sqrt(beta));
    float got = d4j::euler_update(u, static_cast<float>(x), static_cast<float>(score), 0.0f, static_cast<float>(z));
    check(std::fabs(got - expected) <= 1e-6, "ddpm step: " + std::to_string(got) + " vs " + std::to_string(expected));
    double lambda = 0.5, sigma = 0.5, h = 0.01, s2 = -2.1;
    expected = x + h * (lambda * x + sigma * sigma * s2) + sigma * std::sqrt(h) * z;
    d4j::Update e{};
    e.cx = static_cast<float>(1 + h * lambda);
    e.cs = static_cast<float>(h * sigma * sigma);
    e.cz = static_cast<float>(sigma * std::sqrt(h));
    got = d4j::euler_update(e, static_cast<float>(x), static_cast<float>(s2), 0.0f, static_cast<float>(z));
    check(std::fabs(got - expected) <= 1e-6, "euler-maruyama step: " + std::to_string(got) + " vs " + std::to_string(expected));
    // Heun on dx/dt = -x over h = 0.1 from x = 1: x' = 1 - h + h^2 / 2 = 0.905
    float d1 = d4j::heun_slope(-1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f);
    float p = 1.0f + 0.1f * d1;
    float d2 = d4j::heun_slope(-1.0f, 0.0f, 0.0f, p, 0.0f, 0.0f);
    check(std::fabs(1.0f + 0.05f * (d1 + d2) - 0.905f) <= 1e-6, "heun step");
}

/** Process and objective formulas against values computed by hand. */
void processes() {
    d4j::Proc ou{d4j::PROC_OU, 500, 0.5, 0.5, 1.0, 1e-5, 0, nullptr};
    check(std::fabs(d4j::signal(ou, 1.0) - std::exp(-0.5)) <= 1e-15, "ou signal");
    check(std::fabs(d4j::noise(ou, 1.0) - std::sqrt(0.25 * (1 - std::exp(-1.0)))) <= 1e-15, "ou noise");
    check(d4j::training_time(ou, 0.5) == 1e-5 + 0.5 * (1.0 - 1e-5), "ou training time");
    const double ab[3] = {0.9, 0.6, 0.25};
    d4j::Proc ddpm{d4j::PROC_DDPM, 3, 0, 0, 0, 0, 0, ab};
    check(d4j::training_time(ddpm, 0.999) == 2 && d4j::training_time(ddpm, 0.34) == 1, "ddpm training time");
    check(d4j::signal(ddpm, 2) == std::sqrt(0.25) && d4j::noise(ddpm, 2) == std::sqrt(0.75), "ddpm marginal");
    d4j::Proc path{d4j::PROC_PATH, 300, 0, 0, 0, 0, 0.999, nullptr};
    d4j::Obj flow{d4j::OBJ_FLOW, 0, 0};
    // t = 0.5: x_t = 0.5 x0 + sqrt(0.5) eps, r = -1, target = (1 + 0.5) x0 - x_t
    double x0 = 0.8, e = -0.3;
    double xt = 0.5 * x0 + std::sqrt(0.5) * e;
    check(std::fabs(d4j::objective_target(flow, path, x0, e, 0.5) - (1.5 * x0 - xt)) <= 1e-15, "flow-matching target");
    d4j::Obj dsm{d4j::OBJ_WEIGHTED_DSM, 1e-3, 10.0};
    check(std::fabs(d4j::objective_target(dsm, ou, x0, e, 1.0) + e / d4j::noise(ou, 1.0)) <= 1e-15, "dsm target");
    check(std::fabs(d4j::raw_weight(dsm, ou, 1.0) - 0.25 * (1 - std::exp(-1.0))) <= 1e-15, "dsm weight");
    check(d4j::raw_weight(dsm, ou, 1e-9) == 1e-3, "dsm weight clamp");
}

}  // namespace

int main(int argc, char** argv) {
    (void) argc;
    network_vectors(d4jtest::vectors_path(argv[0]));
    activations();
    sampler_steps();
    processes();
    std::printf("%s: %d checks, %d failures\n", failures == 0 ? "PASS" : "FAIL", checks, failures);
    return failures == 0 ? 0 : 1;
}
