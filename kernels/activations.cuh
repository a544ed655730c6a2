// Pointwise activations of the networks and their derivatives, in float, for the kernels and their host tests.
//
//   relu      max(0, z)                       relu'(z)     = 1 if z > 0, else 0
//   silu      z sigmoid(z)                    silu'(z)     = sigmoid(z) (1 + z (1 - sigmoid(z)))
//   softplus  ln(1 + e^z), z itself above 20  softplus'(z) = sigmoid(z), 1 above 20   (PyTorch's threshold)
//
// The ids are those of org.diffusion4j.model.Activation's ordinal: relu 0, silu 1, softplus 2.
#ifndef DIFFUSION4J_ACTIVATIONS_CUH
#define DIFFUSION4J_ACTIVATIONS_CUH

#include "philox.cuh"

namespace d4j {

enum ActivationId : int { ACT_RELU = 0, ACT_SILU = 1, ACT_SOFTPLUS = 2 };

constexpr float SOFTPLUS_THRESHOLD = 20.0f;

/** sigmoid(z) = 1 / (1 + e^-z), written so that neither branch overflows. */
D4J_HD float sigmoid_f(float z) {
    if (z >= 0.0f) {
        return 1.0f / (1.0f + expf(-z));
    }
    float e = expf(z);
    return e / (1.0f + e);
}

D4J_HD float activate(int act, float z) {
    switch (act) {
        case ACT_RELU:
            return z > 0.0f ? z : 0.0f;
        case ACT_SILU:
            return z * sigmoid_f(z);
        default:
            return z > SOFTPLUS_THRESHOLD ? z : log1pf(expf(z));
    }
}

D4J_HD float activate_derivative(int act, float z) {
    switch (act) {
        case ACT_RELU:
            return z > 0.0f ? 1.0f : 0.0f;
        case ACT_SILU: {
            float s = sigmoid_f(z);
            return s * (1.0f + z * (1.0f - s));
        }
        default:
            return z > SOFTPLUS_THRESHOLD ? 1.0f : sigmoid_f(z);
    }
}

}  // namespace d4j

#endif  // DIFFUSION4J_ACTIVATIONS_CUH
