#!/usr/bin/env python3
"""The few-labels early-exit fixture (issue 14): a 3-exit CNN with a weak first exit, a ~90 %
middle exit and a ~98 % final exit, and data in the regime the calibrator is meant for.

Deployment distribution: a digit image drawn uniformly from the 719 images that
make_fixtures.py holds out of training (its val + test splits), then a random shift of up to one
pixel and Gaussian pixel noise (sigma 0.05). Every split below is an independent draw from it,
so they are i.i.d. samples of one distribution:
  fewlabel_val_x/y.npy        200 labelled validation samples, 4 % of the labels replaced by a
                              random other class (noisy labels, as hand-labelled data often is)
  fewlabel_unlabeled_x.npy    3000 unlabelled samples (under 1 MB); their labels are in
                              fewlabel_unlabeled_y_hidden.npy, which only evaluations read
                              (re-splitting unlabelled + test), never the calibrator
  fewlabel_test_x/y.npy       2000 held-out test samples (clean labels)
  fewlabel_calib.npy          200 training images (quantization calibration; also the "training
                              source" the calibrator must not trust for disagreement)
The model trains on make_fixtures.py's training split with the same augmentation.

Run from the repository root (needs torch; CI does not: the outputs are committed):
    python3 Tests/Fixtures/make_fewlabel_fixture.py
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import load_split, sha256  # noqa: E402

SEED = 20261206
OUT = Path(__file__).resolve().parent / "fewlabel"
NAMES = ("exit1", "exit2", "final")
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def augment(x, rng):
    """Shift each image by -1..1 pixel in both axes (zero fill) and add N(0, 0.05) noise."""
    out = np.zeros_like(x)
    for i in range(len(x)):
        dy, dx = rng.integers(-1, 2, size=2)
        img = np.roll(x[i, 0], (dy, dx), axis=(0, 1))
        if dy == 1: img[0, :] = 0
        if dy == -1: img[-1, :] = 0
        if dx == 1: img[:, 0] = 0
        if dx == -1: img[:, -1] = 0
        out[i, 0] = img
    out += rng.normal(0, 0.05, size=out.shape).astype(np.float32)
    return np.clip(out, 0, 1).astype(np.float32)


def draw(pool_x, pool_y, n, rng):
    idx = rng.integers(0, len(pool_x), size=n)
    return augment(pool_x[idx], rng), pool_y[idx].copy()


class FewLabelMultiExit(nn.Module):
    """stem → exit1 (1×1 conv to 2 channels, GAP, Linear: weak by design) → 2 convs + pool → exit2
    (1×1 conv to 2 channels, GAP, Linear: ~90 %) → 2 wider convs → final (GAP → Linear)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.squeeze1 = nn.Conv2d(8, 2, 1)
        self.head1 = nn.Linear(2, 10)
        self.mid = nn.Sequential(nn.Conv2d(8, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(12, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.squeeze2 = nn.Conv2d(16, 2, 1)
        self.head2 = nn.Linear(2, 10)
        self.deep = nn.Sequential(nn.Conv2d(16, 48, 3, padding=1), nn.BatchNorm2d(48), nn.ReLU(),
                                  nn.Conv2d(48, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU())
        self.head3 = nn.Linear(64, 10)

    def forward(self, x):
        s = self.stem(x)
        e1 = self.head1(self.squeeze1(s).mean(dim=(2, 3)))
        m = self.mid(s)
        e2 = self.head2(self.squeeze2(m).mean(dim=(2, 3)))
        d = self.deep(m)
        return e1, e2, self.head3(d.mean(dim=(2, 3)))


def main():
    OUT.mkdir(exist_ok=True)
    x_train, y_train, x_val, y_val, x_test, y_test = load_split()
    pool_x, pool_y = np.concatenate([x_val, x_test]), np.concatenate([y_val, y_test])
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)
    model = FewLabelMultiExit()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    epochs = 120
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    yt = torch.from_numpy(y_train)
    for _ in range(epochs):
        model.train()
        xt = torch.from_numpy(augment(x_train, rng))
        order = torch.from_numpy(rng.permutation(len(xt)))
        for start in range(0, len(xt), 64):
            idx = order[start:start + 64]
            outs = model(xt[idx])
            loss = sum(w * F.cross_entropy(o, yt[idx]) for w, o in zip((0.3, 0.6, 1.0), outs))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()

    val_x, val_y_clean = draw(pool_x, pool_y, 200, rng)
    noisy = rng.random(200) < 0.04
    val_y = val_y_clean.copy()
    val_y[noisy] = (val_y[noisy] + rng.integers(1, 10, size=int(noisy.sum()))) % 10
    unl_x, unl_y = draw(pool_x, pool_y, 3000, rng)
    test_x, test_y = draw(pool_x, pool_y, 2000, rng)
    calib = x_train[rng.permutation(len(x_train))[:200]]

    path = OUT / "fewlabel_multiexit.onnx"
    torch.onnx.export(model, torch.zeros(1, 1, 8, 8), str(path), opset_version=13, dynamo=False,
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL,
                      input_names=["input"], output_names=list(NAMES),
                      dynamic_axes={"input": {0: "N"}, **{n: {0: "N"} for n in NAMES}})
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    files = {"fewlabel_val_x.npy": val_x, "fewlabel_val_y.npy": val_y, "fewlabel_unlabeled_x.npy": unl_x,
             "fewlabel_unlabeled_y_hidden.npy": unl_y,
             "fewlabel_test_x.npy": test_x, "fewlabel_test_y.npy": test_y, "fewlabel_calib.npy": calib}
    for name, a in files.items():
        np.save(OUT / name, np.ascontiguousarray(a))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    report = {"generator": "Tests/Fixtures/make_fewlabel_fixture.py", "seed": SEED,
              "noisy_validation_labels": int(noisy.sum()), "exits": {}, "files": {}}
    for split, (x, y) in {"val (noisy labels)": (val_x, val_y), "val (clean labels)": (val_x, val_y_clean),
                          "test": (test_x, test_y), "calibration (train)": (calib, None)}.items():
        outs = sess.run(None, {"input": x})
        for name, o in zip(NAMES, outs):
            if y is not None:
                report["exits"].setdefault(name, {})[f"float_acc {split}"] = float((o.argmax(1) == y).mean())
    for name in sorted(files) + [path.name]:
        report["files"][name] = {"bytes": (OUT / name).stat().st_size, "sha256": sha256(OUT / name)}
    (OUT / "fewlabel.json").write_text(json.dumps(report, indent=2) + "\n")
    for name, e in report["exits"].items():
        print(name, {k: round(v * 100, 2) for k, v in e.items()})
    print("noisy validation labels:", int(noisy.sum()))


if __name__ == "__main__":
    main()
