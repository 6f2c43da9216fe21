#!/usr/bin/env python3
"""Generate Sparrow's committed test fixtures from scikit-learn's bundled digits data set.

Trains a few tiny models on CPU, exports them to ONNX with the legacy TorchScript exporter,
checks every export with onnx.checker and onnxruntime, and writes everything into
Tests/Fixtures/digits/. The Swift tests read these files without Python.

Run from the repository root:

    python3 Tests/Fixtures/make_fixtures.py

Deterministic: fixed seeds, one CPU thread, deterministic torch algorithms. Re-running it on
the same library versions rewrites byte-identical files (summary.json records the sha256 of
each file so a drift is easy to spot).
"""

from __future__ import annotations

import collections
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import sklearn
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20240613
OUT_DIR = Path(__file__).resolve().parent / "digits"
CALIB_COUNT = 200
REF_COUNT = 8
MAX_FILE_BYTES = 1_000_000
# Chosen on the validation split (no augmentation, Adam + cosine schedule); a few seconds each.
EPOCHS = 120
LR = 1e-2
# Keeps logits moderate, so softmax outputs are not all exactly 0 or 1 (a weak golden for int8).
LABEL_SMOOTHING = 0.1

# One thread makes float reductions run in the same order every time, so training (and hence
# the exported weights) is bit-for-bit reproducible on a given machine and library version.
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
# The legacy exporter warns that it is deprecated; we use it on purpose (brief: dynamo=False).
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------

def load_split():
    """digits → float32 [N,1,8,8] in [0,1], int64 labels; stratified 60/20/20 split."""
    digits = load_digits()
    x = (digits.images.astype(np.float32) / np.float32(16.0)).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, test_size=0.4, random_state=SEED, stratify=y)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, test_size=0.5, random_state=SEED, stratify=y_rest)
    as_c = lambda a: np.ascontiguousarray(a)
    return tuple(as_c(a) for a in (x_train, y_train, x_val, y_val, x_test, y_test))


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

class DigitsCNN(nn.Module):
    """The main example: BN (left unfused in the export), depthwise, ReLU6, residual Add,
    MaxPool, stride-2 conv, global average pool, Flatten, Linear."""

    def __init__(self):
        super().__init__()
        # bias=True here although a BN follows: the converter's BN fold must keep an existing bias.
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=True)
        self.stem_bn = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.dw_bn = nn.BatchNorm2d(16)
        self.pw = nn.Conv2d(16, 16, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)                                   # 8x8 -> 4x4
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)  # 4x4 -> 2x2
        self.down_bn = nn.BatchNorm2d(32)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        s = F.relu(self.stem_bn(self.stem(x)))
        b = F.relu6(self.dw_bn(self.dw(s)))
        b = F.relu(self.pw_bn(self.pw(b)))
        x = s + b                                   # residual Add of two [N,16,8,8] tensors
        x = self.pool(x)
        x = F.relu(self.down_bn(self.down(x)))
        x = self.gap(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


class DigitsMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 64), nn.ReLU(),
            nn.Linear(64, 32), nn.ReLU(),
            nn.Linear(32, 10),
        )

    def forward(self, x):
        return self.net(x)


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeezed):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        s = self.pool(x)
        s = F.relu(self.reduce(s))
        s = F.hardsigmoid(self.expand(s))
        return x * s                                # [N,C,H,W] * [N,C,1,1] broadcast Mul


