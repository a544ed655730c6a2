#!/usr/bin/python3
"""Side-by-side table for bench/RESULTS.md: the CPU engine, PyTorch on the CPU and the reference engine.

  /usr/bin/python3 bench/compare.py --cpu target/jmh-cpu.json --reference target/jmh-reference.json \\
      --pytorch bench/results/pytorch-cpu.json [--pytorch bench/results/pytorch-cpu-chunked.json]

Inputs: JMH JSON of CpuEngineBench and ReferenceEngineBench (-rf json), and the JSON of
bench/peer/pytorch_presets.py (several: per preset the fastest PyTorch figure counts). Any input may be left out;
its columns then read n/a. Targets: CPU training >= 2x PyTorch's steps/s where the batch is <= 256; CPU sampling
>= PyTorch's particle-steps/s.
"""
import argparse
import json
import sys

PRESETS = ["ou-halfcircles", "dsm-ring", "ddpm-ring", "flow-gmm11", "ddpm-spiral", "ddpm-swissroll",
           "ddpm-ring-onehot", "ddpm-ring-radius", "ddpm-shapes"]
# Preset batch and sampler updates per run (config.Presets), for inputs that do not carry them.
BATCH = {"ou-halfcircles": 32, "dsm-ring": 256, "ddpm-ring": 256, "flow-gmm11": 1000, "ddpm-spiral": 256,
         "ddpm-swissroll": 128, "ddpm-ring-onehot": 256, "ddpm-ring-radius": 256, "ddpm-shapes": 256}
UPDATES = {"ou-halfcircles": 250, "dsm-ring": 1000, "ddpm-ring": 200, "flow-gmm11": 299, "ddpm-spiral": 300,
           "ddpm-swissroll": 1000, "ddpm-ring-onehot": 200, "ddpm-ring-radius": 200, "ddpm-shapes": 300}
REFERENCE_PARTICLES = 200  # ReferenceEngineBench.PARTICLES
# CpuEngineBench.workload: {particles, updates} of a run with particles = steps = auto.
CPU_WORKLOAD = {"ou-halfcircles": (100_000, 4), "dsm-ring": (100_000, 10), "ddpm-ring": (100_000, 20),
                "flow-gmm11": (100_000, 4), "ddpm-spiral": (100_000, 4), "ddpm-swissroll": (100_000, 10)}
TRAIN_TARGET, SAMPLE_TARGET, TARGET_MAX_BATCH = 2.0, 1.0, 256

SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "min": 60.0}


def per_second(score, unit):
    """A JMH score as a rate per second: 'ops/s', 'ops/ms' ... or 'ms/op', 's/op' ... (time per op)."""
    a, b = unit.split("/")
    if a == "ops":
        return score / SECONDS[b]
    return 1.0 / (score * SECONDS[a])


def load_jmh(path):
    """{preset: {"train": steps/s, "sample": particle-steps/s or None, "sample_run": runs/s, "params": {...}}}."""
    out = {}
    if not path:
        return out
    with open(path) as f:
        results = json.load(f)
    for r in results:
        name = r["benchmark"].rsplit(".", 1)[1]
        params = r.get("params", {})
        preset = params.get("preset")
        if preset is None:
            continue
        e = out.setdefault(preset, {"params": params})
        m = r["primaryMetric"]
        rate = per_second(m["score"], m["scoreUnit"])
        if name == "trainStep":
            e["train"] = rate
        elif name == "sample":
            e["sample_run"] = rate
            aux = r.get("secondaryMetrics", {}).get("particleSteps")
            e["sample"] = per_second(aux["score"], aux["scoreUnit"]) if aux else None
            e["params"] = params
    return out


def reference_rates(jmh):
    """The reference bench times whole runs of REFERENCE_PARTICLES particles with the preset's updates."""
    for preset, e in jmh.items():
        if e.get("sample") is None and "sample_run" in e:
            e["sample"] = e["sample_run"] * REFERENCE_PARTICLES * UPDATES[preset]
    return jmh


def cpu_rates(jmh):
    """Particle-steps/s of the CPU bench: its particleSteps counter, else runs/s times the run's size."""
    for preset, e in jmh.items():
        if e.get("sample") is None and "sample_run" in e:
            n, updates = cpu_shape(preset, e["params"])
            e["sample"] = e["sample_run"] * n * updates if n else None
    return jmh


def load_pytorch(paths, stat="median"):
    """Per preset: the fastest training figure, and per particle count the fastest sampling figure with its variant,
    over the given peer files."""
    best, runs = {}, []
    for path in paths or []:
        with open(path) as f:
            run = json.load(f)
        runs.append(run)
        chunk = run.get("settings", {}).get("chunk", 0)
        variant = f"chunks of {chunk:,}" if chunk else "whole batch"
        for preset, e in run["presets"].items():
            b = best.setdefault(preset, {"train": None, "sample": {}, "headline": e["sampling"]["particles"]})
            train = e["train_steps_per_s"] if stat == "median" else max(e["training"][0]["repeats"])
            if b["train"] is None or train > b["train"]:
                b["train"] = train
            for s in (e.get("sampling_at") or {"": e["sampling"]}).values():
                old = b["sample"].get(s["particles"])
                if old is None or s["particle_steps_per_s"] > old[0]:
                    b["sample"][s["particles"]] = (s["particle_steps_per_s"], variant)
    return best, runs


