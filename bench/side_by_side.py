#!/usr/bin/env python3
"""The CPU engine (`diffusion4j bench --out`) and the PyTorch CPU peer (bench/peer/pytorch_presets.py --out) side by
side: medians, ratios and the issue's targets (training >= 2x, sampling >= 2x)."""
import argparse
import json


def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cpu", required=True, help="JSON of diffusion4j bench --engines cpu --out")
    p.add_argument("--pytorch", required=True, help="JSON of bench/peer/pytorch_presets.py --out")
    p.add_argument("--load", help="a file of load-average lines to print under the table")
    p.add_argument("--target", type=float, default=2.0)
    a = p.parse_args()
    cpu = json.load(open(a.cpu))
    torch = json.load(open(a.pytorch))
    rows = {(r["preset"], r["kind"]): r for r in cpu["rows"]}
    clock = torch["settings"].get("clock", "wall")
    print(f"PyTorch {torch['torch']}, {torch['threads']} thread(s), BLAS {torch['blas'].get('core', torch['blas']['library'])}, "
          f"{torch['started']} .. {torch['finished']}; diffusion4j cpu engine, {cpu['cores']} thread(s), Java {cpu['java']}; "
          f"clock: {clock}; medians.")
    print()
    print("| preset | train batch | cpu steps/s | PyTorch steps/s | ratio | sampling: cpu particle-steps/s | PyTorch at 10^5 | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, entry in torch["presets"].items():
        tr = rows.get((name, "train"))
        sa = rows.get((name, "sample"))
        pt = entry["train_steps_per_s"]
        ps = entry["sampling"]["particle_steps_per_s"]
        def cell(ours, theirs):
            if ours is None:
                return "-", "-"
            r = ours["median"] / theirs
            return fmt(ours["median"]), f"{r:.2f}x {'met' if r >= a.target else '**missed**'}"
        t0, t1 = cell(tr, pt)
        s0, s1 = cell(sa, ps)
        print(f"| {name} | {entry['batch']} | {t0} | {fmt(pt)} | {t1} | {s0} | {fmt(ps)} | {s1} |")
    if a.load:
        print()
        for line in open(a.load):
            print("- " + line.strip())
    c = torch.get("contention")
    if c:
        print(f"- PyTorch run: wall {c['wall_s']:.0f} s, own CPU {c['own_cpu_s']:.0f} s, other processes' CPU {c['other_cpu_s']:.0f} s")


if __name__ == "__main__":
    main()
