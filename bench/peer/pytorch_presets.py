#!/usr/bin/python3
"""The diffusion4j presets in PyTorch on the CPU: the peer of the engine benchmarks.

Per preset it measures
  training   optimizer steps/s at the preset's batch: minibatch draw from a tensor dataset, noising, forward,
             loss, backward, Adam/AdamW step (the first network; document 002's score network is reported too);
  sampling   particle-steps/s of the preset's sampler on --particles particles, timing --sample-steps updates of
             the preset's time grid after warm-up (every update of a run costs the same, so a full run takes
             preset steps x the per-update time).
Figures are medians over --repeats repeats. Networks, objectives, processes and samplers follow the specs of
org.diffusion4j (model.NetworkSpec, Body, TimeEmbedding, Conditioning; objective.Objective; process.*;
sampler.SamplerSpec), with parameter names and shapes of model.ParameterLayout.

  /usr/bin/python3 bench/peer/pytorch_presets.py --threads 2 --particles 100000,10000,1000 \
      --out bench/results/pytorch-cpu.json
  bash bench/peer/check_networks.sh    # names, shapes and outputs against ParameterLayout and ReferenceNetwork
The JSON records the machine, torch, the BLAS kernel, the threads and how much CPU other processes took during
the run (contention.other_cpu_s): figures taken beside other work are low.

Imported as a module (bench/peer/pytorch_gpu.py does), it reads no command line: PRESETS, Network, make_trainer and
make_sampler take a device, so the GPU peer runs the same code.
"""
import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

UNCONDITIONAL = ["ou-halfcircles", "dsm-ring", "ddpm-ring", "flow-gmm11", "ddpm-spiral", "ddpm-swissroll"]
CONDITIONAL = ["ddpm-ring-onehot", "ddpm-ring-radius", "ddpm-shapes"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--presets", default=",".join(UNCONDITIONAL),
                   help="comma-separated preset names, or 'all' (default: the six unconditional presets)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch and BLAS threads (default: all cores)")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats per measurement; the median is reported")
    p.add_argument("--train-steps", type=int, default=50, help="optimizer steps per training repeat")
    p.add_argument("--train-warmup", type=int, default=20, help="untimed optimizer steps before the repeats")
    p.add_argument("--particles", default="100000",
                   help="particles per sampling run; a comma-separated list also measures the others (the first is "
                        "the headline figure), e.g. 100000,1000 to match CpuEngineBench's smaller DDPM runs")
    p.add_argument("--sample-steps", type=int, default=10, help="sampler updates per timed sampling repeat")
    p.add_argument("--sample-warmup", type=int, default=2, help="untimed sampler updates before the repeats")
    p.add_argument("--chunk", type=int, default=0,
                   help="evaluate the networks on chunks of this many particles while sampling (0: all at once, "
                        "as the documents do; chunks keep the hidden activations in cache)")
    p.add_argument("--openblas-coretype", default="auto",
                   help="OpenBLAS kernel: 'auto' lets OpenBLAS detect the CPU (clears OPENBLAS_CORETYPE), "
                        "'env' keeps the environment's setting, anything else forces that core type")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall: elapsed time; cpu: the process's CPU time (user + system of all its threads), which "
                        "other processes on a shared machine hardly move; compare at --threads 1 with the engine's "
                        "bench --clock cpu")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="write the JSON results here")
    p.add_argument("--layout", action="store_true",
                   help="print every network's parameter names and shapes as JSON and exit")
    p.add_argument("--check-forward", metavar="FILE",
                   help="JSON lines of bench/peer/forward.jsh: load each network's parameters, run the batch and "
                        "compare with the reference engine's output; exit 1 on a mismatch")
    return p.parse_args(argv)


def configure_blas(args):
    """BLAS threads and kernel are read when the library loads, so they are set before torch is imported."""
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    if args.openblas_coretype == "auto":
        os.environ.pop("OPENBLAS_CORETYPE", None)
    elif args.openblas_coretype != "env":
        os.environ["OPENBLAS_CORETYPE"] = args.openblas_coretype


