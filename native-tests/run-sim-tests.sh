#!/usr/bin/env bash
# The simulated GPU's own tests (native-tests/sim/tests): the test kernels compiled by nvcc into an sm_90 fatbin and
# for the host into a host module, then test_sim runs them through the simulator's driver API (barriers, warp
# collectives, atomics, shared memory, guard pages, register limits, graphs, and the misuse reports).
# Skipped (exit 0) without nvcc. Run from anywhere; exits non-zero when a build or a check fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/native-tests/build/simtest"
mkdir -p "${build}"

if ! command -v nvcc > /dev/null 2>&1; then
    echo "== nvcc not found: simulated GPU tests skipped"
    exit 0
fi
tests="${root}/native-tests/sim/tests"
nvcc -fatbin -std=c++17 -O3 -gencode arch=compute_90,code=sm_90 -I "${root}/kernels" \
    -o "${build}/sim_kernels.fatbin" "${tests}/sim_kernels.cu"
D4J_SIM=on bash "${root}/native-tests/sim/build.sh" "${build}" "${tests}"
"${CXX:-g++}" -std=c++17 -O2 -Wall -Wextra -Werror -o "${build}/test_sim" "${tests}/test_sim.cpp" \
    -L "${build}/lib" -l:libcuda.so.1
echo "== test_sim (the misuse reports below, prefixed d4j-sim:, are expected)"
LD_LIBRARY_PATH="${build}/lib" D4J_SIM_MEMORY_MIB=256 "${build}/test_sim" "${build}/sim_kernels.fatbin"
