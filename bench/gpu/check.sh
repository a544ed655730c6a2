#!/usr/bin/env bash
# On a GPU machine, from the repository root with .device/ carried (bench/gpu/kit.sh): the native device tests, the
# gpu-tagged Java tests (the tile kernels at several launch shapes among them), a cuda demo, and compute-sanitizer
# memcheck and racecheck over a short cuda demo. Writes logs to $OUT (or ./out) and exits non-zero when any part fails.
#
# Time-boxed so that this and bench/gpu/bench.sh together fit in 10 minutes on one GPU: every step has its own limit
# (a step that reaches it fails, with what it logged so far); at most 5 minutes in all.
set -uo pipefail
root="$(pwd)"
kit="${root}/.device"
out="${OUT:-${root}/out}"
mkdir -p "${out}"
java="${kit}/jre/bin/java"
cp="${kit}/test-classes:${kit}/diffusion4j.jar:${kit}/lib/*"
status=0
step() {
    local name="$1" limit="$2"
    shift 2
    echo "== ${name} (at most ${limit} s)"
    local start=${SECONDS}
    timeout --kill-after=5 "${limit}" "$@" > "${out}/${name}.log" 2>&1
    local rc=$?
    if [ "${rc}" = 0 ]; then
        echo "== ${name}: ok in $((SECONDS - start)) s"
    elif [ "${rc}" = 124 ] || [ "${rc}" = 137 ]; then
        echo "== ${name}: FAILED, over its ${limit} s"
        status=1
    else
        echo "== ${name}: FAILED (exit ${rc}) in $((SECONDS - start)) s"
        status=1
    fi
    tail -n 15 "${out}/${name}.log"
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "${out}/gpu.txt" 2>&1; cat "${out}/gpu.txt"
step device-tests 45 bash native-tests/run-device-tests.sh
step gpu-tests 120 "${java}" -cp "${cp}" org.diffusion4j.engine.cuda.GpuTestMain
step info 15 "${java}" -jar "${kit}/diffusion4j.jar" info
step demo 30 "${java}" -jar "${kit}/diffusion4j.jar" demo --engine cuda --out "${out}/demo-cuda" --overwrite
mkdir -p target && cp "${kit}/diffusion4j.jar" target/diffusion4j.jar
step sanitizer 90 bash native-tests/run-sanitizer.sh "${java}"
exit "${status}"
