#!/usr/bin/env python3
"""Transformer fixtures: LayerNorm (as one ONNX op and as exporters decompose it), attention
(MatMul of two run-time tensors, heads split by Reshape/Transpose) and a small trained ViT.

Writes, next to this script (files per model: <name>.onnx, <name>_calib.npy, <name>_x.npy,
<name>_ref.npy = onnxruntime float outputs on the test inputs):

- layernorm_op (onnx.helper, opset 17): x [1, 8, 16] -> MatMul 16x16 -> LayerNormalization
  (axis -1, epsilon 1e-5, gamma in [0.5, 1.5] with one negative entry, beta ~ N(0, 0.1)).
- layernorm_4d (onnx.helper, opset 17): x [1, 3, 5, 6] -> Conv 3->4 3x3 -> LayerNormalization
  over the last axis (W, which is not innermost in Sparrow's NHWC) -> y [1, 4, 5, 6].
- layernorm_torch13 (PyTorch TorchScript export, opset 13): Linear(16, 24) -> nn.LayerNorm(24):
  the decomposed ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add chain with Constant nodes.
- attention (PyTorch, opset 13): one multi-head self-attention block on x [1, 6, 16]: q, k, v
  Linear, heads split as reshape [B, T, 2, 8] + transpose(1, 2), softmax(q·kᵀ/√8)·v, heads
  merged, output Linear. Random weights.
- vit_digits (PyTorch, opset 13 and vit_digits_op17 at opset 17): a ViT/SVTR-style classifier
  TRAINED here on scikit-learn's 8x8 digits: Conv 2x2 stride 2 patch embedding (16 tokens of
  32), learned position embedding, 2 pre-norm encoder blocks (LayerNorm, 2-head attention,
  LayerNorm, GELU MLP 32->64->32, residuals), final LayerNorm, mean over tokens, Linear -> 10.
  vit_digits_calib.npy = 64 training images, vit_digits_x.npy = the 360 test images,
  vit_digits_y.npy their labels, vit_digits_ref.npy onnxruntime float logits,
  vit_digits_ort_int8.npy onnxruntime's own int8 logits (quantize_static: QDQ, per-channel
  int8 weights, int8 activations, min/max on the same 64 calibration images).
- matmul_batched_const (onnx.helper, opset 13): x [1, 3, 4, 6] -> Relu -> MatMul with a constant
  B [1, 3, 6, 5] (batched per head: a BatchMatMul with a constant right operand).
- summary.json: versions, accuracies (float, onnxruntime int8), op types, sha256 of every file.

Run from the repository root:  python3 Tests/Fixtures/transformer/make_transformer.py
Needs numpy, torch (CPU), scikit-learn, onnx, onnxruntime. Deterministic on the same versions
(fixed seeds, one thread); about 30 s.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

SEED = 20261206
OUT = Path(__file__).resolve().parent
MAX_FILE_BYTES = 1_000_000
rng = np.random.default_rng(SEED)
torch.manual_seed(SEED)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
warnings.filterwarnings("ignore")


def session(model) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    source = str(model) if isinstance(model, Path) else model.SerializeToString()
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def finish(name: str, model: onnx.ModelProto, calib: np.ndarray, x: np.ndarray) -> np.ndarray:
    onnx.checker.check_model(model)
    path = OUT / f"{name}.onnx"
    onnx.save(model, path)
    calib, x = calib.astype(np.float32), x.astype(np.float32)
    s = session(path)
    input_name = s.get_inputs()[0].name
    ref = np.concatenate([s.run(None, {input_name: x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(OUT / f"{name}_calib.npy", calib.astype(np.float32))
    np.save(OUT / f"{name}_x.npy", x.astype(np.float32))
    np.save(OUT / f"{name}_ref.npy", ref)
    print(f"{name}: ops {sorted({n.op_type for n in model.graph.node})}, ref {ref.shape} "
          f"range [{ref.min():.3f}, {ref.max():.3f}]")
    return ref


def helper_model(name, nodes, inits, in_shape, out_shape, opset=17, calib_count=64, test_count=16):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    calib = rng.uniform(-1, 1, size=[calib_count] + in_shape[1:])
    # Test inputs from 0.8x the calibration interval: no test output beyond the calibrated range.
    x = 0.8 * rng.uniform(-1, 1, size=[test_count] + in_shape[1:])
    finish(name, model, calib, x)


def torch_model(name, module, in_shape, opset, calib=None, x=None):
    module.eval()
    buffer = io.BytesIO()
    torch.onnx.export(module, torch.zeros(in_shape), buffer, opset_version=opset, dynamo=False,
                      input_names=["x"], output_names=["y"])
    model = onnx.load_from_string(buffer.getvalue())
    if calib is None:
        calib = rng.uniform(-1, 1, size=[64] + in_shape[1:])
        x = 0.8 * rng.uniform(-1, 1, size=[16] + in_shape[1:])
    ref = finish(name, model, calib, x)
    with torch.no_grad():
        torch_out = module(torch.from_numpy(x.astype(np.float32))).numpy()
    assert np.abs(torch_out - ref).max() < 1e-4, f"{name}: onnxruntime and torch disagree"
    return model, ref


def make_layernorm():
    gamma = rng.uniform(0.5, 1.5, 16)
    gamma[3] = -0.7
    helper_model("layernorm_op",
                 [helper.make_node("MatMul", ["x", "w"], ["h"], name="proj"),
                  helper.make_node("LayerNormalization", ["h", "gamma", "beta"], ["y"], name="ln", axis=-1, epsilon=1e-5)],
                 [const("w", rng.normal(0, 0.5, (16, 16))), const("gamma", gamma), const("beta", rng.normal(0, 0.1, 16))],
                 [1, 8, 16], [1, 8, 16])
    helper_model("layernorm_4d",
                 [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
                  helper.make_node("LayerNormalization", ["c", "gamma", "beta"], ["y"], name="ln", axis=-1, epsilon=1e-5)],
                 [const("w", rng.normal(0, 0.4, (4, 3, 3, 3))), const("b", rng.normal(0, 0.1, 4)),
                  const("gamma", rng.uniform(0.5, 1.5, 6)), const("beta", rng.normal(0, 0.1, 6))],
                 [1, 3, 5, 6], [1, 4, 5, 6])

    class LinearNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(16, 24)
            self.norm = nn.LayerNorm(24)
            with torch.no_grad():
                self.norm.weight.uniform_(0.5, 1.5)
                self.norm.bias.normal_(0, 0.1)

        def forward(self, x):
            return self.norm(self.fc(x))

    model, _ = torch_model("layernorm_torch13", LinearNorm(), [1, 8, 16], 13)
    ops = [n.op_type for n in model.graph.node]
    assert "LayerNormalization" not in ops and "Sqrt" in ops and "Pow" in ops, ops


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        def split(y):
            return y.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = (q @ k.transpose(-2, -1)) * (self.head_dim ** -0.5)
        out = scores.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, dim=32, heads=2, hidden=64, depth=2, classes=10):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, kernel_size=2, stride=2)
        self.position = nn.Parameter(torch.randn(1, 16, dim) * 0.1)
        self.blocks = nn.Sequential(*[Block(dim, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        tokens = self.embed(x).flatten(2).transpose(1, 2) + self.position
        return self.head(self.norm(self.blocks(tokens)).mean(dim=1))


def make_attention():
    model, _ = torch_model("attention", Attention(16, 2), [1, 6, 16], 13)
    assert sum(n.op_type == "MatMul" for n in model.graph.node) >= 6


def make_vit():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=0.2, random_state=20240613,
                                                        stratify=labels)
    net = ViT()
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-2)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    steps, batch = 600, 64
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    generator = torch.Generator().manual_seed(SEED)
    net.train()
    for step in range(steps):
        idx = torch.randint(0, len(xt), (batch,), generator=generator)
        loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx], label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    calib = x_train[:64]
    model13, ref = torch_model("vit_digits", net, [1, 1, 8, 8], 13, calib=calib, x=x_test)
    model17, ref17 = torch_model("vit_digits_op17", net, [1, 1, 8, 8], 17, calib=calib, x=x_test)
    for f in ("vit_digits_op17_calib.npy", "vit_digits_op17_x.npy", "vit_digits_op17_ref.npy"):
        (OUT / f).unlink()   # the same data as vit_digits'
    assert np.abs(ref - ref17).max() < 1e-4
    assert "LayerNormalization" in {n.op_type for n in model17.graph.node}
    np.save(OUT / "vit_digits_y.npy", y_test)
    accuracy = float((ref.argmax(1) == y_test).mean())
    ort_int8 = ort_quantize_static(OUT / "vit_digits.onnx", calib, x_test)
    np.save(OUT / "vit_digits_ort_int8.npy", ort_int8)
    ort_accuracy = float((ort_int8.argmax(1) == y_test).mean())
    ort_agreement = float((ort_int8.argmax(1) == ref.argmax(1)).mean())
    print(f"vit_digits: float test accuracy {accuracy:.4f}; onnxruntime int8 {ort_accuracy:.4f}, "
          f"top-1 agreement with float {ort_agreement:.4f}, max |logit error| {np.abs(ort_int8 - ref).max():.4f}")
    return {"vit_digits_float_test_accuracy": accuracy, "vit_digits_ort_int8_test_accuracy": ort_accuracy,
            "vit_digits_ort_int8_top1_agreement": ort_agreement,
            "vit_digits_ort_int8_max_abs_error": float(np.abs(ort_int8 - ref).max()),
            "vit_digits_test_samples": int(len(y_test)),
            "vit_digits_parameters": int(sum(p.numel() for p in net.parameters()))}


def ort_quantize_static(path: Path, calib: np.ndarray, x: np.ndarray) -> np.ndarray:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"x": calib[i:i + 1]} for i in range(len(calib))])

        def get_next(self):
            return next(self.items, None)

    qdq = OUT / "qdq.tmp.onnx"
    quantize_static(str(path), str(qdq), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    s = session(qdq)
    out = np.concatenate([s.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    qdq.unlink()
    return out


def make_matmul_constant():
    # Last, so that adding it left the other fixtures' random draws unchanged.
    helper_model("matmul_batched_const",
                 [helper.make_node("Relu", ["x"], ["r"], name="relu"),
                  helper.make_node("MatMul", ["r", "b"], ["y"], name="bmm")],
                 [const("b", rng.normal(0, 0.5, (1, 3, 6, 5)))], [1, 3, 4, 6], [1, 3, 4, 5], opset=13)


def main() -> int:
    make_layernorm()
    make_attention()
    results = make_vit()
    make_matmul_constant()
    files = {}
    for f in sorted(OUT.iterdir()):
        if f.suffix in (".onnx", ".npy"):
            size = f.stat().st_size
            assert size < MAX_FILE_BYTES, f"{f.name} is {size} bytes"
            files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    summary = {"versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                            "numpy": np.__version__},
               "results": results, "sha256": files}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
