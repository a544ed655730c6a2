#!/usr/bin/env bash
# The resource table of the CUDA kernels on sm_90 (H100 / H200), from ptxas itself:
#
#   bench/ptxas.sh [--check]
#
# compiles every kernels/*.cu for sm_90 with -Xptxas -v (nvcc 12+) and prints, per kernel, the registers, spill stores
# and loads, stack frame, static shared memory and barriers; then bench/tiles (bench/tiles/tiles.cpp, built with g++)
# prints the predicted-bounds table of the presets at their launch shapes, blocks per SM from these registers.
# --check exits 1 when a hot kernel (d4j_sample, d4j_train, d4j_train_norm, d4j_train_update) spills; CI runs it where nvcc exists.
# Environment: NVCC (default nvcc), CXX (default g++).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nvcc="${NVCC:-nvcc}"
cxx="${CXX:-g++}"
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
fi
if ! command -v "${nvcc}" > /dev/null 2>&1; then
    echo "nvcc not found: no ptxas table"
    exit 0
fi
hot=" d4j_sample d4j_train d4j_train_norm d4j_train_update "
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "ptxas (nvcc $("${nvcc}" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), sm_90, -O3): per kernel"
echo
echo "| kernel | registers | spill stores B | spill loads B | stack B | static shared B | barriers |"
echo "|---|---|---|---|---|---|---|"
for src in "${root}"/kernels/*.cu; do
    name="$(basename "${src}" .cu)"
    "${nvcc}" -cubin -std=c++17 -O3 -gencode arch=compute_90,code=sm_90 -Xptxas -v -I "${root}/kernels" \
        -o "${work}/${name}.cubin" "${src}" 2> "${work}/${name}.log"
    # ptxas: "Compiling entry function 'k'", then "N bytes stack frame, S bytes spill stores, L bytes spill loads",
    # then "Used R registers, used B barriers, ..., X bytes smem"
    awk -v module="${name}" '
        /Compiling entry function/ { kernel = $7; gsub(/\047/, "", kernel) }
        /Function properties for/ { props = $7 }
        /bytes stack frame/ && props == kernel { stack = $1; stores = $5; loads = $9 }
        /Used [0-9]+ registers/ && kernel != "" {
            regs = $5; barriers = 0; smem = 0
            for (i = 1; i <= NF; i++) {
                if ($i == "barriers," || $i == "barriers") barriers = $(i - 1)
                if ($i == "smem" || $i == "smem,") smem = $(i - 2)
            }
            printf "| %s | %s | %s | %s | %s | %s | %s |\n", kernel, regs, stores, loads, stack, smem, barriers
            kernel = ""
        }' "${work}/${name}.log" >> "${work}/table"
done
sort "${work}/table"
echo

status=0
while IFS='|' read -r _ kernel regs stores loads _; do
    kernel="$(echo "${kernel}" | tr -d ' ')"
    if [[ "${hot}" == *" ${kernel} "* ]] && { [ "$(echo "${stores}" | tr -d ' ')" != "0" ] || [ "$(echo "${loads}" | tr -d ' ')" != "0" ]; }; then
        echo "SPILL in hot kernel ${kernel}: ${stores// /} bytes stored, ${loads// /} bytes loaded"
        status=1
    fi
done < "${work}/table"

regs_of() {
    awk -F'|' -v k="$1" '{ gsub(/ /, "", $2); gsub(/ /, "", $3); if ($2 == k) print $3 }' "${work}/table"
}
"${cxx}" -std=c++17 -O2 -I "${root}/kernels" -o "${work}/tiles" "${root}/bench/tiles/tiles.cpp"
echo "Predicted bounds per preset (H200: FP32 67 TFLOP/s, HBM 4.8 TB/s, shared memory 132 x 128 B/clk x 1.98 GHz;"
echo "model in bench/tiles/tiles.cpp; predicted, not measured):"
echo
"${work}/tiles" "${root}/bench/tiles/presets.txt" "$(regs_of d4j_sample)" "$(regs_of d4j_train)"

if [ "${check}" = 1 ] && [ "${status}" != 0 ]; then
    echo "ptxas check FAILED: a hot kernel spills"
    exit 1
fi