# Run as a script, the command line is read before torch loads; imported (bench/peer/pytorch_gpu.py), the module
# only defines the presets, networks, objectives and samplers.
if __name__ == "__main__":
    ARGS = parse_args()
    configure_blas(ARGS)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# ----------------------------------------------------------------------------------------------- presets

def plain(time, act, *hidden, cond=("none",)):
    return {"time": time, "cond": cond, "body": ("plain", list(hidden)), "act": act}


def ddpm_ring(cond, dataset, variance):
    return {"dataset": dataset, "data_size": 5000, "process": ("ddpm", 200),
            "nets": [("eps", plain(("table", 200, 16), "relu", 128, 128, cond=cond), "epsilon-mse")],
            "optimizer": ("adam", 1e-3), "batch": 256, "sampler": ("ddpm", variance), "steps": 200}


def ddpm_spiral(cond, dataset, size):
    net = {"time": ("sinusoidal", 32), "cond": cond, "body": ("residual", 256, 3), "act": "silu"}
    return {"dataset": dataset, "data_size": size, "process": ("ddpm", 300), "nets": [("eps", net, "epsilon-mse")],
            "optimizer": ("adam", 1e-4), "batch": 256, "sampler": ("ddpm", "beta"), "steps": 300}


FLOW_NET = plain(("raw", 1.0), "silu", 1024, 16)

# The hyperparameters of org.diffusion4j.config.Presets.
PRESETS = {
    "ou-halfcircles": {"dataset": "halfcircles", "data_size": 2048, "process": ("ou", 0.5, 0.5, 1.0, 1e-5),
                       "nets": [("score", plain(("raw", 1.0), "relu", 512, 512), "weighted-dsm")],
                       "optimizer": ("adam", 1e-3), "batch": 32, "sampler": ("reverse-sde",), "steps": 250},
    "dsm-ring": {"dataset": "ring", "data_size": 5000, "process": ("noise-levels", 0.5, 3.0),
                 "nets": [("score", plain(("none",), "softplus", 128, 128, 128), "score-matching")],
                 "optimizer": ("adamw", 1e-3), "batch": 256, "sampler": ("annealed-langevin", 1000, 1e-2),
                 "steps": 1000},
    "ddpm-ring": ddpm_ring(("none",), "ring", "beta"),
    "ddpm-ring-onehot": ddpm_ring(("onehot", 8), "ring", "posterior"),
    "ddpm-ring-radius": ddpm_ring(("continuous", 16), "ring-radius", "posterior"),
    "flow-gmm11": {"dataset": "gmm11", "data_size": 50_000, "process": ("gaussian-path", 0.999),
                   "nets": [("flow", FLOW_NET, "flow-matching"), ("score", FLOW_NET, "score-matching")],
                   "optimizer": ("adam", 1e-3), "batch": 1000, "sampler": ("langevin-flow", 0.5), "steps": 299},
    "ddpm-spiral": ddpm_spiral(("none",), "spiral", 2000),
    "ddpm-shapes": ddpm_spiral(("label", 2), "shapes", 4000),
    "ddpm-swissroll": {"dataset": "swissroll", "data_size": 2000, "process": ("ddpm", 1000),
                       "nets": [("eps", plain(("raw", 1.0 / 1000), "relu", 256, 256), "epsilon-mse")],
                       "optimizer": ("adam", 1e-3), "batch": 128, "sampler": ("ddpm", "posterior"), "steps": 1000},
}


# ----------------------------------------------------------------------------------------------- data

