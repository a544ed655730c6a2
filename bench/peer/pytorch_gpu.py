#!/usr/bin/python3
"""The diffusion4j presets in PyTorch on one GPU: the GPU peer of the CUDA engine's benchmarks.

The networks, objectives, optimizers, processes and samplers are those of bench/peer/pytorch_presets.py, imported
from it (one code path for the math on the CPU and on the GPU). Per preset, in each mode
  eager-tf32off   plain PyTorch, TF32 matmuls off (torch.backends.cuda.matmul.allow_tf32 and
                  torch.backends.cudnn.allow_tf32 both False)
  eager-tf32on    plain PyTorch, TF32 on
  graphs-tf32off  the same work captured once in a torch.cuda.CUDAGraph and replayed, TF32 off
  graphs-tf32on   the same, TF32 on
it measures
  sampling   particle-steps/s = particles x preset steps / seconds of one full run of the preset's sampler (every
             update of its time grid, from a prior draw made once), at each of --particles. With graphs the whole
             run is one graph: each update's coefficients are Python numbers baked in at capture, its time value a
             view into a grid tensor, its noise torch.randn on the CUDA generator (graph-safe Philox offsets, torch
             >= 1.10). Where the activations would not fit, the networks see chunks of particles (--chunk).
  training   optimizer steps/s at the preset's batch and at 65536 (--train-batches): minibatch draw on the device
             (torch.randint indices into the dataset tensor, torch.rand/randint times, torch.randn noise), noising,
             forward, loss, backward, Adam/AdamW step, no host synchronization per step. With graphs one step is
             captured (the optimizer built with capturable=True) and replayed --train-steps times per repeat.
Timing: torch.cuda.Event records around each repeat (a full sampling run, or --train-steps optimizer steps), after
--warmup untimed repeats; the median of --repeats is reported with all repeats.

  python3 bench/peer/pytorch_gpu.py --out bench/results/pytorch-gpu.json
  python3 bench/peer/pytorch_gpu.py --presets all --particles 10000,1000000 --repeats 3
  # without a GPU, a logic test of every preset and every mode that applies (graphs are skipped on the CPU):
  /usr/bin/python3 bench/peer/pytorch_gpu.py --device cpu --presets all --particles 64,256 --chunk 100 \\
      --train-batches preset,512 --train-steps 2 --warmup 1 --repeats 2

--device cuda without a usable GPU exits with status 2 and one line "no CUDA device: ...".
The JSON has one record per (preset, measurement, network, mode, size) and the machine: GPU, driver and CUDA
versions (torch.version.cuda, nvidia-smi), torch.
"""
import argparse
import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import pytorch_presets as peer  # noqa: E402

MODES = ["eager-tf32off", "eager-tf32on", "graphs-tf32off", "graphs-tf32on"]
# Live float32 activations per particle and unit of the widest layer during one network evaluation (inference:
# a layer's input, its output, the activation's output, with room for a residual trunk's LayerNorm and sum).
LIVE_ACTIVATIONS = 6


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda", help="cuda (default; cuda:N for another GPU) or cpu (logic test)")
    p.add_argument("--presets", default=",".join(peer.UNCONDITIONAL),
                   help="comma-separated preset names, or 'all' (default: the six unconditional presets)")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ", ".join(MODES))
    p.add_argument("--measure", default="sampling,training", help="sampling, training or both (default)")
    p.add_argument("--particles", default="10000,1000000,10000000",
                   help="particle counts of the full sampling runs (default 10000,1000000,10000000)")
    p.add_argument("--chunk", default="auto",
                   help="particles per network evaluation while sampling: 'auto' (all at once where the "
                        "activations fit in --memory-fraction of the free GPU memory, else the largest power of two "
                        "that does; all at once on the CPU), 0 (all at once) or a count")
    p.add_argument("--memory-fraction", type=float, default=0.5,
                   help="share of the free GPU memory the activations of one evaluation may take (--chunk auto)")
    p.add_argument("--train-batches", default="preset,65536",
                   help="training batch sizes; 'preset' is the preset's own batch (default: preset,65536)")
    p.add_argument("--train-steps", type=int, default=100, help="optimizer steps per training repeat")
    p.add_argument("--warmup", type=int, default=1, help="untimed repeats before the timed ones")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement; the median is reported")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads with --device cpu")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="write the JSON results here")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    args.measure = [m.strip() for m in args.measure.split(",") if m.strip()]
    bad = [m for m in args.modes if m not in MODES] + [m for m in args.measure if m not in ("sampling", "training")]
    if bad:
        p.error("unknown modes or measurements: " + ", ".join(bad))
    try:
        args.particles = [int(n) for n in args.particles.split(",")]
        args.chunk = args.chunk if args.chunk == "auto" else int(args.chunk)
        args.train_batches = ["preset" if b.strip() == "preset" else int(b) for b in args.train_batches.split(",")
                              if b.strip()]
    except ValueError as e:
        p.error(str(e))
    return args


