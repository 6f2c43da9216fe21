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
# Multi-exit CNN (early exit, Docs/early-exit.md)
# ----------------------------------------------------------------------------------------------

MULTI_EXIT_NAMES = ("exit1", "exit2", "final")
# Loss weight of each exit in both variants (deeper exits weigh more: they must stay accurate).
MULTI_EXIT_WEIGHTS = (0.6, 0.8, 1.0)
# Self-distillation ("Be Your Own Teacher", Zhang et al. 2019): each early exit's loss is
# (1 - alpha) * CE(labels) + alpha * T^2 * KL(softmax(final / T) || softmax(exit / T)), the
# deepest exit's output detached so it only teaches.
DISTILL_ALPHA = 0.5
DISTILL_TEMPERATURE = 3.0


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class ExitHead(nn.Module):
    """1x1 Conv + ReLU -> global average pool -> Linear: a few hundred MACs on top of the trunk."""

    def __init__(self, channels, width):
        super().__init__()
        self.mix = nn.Conv2d(channels, width, 1)
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        x = F.relu(self.mix(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DigitsMultiExit(nn.Module):
    """Trunk of five 3x3 convs in three stages: exit 1 after the stem (8x8, ~2 % of the MACs; a
    cheap but weak classifier), exit 2 after stage 2 (4x4, about half), the final classifier after
    stage 3 (2x2). Returns the logits of all three exits."""

    def __init__(self):
        super().__init__()
        self.stage1 = conv_bn(1, 16)                                                    # 8x8
        self.head1 = ExitHead(16, 32)
        self.stage2 = nn.Sequential(conv_bn(16, 16), nn.MaxPool2d(2), conv_bn(16, 32))  # 4x4
        self.head2 = ExitHead(32, 32)
        self.stage3 = nn.Sequential(conv_bn(32, 32), conv_bn(32, 64, stride=2))        # 2x2
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        a = self.stage1(x)
        b = self.stage2(a)
        c = self.stage3(b)
        return self.head1(a), self.head2(b), self.fc(torch.flatten(F.adaptive_avg_pool2d(c, 1), 1))


def multi_exit_loss(outputs, labels, distill):
    final = outputs[-1]
    loss = MULTI_EXIT_WEIGHTS[-1] * F.cross_entropy(final, labels)
    teacher = F.softmax(final.detach() / DISTILL_TEMPERATURE, dim=1)
    for w, logits in zip(MULTI_EXIT_WEIGHTS[:-1], outputs[:-1]):
        ce = F.cross_entropy(logits, labels)
        if distill:
            kl = F.kl_div(F.log_softmax(logits / DISTILL_TEMPERATURE, dim=1), teacher, reduction="batchmean")
            ce = (1 - DISTILL_ALPHA) * ce + DISTILL_ALPHA * DISTILL_TEMPERATURE ** 2 * kl
        loss = loss + w * ce
    return loss


def train_multi_exit(model, x_train, y_train, *, distill, seed, epochs, lr):
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        for start in range(0, len(xt), 64):
            idx = order[start:start + 64]
            loss = multi_exit_loss(model(xt[idx]), yt[idx], distill)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()


def make_multi_exit(x_train, y_train, x_val, y_val, x_test, y_test):
    """Trains the multi-exit CNN twice from the same initial weights (weighted CE; CE +
    self-distillation), exports each to ONNX opset 13 with one output per exit, and writes
    digits_multiexit.json with per-exit float accuracies measured with onnxruntime."""
    report = {
        "generator": "Tests/Fixtures/make_fixtures.py --only multi-exit",
        "outputs": list(MULTI_EXIT_NAMES),
        "loss_weights": list(MULTI_EXIT_WEIGHTS),
        "distillation": {"alpha": DISTILL_ALPHA, "temperature": DISTILL_TEMPERATURE,
                         "teacher": "final exit, detached"},
        "training": {"epochs": EPOCHS, "lr": LR, "optimizer": "Adam, cosine schedule, weight decay 1e-4",
                     "label_smoothing": 0.0, "seed": SEED + 4},
        "models": {},
    }
    for variant, distill in (("ce", False), ("sd", True)):
        model = seeded(DigitsMultiExit, SEED + 4)
        train_multi_exit(model, x_train, y_train, distill=distill, seed=SEED + 4, epochs=EPOCHS, lr=LR)
        path = OUT_DIR / f"digits_multiexit_{variant}.onnx"
        torch.onnx.export(
            model, torch.zeros(1, 1, 8, 8), str(path), opset_version=13, dynamo=False,
            do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL,
            input_names=["input"], output_names=list(MULTI_EXIT_NAMES),
            dynamic_axes={"input": {0: "N"}, **{n: {0: "N"} for n in MULTI_EXIT_NAMES}},
        )
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto, full_check=True)
        assert [o.name for o in proto.graph.output] == list(MULTI_EXIT_NAMES)
        sess = ort_session(path)
        entry = {"file": path.name, "opset": 13, "op_types": op_histogram(proto),
                 "parameters": int(sum(p.numel() for p in model.parameters())), "exits": {}}
        with torch.no_grad():
            torch_test = [t.numpy() for t in model(torch.from_numpy(x_test))]
        for split, (x, y) in (("val", (x_val, y_val)), ("test", (x_test, y_test))):
            outs = sess.run(None, {"input": x})
            for name, out in zip(MULTI_EXIT_NAMES, outs):
                e = entry["exits"].setdefault(name, {})
                e[f"float_{split}_acc"] = float((out.argmax(1) == y).mean())
            if split == "test":
                diff = max(float(np.abs(a - b).max()) for a, b in zip(outs, torch_test))
                assert diff < 1e-4, f"{path.name}: onnxruntime vs torch max |diff| {diff}"
                entry["ort_vs_torch_max_abs_diff"] = diff
        report["models"][variant] = entry
        report.setdefault("files", {})[path.name] = {"bytes": path.stat().st_size, "sha256": sha256(path)}
        accs = ", ".join(f"{n} {e['float_test_acc']*100:5.2f}%" for n, e in entry["exits"].items())
        print(f"  {path.name:26s} test: {accs}")
    (OUT_DIR / "digits_multiexit.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


# ----------------------------------------------------------------------------------------------
# Pruned models (sparse weights, Docs/sparsity.md)
# ----------------------------------------------------------------------------------------------

# Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune"): dense training,
# then the sparsity of each pruned layer rises along s(t) = s_f * (1 - (1 - t/T)^3) with the
# mask recomputed from |w| every epoch, then fine-tuning with the final masks fixed.
PRUNE_DENSE_EPOCHS = 60
PRUNE_RAMP_EPOCHS = 40
PRUNE_FINETUNE_EPOCHS = 40


class DigitsMLPWide(nn.Module):
    """MLP with enough weights for sparsity to matter: 64 -> 128 -> 64 -> 10."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.net(x)


class DigitsPointwiseCNN(nn.Module):
    """Small CNN whose weights are mostly 1x1 convolutions (MobileNet-style) and a Linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.expand = nn.Conv2d(16, 64, 1, bias=False)
        self.expand_bn = nn.BatchNorm2d(64)
        self.dw = nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False)
        self.dw_bn = nn.BatchNorm2d(64)
        self.project = nn.Conv2d(64, 64, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(64)
        self.pool = nn.MaxPool2d(2)                                   # 8x8 -> 4x4
        self.mix = nn.Conv2d(64, 64, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = F.relu(self.expand_bn(self.expand(x)))
        x = F.relu6(self.dw_bn(self.dw(x)))
        x = F.relu(self.project_bn(self.project(x)))
        x = self.pool(x)
        x = F.relu(self.mix(x))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


def prunable(model):
    """The weights Sparrow can store sparse: Linear and ungrouped 1x1 Conv."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear) or (isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) and m.groups == 1):
            out.append((name, m))
    return out


def magnitude_masks(layers, sparsity):
    masks = {}
    for name, m in layers:
        w = m.weight.detach().abs().flatten()
        k = int(sparsity[name] * w.numel())
        mask = torch.ones_like(w)
        if k > 0:
            mask[torch.argsort(w, stable=True)[:k]] = 0
        masks[name] = mask.view_as(m.weight)
    return masks


def train_pruned(model, x_train, y_train, targets, *, seed, lr):
    """Dense phase, cubic sparsity ramp with per-epoch magnitude masks, masked fine-tuning."""
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    layers = prunable(model)
    total = PRUNE_DENSE_EPOCHS + PRUNE_RAMP_EPOCHS + PRUNE_FINETUNE_EPOCHS
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    masks = None
    for epoch in range(total):
        if epoch >= PRUNE_DENSE_EPOCHS:
            t = min(epoch - PRUNE_DENSE_EPOCHS + 1, PRUNE_RAMP_EPOCHS) / PRUNE_RAMP_EPOCHS
            if epoch < PRUNE_DENSE_EPOCHS + PRUNE_RAMP_EPOCHS:
                now = {name: targets[name] * (1 - (1 - t) ** 3) for name, _ in layers}
                masks = magnitude_masks(layers, now)
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        for start in range(0, len(xt), 64):
            idx = order[start:start + 64]
            loss = F.cross_entropy(model(xt[idx]), yt[idx], label_smoothing=LABEL_SMOOTHING)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if masks is not None:
                with torch.no_grad():
                    for name, m in layers:
                        m.weight.mul_(masks[name])
        sched.step()
    model.eval()


def make_pruned(x_train, y_train, x_val, y_val, x_test, y_test):
    """Trains the pruned MLP and CNN, exports them (opset 13) and writes digits_pruned.json with
    each pruned layer's density and the float accuracy onnxruntime measures on the test split."""
    report = {
        "generator": "Tests/Fixtures/make_fixtures.py --only pruned",
        "schedule": {"dense_epochs": PRUNE_DENSE_EPOCHS, "ramp_epochs": PRUNE_RAMP_EPOCHS,
                     "finetune_epochs": PRUNE_FINETUNE_EPOCHS, "ramp": "s_f * (1 - (1 - t/T)^3), per-layer |w| masks",
                     "lr": LR, "optimizer": "Adam, cosine schedule, weight decay 1e-4"},
        "models": {}, "files": {},
    }
    specs = (
        ("digits_mlp_pruned", DigitsMLPWide, SEED + 5,
         {"net.1": 0.9, "net.3": 0.9, "net.5": 0.8}),
        ("digits_cnn_pruned", DigitsPointwiseCNN, SEED + 6,
         {"expand": 0.85, "project": 0.85, "mix": 0.85, "fc": 0.8}),
    )
    for name, make, seed, targets in specs:
        model = seeded(make, seed)
        assert set(targets) == {n for n, _ in prunable(model)}, name
        train_pruned(model, x_train, y_train, targets, seed=seed, lr=LR)
        path = OUT_DIR / f"{name}.onnx"
        export(model, path, 13, "logits", constant_folding=False)
        proto = onnx.load(str(path))
        sess = ort_session(path)
        out = sess.run(None, {"input": x_test})[0]
        with torch.no_grad():
            ref = model(torch.from_numpy(x_test)).numpy()
        diff = float(np.abs(ref - out).max())
        assert diff < 1e-4, f"{name}: onnxruntime vs torch max |diff| {diff}"
        densities = {}
        for layer, m in prunable(model):
            w = m.weight.detach()
            densities[layer] = float((w != 0).float().mean())
            assert densities[layer] <= 1 - targets[layer] + 1e-3, (name, layer, densities[layer])
        val = sess.run(None, {"input": x_val})[0]
        entry = {"file": path.name, "opset": 13, "op_types": op_histogram(proto),
                 "target_sparsity": targets, "density": densities,
                 "float_test_acc": float((out.argmax(1) == y_test).mean()),
                 "float_val_acc": float((val.argmax(1) == y_val).mean()),
                 "ort_vs_torch_max_abs_diff": diff}
        report["models"][name] = entry
        report["files"][path.name] = {"bytes": path.stat().st_size, "sha256": sha256(path)}
        dens = ", ".join(f"{k} {v*100:.0f}%" for k, v in densities.items())
        print(f"  {path.name:24s} test {entry['float_test_acc']*100:5.2f}%  val {entry['float_val_acc']*100:5.2f}%  density: {dens}")
    (OUT_DIR / "digits_pruned.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


# ----------------------------------------------------------------------------------------------

def main():
    t0 = time.time()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_val, y_val, x_test, y_test = load_split()

    # `--only multi-exit` trains and writes just the multi-exit models (and their JSON), leaving
    # every other fixture, summary.json included, untouched.
    if sys.argv[1:] == ["--only", "multi-exit"]:
        make_multi_exit(x_train, y_train, x_val, y_val, x_test, y_test)
        print(f"multi-exit fixtures written in {time.time() - t0:.1f}s")
        return
    # `--only pruned`: just the pruned models and digits_pruned.json (issue 5), nothing else.
    if sys.argv[1:] == ["--only", "pruned"]:
        make_pruned(x_train, y_train, x_val, y_val, x_test, y_test)
        print(f"pruned fixtures written in {time.time() - t0:.1f}s")
        return
    if sys.argv[1:]:
        sys.exit(f"usage: {sys.argv[0]} [--only multi-exit | --only pruned]")

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

    # --- 5: the multi-exit CNN (two training variants), after the others so their seeds are unchanged.
    make_multi_exit(x_train, y_train, x_val, y_val, x_test, y_test)

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