def dataset(name, n, g):
    """(points [n, 2], labels [n] or None, values [n] or None) after data.Datasets."""
    two_pi = 2 * math.pi

    def normal(m, std):
        return std * torch.randn(m, 2, generator=g, dtype=torch.float64)

    def mixture(m, k, radius, std):
        labels = torch.randint(k, (m,), generator=g)
        angle = two_pi * labels.double() / k
        return torch.stack([radius * angle.cos(), radius * angle.sin()], 1) + normal(m, std), labels

    def spiral(m):
        theta = torch.rand(m, generator=g, dtype=torch.float64).sqrt() * 4 * math.pi
        xy = 0.5 * theta[:, None] * torch.stack([theta.cos(), theta.sin()], 1) + normal(m, 0.3)
        return xy / xy.abs().max()

    def circle(m):
        theta = two_pi * torch.rand(m, generator=g, dtype=torch.float64)
        return 0.8 * torch.stack([theta.cos(), theta.sin()], 1) + normal(m, 0.06)

    labels = values = None
    if name == "halfcircles":
        m = (n + 1) // 2
        theta = torch.linspace(0, math.pi, m, dtype=torch.float64).repeat_interleave(2)[:n]
        big = torch.stack([0.6 + 1.4 * theta.cos(), 0.2 + 1.4 * theta.sin()], 1)
        small = torch.stack([-0.5 + 0.5 * (theta + math.pi).cos(), -1.0 + 0.5 * (theta + math.pi).sin()], 1)
        odd = (torch.arange(n) % 2 == 1)[:, None]
        xy = torch.where(odd, small, big) + normal(n, 0.02)
    elif name == "ring":
        xy, labels = mixture(n, 8, 3.0, 0.25)
    elif name == "ring-radius":
        xy, _ = mixture(n, 8, 3.0, 0.25)
        values = xy.norm(dim=1)
    elif name == "gmm11":
        xy, labels = mixture(n, 11, 10.0, 1.0)
    elif name == "spiral":
        xy = spiral(n)
    elif name == "shapes":
        xy = torch.cat([spiral(n), circle(n)])
        labels = torch.cat([torch.zeros(n, dtype=torch.long), torch.ones(n, dtype=torch.long)])
    elif name == "swissroll":
        s = 4 * math.pi * torch.rand(n, generator=g, dtype=torch.float64)
        xy = s[:, None] * torch.stack([s.cos(), s.sin()], 1) + normal(n, 0.1)
    else:
        raise ValueError("unknown dataset " + name)
    return xy.float(), labels, None if values is None else values.float()


# ----------------------------------------------------------------------------------------------- processes

class Process:
    """Marginal x_t = a(t) x_0 + s(t) eps; training times; what the network is fed as time. Training times are drawn
    on self.device (the default generator of that device)."""

    device = torch.device("cpu")

    def net_time(self, t):
        return t

    def to(self, device):
        self.device = torch.device(device)
        return self


class OU(Process):
    def __init__(self, lam, sigma, t_end, t_min):
        self.lam, self.sigma, self.t_end, self.t_min = lam, sigma, t_end, t_min
        self.prior_std = self._noise(t_end)

    def _noise(self, t):
        return math.sqrt(self.sigma ** 2 / (2 * self.lam) * -math.expm1(-2 * self.lam * t))

    def train_times(self, b):
        return self.t_min + torch.rand(b, device=self.device) * (self.t_end - self.t_min)

    def coefficients(self, t):
        var = self.sigma ** 2 / (2 * self.lam) * -torch.expm1(-2 * self.lam * t)
        return torch.exp(-self.lam * t), var.sqrt()


class Ddpm(Process):
    """beta and alpha_bar (float64) stay on the CPU, read as Python numbers by the sampler; the training tables are
    moved to the device by to()."""

    def __init__(self, steps):
        self.steps = steps
        self.beta = torch.linspace(1e-4, 0.02, steps, dtype=torch.float64)
        self.alpha_bar = torch.cumprod(1 - self.beta, 0)
        self.sqrt_ab = self.alpha_bar.sqrt().float()
        self.sqrt_1mab = (1 - self.alpha_bar).sqrt().float()
        self.prior_std = 1.0

    def to(self, device):
        self.device = torch.device(device)
        self.sqrt_ab, self.sqrt_1mab = self.sqrt_ab.to(device), self.sqrt_1mab.to(device)
        return self

    def train_times(self, b):
        return torch.randint(self.steps, (b,), device=self.device)

    def coefficients(self, t):
        return self.sqrt_ab[t], self.sqrt_1mab[t]