# ----------------------------------------------------------------------------------------------- device

def open_device(name):
    """The torch.device; for cuda, exits with status 2 and one line when no GPU can be used."""
    device = torch.device(name)
    if device.type != "cuda":
        return device
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        usable = torch.cuda.is_available() and torch.cuda.device_count() > (device.index or 0)
    if not usable:
        if torch.version.cuda is None:
            why = f"torch {torch.__version__} is built without CUDA"
        else:
            why = f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees {torch.cuda.device_count()} GPUs"
            why += "".join("; " + str(w.message).strip().splitlines()[0] for w in caught)
        print(f"no CUDA device: {why} (--device cpu runs the logic test)", file=sys.stderr)
        sys.exit(2)
    torch.cuda.set_device(device)
    return device


def set_tf32(on):
    """TF32 tensor-core matmuls (10-bit mantissa inputs, float32 accumulation) on or off, cuBLAS and cuDNN."""
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def release(device):
    """Frees what earlier measurements left in the caching allocator (graphs' private pools included)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()


def is_oom(error):
    """Out of GPU memory, here or in the error it was raised during (a capture's end after an allocation failed)."""
    oom = getattr(torch.cuda, "OutOfMemoryError", None)  # torch >= 1.13; before, a RuntimeError
    while error is not None:
        if (oom is not None and isinstance(error, oom)) or "out of memory" in str(error):
            return True
        error = error.__context__
    return False


# ----------------------------------------------------------------------------------------------- timing

def time_repeats(run, device, warmup, repeats):
    """Seconds of each of `repeats` calls of run() after `warmup` untimed calls. On a GPU: CUDA events recorded on
    the current stream before and after the call (device time between them, gaps where the GPU waits for the host's
    launches included); on the CPU: wall-clock time."""
    for _ in range(warmup):
        run()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = []
    for _ in range(repeats):
        if device.type == "cuda":
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            run()
            stop.record()
            stop.synchronize()
            seconds.append(start.elapsed_time(stop) / 1e3)  # elapsed_time is in ms
        else:
            t0 = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - t0)
    return seconds


def capture(fn, warm):
    """(graph, output, seconds): warm() on a side stream first (lazy initialization: cuBLAS handle and workspace,
    optimizer state), then fn() captured once in a CUDAGraph; output is fn()'s static output tensor, rewritten by
    every graph.replay()."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        warm()
    torch.cuda.current_stream().wait_stream(side)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    t0 = time.perf_counter()
    with torch.cuda.graph(graph):
        out = fn()
    torch.cuda.synchronize()
    return graph, out, time.perf_counter() - t0


# ----------------------------------------------------------------------------------------------- sampling

def widest(spec):
    """Units of the network's widest layer, inputs and outputs of every Linear."""
    return max(max(m.in_features, m.out_features) for m in peer.Network(spec).modules()
               if isinstance(m, torch.nn.Linear))


