#!/usr/bin/python3
"""Loads a diffusion4j checkpoint (.safetensors) into the PyTorch module of bench/peer/pytorch_presets.py.

    import sys; sys.path.insert(0, "bench/peer")
    from load_checkpoint import load
    net, meta = load("runs/demo/model.safetensors")           # an nn.Module in eval mode, and the metadata
    eps = net(torch.tensor([[0.5, -1.0]]), torch.tensor([199]))  # x, y at DDPM step 199

The checkpoint's metadata holds the network spec ("network", the JSON of model.NetworkSpecJson), the resolved config
("config", TOML), the role, the weights (raw or ema) and "layout", the facts a PyTorch user needs that the names alone
do not say (the time table's tensor name, the order of sinusoidal features, pre-norm residual blocks, the head).
Only torch and the standard library are used (no safetensors package).

    /usr/bin/python3 bench/peer/load_checkpoint.py CHECKPOINT XY_T.json   # check: outputs against a JSON of inputs
                                                                          # and expected outputs (PyTorchInteropTest)
"""
import json
import struct
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0] if "/" in __file__ else ".")
from pytorch_presets import Network  # noqa: E402


def read_safetensors(path):
    """The tensors (float32) and the __metadata__ dict of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        buf = bytearray(data[8 + n + start:8 + n + end])
        tensors[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(entry["shape"])
    return tensors, meta


def spec_of(network_json):
    """The Network spec dict of pytorch_presets from model.NetworkSpecJson's JSON."""
    s = json.loads(network_json)
    t, c, b = s["time"], s["conditioning"], s["body"]
    time = {"none": ("none",), "raw": ("raw", t.get("scale")), "sinusoidal": ("sinusoidal", t.get("dim")),
            "table": ("table", t.get("steps"), t.get("dim"))}[t["kind"]]
    cond = {"none": ("none",), "onehot": ("onehot", c.get("classes")), "continuous": ("continuous", c.get("dim")),
            "label": ("label", c.get("classes"))}[c["kind"]]
    body = ("plain", list(b["hidden"])) if b["kind"] == "plain" else ("residual", b["width"], b["blocks"])
    return {"time": time, "cond": cond, "body": body, "act": s["activation"]}


def load(path):
    """The checkpoint's network as a Network module in eval mode (strict load: every tensor named and shaped), and its metadata."""
    tensors, meta = read_safetensors(path)
    net = Network(spec_of(meta["network"]))
    net.load_state_dict(tensors, strict=True)
    return net.eval(), meta


def check(path, cases_path):
    """Runs the cases of a JSON file ({"xy": [[x, y]...], "t": [...], "labels"?, "values"?, "expected": [[..]..],
    "tolerance": float}) through the loaded network; exit code 1 on a mismatch."""
    net, meta = load(path)
    cases = json.load(open(cases_path))
    xy = torch.tensor(cases["xy"], dtype=torch.float32)
    t = torch.tensor(cases["t"]) if cases.get("t") is not None else None
    labels = torch.tensor(cases["labels"]) if cases.get("labels") is not None else None
    values = torch.tensor(cases["values"], dtype=torch.float32) if cases.get("values") is not None else None
    with torch.no_grad():
        out = net(xy, t, labels, values).double()
    err = (out - torch.tensor(cases["expected"], dtype=torch.float64)).abs().max().item()
    print(f"{path}: {xy.shape[0]} points, max |torch - diffusion4j| = {err:.3g} (tolerance {cases['tolerance']:.3g}); "
          f"layout: {meta.get('layout', '')[:60]}...")
    return 0 if err <= cases["tolerance"] else 1


if __name__ == "__main__":
    sys.exit(check(sys.argv[1], sys.argv[2]))