class NoiseLevels(Process):
    """One level (document 001's single-sigma DSM)."""

    def __init__(self, sigma, prior_std):
        self.sigma, self.prior_std = sigma, prior_std

    def train_times(self, b):
        return torch.zeros(b, dtype=torch.long, device=self.device)

    def coefficients(self, t):
        return torch.ones(t.shape, device=t.device), torch.full(t.shape, self.sigma, device=t.device)


class GaussianPath(Process):
    """alpha_t = t, beta_t = sqrt(1 - t), t <= t_max."""

    def __init__(self, t_max):
        self.t_max, self.prior_std = t_max, 1.0

    def train_times(self, b):
        return torch.rand(b, device=self.device) * self.t_max

    def coefficients(self, t):
        t = t.clamp(0, self.t_max)
        return t, (1 - t).sqrt()


def make_process(spec, device="cpu"):
    kind = spec[0]
    if kind == "ou":
        proc = OU(*spec[1:])
    elif kind == "ddpm":
        proc = Ddpm(spec[1])
    elif kind == "noise-levels":
        proc = NoiseLevels(*spec[1:])
    else:
        proc = GaussianPath(spec[1])
    return proc.to(device)


# ----------------------------------------------------------------------------------------------- networks

ACTIVATIONS = {"relu": F.relu, "silu": F.silu, "softplus": F.softplus}


class Table(nn.Module):
    """A learned table indexed by integers, N(0, 1) at start."""

    def __init__(self, rows, cols):
        super().__init__()
        self.table = nn.Parameter(torch.randn(rows, cols))

    def forward(self, index):
        return F.embedding(index, self.table)


class TwoLayer(nn.Module):
    """[LayerNorm ->] Linear -> act -> Linear, children named as in ParameterLayout (norm, 0, 1)."""

    def __init__(self, n_in, n_hidden, n_out, act, norm=False):
        super().__init__()
        self.act = act
        self.norm = nn.LayerNorm(n_in, eps=1e-5) if norm else None
        self.add_module("0", nn.Linear(n_in, n_hidden))
        self.add_module("1", nn.Linear(n_hidden, n_out))

    def forward(self, x):
        if self.norm is not None:
            x = self.norm(x)
        return getattr(self, "1")(self.act(getattr(self, "0")(x)))


