#!/usr/bin/env bash
# Builds and runs the host part of the native tests (no GPU needed).
# g++ always; nvcc as well where it exists, compiling the same source as CUDA so nvcc parses the headers.
# Run from anywhere; exits non-zero when a build or a test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/native-tests/build"
mkdir -p "${build}"

cxx="${CXX:-g++}"
status=0

run() {
    local name="$1"
    shift
    echo "== ${name}"
    if ! "$@"; then
        echo "== ${name}: FAILED"
        status=1
    fi
}

for src in "${root}"/native-tests/host/*.cpp; do
    name="$(basename "${src}" .cpp)"
    if "${cxx}" -std=c++17 -O2 -Wall -Wextra -Werror -I "${root}/kernels" -o "${build}/${name}" "${src}"; then
        run "${name} (${cxx})" "${build}/${name}"
    else
        echo "== ${name}: ${cxx} build FAILED"
        status=1
    fi
    if command -v nvcc > /dev/null 2>&1; then
        if nvcc -x cu -std=c++17 -O2 -I "${root}/kernels" -o "${build}/${name}_nvcc" "${src}"; then
            run "${name} (nvcc)" "${build}/${name}_nvcc"
        else
            echo "== ${name}: nvcc build FAILED"
            status=1
        fi
    else
        echo "== nvcc not found: CUDA compilation of ${name} skipped"
    fi
done

exit "${status}"
