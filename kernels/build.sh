#!/usr/bin/env bash
# Compiles the CUDA kernels of diffusion4j into fatbins, one per source file.
#
#   kernels/build.sh OUT_DIR
#
# Scheme: every kernels/<name>.cu (which may include the headers in kernels/) becomes OUT_DIR/<name>.fatbin,
# holding SASS for sm_80, sm_86, sm_89 and sm_90 and PTX for compute_90 (JIT-compiled by the driver on newer
# GPUs). OUT_DIR/kernels.properties lists the modules built (modules=a,b,...), the nvcc version and the targets.
# Maven runs this script with OUT_DIR = target/classes/kernels, so the jar holds /kernels/<name>.fatbin and the
# index /kernels/kernels.properties. <name> must be letters, digits and underscores.
#
# A fatbin newer than its source and every header, built with the same compiler and flags, is kept.
# Without nvcc it prints one line and exits 0 (the build then bundles no kernels); a compile error exits non-zero.
# Environment: NVCC (the compiler, default nvcc on the PATH), NVCC_FLAGS (extra flags, e.g. -lineinfo).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: kernels/build.sh OUT_DIR" >&2
    exit 2
fi
src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="$1"
nvcc="${NVCC:-nvcc}"

if ! command -v "${nvcc}" > /dev/null 2>&1; then
    echo "nvcc not found: kernels not built"
    exit 0
fi

shopt -s nullglob
sources=("${src_dir}"/*.cu)
if [ ${#sources[@]} -eq 0 ]; then
    echo "no kernels/*.cu: no kernels to build"
    exit 0
fi

sass_archs=(80 86 89 90)
ptx_arch=90
gencode=()
for a in "${sass_archs[@]}"; do
    gencode+=(-gencode "arch=compute_${a},code=sm_${a}")
done
gencode+=(-gencode "arch=compute_${ptx_arch},code=compute_${ptx_arch}")
targets="$(printf 'sm_%s ' "${sass_archs[@]}")compute_${ptx_arch}"
# shellcheck disable=SC2206
extra=(${NVCC_FLAGS:-})
flags=(-fatbin -std=c++17 -O3 -Xptxas -warn-spills "${gencode[@]}" "${extra[@]}")

version="$("${nvcc}" --version | sed -n 's/.*release [0-9.]*, V\([0-9.]*\).*/\1/p')"
build="nvcc ${version} ${flags[*]}"
mkdir -p "${out_dir}"
index="${out_dir}/kernels.properties"

# Fatbins are reused only when the previous build used the same compiler and flags.
previous=""
if [ -f "${index}" ]; then
    previous="$(sed -n 's/^build=//p' "${index}")"
fi
headers=("${src_dir}"/*.cuh "${src_dir}"/*.h)

# Whether $1 exists and is newer than every other argument.
up_to_date() {
    local out="$1" f
    shift
    [ -f "${out}" ] || return 1
    for f in "$@"; do
        if [ "${f}" -nt "${out}" ]; then
            return 1
        fi
    done
}

tmp=""
trap 'if [ -n "${tmp}" ]; then rm -f "${tmp}"; fi' EXIT
modules=()
compiled=0
start="$(date +%s%N)"
for src in "${sources[@]}"; do
    name="$(basename "${src}" .cu)"
    if [[ ! "${name}" =~ ^[A-Za-z0-9_]+$ ]]; then
        echo "kernels/${name}.cu: a kernel file name must be letters, digits and underscores" >&2
        exit 1
    fi
    modules+=("${name}")
    out="${out_dir}/${name}.fatbin"
    if [ "${previous}" = "${build}" ] && up_to_date "${out}" "${src}" "${headers[@]}"; then
        continue
    fi
    rm -f "${out}"
    tmp="${out}.tmp"
    "${nvcc}" "${flags[@]}" -I "${src_dir}" -o "${tmp}" "${src}"
    mv "${tmp}" "${out}"
    tmp=""
    compiled=$((compiled + 1))
done

# Fatbins whose source is gone are removed, so the index and the directory agree.
for f in "${out_dir}"/*.fatbin; do
    if [ ! -f "${src_dir}/$(basename "${f}" .fatbin).cu" ]; then
        rm -f "${f}"
    fi
done

{
    echo "# Written by kernels/build.sh: the CUDA modules of this build, each at /kernels/<module>.fatbin."
    echo "modules=$(IFS=,; echo "${modules[*]}")"
    echo "nvcc=${version}"
    echo "targets=${targets}"
    echo "build=${build}"
} > "${index}"

echo "kernels: ${#modules[@]} module(s) (${modules[*]}) for ${targets}; ${compiled} compiled with nvcc ${version} in $(( ($(date +%s%N) - start) / 1000000 )) ms"
