#!/usr/bin/env bash
# Builds the benchmarks (bench/src, compiled with the tests) and runs JMH (its forks inherit --add-modules
# jdk.incubator.vector, the CPU engine's SIMD kernels); arguments go to JMH, e.g.
#   bash bench/run-jmh.sh ReferenceEngineBench -p preset=ddpm-ring
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
exec java --add-modules jdk.incubator.vector -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" org.openjdk.jmh.Main "$@"
