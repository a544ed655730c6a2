#!/usr/bin/env bash
# The CPU engine and the PyTorch CPU peer side by side in one run, on the same threads and clock:
#   bash bench/cpu-vs-pytorch.sh THREADS CLOCK OUTDIR
# THREADS 1 pins both to processor 0 (taskset); CLOCK wall or cpu (process CPU time, robust to other processes on a
# shared machine). Writes OUTDIR/pytorch.json, OUTDIR/cpu.json and prints the table of bench/side_by_side.py.
# PyTorch samples 10^5 particles at once (its GEMMs are most efficient there); the engine runs tiles of 32
# particles independently, so its particle-steps/s do not depend on the count past a few tiles per thread: it runs
# full sampling runs of 2000 particles (63 tiles), which keeps the whole script within minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
clock=${2:-wall}
out=${3:-target/side-by-side}
mkdir -p "$out"
pin=()
if [ "$threads" = 1 ]; then pin=(taskset -c 0); fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt"
"${pin[@]}" /usr/bin/python3 bench/peer/pytorch_presets.py --threads "$threads" --clock "$clock" --particles 100000 \
    --repeats 5 --train-steps 30 --train-warmup 20 --sample-steps 3 --sample-warmup 1 --out "$out/pytorch.json"
echo "load between: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
"${pin[@]}" java -jar "${JAR:-target/diffusion4j.jar}" bench --engines cpu --clock "$clock" --particles 2000 \
    --train-steps 300 --warmup 3 --repeats 5 --out "$out/cpu.json" --overwrite
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
/usr/bin/python3 bench/side_by_side.py --cpu "$out/cpu.json" --pytorch "$out/pytorch.json" --load "$out/load.txt"