def choose_chunk(preset, particles, args, device):
    """Particles per network evaluation (0: all at once). auto: all where LIVE_ACTIVATIONS x widest layer x 4 bytes
    per particle fit in --memory-fraction of the free GPU memory, else the largest power of two that fits."""
    if args.chunk != "auto":
        return args.chunk
    if device.type != "cuda":
        return 0
    free, _ = torch.cuda.mem_get_info(device)
    per_particle = 4 * LIVE_ACTIVATIONS * max(widest(spec) for _, spec, _ in preset["nets"])
    fit = int(args.memory_fraction * free / per_particle)
    return 0 if fit >= particles else 2 ** int(math.log2(max(fit, 1)))


def sampling_run(preset, particles, chunk, graphs, args, device):
    """(seconds per full run for each repeat, final particles finite, capture seconds or None)."""
    torch.manual_seed(args.seed)
    x0, update = peer.make_sampler(preset, particles, torch.Generator().manual_seed(args.seed), chunk, device)
    steps = preset["steps"]

    def full_run():  # x_{k+1} = update(k, x_k), k = 0 .. steps - 1, from the prior draw x_0
        x = x0
        for k in range(steps):
            x = update(k, x)
        return x

    def warm():  # the first updates, eagerly: every kernel of the run is initialized
        x = x0
        for k in range(min(2, steps)):
            x = update(k, x)

    last = {}
    # no_grad rather than the CPU peer's inference_mode (the networks need no gradients either way): a graph
    # captured in inference mode can leave the CUDA generator's graph-safe RNG state as inference tensors, which a
    # later capture outside it (training) may not update in place (pytorch/pytorch#166792).
    with torch.no_grad():
        if graphs:
            graph, last["x"], capture_s = capture(full_run, warm)
            seconds = time_repeats(graph.replay, device, args.warmup, args.repeats)
        else:
            capture_s = None
            seconds = time_repeats(lambda: last.update(x=full_run()), device, args.warmup, args.repeats)
        finite = bool(torch.isfinite(last["x"]).all())
    return seconds, finite, capture_s


def sampling_record(name, preset, particles, mode):
    return {"preset": name, "measurement": "sampling", "network": "+".join(r for r, _, _ in preset["nets"]),
            "mode": mode, "size": particles, "size_kind": "particles", "unit": "particle-steps/s",
            "sampler": preset["sampler"][0], "steps": preset["steps"]}


def measure_sampling(rec, preset, chunk, args, device):
    """Fills rec, one (preset, particles, mode); on running out of GPU memory, halves the chunk and tries again."""
    particles, graphs = rec["size"], rec["mode"].startswith("graphs")
    while True:
        try:
            seconds, finite, capture_s = sampling_run(preset, particles, chunk, graphs, args, device)
            break
        except Exception as e:  # noqa: BLE001 - out of memory: smaller chunks; anything else: recorded as skipped
            release(device)
            if is_oom(e) and chunk != 1:
                rec.setdefault("out_of_memory_at_chunk", []).append(chunk)
                chunk = (chunk or particles) // 2
                continue
            return skipped(rec, f"{'capture' if graphs else 'run'} failed: {type(e).__name__}: {first_line(e)}")
    rates = [particles * preset["steps"] / s for s in seconds]  # particle-steps/s of each full run
    rec.update(chunk=chunk, median=statistics.median(rates), repeats=rates, seconds=seconds, finite=finite)
    if capture_s is not None:
        rec["capture_s"] = capture_s
    return rec


# ----------------------------------------------------------------------------------------------- training

def training_run(preset, net_index, batch, graphs, args, device):
    """(seconds per --train-steps steps for each repeat, last loss finite, capture seconds or None, optimizer)."""
    torch.manual_seed(args.seed)
    step, _ = peer.make_trainer(preset, net_index, torch.Generator().manual_seed(args.seed), device, batch,
                                capturable=graphs)
    last = {}
    if graphs:
        # three eager steps on the side stream create Adam's state before the capture (PyTorch's recipe)
        graph, last["loss"], capture_s = capture(step, lambda: [step() for _ in range(3)])

        def repeat():
            for _ in range(args.train_steps):
                graph.replay()
    else:
        capture_s = None

        def repeat():
            for _ in range(args.train_steps):
                last["loss"] = step()
    seconds = time_repeats(repeat, device, args.warmup, args.repeats)
    optimizer = dict(step.optimizer.defaults, name=type(step.optimizer).__name__)
    return seconds, bool(torch.isfinite(last["loss"])), capture_s, optimizer


