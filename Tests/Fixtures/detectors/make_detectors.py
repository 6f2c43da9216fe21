#!/usr/bin/env python3
"""Detector- and segmenter-style fixtures (issue 12), PyTorch exports TRAINED here on synthetic data.

Writes, next to this script:

- dbnet.onnx: a DBNet-like text segmenter. Input `image` [N, 3, H, W] with N, H, W symbolic
  (dynamic_axes: convert with --input-shape image=1,3,H,W; H, W multiples of 16). Backbone: four
  Conv3x3 stride 2 + BatchNorm + ReLU (1/2 … 1/16). FPN: 1x1 lateral convs at 1/4, 1/8, 1/16,
  nearest Upsample x2 (F.interpolate -> Resize) + Add top-down, bilinear Upsample (Resize,
  align_corners=False) of 1/8 and 1/16 to 1/4, Concat. Head: Conv3x3 + BN + ReLU -> ConvTranspose 2x2 stride 2 + BN + ReLU -> ConvTranspose
  2x2 stride 2 -> Sigmoid: `prob` [N, 1, H, W], the probability that a pixel is text. Trained on
  64x64 images of random bright and dark bars ("words") on textured noise; target = the bars'
  mask. Task metric: IoU of the map thresholded at 0.5 (DBNet's binarisation threshold) against
  the float model's.
- mtcnn.onnx: an MTCNN-style (O-Net-like) face classifier/regressor. Input `image` [N, 3, 24, 24].
  Conv3x3 -> PRelu -> MaxPool -> Conv3x3 -> PRelu -> MaxPool -> Conv3x3 -> PRelu -> Flatten ->
  Linear -> PRelu, then two outputs: `boxes` [N, 4] (Linear: box offsets x0, y0, x1, y1 in
  [0, 1]) and `face_prob` [N, 2] (Linear -> Softmax). Trained on 24x24 crops holding a bright
  ellipse ("face", class 1, its box the target) or clutter (class 0). Task metric: agreement of
  the face decision (p > 0.5) and the box error, against the float model.
- dbnet_calib.npy / mtcnn_calib.npy (16 / 32 samples), dbnet_test_x.npy / mtcnn_test_x.npy (16 / 64
  held-out samples),
  {dbnet,mtcnn}_test_y.npy (targets: masks / class and boxes), and
  {dbnet_ref_prob, mtcnn_ref_boxes, mtcnn_ref_face_prob}.npy: onnxruntime float outputs on the
  test inputs.
- summary.json: versions, float task scores, sha256 of every file.

Run from the repository root:  python3 Tests/Fixtures/detectors/make_detectors.py
Needs numpy, torch (CPU), onnx, onnxruntime. Deterministic on the same versions; about a minute.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20261206
OUT = Path(__file__).resolve().parent
MAX_FILE_BYTES = 1_000_000

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
warnings.filterwarnings("ignore")


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


from synthetic_data import face_crops, text_images  # noqa: E402 (the generators, shared with compare_int8.py)


# ---------------------------------------------------------------- models


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class DBNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.c2, self.c3 = conv_bn(3, 12, 2), conv_bn(12, 16, 2)
        self.c4, self.c5 = conv_bn(16, 24, 2), conv_bn(24, 32, 2)
        self.l3, self.l4, self.l5 = nn.Conv2d(16, 16, 1), nn.Conv2d(24, 16, 1), nn.Conv2d(32, 16, 1)
        self.smooth = nn.Sequential(nn.Conv2d(48, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.up1 = nn.Sequential(nn.ConvTranspose2d(16, 8, 2, 2, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.up2 = nn.ConvTranspose2d(8, 1, 2, 2)

    def forward(self, x):
        c3 = self.c3(self.c2(x))                                      # 1/4
        c4 = self.c4(c3)                                              # 1/8
        c5 = self.c5(c4)                                              # 1/16
        p5 = self.l5(c5)
        p4 = self.l4(c4) + F.interpolate(p5, scale_factor=2, mode="nearest")
        p3 = self.l3(c3) + F.interpolate(p4, scale_factor=2, mode="nearest")
        fused = torch.cat([p3, F.interpolate(p4, scale_factor=2, mode="bilinear", align_corners=False),
                           F.interpolate(p5, scale_factor=4, mode="bilinear", align_corners=False)], 1)
        return torch.sigmoid(self.up2(self.up1(self.smooth(fused))))


class MTCNNLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3), nn.PReLU(16), nn.MaxPool2d(2),      # 22 -> 11
            nn.Conv2d(16, 24, 3), nn.PReLU(24), nn.MaxPool2d(2),     # 9 -> 4
            nn.Conv2d(24, 32, 3), nn.PReLU(32))                      # 2
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.PReLU())
        self.boxes = nn.Linear(64, 4)
        self.face = nn.Linear(64, 2)

    def forward(self, x):
        h = self.fc(self.features(x))
        return self.boxes(h), torch.softmax(self.face(h), dim=1)


# ---------------------------------------------------------------- training and export


def train_dbnet(rng):
    torch.manual_seed(SEED)
    model = DBNetLike()
    x, y = text_images(rng, 768)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for step in range(300):
        idx = torch.from_numpy(rng.integers(0, len(x), 32))
        loss = F.binary_cross_entropy(model(xt[idx]), yt[idx])
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
    return model


def train_mtcnn(rng):
    torch.manual_seed(SEED + 1)
    model = MTCNNLike()
    x, cls, box = face_crops(rng, 2048)
    xt, ct, bt = torch.from_numpy(x), torch.from_numpy(cls), torch.from_numpy(box)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(600):
        idx = torch.from_numpy(rng.integers(0, len(x), 64))
        b, p = model(xt[idx])
        face = ct[idx] == 1
        loss = F.nll_loss(torch.log(p + 1e-6), ct[idx]) + 4 * F.mse_loss(b[face], bt[idx][face])
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
    return model


def export(model, example, path, inputs, outputs, dynamic):
    torch.onnx.export(model, example, str(path), input_names=inputs, output_names=outputs, opset_version=13,
                      dynamic_axes=dynamic, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))


def main() -> int:
    rng = np.random.default_rng(SEED)
    results = {}

    dbnet = train_dbnet(rng)
    path = OUT / "dbnet.onnx"
    export(dbnet, torch.zeros(1, 3, 64, 64), path, ["image"], ["prob"],
           {"image": {0: "batch", 2: "height", 3: "width"}, "prob": {0: "batch", 2: "height", 3: "width"}})
    calib, _ = text_images(rng, 16)
    test_x, test_y = text_images(rng, 16)
    s = session(path)
    prob = np.concatenate([s.run(None, {"image": test_x[i:i + 1]})[0] for i in range(len(test_x))])
    with torch.no_grad():
        assert np.abs(dbnet(torch.from_numpy(test_x)).numpy() - prob).max() < 1e-4, "onnxruntime and torch disagree"
    pred, true = prob > 0.5, test_y > 0.5
    results["dbnet_float_iou_vs_labels"] = float((pred & true).sum() / max((pred | true).sum(), 1))
    ops = sorted({n.op_type for n in onnx.load(str(path)).graph.node})
    for op in ["Resize", "ConvTranspose", "Sigmoid", "Concat", "Add"]:
        assert op in ops, f"dbnet.onnx lacks {op}: {ops}"
    results["dbnet_ops"] = ops
    np.save(OUT / "dbnet_calib.npy", calib)
    np.save(OUT / "dbnet_test_x.npy", test_x)
    np.save(OUT / "dbnet_test_y.npy", test_y.astype(np.uint8))
    np.save(OUT / "dbnet_ref_prob.npy", prob)

    mtcnn = train_mtcnn(rng)
    path = OUT / "mtcnn.onnx"
    export(mtcnn, torch.zeros(1, 3, 24, 24), path, ["image"], ["boxes", "face_prob"],
           {"image": {0: "batch"}, "boxes": {0: "batch"}, "face_prob": {0: "batch"}})
    calib, _, _ = face_crops(rng, 32)
    test_x, test_cls, test_box = face_crops(rng, 64)
    s = session(path)
    runs = [s.run(None, {"image": test_x[i:i + 1]}) for i in range(len(test_x))]
    boxes, face = np.concatenate([r[0] for r in runs]), np.concatenate([r[1] for r in runs])
    with torch.no_grad():
        tb, tp = mtcnn(torch.from_numpy(test_x))
        assert np.abs(tb.numpy() - boxes).max() < 1e-4 and np.abs(tp.numpy() - face).max() < 1e-4
    results["mtcnn_float_face_accuracy"] = float(((face[:, 1] > 0.5) == (test_cls == 1)).mean())
    results["mtcnn_float_box_mae_faces"] = float(np.abs(boxes - test_box)[test_cls == 1].mean())
    ops = sorted({n.op_type for n in onnx.load(str(path)).graph.node})
    for op in ["PRelu", "Softmax", "MaxPool", "Gemm"]:
        assert op in ops, f"mtcnn.onnx lacks {op}: {ops}"
    results["mtcnn_ops"] = ops
    np.save(OUT / "mtcnn_calib.npy", calib)
    np.save(OUT / "mtcnn_test_x.npy", test_x)
    np.save(OUT / "mtcnn_test_y.npy", np.concatenate([test_cls[:, None].astype(np.float32), test_box], 1))
    np.save(OUT / "mtcnn_ref_boxes.npy", boxes)
    np.save(OUT / "mtcnn_ref_face_prob.npy", face)
    print(json.dumps(results, indent=1))

    files = {}
    for f in sorted(OUT.iterdir()):
        if f.suffix in (".onnx", ".npy"):
            assert f.stat().st_size < MAX_FILE_BYTES, f"{f.name} is {f.stat().st_size} bytes"
            files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    summary = {"versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                            "numpy": np.__version__, "python": sys.version.split()[0]},
               **results, "sha256": files}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