class Network(nn.Module):
    """model.NetworkSpec: inputs (x, y [, time features] [, conditioning]) into a plain or residual trunk."""

    def __init__(self, spec):
        super().__init__()
        self.act = ACTIVATIONS[spec["act"]]
        self.time_kind, self.cond_kind, self.body_kind = spec["time"][0], spec["cond"][0], spec["body"][0]
        time, cond, body = spec["time"], spec["cond"], spec["body"]
        features = {"none": 0, "raw": 1, "sinusoidal": time[-1], "table": time[-1]}[self.time_kind]
        if self.time_kind == "raw":
            self.time_scale = time[1]
        elif self.time_kind == "sinusoidal":
            i = torch.arange(time[1] // 2, dtype=torch.float64)
            freq = torch.exp(-(2 * i / time[1]) * math.log(10000.0))
            self.register_buffer("freq", freq.to(torch.get_default_dtype()), persistent=False)
        elif self.time_kind == "table":
            self.time = Table(time[1], time[2])
        width = body[1][0] if self.body_kind == "plain" else body[1]
        n_in = 2 + (features if self.body_kind == "plain" else 0)
        if self.body_kind == "residual" and features > 0:
            self.time_mlp = TwoLayer(features, width, width, self.act)
        if self.cond_kind == "onehot":
            self.classes = cond[1]
            n_in += cond[1]
        elif self.cond_kind == "continuous":
            self.cond_mlp = TwoLayer(1, cond[1], cond[1], self.act)
            n_in += cond[1]
        elif self.cond_kind == "label":
            self.label = Table(cond[1], width)
        if self.body_kind == "plain":
            sizes = [n_in] + body[1] + [2]
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        else:
            self.input = nn.Linear(n_in, width)
            self.blocks = nn.ModuleList(TwoLayer(width, width, width, self.act, norm=True) for _ in range(body[2]))
            self.output = TwoLayer(width, width // 2, 2, self.act, norm=True)

    def time_features(self, t):
        if self.time_kind == "raw":
            return (self.time_scale * t.to(torch.get_default_dtype()))[:, None]
        if self.time_kind == "sinusoidal":
            angle = t.to(torch.get_default_dtype())[:, None] * self.freq[None, :]
            return torch.stack([angle.sin(), angle.cos()], 2).flatten(1)
        return self.time(t.long())

    def forward(self, xy, t=None, labels=None, values=None):
        """xy [n, 2]; t [n], or [1] for one time shared by all rows (its features are computed once)."""
        n = xy.shape[0]
        tf = self.time_features(t) if self.time_kind != "none" else None
        parts = [xy]
        if tf is not None and self.body_kind == "plain":
            parts.append(tf.expand(n, -1))
        if self.cond_kind == "onehot":
            parts.append(F.one_hot(labels, self.classes).to(xy.dtype))
        elif self.cond_kind == "continuous":
            parts.append(self.cond_mlp(values[:, None]))
        h = torch.cat(parts, 1) if len(parts) > 1 else xy
        if self.body_kind == "plain":
            for i, layer in enumerate(self.layers[:-1]):
                z = layer(h)
                if i == 0 and self.cond_kind == "label":
                    z = z + self.label(labels)
                h = self.act(z)
            return self.layers[-1](h)
        h = self.input(h)
        if tf is not None:
            h = h + self.time_mlp(tf)
        if self.cond_kind == "label":
            h = h + self.label(labels)
        for block in self.blocks:
            h = h + block(h)
        return self.output(h)


# ----------------------------------------------------------------------------------------------- training

def objective_target(objective, proc, x0, eps, xt, t, s):
    if objective == "epsilon-mse":
        return eps
    if objective in ("weighted-dsm", "score-matching"):
        return -eps / s[:, None]
    tc = t.clamp(0, proc.t_max)[:, None]  # flow matching on the Gaussian path
    ratio = -0.5 / (1 - tc)
    return (1 - ratio * tc) * x0 + ratio * xt


def make_trainer(preset, net_index, g, device="cpu", batch=None, capturable=False):
    """(step, model): step() runs one full optimizer step of the preset's network net_index and returns the loss
    tensor (no host synchronization). The dataset, network and optimizer state live on device, and the minibatch is
    drawn there. batch: the preset's unless given; capturable: the optimizer's step counts on the device, as
    CUDA-graph capture needs (torch >= 1.12)."""
    proc = make_process(preset["process"], device)
    _, spec, objective = preset["nets"][net_index]
    data, labels, values = (None if a is None else a.to(device)
                            for a in dataset(preset["dataset"], preset["data_size"], g))
    model = Network(spec).to(device)
    kind, lr = preset["optimizer"]
    extra = {"capturable": True} if capturable else {}
    opt = torch.optim.Adam(model.parameters(), lr=lr, **extra) if kind == "adam" \
        else torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, **extra)
    b, n = batch or preset["batch"], data.shape[0]

    def step():
        idx = torch.randint(n, (b,), device=device)
        x0 = data[idx]
        t = proc.train_times(b)
        eps = torch.randn(b, 2, device=device)
        a, s = proc.coefficients(t)
        xt = a[:, None] * x0 + s[:, None] * eps
        target = objective_target(objective, proc, x0, eps, xt, t, s)
        out = model(xt, proc.net_time(t) if spec["time"][0] != "none" else None,
                    None if labels is None else labels[idx], None if values is None else values[idx])
        sq = (out - target) ** 2
        if objective == "weighted-dsm":
            w = (s * s).clamp(1e-3, 10.0)
            loss = (sq * (w / w.mean())[:, None]).mean()
        else:
            loss = sq.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    step.optimizer = opt  # for the record of its settings
    return step, model


# ----------------------------------------------------------------------------------------------- sampling

def chunked(net, chunk):
    """net evaluated on row chunks of x (and of per-particle conditioning), or whole when chunk <= 0."""
    if chunk <= 0:
        return net

    def evaluate(x, t, labels=None, values=None):
        outs = []
        for i in range(0, x.shape[0], chunk):
            j = slice(i, i + chunk)
            outs.append(net(x[j], t, None if labels is None else labels[j], None if values is None else values[j]))
        return torch.cat(outs)
    return evaluate


def make_sampler(preset, particles, g, chunk=0, device="cpu"):
    """(x, update(k, x) -> x): the prior draw and update k of the preset's sampler on its time grid, on device.
    The networks see row chunks of chunk particles (0: all at once). An update launches no host-device copy and no
    synchronization (its time value is a view into a grid tensor made here, its coefficients Python numbers), so a
    run of updates can be captured in a CUDA graph."""
    proc = make_process(preset["process"], device)
    nets = [Network(spec).to(device).eval() for _, spec, _ in preset["nets"]]
    for net in nets:
        net.requires_grad_(False)
    nets = [chunked(n, chunk) for n in nets]
    net = nets[0]
    data, labels, values = dataset(preset["dataset"], preset["data_size"], g)
    pick = torch.randint(data.shape[0], (particles,), generator=g)
    cond = {"labels": None if labels is None else labels[pick].to(device),
            "values": None if values is None else values[pick].to(device)}
    steps = preset["steps"]
    sampler = preset["sampler"]
    x = proc.prior_std * torch.randn(particles, 2, device=device)

    def grid(values, dtype=None):
        """One time value per update, made once; update k reads the [1]-view grid[k:k+1]."""
        return torch.tensor(values, dtype=dtype, device=device)

    if sampler[0] == "reverse-sde":
        h = (proc.t_end - proc.t_min) / steps
        g_sqrt_h = proc.sigma * math.sqrt(h)
        times = grid([proc.t_end - k * h for k in range(steps)])  # t_k = t_end - k h

        def update(k, x):
            score = net(x, times[k:k + 1], **cond)
            z = torch.randn_like(x)
            return x + h * (proc.lam * x + proc.sigma ** 2 * score) + g_sqrt_h * z
    elif sampler[0] == "ddpm":
        posterior = sampler[1] == "posterior"
        times = grid([proc.steps - 1 - k for k in range(steps)], torch.long)  # t_k = T - 1 - k

        def update(k, x):
            t = proc.steps - 1 - k
            beta = proc.beta[t].item()  # CPU float64 tables: Python numbers, no device read
            ab, ab_prev = proc.alpha_bar[t].item(), (proc.alpha_bar[t - 1].item() if t > 0 else 1.0)
            var = beta * (1 - ab_prev) / (1 - ab) if posterior else beta
            sigma = 0.0 if t == 0 else math.sqrt(var)
            eps = net(x, times[k:k + 1], **cond)
            z = torch.randn_like(x)
            return (x - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta) + sigma * z
    elif sampler[0] == "annealed-langevin":
        a = sampler[2]  # one level: a = step_size sigma^2 / sigma_min^2 = step_size
        sqrt_a = math.sqrt(a)

        def update(k, x):
            score = net(x, None, **cond)
            z = torch.randn_like(x)
            return x + 0.5 * a * score + sqrt_a * z
    else:  # langevin-flow on the Gaussian path: flow network u_t and score network
        sig = sampler[1]
        h = 1.0 / steps
        score_net = nets[1]
        times = grid([k * h for k in range(steps)])  # t_k = k h

        def update(k, x):
            t = times[k:k + 1]
            u = net(x, t, **cond)
            score = score_net(x, t, **cond)
            z = torch.randn_like(x)
            return x + h * (u + 0.5 * sig * sig * score) + sig * math.sqrt(h) * z
    return x, update


# ----------------------------------------------------------------------------------------------- measurement

def clock(args):
    return time.process_time() if args.clock == "cpu" else time.perf_counter()


def timed_training(step, args):
    """Steps/s of --repeats repeats of --train-steps steps; each step reads its loss (loss.item())."""
    for _ in range(args.train_warmup):
        step().item()
    rates = []
    for _ in range(args.repeats):
        start = clock(args)
        for _ in range(args.train_steps):
            step().item()
        rates.append(args.train_steps / (clock(args) - start))
    return rates


def timed_sampling(x, update, total_steps, particles, args):
    k = 0
    with torch.inference_mode():
        for _ in range(args.sample_warmup):
            x = update(k, x)
            k += 1
        rates = []
        for _ in range(args.repeats):
            start = clock(args)
            for _ in range(args.sample_steps):
                x = update(k % total_steps, x)
                k += 1
            rates.append(particles * args.sample_steps / (clock(args) - start))
    return rates, bool(torch.isfinite(x).all())


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 2 ** 20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "os": platform.platform(),
            "python": platform.python_version()}


