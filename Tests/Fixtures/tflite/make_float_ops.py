#!/usr/bin/env python3
"""The float-path fixture for MAXIMUM, MINIMUM, DIV and ARG_MAX (`sparrow convert
MODEL.float.tflite --calibration`), made by TensorFlow's converter, with LiteRT float as the
reference, like make_float_comparison.py's fixtures:

  models/float_ops.float.tflite       x [1, 6, 6, 4] → two convs a, b →
                                      MAXIMUM(a, b), MINIMUM(a, 0.25 constant),
                                      DIV(a, RELU(b) + 1), ARG_MAX(MAXIMUM + MINIMUM, channels, int32)
  models/float_ops.int8.tflite        TF's own full-int8 conversion of the same network
  golden/float_ops.eval.in0.npy       16 inputs uniform(-1.5, 1.5), samples first
  golden/float_ops.eval.float.out{i}  LiteRT BUILTIN_REF on the float model (out3: int32 indices)
  golden/float_ops.eval.tfint8.out{i} TF's int8 model, input quantized as LiteRT's QUANTIZE,
                                      outputs dequantized (indices as they are)
  models/float_unsupported.float.tflite  the float model with DIV's and ARG_MAX's operator codes
                                      changed to FLOOR_DIV and ARG_MIN (TF's schema object API):
                                      operators the float path lacks, for the error that lists them

Run from the repository root (needs tensorflow-cpu, ai-edge-litert):

    python3 Tests/Fixtures/tflite/make_float_ops.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tflite_fixtures as fx  # noqa: E402  (sets TF's environment before importing it)
import make_float_comparison as fc  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

OUT = fx.OUT
NAME = "float_ops"
SHAPES = [(1, 6, 6, 4)]
SEED = fx.SEED + 7000
SAMPLES = 16


def float_ops():
    c1 = layers.Conv2D(4, 1, **fx.dense_init())
    c2 = layers.Conv2D(4, 3, padding="same", **fx.dense_init())

    def fn(m, x):
        a, b = m.c1(x), m.c2(x)
        mx = tf.maximum(a, b)
        mn = tf.minimum(a, 0.25)
        dv = a / (tf.nn.relu(b) + 1.0)
        am = tf.argmax(mx + mn, axis=-1, output_type=tf.int32)
        return mx, mn, dv, am
    return fx.Net(fn, c1=c1, c2=c2)


def run_tf_int8(blob, x):
    """fc.run_tf_int8, but index outputs (int32/int64, no scale) are kept as they are."""
    it = fx.interpreter(blob, OpResolverType.BUILTIN_REF)
    (detail,) = it.get_input_details()
    outs = fx.run(it, [fc.quantize_input(x, detail)])
    return [y if d["dtype"] in (np.int32, np.int64) else fc.dequantize_output(y, d)
            for y, d in zip(outs, it.get_output_details())]


def with_unsupported_codes(blob):
    from tensorflow.lite.python import schema_py_generated as schema
    import flatbuffers

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(blob, 0))
    swap = {schema.BuiltinOperator.DIV: schema.BuiltinOperator.FLOOR_DIV,
            schema.BuiltinOperator.ARG_MAX: schema.BuiltinOperator.ARG_MIN}
    for code in m.operatorCodes:
        if code.builtinCode in swap:
            code.builtinCode = code.deprecatedBuiltinCode = swap[code.builtinCode]
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def main():
    keras.utils.set_random_seed(SEED)
    net = float_ops()
    net(*[tf.zeros(s) for s in SHAPES])
    float_blob = fx.convert(net, SHAPES, False, "float32", SEED)
    int8_blob = fx.convert(net, SHAPES, True, "int8", SEED)
    ops = {o["op_name"] for o in fx.describe(fx.interpreter(float_blob, OpResolverType.BUILTIN_REF))["ops"]}
    missing = {"MAXIMUM", "MINIMUM", "DIV", "ARG_MAX"} - ops
    if missing:
        sys.exit(f"{NAME}: the float model lacks {sorted(missing)} ({sorted(ops)})")
    files = []
    for name, blob in ((f"{NAME}.float", float_blob), (f"{NAME}.int8", int8_blob),
                       ("float_unsupported.float", with_unsupported_codes(float_blob))):
        path = OUT / "models" / f"{name}.tflite"
        path.write_bytes(blob)
        files.append(path)
    x = np.random.default_rng(SEED).uniform(-1.5, 1.5, (SAMPLES, *SHAPES[0])).astype(np.float32)
    entry = {"file": f"models/{NAME}.float.tflite", "sha256": hashlib.sha256(float_blob).hexdigest(),
             "ops": sorted(ops), "input": fc.save(f"{NAME}.eval.in0.npy", x, files),
             "float_outputs": [], "tf_int8_outputs": []}
    for i, y in enumerate(fc.run_float(float_blob, x)):
        entry["float_outputs"].append(fc.save(f"{NAME}.eval.float.out{i}.npy", y, files))
    for i, y in enumerate(run_tf_int8(int8_blob, x)):
        entry["tf_int8_outputs"].append(fc.save(f"{NAME}.eval.tfint8.out{i}.npy", y, files))
    manifest = json.loads((OUT / "manifest.json").read_text())
    manifest.setdefault("float_comparison", {}).setdefault("models", {})[NAME] = entry
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{NAME}: ops {sorted(ops)}, {sum(f.stat().st_size for f in files)} bytes in {len(files)} files")


if __name__ == "__main__":
    main()