def training_record(name, preset, net_index, batch, mode, args):
    role, _, objective = preset["nets"][net_index]
    return {"preset": name, "measurement": "training", "network": role, "objective": objective, "mode": mode,
            "size": batch, "size_kind": "batch", "unit": "steps/s", "steps_per_repeat": args.train_steps}


def measure_training(rec, preset, net_index, args, device):
    """Fills rec, one (preset, network, batch, mode)."""
    graphs = rec["mode"].startswith("graphs")
    try:
        seconds, finite, capture_s, optimizer = training_run(preset, net_index, rec["size"], graphs, args, device)
    except Exception as e:  # noqa: BLE001 - recorded, the other measurements go on
        release(device)
        return skipped(rec, f"{'capture' if graphs else 'run'} failed: {type(e).__name__}: {first_line(e)}")
    rates = [args.train_steps / s for s in seconds]
    rec.update(median=statistics.median(rates), repeats=rates, seconds=seconds, finite=finite, optimizer=optimizer)
    if capture_s is not None:
        rec["capture_s"] = capture_s
    return rec


# ----------------------------------------------------------------------------------------------- the run

def skipped(rec, reason):
    rec.update(median=None, repeats=[], skipped=reason)
    return rec


def first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""


def mode_skip(mode, device):
    """Why mode cannot run on device, or None."""
    if mode.startswith("graphs") and device.type != "cuda":
        return "CUDA graphs need a CUDA device (this run: --device cpu)"
    return None


def preset_records(name, args, device):
    """Every record of one preset: sampling at each particle count, training of each network at each batch, in each
    mode."""
    preset = peer.PRESETS[name]
    records = []
    if "sampling" in args.measure:
        for n in args.particles:
            chunk = choose_chunk(preset, n, args, device)
            for mode in args.modes:
                rec = run_mode(sampling_record(name, preset, n, mode), device, measure_sampling, preset, chunk, args,
                               device)
                chunk = rec.get("chunk", chunk)  # a chunk halved on running out of memory is kept for the next mode
                records.append(rec)
    if "training" in args.measure:
        batches = dict.fromkeys(preset["batch"] if b == "preset" else b for b in args.train_batches)
        for i in range(len(preset["nets"])):
            for batch in batches:
                for mode in args.modes:
                    records.append(run_mode(training_record(name, preset, i, batch, mode, args), device,
                                            measure_training, preset, i, args, device))
    return records


def run_mode(rec, device, measure, *measure_args):
    """measure(rec, *measure_args) with TF32 set for rec's mode, or rec skipped with the reason the mode cannot run
    on this device."""
    mode = rec["mode"]
    reason = mode_skip(mode, device)
    if reason:
        skipped(rec, reason)
    else:
        set_tf32(mode.endswith("tf32on"))
        measure(rec, *measure_args)
        release(device)
        if device.type != "cuda" and mode.endswith("tf32on"):
            rec["note"] = "TF32 applies to CUDA matmuls only: on the CPU this is the tf32off computation"
    show = "skipped: " + rec["skipped"] if rec.get("skipped") else f"{rec['median']:,.1f} {rec['unit']}"
    print(f"{rec['preset']:18s} {rec['measurement']:8s} {rec['network']:10s} {rec['size_kind']} {rec['size']:,} "
          f"{mode}: {show}", file=sys.stderr)
    return rec


def nvidia_smi():
    """The driver's view (nvidia-smi): GPU, driver version, the CUDA version it supports; None without it."""
    try:
        query = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm,"
                                "power.limit", "--format=csv,noheader"], capture_output=True, text=True, timeout=60)
        banner = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    cuda = re.search(r"CUDA Version:\s*([\d.]+)", banner)
    gpus = [line.strip() for line in query.stdout.splitlines() if line.strip()]
    return {"gpus": gpus, "driver": gpus[0].split(",")[1].strip() if gpus and "," in gpus[0] else None,
            "cuda_driver_api": cuda.group(1) if cuda else None}


