#!/usr/bin/env bash
# Packs what a GPU machine without Java or Maven needs into .device/ (git-ignored, at most 64 MiB): a jlink runtime
# (java.base, java.logging, java.management, jdk.unsupported, java.desktop), target/diffusion4j.jar with its
# kernels, the test classes and the test dependencies, and bench/gpu/check.sh to run there.
#
#   bash bench/gpu/kit.sh          (after mvn -q -B package -DskipTests; needs jlink and Maven here)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${root}/.device"
cd "${root}"

test -f target/diffusion4j.jar || { echo "target/diffusion4j.jar missing: run mvn -q -B package -DskipTests first"; exit 1; }
grep -q '^modules=.*sample' target/classes/kernels/kernels.properties 2>/dev/null \
    || { echo "the jar bundles no kernels: build it where nvcc is on the PATH"; exit 1; }
rm -rf "${kit}"
mkdir -p "${kit}/lib"
strip_native=()
if command -v objcopy > /dev/null 2>&1; then
    strip_native=(--strip-native-debug-symbols "objcopy=$(command -v objcopy)")
fi
# jdk.incubator.vector: the CPU engine's SIMD kernels (the jar relaunches itself with it; without it they run scalar)
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,java.desktop,jdk.incubator.vector \
    --strip-debug "${strip_native[@]}" --no-header-files --no-man-pages --compress=2 --output "${kit}/jre"
cp target/diffusion4j.jar "${kit}/"
mvn -o -q -B test-compile -Dkernels.skip=true
cp -r target/test-classes "${kit}/test-classes"
# the jar holds the main dependencies; the tests need JUnit's besides
mvn -o -q -B dependency:copy-dependencies -Dkernels.skip=true -DincludeScope=test -DoutputDirectory="${kit}/lib" \
    -DincludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian
cp bench/gpu/check.sh "${kit}/"
du -sh "${kit}"
size=$(du -sm "${kit}" | cut -f1)
if [ "${size}" -gt 64 ]; then
    echo "the kit is ${size} MiB, more than the 64 MiB a device run can carry"
    exit 1
fi
