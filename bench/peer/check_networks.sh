#!/usr/bin/env bash
# Checks that the PyTorch peer's networks are ours, for every preset: the parameter names, shapes and counts of
# model.ParameterLayout, and the reference network's output on a small batch with the same parameters.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
cp="target/classes:$(cat target/bench-classpath.txt)"
java_out=$(mktemp)
py_out=$(mktemp)
fwd_out=$(mktemp)
trap 'rm -f "$java_out" "$py_out" "$fwd_out"' EXIT
jshell -q --class-path "$cp" bench/peer/layout.jsh > "$java_out"
/usr/bin/python3 bench/peer/pytorch_presets.py --layout --presets all > "$py_out"
/usr/bin/python3 - "$java_out" "$py_out" <<'PY'
import json, sys
java = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 4 and f[2] == "size":
        java.setdefault((f[0], f[1]), {"size": 0, "tensors": {}})["size"] = int(f[3])
    elif len(f) == 5 and f[2] == "tensor":
        java.setdefault((f[0], f[1]), {"size": 0, "tensors": {}})["tensors"][f[3]] = [int(d) for d in f[4].split("x")]
torch = json.load(open(sys.argv[2]))
bad = 0
print("| preset | network | ParameterLayout | PyTorch | names and shapes |")
print("|---|---|---:|---:|---|")
for preset, nets in torch.items():
    for net in nets:
        j = java.get((preset, net["role"]))
        same = j is not None and j["tensors"] == net["tensors"] and list(j["tensors"]) == list(net["tensors"])
        ok = same and j["size"] == net["parameters"]
        bad += not ok
        print(f"| {preset} | {net['role']} | {j['size'] if j else '-':,} | {net['parameters']:,} | {'same' if same else 'DIFFERENT'} |")
missing = set(java) - {(p, n["role"]) for p, nets in torch.items() for n in nets}
for key in sorted(missing):
    print("missing in PyTorch:", *key)
sys.exit(1 if bad or missing else 0)
PY
echo
jshell -q --class-path "$cp" bench/peer/forward.jsh > "$fwd_out"
/usr/bin/python3 bench/peer/pytorch_presets.py --check-forward "$fwd_out"
