#!/usr/bin/env bash
# Runs the CUDA engine's sampling and training kernels under compute-sanitizer (memcheck, then racecheck) through the
# main class: a short demo on the cuda engine (every kernel of kernels/*.cu launches: time terms, sampling, training
# chunks, gradient and loss reductions, Adam, forward simulation). Needs a GPU, compute-sanitizer and the built jar
# (mvn -q -B package -DskipTests). Exits non-zero when the sanitizer reports an error.
#
#   native-tests/run-sanitizer.sh [JAVA]      JAVA: the java launcher (default: java on the PATH)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java="${1:-java}"
jar="${root}/target/diffusion4j.jar"
out="$(mktemp -d)"
trap 'rm -rf "${out}"' EXIT

if ! command -v compute-sanitizer > /dev/null 2>&1; then
    echo "compute-sanitizer not found"
    exit 1
fi
for tool in memcheck racecheck; do
    echo "== compute-sanitizer --tool ${tool}"
    compute-sanitizer --tool "${tool}" --error-exitcode 1 --target-processes all \
        "${java}" -jar "${jar}" demo --engine cuda --steps 20 --particles 2000 --out "${out}/${tool}" --overwrite
done
echo "compute-sanitizer: no errors"
