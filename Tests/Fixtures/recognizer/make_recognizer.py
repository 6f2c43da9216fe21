#!/usr/bin/env python3
"""CTC text-recognizer fixture (issue 12: the SVTR/CRNN-style recognizer class), a PyTorch export
TRAINED here on synthetic text lines.

Text lines (ctc_lines.py): 3-5 of sklearn's 8x8 digit images side by side in an 8x64 strip
(values in [0, 1]), with 0-3 blank columns between digits and a random left margin; the label is
the digit string. Training lines use only the digits of a fixed train split, test lines only the
held-out ones.

Writes, next to this script:

- ctc_digits.onnx (opset 17): input `image` [1, 1, 8, 64] -> Conv3x3 + ReLU -> MaxPool 2x2 ->
  Conv3x3 + ReLU -> Conv (4x1) collapsing the height + ReLU -> 32 time steps of 32 features
  (flatten + transpose) + learned positions -> one transformer encoder block (LayerNormalization,
  2-head self-attention with MatMul of two activations and Softmax, GELU MLP, residual adds) ->
  LayerNormalization -> Linear to 11 classes (digits 0-9, blank = 10) -> LogSoftmax over the
  classes: `log_probs` [1, 32, 11].
- ctc_digits_calib.npy (32 training lines), ctc_digits_test_x.npy (200 held-out lines),
  ctc_digits_test_y.npy ([200, 5] label digits, -1 padded),
  ctc_digits_ref_strings.npy / ctc_digits_ort_int8_strings.npy ([200, 32] greedy CTC decodes of
  onnxruntime float / onnxruntime int8 (quantize_static: QDQ, per-channel int8 weights, int8
  activations, MinMax, the same 32 calibration lines), digits then -1 padding).
- summary.json: versions, float accuracy, onnxruntime int8 string agreement and character error
  rate against float, sha256 of every file.

Greedy CTC decoding (ctc_lines.greedy_decode): argmax per time step, merge repeats, drop blanks.

Run from the repository root:  nice -n 10 /work/venv/bin/python Tests/Fixtures/recognizer/make_recognizer.py
Needs numpy, scikit-learn, torch (CPU), onnx, onnxruntime. Deterministic on the same versions;
about two minutes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from ctc_lines import (BLANK, CLASSES, HEIGHT, SEED, STEPS, WIDTH, agreement_and_cer, digit_splits,
                       greedy_decode, text_lines)

OUT = Path(__file__).resolve().parent
MAX_FILE_BYTES = 1_000_000

torch.set_num_threads(1)
torch.manual_seed(SEED)
warnings.filterwarnings("ignore")


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


class Recognizer(nn.Module):
    def __init__(self, dim=32, heads=2, hidden=64):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, dim, (HEIGHT // 2, 1)), nn.ReLU())
        self.position = nn.Parameter(torch.randn(1, STEPS, dim) * 0.1)
        self.block = Block(dim, heads, hidden)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, CLASSES)

    def forward(self, x):
        tokens = self.stem(x).flatten(2).transpose(1, 2) + self.position
        return self.head(self.norm(self.block(tokens))).log_softmax(dim=-1)


def session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run(path, x):
    s = session(path)
    return np.concatenate([s.run(None, {"image": x[i:i + 1]})[0] for i in range(len(x))])


def ort_int8(path, calib, work):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"image": calib[i:i + 1]} for i in range(len(calib))])

        def get_next(self):
            return next(self.items, None)

    out = os.path.join(work, "ctc_digits.qdq.onnx")
    quantize_static(str(path), out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return out


def main() -> int:
    train_i, test_i, train_l, test_l = digit_splits()
    rng = np.random.default_rng(SEED)
    x_test, y_test = text_lines(rng, test_i, test_l, 200)
    calib, _ = text_lines(rng, train_i, train_l, 32)

    net = Recognizer()
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-2)
    steps, batch = int(os.environ.get("CTC_STEPS", "1500")), 64
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=steps)
    ctc = nn.CTCLoss(blank=BLANK, zero_infinity=True)
    net.train()
    for step in range(steps):
        xb, yb = text_lines(rng, train_i, train_l, batch)
        lengths = torch.from_numpy((yb >= 0).sum(1))
        targets = torch.from_numpy(yb[yb >= 0])
        log_probs = net(torch.from_numpy(xb)).transpose(0, 1)   # [T, N, C]
        loss = ctc(log_probs, targets, torch.full((batch,), STEPS, dtype=torch.long), lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 200 == 0 or step == steps - 1:
            print(f"step {step}: CTC loss {loss.item():.4f}", flush=True)
    net.eval()

    path = OUT / "ctc_digits.onnx"
    buffer = io.BytesIO()
    torch.onnx.export(net, torch.zeros(1, 1, HEIGHT, WIDTH), buffer, opset_version=17, dynamo=False,
                      input_names=["image"], output_names=["log_probs"])
    model = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(model)
    onnx.save(model, path)
    ops = sorted({n.op_type for n in model.graph.node})
    assert "LayerNormalization" in ops and "LogSoftmax" in ops, ops

    ref = run(path, x_test)
    with torch.no_grad():
        assert np.abs(net(torch.from_numpy(x_test)).numpy() - ref).max() < 1e-4, "onnxruntime and torch disagree"
    ref_decoded = greedy_decode(ref)
    accuracy, cer_labels = agreement_and_cer(ref_decoded, y_test)
    with tempfile.TemporaryDirectory() as work:
        q = run(ort_int8(path, calib, work), x_test)
    q_decoded = greedy_decode(q)
    q_agree, q_cer = agreement_and_cer(q_decoded, ref_decoded)
    print(f"ops {ops}")
    print(f"float: line accuracy {accuracy:.4f}, CER vs labels {cer_labels:.4f}; onnxruntime int8 vs float: "
          f"string agreement {q_agree:.4f}, CER {q_cer:.4f}, mean |log-prob error| {np.abs(q - ref).mean():.4f}")

    np.save(OUT / "ctc_digits_calib.npy", calib)
    np.save(OUT / "ctc_digits_test_x.npy", x_test)
    np.save(OUT / "ctc_digits_test_y.npy", y_test)
    np.save(OUT / "ctc_digits_ref_strings.npy", ref_decoded)
    np.save(OUT / "ctc_digits_ort_int8_strings.npy", q_decoded)
    files = {}
    for f in sorted(OUT.iterdir()):
        if f.suffix in (".onnx", ".npy"):
            assert f.stat().st_size < MAX_FILE_BYTES, f"{f.name} is too large"
            files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    summary = {"versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                            "numpy": np.__version__},
               "ops": ops, "training_steps": steps, "parameters": int(sum(p.numel() for p in net.parameters())),
               "float_line_accuracy": accuracy, "float_cer_vs_labels": cer_labels,
               "ort_int8_string_agreement_with_float": q_agree, "ort_int8_cer_vs_float": q_cer,
               "ort_int8_mean_abs_log_prob_error": float(np.abs(q - ref).mean()),
               "sha256": files}
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
