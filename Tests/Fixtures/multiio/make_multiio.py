#!/usr/bin/env python3
"""Fixtures for symbolic input dimensions and for models with several inputs and outputs.

Writes, next to this script:

- dynamic_cnn.onnx (PyTorch TorchScript export, opset 13): input `images` [batch, 3, height,
  width] with all of batch/height/width symbolic (dynamic_axes), so the export carries
  Shape -> Gather -> Concat -> Reshape subgraphs that only fold once the shape is fixed
  (`x.flatten(2).mean(-1)`). Two outputs: `logits` [batch, 5] and `heatmap` [batch, 1, h/2, w/2].
  Random weights (fixed seed). dynamic_x_32x48.npy / dynamic_x_40x24.npy are inputs of two
  different spatial sizes; dynamic_ref_<size>_<output>.npy are onnxruntime's outputs on them.
- dim_zero.onnx (onnx.helper): input `x` declared [N, 0, 16] (dim_value 0, which some exporters
  write for "unknown") -> MatMul [16, 4] -> Relu -> `y`; dim_zero_x.npy [1, 10, 16] and
  dim_zero_ref.npy (onnxruntime, run on a copy whose dims are symbolic, since onnxruntime
  rejects a 10 where the file says 0).
- fusion.onnx: a sensor-fusion classifier TRAINED here. Inputs `image` [N, 1, 16, 16] (camera:
  a horizontal or vertical bar in noise) and `imu` [N, 3, 32] (3-axis signal: a low- or
  high-frequency sine in noise). Image branch: two Conv3x3+ReLU+MaxPool, global average pool.
  Signal branch: the 1-D signal as an H=1 image (unsqueeze), two Conv(1x5)+ReLU, MaxPool(1x2),
  global average pool. Joined late: Concat -> Linear+ReLU -> Linear -> `fused/logits` [N, 4]
  (class = 2 * bar orientation + frequency band); an auxiliary head on the image branch alone
  -> `image:kind` [N, 2]. Output names hold '/' and ':' on purpose (file-safe names).
  fusion_{calib,test}_{image,imu}.npy, fusion_test_y.npy (int64), and
  fusion_ref_{logits,kind}.npy: onnxruntime float outputs on the test inputs.
- summary.json: versions, onnxruntime float test accuracy of fusion.onnx, sha256 of every file.

Run from the repository root:  python3 Tests/Fixtures/multiio/make_multiio.py
Needs numpy, torch (CPU), onnx, onnxruntime. Deterministic on the same versions; ~20 s.
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
from onnx import TensorProto, helper, numpy_helper

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


def save(name: str, array: np.ndarray) -> None:
    np.save(OUT / name, array)


# ----------------------------------------------------------------------------------------------
# dynamic_cnn.onnx: symbolic batch, height and width
# ----------------------------------------------------------------------------------------------

class DynamicCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.head = nn.Conv2d(16, 1, 1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        f = F.relu(self.conv2(x))
        pooled = f.flatten(2).mean(-1)          # Shape/Gather/Concat/Reshape when H, W are dynamic
        return self.fc(pooled), torch.sigmoid(self.head(f))


def make_dynamic() -> None:
    torch.manual_seed(SEED)
    model = DynamicCNN().eval()
    path = OUT / "dynamic_cnn.onnx"
    torch.onnx.export(model, torch.zeros(1, 3, 32, 48), str(path), opset_version=13, dynamo=False,
                      input_names=["images"], output_names=["logits", "heatmap"],
                      dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"},
                                    "logits": {0: "batch"}, "heatmap": {0: "batch", 2: "h2", 3: "w2"}})
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in dims] == ["batch", "", "height", "width"], dims
    ops = {n.op_type for n in m.graph.node}
    assert {"Shape", "Reshape"} <= ops, f"the export should carry a shape subgraph, has {sorted(ops)}"
    rng = np.random.default_rng(SEED)
    sess = session(path)
    for h, w in [(32, 48), (40, 24)]:
        x = rng.standard_normal((1, 3, h, w)).astype(np.float32)
        save(f"dynamic_x_{h}x{w}.npy", x)
        logits, heatmap = sess.run(None, {"images": x})
        with torch.no_grad():
            tl, th = model(torch.from_numpy(x))
        assert np.abs(tl.numpy() - logits).max() < 1e-4 and np.abs(th.numpy() - heatmap).max() < 1e-4
        save(f"dynamic_ref_{h}x{w}_logits.npy", logits)
        save(f"dynamic_ref_{h}x{w}_heatmap.npy", heatmap)


# ----------------------------------------------------------------------------------------------
# dim_zero.onnx: a dim_value of 0 standing for "unknown"
# ----------------------------------------------------------------------------------------------

def make_dim_zero() -> None:
    rng = np.random.default_rng(SEED + 1)
    w = rng.standard_normal((16, 4)).astype(np.float32) * 0.5
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="matmul"),
             helper.make_node("Relu", ["h"], ["y"], name="relu")]

    def build(x_dims, y_dims):
        graph = helper.make_graph(nodes, "dim_zero",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_dims)],
                                  [numpy_helper.from_array(w, "w")])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)

    zero = build(["N", 0, 16], ["N", 0, 4])
    onnx.checker.check_model(zero)
    onnx.save(zero, str(OUT / "dim_zero.onnx"))
    symbolic = OUT / "dim_zero_symbolic.tmp.onnx"
    onnx.save(build(["N", "T", 16], ["N", "T", 4]), str(symbolic))
    x = rng.standard_normal((1, 10, 16)).astype(np.float32)
    y = session(symbolic).run(None, {"x": x})[0]
    symbolic.unlink()
    assert np.abs(y - np.maximum(x @ w, 0)).max() < 1e-5
    save("dim_zero_x.npy", x)
    save("dim_zero_ref.npy", y)


# ----------------------------------------------------------------------------------------------
# fusion.onnx: camera + IMU, trained
# ----------------------------------------------------------------------------------------------

def fusion_data(rng: np.random.Generator, n: int):
    bar = rng.integers(0, 2, n)          # 0: horizontal, 1: vertical
    band = rng.integers(0, 2, n)         # 0: low frequency, 1: high frequency
    images = rng.normal(0, 0.9, (n, 1, 16, 16)).astype(np.float32)
    for i in range(n):
        pos = rng.integers(2, 13)
        width = rng.integers(1, 3)
        strength = rng.uniform(0.6, 1.4)
        if bar[i] == 0:
            images[i, 0, pos:pos + width, :] += strength
        else:
            images[i, 0, :, pos:pos + width] += strength
    t = np.arange(32, dtype=np.float32)
    cycles = np.where(band == 0, rng.uniform(1.5, 2.7, n), rng.uniform(2.9, 4.2, n))
    imu = np.empty((n, 3, 32), np.float32)
    for axis in range(3):
        phase = rng.uniform(0, 2 * np.pi, n)
        amplitude = rng.uniform(0.5, 1.5, n)
        imu[:, axis, :] = amplitude[:, None] * np.sin(2 * np.pi * cycles[:, None] * t[None, :] / 32 + phase[:, None])
    imu += rng.normal(0, 0.9, imu.shape).astype(np.float32)
    labels = (2 * bar + band).astype(np.int64)
    return images, imu, labels, bar.astype(np.int64)


class Fusion(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.img1 = nn.Conv2d(1, 8, 3, padding=1)
        self.img2 = nn.Conv2d(8, 16, 3, padding=1)
        self.sig1 = nn.Conv2d(3, 12, (1, 5), padding=(0, 2))
        self.sig2 = nn.Conv2d(12, 16, (1, 5), padding=(0, 2))
        self.joint = nn.Linear(32, 32)
        self.out = nn.Linear(32, 4)
        self.kind = nn.Linear(16, 2)

    def forward(self, image, imu):
        a = F.max_pool2d(F.relu(self.img1(image)), 2)
        a = F.max_pool2d(F.relu(self.img2(a)), 2)
        a = a.mean(dim=(2, 3))
        s = imu.unsqueeze(2)                    # [N, 3, 1, 32]: the 1-D signal as an H=1 image
        s = F.max_pool2d(F.relu(self.sig1(s)), (1, 2))
        s = F.relu(self.sig2(s)).mean(dim=(2, 3))
        joint = F.relu(self.joint(torch.cat([a, s], dim=1)))
        return self.out(joint), self.kind(a)


def make_fusion() -> dict:
    rng = np.random.default_rng(SEED + 2)
    train = fusion_data(rng, 3000)
    test = fusion_data(rng, 400)
    torch.manual_seed(SEED)
    model = Fusion()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xi, xs, y, k = (torch.from_numpy(v) for v in train)
    for epoch in range(40):
        perm = torch.from_numpy(np.random.default_rng(SEED + epoch).permutation(len(y)))
        for start in range(0, len(y), 64):
            idx = perm[start:start + 64]
            logits, kind = model(xi[idx], xs[idx])
            loss = F.cross_entropy(logits, y[idx]) + 0.3 * F.cross_entropy(kind, k[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    path = OUT / "fusion.onnx"
    torch.onnx.export(model, (xi[:1], xs[:1]), str(path), opset_version=13, dynamo=False,
                      input_names=["image", "imu"], output_names=["fused/logits", "image:kind"],
                      dynamic_axes={"image": {0: "N"}, "imu": {0: "N"}, "fused/logits": {0: "N"}, "image:kind": {0: "N"}})
    onnx.checker.check_model(onnx.load(str(path)))
    ti, ts, ty, tk = test
    logits, kind = session(path).run(None, {"image": ti, "imu": ts})
    with torch.no_grad():
        pl, pk = model(torch.from_numpy(ti), torch.from_numpy(ts))
    assert np.abs(pl.numpy() - logits).max() < 1e-4 and np.abs(pk.numpy() - kind).max() < 1e-4
    accuracy = float((logits.argmax(1) == ty).mean())
    kind_accuracy = float((kind.argmax(1) == tk).mean())
    print(f"fusion: onnxruntime float test accuracy {accuracy:.4f} (image:kind {kind_accuracy:.4f})")
    assert 0.85 <= accuracy < 0.995, f"accuracy {accuracy}: tune the noise so the task is neither trivial nor hopeless"
    save("fusion_calib_image.npy", train[0][:128])
    save("fusion_calib_imu.npy", train[1][:128])
    save("fusion_test_image.npy", ti)
    save("fusion_test_imu.npy", ts)
    save("fusion_test_y.npy", ty)
    save("fusion_ref_logits.npy", logits)
    save("fusion_ref_kind.npy", kind)
    return {"fusion_float_test_accuracy": accuracy, "fusion_kind_float_test_accuracy": kind_accuracy,
            "fusion_ort_qdq_int8_test_accuracy": ort_int8_accuracy(path, train[0][:128], train[1][:128], test),
            "fusion_test_samples": int(len(ty))}


def ort_int8_accuracy(path: Path, calib_image, calib_imu, test) -> float:
    """onnxruntime's own int8 (quantize_static: QDQ, per-channel weights, min/max calibration on
    the same 128 samples) on the test split, for comparison with Sparrow's int8 figure."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"image": calib_image[i:i + 1], "imu": calib_imu[i:i + 1]} for i in range(len(calib_image))])

        def get_next(self):
            return next(self.items, None)

    qdq = OUT / "fusion_qdq.tmp.onnx"
    quantize_static(str(path), str(qdq), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    ti, ts, ty, _ = test
    logits = session(qdq).run(None, {"image": ti, "imu": ts})[0]
    qdq.unlink()
    accuracy = float((logits.argmax(1) == ty).mean())
    print(f"fusion: onnxruntime quantize_static int8 test accuracy {accuracy:.4f}")
    return accuracy


def main() -> int:
    make_dynamic()
    make_dim_zero()
    results = make_fusion()
    files = {}
    for f in sorted(OUT.iterdir()):
        if f.suffix in (".onnx", ".npy"):
            size = f.stat().st_size
            assert size < MAX_FILE_BYTES, f"{f.name} is {size} bytes"
            files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    summary = {"versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                            "numpy": np.__version__, "python": sys.version.split()[0]},
               **results, "sha256": files}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