def machine(device):
    host = peer.machine()
    info = {"torch": torch.__version__, "torch_cuda": torch.version.cuda, "python": platform.python_version(),
            "os": host["os"], "cpu": host["cpu"], "cores": host["cores"], "memory_gib": host["memory_gib"],
            "nvidia_smi": nvidia_smi()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(gpu=torch.cuda.get_device_name(device), gpu_memory_gib=round(props.total_memory / 2 ** 30, 1),
                    compute_capability=f"{props.major}.{props.minor}", multiprocessors=props.multi_processor_count,
                    cudnn=torch.backends.cudnn.version())
    else:
        info["threads"] = torch.get_num_threads()
    return info


def table(result):
    """Markdown: one row per (preset, measurement, network, size), one column per mode; skip reasons below."""
    m, s = result["machine"], result["settings"]
    where = f"{m['gpu']} ({m['gpu_memory_gib']} GiB), CUDA {m['torch_cuda']}, driver " \
            f"{(m['nvidia_smi'] or {}).get('driver')}" if "gpu" in m else f"the CPU ({m['cpu']}, {m['threads']} threads)"
    lines = [f"PyTorch {m['torch']} on {where}; medians of {s['repeats']} repeats after {s['warmup']} warm-up "
             f"(sampling: full runs; training: {s['train_steps']} steps per repeat)", "",
             "| preset | measurement | size | chunk | " + " | ".join(s["modes"]) + " |",
             "|---|---|---:|---:|" + "---:|" * len(s["modes"])]
    rows, notes = {}, {}
    for r in result["records"]:
        key = (r["preset"], r["measurement"], r["network"], r["size_kind"], r["size"])
        rows.setdefault(key, {})[r["mode"]] = r
        for note in ("skipped: " + r["skipped"] if r.get("skipped") else None, r.get("note")):
            if note:
                notes.setdefault(note, {}).setdefault(r["mode"], set()).add(r["preset"])
    for (preset, measurement, network, kind, size), by_mode in rows.items():
        if measurement == "sampling":
            what = f"sampling, {next(iter(by_mode.values()))['sampler']} (particle-steps/s)"
            chunks = sorted({r["chunk"] for r in by_mode.values() if "chunk" in r})
            chunk = "/".join(f"{c:,}" if c and c < size else "all" for c in chunks)
        else:
            what, chunk = f"training {network} (steps/s)", ""
        cells = [cell(by_mode.get(mode)) for mode in s["modes"]]
        size_text = f"{size:,} particles" if kind == "particles" else f"batch {size:,}"
        lines.append(f"| {preset} | {what} | {size_text} | {chunk} | " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
    for note, modes in notes.items():
        presets = sorted(set().union(*modes.values()))
        lines.append(f"- {', '.join(modes)} ({', '.join(presets)}): {note}")
    return "\n".join(lines)


def cell(rec):
    if rec is None:
        return ""
    if rec.get("skipped"):
        return "skipped"
    return f"{rec['median']:,.0f}" + ("" if rec.get("finite", True) else " (not finite)")


def main(args):
    names = peer.select_presets(args.presets)
    device = open_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    result = {"peer": "pytorch-gpu", "device": str(device), "machine": machine(device),
              "settings": {k: getattr(args, k) for k in ("modes", "measure", "particles", "chunk", "memory_fraction",
                                                         "train_batches", "train_steps", "warmup", "repeats",
                                                         "seed")},
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "records": []}
    m = result["machine"]
    print(f"torch {m['torch']}, {m.get('gpu', 'CPU')}, CUDA {m['torch_cuda']}", file=sys.stderr)
    for name in names:
        result["records"] += preset_records(name, args, device)
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(table(result))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main(parse_args())
