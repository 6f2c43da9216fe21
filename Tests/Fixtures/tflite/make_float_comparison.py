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

    /work/venv/bin/python Tests/Fixtures/tflite/make_float_comparison.py
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
