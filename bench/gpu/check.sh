#!/usr/bin/env bash
# On a GPU machine, from the repository root with .device/ carried (bench/gpu/kit.sh): the native device tests, the
# gpu-tagged Java tests, a cuda demo, and compute-sanitizer memcheck and racecheck over a short cuda demo.
# Writes logs to $OUT (or ./out) and exits non-zero when any part fails.
set -uo pipefail
root="$(pwd)"
kit="${root}/.device"
out="${OUT:-${root}/out}"
mkdir -p "${out}"
java="${kit}/jre/bin/java"
cp="${kit}/test-classes:${kit}/diffusion4j.jar:${kit}/lib/*"
status=0
step() {
    local name="$1"
    shift
    echo "== ${name}"
    if "$@" > "${out}/${name}.log" 2>&1; then
        echo "== ${name}: ok"
    else
        echo "== ${name}: FAILED"
        status=1
    fi
    tail -n 15 "${out}/${name}.log"
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "${out}/gpu.txt" 2>&1; cat "${out}/gpu.txt"
step device-tests bash native-tests/run-device-tests.sh
step gpu-tests "${java}" -cp "${cp}" org.diffusion4j.engine.cuda.GpuTestMain
step info "${java}" -jar "${kit}/diffusion4j.jar" info
step demo "${java}" -jar "${kit}/diffusion4j.jar" demo --engine cuda --out "${out}/demo-cuda" --overwrite
mkdir -p target && cp "${kit}/diffusion4j.jar" target/diffusion4j.jar
step sanitizer bash native-tests/run-sanitizer.sh "${java}"
exit "${status}"
