#!/usr/bin/env bash
# Builds the device part of the native tests and runs it, twice where nvcc exists:
#   - with nvcc against the CUDA runtime; run where a GPU is found (each test prints SKIP and passes without one,
#     so this also checks that the device code paths compile);
#   - with g++ for the simulated GPU (native-tests/sim: the project's runtime-API header, the CUDA built-ins
#     force-included, linked against the simulator's libcuda.so.1), and run on it: the device code paths execute
#     in CI without a GPU.
# Run from anywhere; exits non-zero when a build or a test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/native-tests/build"
mkdir -p "${build}"

if ! command -v nvcc > /dev/null 2>&1; then
    echo "== nvcc not found: device tests skipped"
    exit 0
fi

status=0
for src in "${root}"/native-tests/device/*.cu; do
    name="$(basename "${src}" .cu)"
    echo "== ${name}"
    if ! nvcc -std=c++17 -O2 -I "${root}/kernels" -o "${build}/${name}" "${src}"; then
        echo "== ${name}: nvcc build FAILED"
        status=1
        continue
    fi
    if ! "${build}/${name}"; then
        echo "== ${name}: FAILED"
        status=1
    fi
done

echo "== the simulated GPU"
D4J_SIM=on bash "${root}/native-tests/sim/build.sh" "${build}/sim"
sim_lib="${build}/sim/lib"
cxx="${CXX:-g++}"
for src in "${root}"/native-tests/device/*.cu; do
    name="$(basename "${src}" .cu)"
    echo "== ${name} (simulated GPU)"
    if ! "${cxx}" -std=c++17 -O2 -x c++ -include d4j_sim/device.h -I "${root}/native-tests/sim/runtime" \
        -I "${root}/native-tests/sim/include" -I "${root}/kernels" -o "${build}/${name}_sim" "${src}" \
        -L "${sim_lib}" -l:libcuda.so.1 -lpthread; then
        echo "== ${name}: build for the simulated GPU FAILED"
        status=1
        continue
    fi
    if ! LD_LIBRARY_PATH="${sim_lib}" D4J_SIM_MODULES="${build}/sim/modules" "${build}/${name}_sim"; then
        echo "== ${name} (simulated GPU): FAILED"
        status=1
    fi
done
exit "${status}"
