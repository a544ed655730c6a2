// Reads native-tests/vectors/network.txt (written by NetworkVectorsTest from the reference engine): per network its
// descriptor and parameters, per sample its inputs, the output gradient it backpropagates, and the reference output
// and parameter gradient in double. Shared by the host and the device tests of kernels/network.cuh.
#ifndef DIFFUSION4J_NETWORK_VECTORS_H
#define DIFFUSION4J_NETWORK_VECTORS_H

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "network.cuh"

namespace d4jtest {

struct Sample {
    float x, y, t;
    int label;
    float value;
    float d_out[2];
    double out[2];
    std::vector<double> grad;
};

struct Network {
    std::string name;
    d4j::Net net;
    std::vector<float> params;
    std::vector<Sample> samples;
};

inline float bits_to_float(const std::string& hex) {
    uint32_t b = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    float f;
    std::memcpy(&f, &b, 4);
    return f;
}

/** The vector file next to the test binary's folder (build/../vectors), or $D4J_VECTORS. */
inline std::string vectors_path(const char* argv0) {
    const char* env = std::getenv("D4J_VECTORS");
    if (env != nullptr) {
        return env;
    }
    std::string self(argv0);
    std::size_t slash = self.rfind('/');
    std::string dir = slash == std::string::npos ? "." : self.substr(0, slash);
    return dir + "/../vectors/network.txt";
}

/** Every network of the file; an empty list when it cannot be read. */
inline std::vector<Network> read_network_vectors(const std::string& path) {
    std::vector<Network> all;
    std::ifstream in(path);
    if (!in) {
        return all;
    }
    std::string line, word;
    std::getline(in, line);
    int networks = 0;
    in >> word >> networks;
    for (int c = 0; c < networks; ++c) {
        Network n;
        in >> word >> n.name >> word;
        int* raw = reinterpret_cast<int*>(&n.net);
        for (int k = 0; k < d4j::NET_INTS; ++k) {
            in >> raw[k];
        }
        int count = 0;
        in >> word >> count;
        n.params.resize(count);
        for (int k = 0; k < count; ++k) {
            in >> word;
            n.params[k] = bits_to_float(word);
        }
        int samples = 0;
        in >> word >> samples;
        for (int s = 0; s < samples; ++s) {
            Sample v;
            std::string hx, hy, ht, hv, h0, h1;
            in >> word >> hx >> hy >> ht >> v.label >> hv >> h0 >> h1 >> v.out[0] >> v.out[1];
            v.x = bits_to_float(hx);
            v.y = bits_to_float(hy);
            v.t = bits_to_float(ht);
            v.value = bits_to_float(hv);
            v.d_out[0] = bits_to_float(h0);
            v.d_out[1] = bits_to_float(h1);
            v.grad.resize(count);
            in >> word;
            for (int k = 0; k < count; ++k) {
                in >> v.grad[k];
            }
            n.samples.push_back(v);
        }
        all.push_back(n);
    }
    return all;
}

/** Output within 2e-5 (1 + |ref|) per coordinate (float32 through at most five layers of width <= 16). */
inline bool output_close(const float out[2], const Sample& s) {
    for (int o = 0; o < 2; ++o) {
        double e = out[o] - s.out[o];
        if (e < 0 ? -e > 2e-5 * (1 + (s.out[o] < 0 ? -s.out[o] : s.out[o])) : e > 2e-5 * (1 + (s.out[o] < 0 ? -s.out[o] : s.out[o]))) {
            return false;
        }
    }
    return true;
}

/** Largest gradient error and the tolerance 5e-5 max(1, max |ref|); the index of the worst entry. */
inline double gradient_error(const float* grad, const Sample& s, double& tolerance, int& worst_at) {
    double scale = 1.0;
    for (double g : s.grad) {
        scale = g < 0 ? (-g > scale ? -g : scale) : (g > scale ? g : scale);
    }
    tolerance = 5e-5 * scale;
    double worst = 0;
    worst_at = -1;
    for (std::size_t k = 0; k < s.grad.size(); ++k) {
        double e = grad[k] - s.grad[k];
        e = e < 0 ? -e : e;
        if (e > worst) {
            worst = e;
            worst_at = static_cast<int>(k);
        }
    }
    return worst;
}

}  // namespace d4jtest

#endif  // DIFFUSION4J_NETWORK_VECTORS_H
