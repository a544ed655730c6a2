#!/usr/bin/env bash
# On a GPU machine, from the repository root with .device/ carried (bench/gpu/kit.sh): per preset the engine benchmark
# on cuda and the PyTorch peer on the same GPU, one after the other, results as JSON and logs in $OUT (or ./out). The
# tables for bench/RESULTS.md come from these files (bench-cuda-<preset>.json, pytorch-gpu-<preset>.json).
#
#   bash bench/gpu/bench.sh [PRESETS]       PRESETS: comma-separated presets (default: the six unconditional ones)
#
# Time-boxed so that this and bench/gpu/check.sh together fit in 10 minutes on one GPU: per preset the cuda benchmark
# gets 20 s and the peer 25 s (at most 4.5 minutes for six presets); 10^4 and 10^6 particles, the preset's batch and
# 65,536, 3 repeats after a warm-up; the peer in FP32, eager and with CUDA graphs. A part that reaches its limit fails
# and the next one starts. BENCH_PARTICLES, BENCH_CUDA_S and BENCH_PEER_S change the sizes and limits.
set -uo pipefail
root="$(pwd)"
kit="${root}/.device"
out="${OUT:-${root}/out}"
mkdir -p "${out}"
presets="${1:-ou-halfcircles,dsm-ring,ddpm-ring,flow-gmm11,ddpm-spiral,ddpm-swissroll}"
particles="${BENCH_PARTICLES:-10000,1000000}"
cuda_s="${BENCH_CUDA_S:-20}"
peer_s="${BENCH_PEER_S:-25}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "${out}/gpu.csv" 2>&1
status=0
run() {
    local name="$1" limit="$2"
    shift 2
    timeout --kill-after=5 "${limit}" "$@" > "${out}/${name}.log" 2>&1
    local rc=$?
    if [ "${rc}" = 0 ]; then
        echo "== ${name}: ok"
    else
        echo "== ${name}: FAILED ($([ "${rc}" = 124 ] || [ "${rc}" = 137 ] && echo "over its ${limit} s" || echo "exit ${rc}"))"
        status=1
    fi
    tail -n 12 "${out}/${name}.log"
}
for preset in ${presets//,/ }; do
    run "bench-cuda-${preset}" "${cuda_s}" "${kit}/jre/bin/java" -jar "${kit}/diffusion4j.jar" bench --engines cuda --preset "${preset}" \
        --particles "${particles}" --repeats 3 --warmup 1 --out "${out}/bench-cuda-${preset}.json"
    run "pytorch-gpu-${preset}" "${peer_s}" python3 bench/peer/pytorch_gpu.py --presets "${preset}" --particles "${particles}" \
        --modes eager-tf32off,graphs-tf32off --repeats 3 --warmup 1 --out "${out}/pytorch-gpu-${preset}.json"
done
exit "${status}"
