#!/usr/bin/env python3
"""The CPU engine's thread scaling: throughput at N threads over throughput at 1 thread, per preset.

Each measurement runs in JVMs of its own, alternated in pairs (1 thread pinned to processor 0 with taskset, then N
threads unpinned, PAIRS times): one JVM per engine keeps the JIT's profile to the code that JVM runs, and alternating
whole processes spreads the machine's drift over both sides. A JVM runs `bench --engines cpu` on one preset (warm-up
repeats, then timed repeats, their median); the ratio of a pair is N-thread median / 1-thread median, and the table
gives the median over the pairs.

With 2 threads it first measures the machine's own ceiling (bench/scaling_probe.c, built with gcc where there is
one): fused multiply-adds with no memory traffic, one process alone, then two at once on processors 0 and 1, PAIRS
times; (GFLOP/s of both) / (GFLOP/s alone) is the most any program's 2-thread scaling can reach on it.

    python3 bench/cpu_scaling.py [--threads 2] [--pairs 3] [--what train,sample] [--jar target/diffusion4j.jar]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PRESETS = ["ou-halfcircles", "dsm-ring", "ddpm-ring", "flow-gmm11", "ddpm-spiral", "ddpm-swissroll"]
# optimizer steps per timed repeat: about 0.3 s of training at 1 thread on the 2-core reference machine
TRAIN_STEPS = {"ou-halfcircles": 300, "dsm-ring": 300, "ddpm-ring": 600, "flow-gmm11": 100, "ddpm-spiral": 20,
               "ddpm-swissroll": 400}


def run(jar, preset, what, threads, args, out):
    cmd = ([] if threads > 1 else ["taskset", "-c", "0"]) + [
        "java", "-jar", jar, "bench", "--engines", "cpu", "--threads", str(threads), "--preset", preset, "--what", what,
        "--particles", str(args.particles), "--train-steps", str(TRAIN_STEPS[preset]), "--warmup", str(args.warmup),
        "--repeats", str(args.repeats), "--clock", "wall", "--out", out, "--overwrite"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)["rows"][0]["median"]


def probe(pairs):
    """Per pair: (both at once) / (alone), or None without gcc or AVX-512."""
    exe = os.path.join(tempfile.gettempdir(), "d4j-scaling-probe")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scaling_probe.c")
    try:
        subprocess.run(["gcc", "-O2", "-mavx512f", "-mfma", src, "-o", exe], check=True, capture_output=True)
        alone = lambda: float(subprocess.run(["taskset", "-c", "0", exe], check=True, capture_output=True, text=True).stdout.split()[0])
        ratios = []
        for _ in range(pairs):
            a = alone()
            both = [subprocess.Popen(["taskset", "-c", str(c), exe], stdout=subprocess.PIPE, text=True) for c in (0, 1)]
            b = sum(float(p.communicate()[0].split()[0]) for p in both)
            ratios.append(b / a)
        return ratios
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--what", default="train,sample")
    p.add_argument("--particles", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--presets", default=",".join(PRESETS))
    p.add_argument("--jar", default=os.environ.get("JAR", "target/diffusion4j.jar"))
    args = p.parse_args()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load = open("/proc/loadavg").read().split()[:3]
    rows = []
    ceiling = probe(max(5, args.pairs)) if args.threads == 2 else None
    if ceiling:
        print(f"  machine ceiling (FMA probe, both / alone): {', '.join(f'{r:.2f}x' for r in ceiling)}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        for preset in args.presets.split(","):
            for what in args.what.split(","):
                one, many, ratios = [], [], []
                for _ in range(args.pairs):
                    a = run(args.jar, preset, what, 1, args, out)
                    b = run(args.jar, preset, what, args.threads, args, out)
                    one.append(a)
                    many.append(b)
                    ratios.append(b / a)
                rows.append((preset, what, one, many, ratios))
                print(f"  {preset:15s} {what:6s} 1 thread {statistics.median(one):.4g}, {args.threads} threads "
                      f"{statistics.median(many):.4g}: pairs {', '.join(f'{r:.2f}x' for r in ratios)}", file=sys.stderr)
    finished = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    unit = {"train": "steps/s", "sample": "particle-steps/s"}
    print(f"cpu engine, {args.threads} threads against 1 (taskset -c 0), separate JVMs, {args.pairs} alternated pairs, "
          f"medians of {args.repeats} repeats after {args.warmup}, wall clock; {started} .. {finished}; "
          f"load before {' '.join(load)}, after {' '.join(open('/proc/loadavg').read().split()[:3])}\n")
    if ceiling:
        print(f"The machine's own 2-core ceiling (bench/scaling_probe.c: FMA chains, no memory traffic, both processors "
              f"at once over one alone): median {statistics.median(ceiling):.2f}x, pairs "
              f"{', '.join(f'{r:.2f}' for r in ceiling)}\n")
    print(f"| preset | measurement | 1 thread | {args.threads} threads | ratio, median of pairs | pairs | "
          f">= 1.8x |")
    print("|---|---|---:|---:|---:|---|---|")
    for preset, what, one, many, ratios in rows:
        r = statistics.median(ratios)
        print(f"| {preset} | {what} ({unit[what]}) | {statistics.median(one):.4g} | {statistics.median(many):.4g} | "
              f"{r:.2f}x | {', '.join(f'{x:.2f}' for x in ratios)} | {'met' if r >= 1.8 else '**missed**'} |")


if __name__ == "__main__":
    main()