class DigitsMBV3(nn.Module):
    """MobileNetV3-flavoured: explicit Pad, HardSwish, inverted residual with SE, two-branch
    Concat (one branch AveragePool + SiLU-style Sigmoid gate), ReduceMean, view-Reshape, Softmax.
    BN is present in the module but folded by the exporter (constant folding on), as in a
    default real-world export."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=0, bias=False)    # padding done by F.pad
        self.stem_bn = nn.BatchNorm2d(16)
        self.expand = nn.Conv2d(16, 32, 1, bias=False)
        self.expand_bn = nn.BatchNorm2d(32)
        self.dw = nn.Conv2d(32, 32, 3, stride=2, padding=1, groups=32, bias=False)
        self.dw_bn = nn.BatchNorm2d(32)
        self.se = SqueezeExcite(32, 8)
        self.project = nn.Conv2d(32, 24, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(24)
        self.branch_a = nn.Conv2d(24, 16, 1)
        # count_include_pad=False: the divisor counts only real pixels (TFLite's definition).
        self.branch_b_pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.branch_b = nn.Conv2d(24, 16, 1)
        self.head = nn.Conv2d(32, 64, 1)
        self.fc = nn.Linear(64, 10)

    def logits(self, x):
        x = F.pad(x, (1, 1, 1, 1))                                 # [N,1,10,10]
        x = F.hardswish(self.stem_bn(self.stem(x)))                # [N,16,8,8]
        x = F.hardswish(self.expand_bn(self.expand(x)))            # [N,32,8,8]
        x = F.hardswish(self.dw_bn(self.dw(x)))                    # [N,32,4,4]
        x = self.se(x)
        x = self.project_bn(self.project(x))                       # [N,24,4,4]
        a = F.hardswish(self.branch_a(x))
        b = self.branch_b(self.branch_b_pool(x))
        b = b * torch.sigmoid(b)
        x = torch.cat([a, b], dim=1)                               # [N,32,4,4]
        x = F.hardswish(self.head(x))                              # [N,64,4,4]
        x = x.mean(dim=(2, 3), keepdim=True)                       # ReduceMean -> [N,64,1,1]
        x = x.view(x.size(0), -1)                                  # Shape/Gather/.../Reshape
        return self.fc(x)

    def forward(self, x):
        return F.softmax(self.logits(x), dim=1)


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------

def seeded(make_model, seed):
    """Build a model right after seeding, so its initial weights do not depend on call order."""
    torch.manual_seed(seed)
    return make_model()


def train(model, logits_fn, x_train, y_train, x_val, y_val, *, seed, epochs, lr):
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    batch = 64
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        for start in range(0, len(xt), batch):
            idx = order[start:start + batch]
            loss = F.cross_entropy(logits_fn(xt[idx]), yt[idx], label_smoothing=LABEL_SMOOTHING)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        val_acc = (logits_fn(torch.from_numpy(x_val)).argmax(1).numpy() == y_val).mean()
    return float(val_acc)


# ----------------------------------------------------------------------------------------------
# Export and checks
# ----------------------------------------------------------------------------------------------

def export(model, path, opset, output_name, *, constant_folding):
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 1, 8, 8), str(path),
        opset_version=opset, dynamo=False,
        do_constant_folding=constant_folding,
        training=torch.onnx.TrainingMode.EVAL,
        input_names=["input"], output_names=[output_name],
        dynamic_axes={"input": {0: "N"}, output_name: {0: "N"}},
    )
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def ort_session(path):
    opts = ort.SessionOptions()
    # No graph rewrites: the golden must be the graph's own semantics, not ORT's fused kernels.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def op_histogram(proto):
    return dict(sorted(collections.Counter(n.op_type for n in proto.graph.node).items()))


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_npy(name, array):
    path = OUT_DIR / name
    np.save(path, array, allow_pickle=False)
    return path


# Per-model structural expectations, so a changed exporter cannot silently drop what a fixture
# exists to exercise.
REQUIRED_OPS = {
    "digits_cnn": {"Conv", "BatchNormalization", "Relu", "Clip", "Add", "MaxPool",
                   "GlobalAveragePool", "Flatten", "Gemm"},
    "digits_mlp": {"Flatten", "Gemm", "Relu"},
    "digits_mbv3": {"Pad", "Conv", "HardSwish", "GlobalAveragePool", "Relu", "HardSigmoid",
                    "Mul", "AveragePool", "Concat", "Sigmoid", "ReduceMean", "Shape", "Gather",
                    "Unsqueeze", "Reshape", "Gemm", "Softmax"},
}


def check_model(name, proto, path, torch_model, x_test, y_test, probs_output):
    required = REQUIRED_OPS[name.split("_opset")[0]]
    if name.startswith("digits_mbv3") and proto.opset_import[0].version < 14:
        # HardSwish exists only from opset 14; older exports spell it HardSigmoid * x.
        required = required - {"HardSwish"}
    hist = op_histogram(proto)
    missing = required - set(hist)
    assert not missing, f"{name}: export lacks {sorted(missing)}; got {hist}"

    sess = ort_session(path)
    (inp,) = sess.get_inputs()
    (out,) = sess.get_outputs()
    out_all = sess.run(None, {inp.name: x_test})[0]
    assert out_all.shape == (len(x_test), 10) and out_all.dtype == np.float32
    correct = int((out_all.argmax(1) == y_test).sum())
    acc = correct / len(y_test)

    # Dynamic batch really works: batch 1 and batch 8 agree with the full-batch run.
    ref8 = sess.run(None, {inp.name: x_test[:REF_COUNT]})[0]
    one = sess.run(None, {inp.name: x_test[:1]})[0]
    assert np.allclose(ref8, out_all[:REF_COUNT], atol=1e-5), name
    assert np.allclose(one, out_all[:1], atol=1e-5), name
    if probs_output:
        assert np.allclose(out_all.sum(1), 1.0, atol=1e-5), f"{name}: softmax rows must sum to 1"

    # onnxruntime must agree with PyTorch (catches export bugs, not just runtime bugs).
    with torch.no_grad():
        ref_torch = torch_model(torch.from_numpy(x_test)).numpy()
    torch_diff = float(np.abs(ref_torch - out_all).max())
    assert torch_diff < 1e-4, f"{name}: onnxruntime vs torch max |diff| {torch_diff}"

    ref_path = save_npy(f"{name}_ref_out8.npy", np.ascontiguousarray(ref8, dtype=np.float32))
    return {
        "file": path.name,
        "opset": int(proto.opset_import[0].version),
        "input": {"name": inp.name, "shape": [str(d) if isinstance(d, str) else d for d in inp.shape]},
        "output": {"name": out.name, "shape": [str(d) if isinstance(d, str) else d for d in out.shape],
                   "kind": "probabilities" if probs_output else "logits"},
        "float_test_acc": acc,                     # fraction in [0,1], top-1, by onnxruntime
        "float_test_correct": correct,
        "ref_out8": ref_path.name,
        "ort_vs_torch_max_abs_diff": torch_diff,
        "parameters": int(sum(p.numel() for p in torch_model.parameters())),
        "node_count": len(proto.graph.node),
        "op_types": hist,
    }


# ----------------------------------------------------------------------------------------------

def main():
    t0 = time.time()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_val, y_val, x_test, y_test = load_split()

    files = {
        "digits_calib.npy": x_train[:CALIB_COUNT],
        "digits_val_x.npy": x_val, "digits_val_y.npy": y_val,
        "digits_test_x.npy": x_test, "digits_test_y.npy": y_test,
    }
    for fname, arr in files.items():
        save_npy(fname, arr)

    models = {}

    # --- 1 + 4: the CNN, one trained model exported at three opsets, BN left unfused.
    cnn = seeded(DigitsCNN, SEED + 1)
    cnn_val = train(cnn, cnn, x_train, y_train, x_val, y_val, seed=SEED + 1, epochs=EPOCHS, lr=LR)
    for name, opset in (("digits_cnn", 13), ("digits_cnn_opset11", 11), ("digits_cnn_opset18", 18)):
        path = OUT_DIR / f"{name}.onnx"
        proto = export(cnn, path, opset, "logits", constant_folding=False)
        bn = sum(n.op_type == "BatchNormalization" for n in proto.graph.node)
        assert bn == 4, f"{name}: expected 4 unfused BatchNormalization nodes, found {bn}"
        models[name] = check_model(name, proto, path, cnn, x_test, y_test, probs_output=False)
        models[name]["float_val_acc"] = cnn_val

    # --- 2: the MLP.
    mlp = seeded(DigitsMLP, SEED + 2)
    mlp_val = train(mlp, mlp, x_train, y_train, x_val, y_val, seed=SEED + 2, epochs=EPOCHS, lr=LR)
    path = OUT_DIR / "digits_mlp.onnx"
    proto = export(mlp, path, 13, "logits", constant_folding=True)
    models["digits_mlp"] = check_model("digits_mlp", proto, path, mlp, x_test, y_test, False)
    models["digits_mlp"]["float_val_acc"] = mlp_val

    # --- 3: the MobileNetV3-flavoured net. Main file at opset 14, the first opset with a
    # HardSwish op (opset 13 decomposes it into HardSigmoid * x); extra copies at 11 and 18
    # cover Unsqueeze-axes-as-attribute (11) and ReduceMean-axes-as-input (18).
    mbv3 = seeded(DigitsMBV3, SEED + 3)
    mbv3_val = train(mbv3, mbv3.logits, x_train, y_train, x_val, y_val,
                     seed=SEED + 3, epochs=EPOCHS, lr=LR)
    for name, opset in (("digits_mbv3", 14), ("digits_mbv3_opset11", 11), ("digits_mbv3_opset18", 18)):
        path = OUT_DIR / f"{name}.onnx"
        proto = export(mbv3, path, opset, "probs", constant_folding=True)
        models[name] = check_model(name, proto, path, mbv3, x_test, y_test, probs_output=True)
        models[name]["float_val_acc"] = mbv3_val

    # --- summary
    all_files = sorted(p for p in OUT_DIR.iterdir() if p.is_file() and p.name != "summary.json")
    for p in all_files:
        assert p.stat().st_size < MAX_FILE_BYTES, f"{p.name} is {p.stat().st_size} bytes"
    summary = {
        "generator": "Tests/Fixtures/make_fixtures.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "torch": torch.__version__, "onnx": onnx.__version__,
                     "onnxruntime": ort.__version__, "scikit-learn": sklearn.__version__},
        "data": {
            "source": "sklearn.datasets.load_digits (8x8, 10 classes), pixels / 16 -> [0,1] float32",
            "layout": "NCHW [N,1,8,8]",
            "split": "stratified train/val/test 60/20/20, sklearn train_test_split",
            "seed": SEED,
            "sizes": {"train": len(x_train), "val": len(x_val), "test": len(x_test),
                      "calib": CALIB_COUNT},
            "calib": f"first {CALIB_COUNT} samples of the (shuffled) train split",
            "ref_out8": f"onnxruntime output (CPU, graph optimizations off) on digits_test_x[:{REF_COUNT}]",
        },
        "models": models,
        "files": {p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)} for p in all_files},
    }
    (OUT_DIR / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")

    total = sum(p.stat().st_size for p in OUT_DIR.iterdir() if p.is_file())
    print(f"wrote {len(all_files) + 1} files to {OUT_DIR} ({total / 1024:.1f} KiB) in {time.time() - t0:.1f}s")
    print(f"split train/val/test = {len(x_train)}/{len(x_val)}/{len(x_test)}, calib = {CALIB_COUNT}")
    for name, m in models.items():
        ops = ", ".join(f"{k}x{v}" for k, v in m["op_types"].items())
        print(f"  {name:22s} opset {m['opset']:2d}  test {m['float_test_acc']*100:5.2f}%  "
              f"val {m['float_val_acc']*100:5.2f}%  ort-vs-torch {m['ort_vs_torch_max_abs_diff']:.1e}")
        print(f"      {ops}")


if __name__ == "__main__":
    main()