def blas():
    info = {"openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE")}
    try:
        import ctypes
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info.update(library="OpenBLAS", config=lib.openblas_get_config().decode(),
                    core=lib.openblas_get_corename().decode(), threads=lib.openblas_get_num_threads())
    except (OSError, AttributeError):
        info["library"] = "libblas.so.3 (not OpenBLAS)"
    return info


def busy_seconds():
    """CPU seconds spent by the whole machine (from /proc/stat) and by this process: their difference over a run
    is the work of other processes, which competes with the measurement."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        machine_s = (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    except (OSError, ValueError):
        machine_s = float("nan")
    own = os.times()
    return machine_s, own.user + own.system


def layout(names):
    out = {}
    for name in names:
        out[name] = [{"role": role, "parameters": sum(p.numel() for p in Network(spec).parameters()),
                      "tensors": {k: list(v.shape) for k, v in Network(spec).state_dict().items()}}
                     for role, spec, _ in PRESETS[name]["nets"]]
    return out


def check_forward(path):
    """Runs each network of the file with its parameters (flat, in ParameterLayout order) on its batch."""
    torch.set_default_dtype(torch.float64)
    worst = 0.0
    print("| preset | network | max abs difference | max abs output |")
    print("|---|---|---:|---:|")
    with open(path) as f:
        cases = [json.loads(line) for line in f if line.startswith("{")]
    for case in cases:
        spec = next(s for role, s, _ in PRESETS[case["preset"]]["nets"] if role == case["role"])
        net = Network(spec)
        flat = torch.tensor(case["params"], dtype=torch.float32).double()
        offset = 0
        with torch.no_grad():
            for tensor in net.state_dict(keep_vars=True).values():
                tensor.copy_(flat[offset:offset + tensor.numel()].view_as(tensor))
                offset += tensor.numel()
        assert offset == flat.numel(), "parameter count differs"
        t = torch.tensor(case["t"])
        if spec["time"][0] == "table":
            t = t.long()
        labels = None if case["labels"] is None else torch.tensor(case["labels"])
        values = None if case["values"] is None else torch.tensor(case["values"])
        with torch.no_grad():
            out = net(torch.tensor(case["xy"]).view(-1, 2), None if spec["time"][0] == "none" else t, labels, values)
        ref = torch.tensor(case["out"]).view(-1, 2)
        diff = (out - ref).abs().max().item()
        worst = max(worst, diff / max(1.0, ref.abs().max().item()))
        print(f"| {case['preset']} | {case['role']} | {diff:.2e} | {ref.abs().max().item():.3f} |")
    return bool(cases) and worst < 1e-9


def select_presets(text):
    """'all' or a comma-separated list of preset names; exits with the allowed names on an unknown one."""
    names = list(PRESETS) if text == "all" else [p.strip() for p in text.split(",") if p.strip()]
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        sys.exit("unknown presets: " + ", ".join(unknown) + "; allowed: " + ", ".join(PRESETS))
    return names


def main(args):
    names = select_presets(args.presets)
    if args.layout:
        json.dump(layout(names), sys.stdout, indent=1)
        print()
        return
    if args.check_forward:
        sys.exit(0 if check_forward(args.check_forward) else 1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    result = {"peer": "pytorch-cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
              "machine": machine(), "blas": blas(),
              "settings": {k: getattr(args, k) for k in ("repeats", "train_steps", "train_warmup", "particles",
                                                         "sample_steps", "sample_warmup", "chunk", "seed", "clock")},
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_before": os.getloadavg(),
              "presets": {}}
    print(f"torch {torch.__version__}, {result['threads']} threads, {result['machine']['cpu']}, "
          f"BLAS {result['blas'].get('core', result['blas']['library'])}", file=sys.stderr)
    busy0, own0, wall0 = *busy_seconds(), time.perf_counter()
    for name in names:
        preset = PRESETS[name]
        g = torch.Generator().manual_seed(args.seed)
        entry = {"batch": preset["batch"], "sampler": preset["sampler"][0], "preset_steps": preset["steps"],
                 "training": []}
        for i, (role, spec, objective) in enumerate(preset["nets"]):
            step, model = make_trainer(preset, i, g)
            rates = timed_training(step, args)
            entry["training"].append({"role": role, "objective": objective,
                                      "parameters": sum(p.numel() for p in model.parameters()),
                                      "steps_per_s": statistics.median(rates), "repeats": rates})
        entry["train_steps_per_s"] = entry["training"][0]["steps_per_s"]
        counts = [int(c) for c in args.particles.split(",")]
        for n in counts:
            x, update = make_sampler(preset, n, g, args.chunk)
            rates, finite = timed_sampling(x, update, preset["steps"], n, args)
            ps = statistics.median(rates)
            run = {"particles": n, "timed_steps": args.sample_steps,
                   "network_evaluations_per_step": len(preset["nets"]),
                   "particle_steps_per_s": ps, "repeats": rates, "finite": finite,
                   "full_run_s": n * preset["steps"] / ps}
            entry.setdefault("sampling", run)
            entry.setdefault("sampling_at", {})[str(n)] = run
        ps = entry["sampling"]["particle_steps_per_s"]
        result["presets"][name] = entry
        print(f"{name:18s} train {entry['train_steps_per_s']:9.1f} steps/s   sample {ps:14,.0f} particle-steps/s",
              file=sys.stderr)
    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["load_after"] = os.getloadavg()
    busy1, own1 = busy_seconds()
    result["contention"] = {"wall_s": time.perf_counter() - wall0, "own_cpu_s": own1 - own0,
                            "other_cpu_s": (busy1 - busy0) - (own1 - own0)}
    print(f"wall {result['contention']['wall_s']:.0f} s, own CPU {result['contention']['own_cpu_s']:.0f} s, "
          f"other processes' CPU {result['contention']['other_cpu_s']:.0f} s", file=sys.stderr)
    print(table(result))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")


def table(result):
    lines = [f"PyTorch {result['torch']} on the CPU, {result['threads']} threads, {result['machine']['cpu']} "
             f"({result['machine']['cores']} cores), BLAS {result['blas'].get('core', result['blas']['library'])}; "
             f"medians of {result['settings']['repeats']} repeats",
             "",
             "| preset | batch | train steps/s | sampler, steps | particles | particle-steps/s | full run (s) |",
             "|---|---:|---:|---|---:|---:|---:|"]
    for name, e in result["presets"].items():
        s = e["sampling"]
        lines.append(f"| {name} | {e['batch']} | {e['train_steps_per_s']:,.1f} | {e['sampler']}, {e['preset_steps']} | "
                     f"{s['particles']:,} | {s['particle_steps_per_s']:,.0f} | {s['full_run_s']:,.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main(ARGS)
