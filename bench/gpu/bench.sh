#!/usr/bin/env bash
# On a GPU machine, from the repository root with .device/ carried (bench/gpu/kit.sh): the engine benchmark on cuda
# and the PyTorch peer on the same GPU, one after the other, results as JSON and logs in $OUT (or ./out). The tables
# for bench/RESULTS.md come from these files (python3 bench/compare.py reads the CPU ones; the GPU tables are built
# from bench-cuda.json and pytorch-gpu.json).
#
#   bash bench/gpu/bench.sh [PRESETS]       PRESETS: comma-separated presets (default: the six unconditional ones)
set -uo pipefail
root="$(pwd)"
kit="${root}/.device"
out="${OUT:-${root}/out}"
mkdir -p "${out}"
presets="${1:-ou-halfcircles,dsm-ring,ddpm-ring,flow-gmm11,ddpm-spiral,ddpm-swissroll}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "${out}/gpu.csv" 2>&1
status=0
"${kit}/jre/bin/java" -jar "${kit}/diffusion4j.jar" bench --engines cuda --preset "${presets}" --out "${out}/bench-cuda.json" \
    > "${out}/bench-cuda.log" 2>&1 || status=1
tail -n 40 "${out}/bench-cuda.log"
python3 bench/peer/pytorch_gpu.py --presets "${presets}" --out "${out}/pytorch-gpu.json" > "${out}/pytorch-gpu.log" 2>&1 || status=1
tail -n 40 "${out}/pytorch-gpu.log"
exit "${status}"