def cpu_shape(preset, params):
    """(particles, updates) of the CPU bench's sampling run."""
    auto = CPU_WORKLOAD.get(preset, (None, UPDATES[preset]))
    n = auto[0] if params.get("particles", "auto") == "auto" else int(params["particles"])
    steps = params.get("steps", "auto")
    updates = {"auto": auto[1], "full": UPDATES[preset]}.get(steps) or int(steps)
    return n, updates


def peer_sample(torch, preset, particles):
    """PyTorch's particle-steps/s at the CPU run's particle count when measured, else at its headline count."""
    b = torch.get(preset)
    if not b:
        return None, "n/a"
    n = particles if particles in b["sample"] else b["headline"]
    ps, variant = b["sample"][n]
    return ps, f"{n:,}, {variant}"


def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def fx(r, digits=1):
    return "n/a" if r is None else f"{r:,.{digits}f}x"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def verdict(r, target):
    if r is None:
        return "n/a"
    return f"{r:.2f}x " + ("met" if r >= target else "**missed**")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpu", help="JMH JSON of CpuEngineBench")
    p.add_argument("--reference", help="JMH JSON of ReferenceEngineBench")
    p.add_argument("--pytorch", action="append", help="JSON of bench/peer/pytorch_presets.py (repeatable)")
    p.add_argument("--pytorch-train", choices=["median", "max"], default="median",
                   help="PyTorch training figure: the median of the repeats, or the fastest repeat")
    args = p.parse_args()
    cpu = cpu_rates(load_jmh(args.cpu))
    ref = reference_rates(load_jmh(args.reference))
    torch, runs = load_pytorch(args.pytorch, args.pytorch_train)
    presets = [n for n in PRESETS if n in cpu or n in ref or n in torch]
    if not presets:
        sys.exit("no results: give at least one of --cpu, --reference, --pytorch")

    for run in runs:
        m = run["machine"]
        print(f"PyTorch {run['torch']}, {run['threads']} threads, {m['cpu']} ({m['cores']} cores, "
              f"{m.get('memory_gib')} GiB), BLAS {run['blas'].get('core', run['blas'].get('library'))}, "
              f"chunk {run['settings'].get('chunk', 0)}, {run['started']}; medians of {run['settings']['repeats']} repeats.")
    print()
    print(f"Training: optimizer steps/s at the preset's batch, PyTorch's {args.pytorch_train} repeat "
          f"(target: CPU >= 2x PyTorch where batch <= 256).")
    print()
    print("| preset | batch | CPU | PyTorch | reference | CPU / PyTorch | CPU / reference |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n in presets:
        c, t, r = cpu.get(n, {}).get("train"), torch.get(n, {}).get("train"), ref.get(n, {}).get("train")
        batch = BATCH[n]
        target = verdict(ratio(c, t), TRAIN_TARGET) if batch <= TARGET_MAX_BATCH else fx(ratio(c, t), 2) + " (no target)"
        print(f"| {n} | {batch} | {fmt(c, 1)} | {fmt(t, 1)} | {fmt(r, 1)} | {target} | {fx(ratio(c, r))} |")
    print()
    print("Sampling: particle-steps/s with the preset's sampler (target: CPU >= PyTorch).")
    print()
    print("| preset | sampler updates | CPU particles x updates | CPU | PyTorch | PyTorch particles, variant | reference | "
          "CPU / PyTorch | CPU / reference |")
    print("|---|---:|---|---:|---:|---|---:|---:|---:|")
    for n in presets:
        ce = cpu.get(n, {})
        c, r = ce.get("sample"), ref.get(n, {}).get("sample")
        shape = cpu_shape(n, ce.get("params", {})) if ce else None
        t, variant = peer_sample(torch, n, shape[0] if shape else None)
        shape_text = f"{shape[0]:,} x {shape[1]}" if shape and shape[0] else "n/a"
        print(f"| {n} | {UPDATES[n]} | {shape_text} | {fmt(c)} | {fmt(t)} | {variant} | {fmt(r)} | "
              f"{verdict(ratio(c, t), SAMPLE_TARGET)} | {fx(ratio(c, r))} |")
    print()
    print(f"CPU: particles x updates of one timed run (CpuEngineBench.workload; DDPM on a T' = updates schedule of the same kind). PyTorch: "
          f"particle-steps/s at the CPU run's particle count where the peer measured it, else at its headline count. "
          f"Reference: whole runs of {REFERENCE_PARTICLES} particles.")


if __name__ == "__main__":
    main()
