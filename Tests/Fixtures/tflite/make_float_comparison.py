#!/usr/bin/env python3
"""References for Sparrow's float .tflite path (`sparrow convert MODEL.float.tflite --calibration`).

For each float fixture the float path imports (single-input models), this writes into
Tests/Fixtures/tflite/golden/:

  NAME.eval.in0.npy          float32 evaluation inputs, uniform(-1.5, 1.5) like the calibration
                             data TF's converter was given, samples first
  NAME.eval.float.out{i}.npy LiteRT (BUILTIN_REF) on models/NAME.float.tflite: the float reference
  NAME.eval.tfint8.out{i}.npy TF's own full-int8 conversion of the same network
                             (models/NAME.int8.tflite, BUILTIN_REF): the input quantized with the
                             model's input scale (round half away, as LiteRT's QUANTIZE), the
                             int8 outputs dequantized — what a user of that model gets in float

and models/conv.float16.tflite (the conv fixture's network with float16 weights behind
DEQUANTIZE, TF's `supported_types = [tf.float16]`, as most published float models are stored),
with its own float reference on conv's evaluation inputs, plus golden/conv.calib.npy (16
calibration samples) for the command-line example in Docs/tflite-import.md.

Sparrow's calibration samples are not stored: the Swift test draws them from the same
distribution (SplitMix64, uniform(-1.5, 1.5), 64 samples), as TF's converter drew its own.
Adds "float_comparison" to manifest.json (make_tflite_fixtures.py keeps it).

Run from the repository root after make_tflite_fixtures.py (needs tensorflow-cpu, ai-edge-litert):

    python3 Tests/Fixtures/tflite/make_float_comparison.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tflite_fixtures as fx  # noqa: E402  (sets TF's environment before importing it)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

OUT = fx.OUT
STEMS = ["conv", "fully_connected", "transpose_conv", "pooling", "activations", "prelu", "shape", "resize",
         "concat_relu", "mobilenet_v1_025_96"]
EVAL_SAMPLES = 16
MOBILENET_EVAL_SAMPLES = 4
SEED = fx.SEED + 5000


def quantize_input(x, detail):
    scale, zero = detail["quantization"]
    q = np.sign(x / np.float32(scale)) * np.floor(np.abs(x / np.float32(scale)) + 0.5) + zero
    return np.clip(q, -128, 127).astype(detail["dtype"])


def dequantize_output(y, detail):
    scale, zero = detail["quantization"]
    if y.dtype.kind == "f":
        return y
    return ((y.astype(np.float32) - np.float32(zero)) * np.float32(scale)).astype(np.float32)


def run_float(blob, x):
    it = fx.interpreter(blob, OpResolverType.BUILTIN_REF)
    return fx.run(it, [x])


def run_tf_int8(blob, x):
    it = fx.interpreter(blob, OpResolverType.BUILTIN_REF)
    (detail,) = it.get_input_details()
    xq = quantize_input(x, detail) if detail["dtype"] != np.float32 else x
    outs = fx.run(it, [xq])
    return [dequantize_output(y, d) for y, d in zip(outs, it.get_output_details())]


def save(name, array, files):
    p = OUT / "golden" / name
    np.save(p, array)
    files.append(p)
    return f"golden/{name}"


def mediapipe_transpose_conv_bias(x):
    """models/mediapipe_transpose_conv_bias.float.tflite: the transpose_conv fixture with both
    TRANSPOSE_CONVs rewritten as MediaPipe's custom Convolution2DTransposeBias (inputs: data,
    weights [Co, KH, KW, Ci], bias; options: int32 padding (1 SAME, 2 VALID), stride_w, stride_h),
    the first SAME, the second VALID (its fused RELU dropped: the custom op has none). LiteRT
    cannot run it without MediaPipe's kernel, so the reference is numpy following MediaPipe's
    documented kernel (mediapipe/util/tflite/operations/transpose_conv_bias.cc): SAME pads
    max(0, K − (in − 1) mod s − 1) in total, half before; output s·(in − 1) + K − pad; the bias
    then every input pixel scattered, out = in·s − pad_before + k."""
    import struct
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers

    blob = (OUT / "models" / "transpose_conv.float.tflite").read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(blob, 0))
    g = m.subgraphs[0]
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = 32
    code.customCode = "Convolution2DTransposeBias"
    code.version = 1
    m.operatorCodes.append(code)
    weights = []
    for op, padding in zip(g.operators, (1, 2)):
        _, w, data, b = [int(i) for i in op.inputs]
        op.opcodeIndex = len(m.operatorCodes) - 1
        op.inputs = np.array([data, w, b], dtype=np.int32)
        op.builtinOptionsType, op.builtinOptions = 0, None
        op.customOptions = np.frombuffer(struct.pack("<iii", padding, 2, 2), dtype=np.uint8)
        wt = np.frombuffer(bytes(m.buffers[g.tensors[w].buffer].data), dtype=np.float32).reshape(g.tensors[w].shape)
        bt = np.frombuffer(bytes(m.buffers[g.tensors[b].buffer].data), dtype=np.float32)
        weights.append((wt, bt, padding))
    # Output shapes as MediaPipe's Prepare computes them.
    shape = list(g.tensors[g.inputs[0]].shape)
    for op, (wt, _, padding) in zip(g.operators, weights):
        co, kh, kw, _ = wt.shape
        ph = max(0, kh - (shape[1] - 1) % 2 - 1) if padding == 1 else 0
        pw = max(0, kw - (shape[2] - 1) % 2 - 1) if padding == 1 else 0
        shape = [shape[0], 2 * (shape[1] - 1) + kh - ph, 2 * (shape[2] - 1) + kw - pw, co]
        g.tensors[op.outputs[0]].shape = np.array(shape, dtype=np.int32)
        g.tensors[op.outputs[0]].shapeSignature = None
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    out_blob = bytes(builder.Output())

    def reference(x):
        y = x.astype(np.float64)
        for wt, bt, padding in weights:
            n, h, w_, _ = y.shape
            co, kh, kw, _ = wt.shape
            ph = max(0, kh - (h - 1) % 2 - 1) if padding == 1 else 0
            pw = max(0, kw - (w_ - 1) % 2 - 1) if padding == 1 else 0
            oh, ow = 2 * (h - 1) + kh - ph, 2 * (w_ - 1) + kw - pw
            out = np.broadcast_to(bt.astype(np.float64), (n, oh, ow, co)).copy()
            for iy in range(h):
                for ix in range(w_):
                    for ky in range(kh):
                        for kx in range(kw):
                            oy, ox = 2 * iy - ph // 2 + ky, 2 * ix - pw // 2 + kx
                            if 0 <= oy < oh and 0 <= ox < ow:
                                out[:, oy, ox, :] += y[:, iy, ix, :] @ wt[:, ky, kx, :].astype(np.float64).T
            y = out
        return y.astype(np.float32)

    return out_blob, reference(x.reshape(-1, *x.shape[2:])).reshape(x.shape[0], 1, *shape[1:])


def main():
    manifest = json.loads((OUT / "manifest.json").read_text())
    section = {"eval_samples": EVAL_SAMPLES, "mobilenet_eval_samples": MOBILENET_EVAL_SAMPLES,
               "calibration": "64 samples uniform(-1.5, 1.5); Sparrow's drawn by the test (SplitMix64)",
               "models": {}}
    files = []
    for index, (name, shapes, build, _, _) in enumerate(fx.MODELS):
        if name not in STEMS:
            continue
        count = MOBILENET_EVAL_SAMPLES if name.startswith("mobilenet") else EVAL_SAMPLES
        rng = np.random.default_rng(SEED + index)
        x = rng.uniform(-1.5, 1.5, (count, *shapes[0])).astype(np.float32)
        float_blob = (OUT / "models" / f"{name}.float.tflite").read_bytes()
        int8_blob = (OUT / "models" / f"{name}.int8.tflite").read_bytes()
        entry = {"input": save(f"{name}.eval.in0.npy", x, files), "float_outputs": [], "tf_int8_outputs": []}
        for i, y in enumerate(run_float(float_blob, x)):
            entry["float_outputs"].append(save(f"{name}.eval.float.out{i}.npy", y, files))
        for i, y in enumerate(run_tf_int8(int8_blob, x)):
            entry["tf_int8_outputs"].append(save(f"{name}.eval.tfint8.out{i}.npy", y, files))
        section["models"][name] = entry
        if name == "transpose_conv":
            blob, y = mediapipe_transpose_conv_bias(x)
            path = OUT / "models" / "mediapipe_transpose_conv_bias.float.tflite"
            path.write_bytes(blob)
            files.append(path)
            section["models"]["mediapipe_transpose_conv_bias"] = {
                "file": "models/mediapipe_transpose_conv_bias.float.tflite",
                "sha256": hashlib.sha256(blob).hexdigest(), "input": entry["input"],
                "float_outputs": [save("mediapipe_transpose_conv_bias.eval.float.out0.npy", y, files)],
                "reference": "numpy, MediaPipe's Convolution2DTransposeBias kernel (no LiteRT run)"}
        if name == "conv":
            # float16 weights behind DEQUANTIZE: the same network, rebuilt with the same seed.
            keras.utils.set_random_seed(fx.SEED + index)
            net = build()
            net(*[tf.zeros(s) for s in shapes])
            conv = tf.lite.TFLiteConverter.from_concrete_functions([fx.concrete(net, shapes)])
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
            blob = conv.convert()
            path = OUT / "models" / "conv.float16.tflite"
            path.write_bytes(blob)
            files.append(path)
            ops = {o["op_name"] for o in fx.describe(fx.interpreter(blob, OpResolverType.BUILTIN_REF))["ops"]}
            if "DEQUANTIZE" not in ops:
                sys.exit(f"conv.float16: no DEQUANTIZE ({sorted(ops)})")
            f16 = {"file": "models/conv.float16.tflite", "sha256": hashlib.sha256(blob).hexdigest(),
                   "ops": sorted(ops), "float_outputs": []}
            for i, y in enumerate(run_float(blob, x)):
                f16["float_outputs"].append(save(f"conv.float16.eval.float.out{i}.npy", y, files))
            section["models"]["conv.float16"] = f16
            calib = np.random.default_rng(SEED).uniform(-1.5, 1.5, (16, *shapes[0][1:])).astype(np.float32)
            section["calibration_file"] = save("conv.calib.npy", calib, files)
        print(f"{name}: {count} evaluation samples")
    section["total_bytes"] = sum(f.stat().st_size for f in files)
    manifest["float_comparison"] = section
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"float comparison: {section['total_bytes']} bytes in {len(files)} files")


if __name__ == "__main__":
    main()
