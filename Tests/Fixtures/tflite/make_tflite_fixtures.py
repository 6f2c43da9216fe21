#!/usr/bin/env python3
"""Generate the TFLite fixtures: small Keras models converted by TensorFlow's converter, and
LiteRT's outputs on random inputs as golden values.

For every model in MODELS this writes, into Tests/Fixtures/tflite/:

  models/NAME.int8.tflite     fully-int8 (int8 weights and activations, int32 bias, per-channel
                              conv/FC weights); I/O int8 unless the model says otherwise
  models/NAME.float.tflite    the same network as float32
  golden/NAME.int8.in{i}.npy  N random inputs, stacked along a new leading axis
  golden/NAME.int8.out{i}.npy LiteRT's outputs with its reference kernels (BUILTIN_REF)
  golden/NAME.float.*.npy     the same for the float model (float32 inputs and outputs)
  manifest.json               per model: the operators and tensors as LiteRT reports them
                              (names, shapes, types, scales, zero points, quantized dimension),
                              the golden file names, and how far LiteRT's optimized kernels
                              (BUILTIN_WITHOUT_DEFAULT_DELEGATES) and its default XNNPACK
                              delegate (BUILTIN) are from its reference kernels on the same
                              inputs.

The Swift tests use the manifest as an independent reference for the flatbuffer reader, and
the goldens as the bit-exactness target of the importer.

Run from the repository root (needs tensorflow-cpu and ai-edge-litert):

    python3 Tests/Fixtures/tflite/make_tflite_fixtures.py

Deterministic given the library versions (fixed seeds; recorded in manifest.json). The script
fails if a converted model lacks an operator it exists to exercise, or if the committed files
would exceed MAX_TOTAL_BYTES.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
from ai_edge_litert.interpreter import Interpreter, OpResolverType
import ai_edge_litert

OUT = Path(__file__).resolve().parent
SEED = 20261206
CALIB_SAMPLES = 64
# Random inputs per golden file: int8 models are the bit-exactness target, float ones only
# seed the float-import work, so they get fewer (and the MobileNet fewer still, to stay small).
GOLDEN_SAMPLES = {"int8": 48, "float": 8}
MOBILENET_SAMPLES = {"int8": 16, "float": 2}
MAX_TOTAL_BYTES = 4_000_000

tf.random.set_seed(SEED)
keras.utils.set_random_seed(SEED)


# ----------------------------------------------------------------------------------------------
# Models. Each entry: name, input shapes (batch 1), a builder returning a tf.Module-like object
# whose __call__ maps input tensors to outputs, and the TFLite operators it must contain.
# ----------------------------------------------------------------------------------------------

def dense_init():
    return dict(kernel_initializer="glorot_uniform",
                bias_initializer=keras.initializers.RandomUniform(-0.3, 0.3))


class Net(tf.Module):
    """Keras layers plus tf ops in one traced function (the layers hold the weights)."""

    def __init__(self, fn, **layers_):
        super().__init__()
        self.layers_ = layers_
        for k, v in layers_.items():
            setattr(self, k, v)
        self.fn = fn

    def __call__(self, *xs):
        return self.fn(self, *xs)


def conv_family():
    # CONV_2D with each fused activation (NONE, RELU, RELU6, RELU_N1_TO_1), SAME/VALID,
    # stride 2, dilation 2; DEPTHWISE_CONV_2D with multiplier 1 and 2.
    c1 = layers.Conv2D(8, 3, padding="same", activation=None, **dense_init())
    c2 = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", **dense_init())
    c3 = layers.Conv2D(6, 3, padding="valid", activation="relu6", **dense_init())
    c4 = layers.Conv2D(6, 3, padding="same", dilation_rate=2, **dense_init())
    d1 = layers.DepthwiseConv2D(3, padding="same", activation="relu", **depthwise_init())
    d2 = layers.DepthwiseConv2D(3, strides=2, padding="valid", depth_multiplier=2, **depthwise_init())

    def fn(m, x):
        y = m.c1(x)
        y = m.d1(y)
        y = m.c2(y)
        y = m.c3(y)
        y = m.c4(y)
        y = tf.clip_by_value(y, -1.0, 1.0)  # fuses into the conv as RELU_N1_TO_1
        return m.d2(y)
    return Net(fn, c1=c1, c2=c2, c3=c3, c4=c4, d1=d1, d2=d2)


def depthwise_init():
    return dict(depthwise_initializer="glorot_uniform",
                bias_initializer=keras.initializers.RandomUniform(-0.3, 0.3))


def fully_connected():
    f1 = layers.Dense(24, activation="relu", **dense_init())
    f2 = layers.Dense(10, **dense_init())

    def fn(m, x):
        y = tf.reshape(x, [1, -1])          # RESHAPE
        y = m.f1(y)                         # FULLY_CONNECTED + RELU
        return tf.nn.softmax(m.f2(y))       # FULLY_CONNECTED, SOFTMAX
    return Net(fn, f1=f1, f2=f2)


def transpose_conv():
    t1 = layers.Conv2DTranspose(6, 3, strides=2, padding="same", **dense_init())
    t2 = layers.Conv2DTranspose(4, 2, strides=2, padding="valid", activation="relu", **dense_init())

    def fn(m, x):
        return m.t2(m.t1(x))
    return Net(fn, t1=t1, t2=t2)


def binary_ops():
    # ADD, SUB, MUL (with fused RELU / RELU6 / NONE, and broadcasting), MAXIMUM, MINIMUM.
    def fn(m, a, b):
        s = tf.nn.relu(a + b)
        d = tf.nn.relu6(a - b)
        p = a * b
        q = a * b[:, :1, :1, :]             # broadcast over H, W (STRIDED_SLICE feeds it)
        mx = tf.maximum(a, b)
        mn = tf.minimum(a, b)
        return tf.concat([s, d, p, q, mx, mn], axis=3)
    return Net(fn)


def binary_broadcast():
    # MAXIMUM and MINIMUM next to ADD, SUB, MUL, all broadcasting a per-channel second input
    # (no STRIDED_SLICE, so the whole model converts to Sparrow today).
    def fn(m, a, b):
        s = tf.nn.relu(a + b)
        d = a - b
        p = a * b
        mx = tf.maximum(a, b)
        mn = tf.minimum(a, b)
        c = a * tf.constant([0.5, -1.0, 1.5, 2.0]) + tf.constant([0.25, -0.5, 0.0, 1.0])  # constant operands
        return tf.concat([s, d, p, mx, mn, c], axis=3)
    return Net(fn)


def pooling():
    def fn(m, x):
        a = tf.nn.max_pool2d(x, 2, 2, "VALID")
        b = tf.nn.avg_pool2d(x, 3, 2, "SAME")
        c = tf.nn.avg_pool2d(tf.nn.relu(x), 3, 1, "VALID")
        g = tf.reduce_mean(x, axis=[1, 2], keepdims=True)   # MEAN
        h = tf.reduce_mean(x, axis=[1, 2], keepdims=False)  # MEAN without keep_dims
        return a, b, c, g, h
    return Net(fn)


def activations():
    def fn(m, x):
        return (tf.sigmoid(x), tf.tanh(x), x * tf.nn.relu6(x + 3.0) / 6.0,
                tf.nn.relu(x), tf.nn.relu6(x), tf.nn.leaky_relu(x, 0.2),
                tf.nn.softmax(x, axis=-1))
    return Net(fn)


def prelu():
    # The converter recognises PRELU only in this form, and only when relu(x) has no other
    # use (so it lives in a model of its own): relu(x) + (-alpha) * relu(-x).
    alpha = tf.constant(np.linspace(0.05, 0.5, 6, dtype=np.float32).reshape(1, 1, 6))

    def fn(m, x):
        return tf.nn.relu(x) + (-alpha) * tf.nn.relu(-x)
    return Net(fn)


def shape_ops():
    def fn(m, x):
        r = tf.reshape(x, [1, 4, 16, 4])
        # TF 2.21's converter rewrites every static SQUEEZE into RESHAPE, so no fixture holds
        # a SQUEEZE operator; the reader's tests build one by hand.
        sq = tf.squeeze(tf.reduce_mean(x, axis=[1], keepdims=True), axis=[1])
        pd = tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]])
        p2 = tf.pad(x, [[0, 0], [1, 1], [0, 1], [0, 0]], constant_values=0.5)   # PADV2
        sl = x[:, 1:7:2, ::3, 1:]                                              # STRIDED_SLICE
        return r, sq, pd, p2, sl
    return Net(fn)


def resize_ops():
    def fn(m, x):
        n1 = tf.image.resize(x, [12, 10], method="nearest")
        b1 = tf.image.resize(x, [11, 13], method="bilinear")      # half_pixel_centers
        b2 = tf.compat.v1.image.resize_bilinear(x, [9, 9], align_corners=True)
        n2 = tf.compat.v1.image.resize_nearest_neighbor(x, [16, 16], align_corners=False,
                                                         half_pixel_centers=False)
        return n1, b1, b2, n2
    return Net(fn)


def arg_max():
    c = layers.Conv2D(5, 1, **dense_init())

    def fn(m, x):
        return tf.argmax(m.c(x), axis=-1, output_type=tf.int32)
    return Net(fn, c=c)


def arg_max_int64():
    # tf.argmax's default output type (int64), over channels after a conv.
    c = layers.Conv2D(7, 1, **dense_init())

    def fn(m, x):
        return tf.argmax(m.c(x), axis=-1)
    return Net(fn, c=c)


def concat_requant():
    # Branches with different output ranges joined; a standalone RELU after the concatenation.
    c1 = layers.Conv2D(4, 1, **dense_init())
    c2 = layers.Conv2D(4, 3, padding="same", **dense_init())

    def fn(m, x):
        y = tf.concat([m.c1(x), 3.0 * m.c2(x), x], axis=-1)
        return tf.nn.relu(y)
    return Net(fn, c1=c1, c2=c2)


def mobilenet():
    model = keras.applications.MobileNet(input_shape=(96, 96, 3), alpha=0.25, weights=None,
                                         classes=10, dropout=0.0)
    # A few steps of training on random data, so batch-norm statistics (folded into the conv
    # weights by the converter) are those of real activations, not the identity initializers.
    rng = np.random.default_rng(SEED)
    xs = rng.uniform(-1, 1, (64, 96, 96, 3)).astype(np.float32)
    ys = rng.integers(0, 10, 64)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    model.fit(xs, ys, batch_size=16, epochs=2, verbose=0)

    def fn(m, x):
        return m.model(x, training=False)
    return Net(fn, model=model)


# name, input shapes, builder, required ops (int8 model), I/O type of the int8 model
MODELS = [
    ("conv", [(1, 12, 12, 3)], conv_family, {"CONV_2D", "DEPTHWISE_CONV_2D"}, "int8"),
    ("fully_connected", [(1, 4, 4, 3)], fully_connected,
     {"RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}, "int8"),
    ("transpose_conv", [(1, 5, 5, 4)], transpose_conv, {"TRANSPOSE_CONV"}, "int8"),
    ("binary", [(1, 6, 6, 4), (1, 6, 6, 4)], binary_ops,
     {"ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "CONCATENATION"}, "int8"),
    ("pooling", [(1, 9, 9, 4)], pooling, {"MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN"}, "int8"),
    ("activations", [(1, 4, 4, 6)], activations,
     {"LOGISTIC", "TANH", "HARD_SWISH", "RELU", "RELU6", "LEAKY_RELU", "SOFTMAX"}, "int8"),
    ("prelu", [(1, 4, 4, 6)], prelu, {"PRELU"}, "int8"),
    ("shape", [(1, 8, 8, 4)], shape_ops,
     {"RESHAPE", "PAD", "PADV2", "STRIDED_SLICE"}, "int8"),
    ("resize", [(1, 6, 5, 3)], resize_ops, {"RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"}, "int8"),
    ("arg_max", [(1, 6, 6, 3)], arg_max, {"CONV_2D", "ARG_MAX"}, "int8"),
    ("concat_relu", [(1, 6, 6, 3)], concat_requant, {"CONCATENATION", "RELU"}, "int8"),
    # Float I/O around an int8 body: QUANTIZE at the input, DEQUANTIZE at the output.
    ("float_io", [(1, 6, 6, 3)], concat_requant, {"QUANTIZE", "DEQUANTIZE"}, "float32"),
    # uint8 I/O: QUANTIZE uint8 -> int8 at the input and int8 -> uint8 at the output.
    ("uint8_io", [(1, 12, 12, 3)], conv_family, {"QUANTIZE"}, "uint8"),
    ("mobilenet_v1_025_96", [(1, 96, 96, 3)], mobilenet,
     {"CONV_2D", "DEPTHWISE_CONV_2D", "MEAN", "SOFTMAX", "RESHAPE"}, "int8"),  # classifier is a 1x1 conv
    # Appended (seeds follow the index, so earlier fixtures keep their bytes).
    ("binary_broadcast", [(1, 6, 6, 4), (1, 1, 1, 4)], binary_broadcast,
     {"ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "CONCATENATION"}, "int8"),
    ("arg_max_int64", [(1, 5, 4, 3)], arg_max_int64, {"CONV_2D", "ARG_MAX"}, "int8"),
]


# ----------------------------------------------------------------------------------------------
# Conversion
# ----------------------------------------------------------------------------------------------

def concrete(net, shapes):
    spec = [tf.TensorSpec(s, tf.float32, name=f"input_{i}") for i, s in enumerate(shapes)]
    fn = tf.function(lambda *xs: net(*xs), input_signature=spec)
    # Weights become constants, so the converter sees plain tensors, not resource variables.
    return convert_variables_to_constants_v2(fn.get_concrete_function())


def calibration(shapes, seed):
    rng = np.random.default_rng(seed)
    data = [[rng.uniform(-1.5, 1.5, s).astype(np.float32) for s in shapes]
            for _ in range(CALIB_SAMPLES)]

    def gen():
        for sample in data:
            yield sample
    return gen


def convert(net, shapes, quantized, io_type, seed, buffer_offset=False, saved_model=False):
    if saved_model:
        # The SavedModel path is how most published models are converted, and the only one
        # that writes SignatureDefs (key "serving_default").
        spec = [tf.TensorSpec(s, tf.float32, name=f"input_{i}") for i, s in enumerate(shapes)]
        serve = tf.function(lambda *xs: {"probabilities": net(*xs)}, input_signature=spec)
        frozen = convert_variables_to_constants_v2(serve.get_concrete_function())
        directory = tempfile.mkdtemp()
        tf.saved_model.save(tf.Module(), directory, signatures={"serving_default": frozen})
        conv = tf.lite.TFLiteConverter.from_saved_model(directory)
    else:
        conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete(net, shapes)])
    if quantized:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = calibration(shapes, seed)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        dtype = {"int8": tf.int8, "uint8": tf.uint8, "float32": tf.float32}[io_type]
        conv.inference_input_type = dtype
        conv.inference_output_type = dtype
    if buffer_offset:
        # Constant buffers after the flatbuffer, addressed by Buffer.offset/size (the layout
        # of models over 2 GB), so the reader's out-of-flatbuffer path has a real example.
        conv._experimental_use_buffer_offset = True
    return conv.convert()


# ----------------------------------------------------------------------------------------------
# Reference runs
# ----------------------------------------------------------------------------------------------

def interpreter(model_bytes, resolver):
    it = Interpreter(model_content=model_bytes, experimental_op_resolver_type=resolver,
                     num_threads=1)
    it.allocate_tensors()
    return it


def random_inputs(details, count, seed):
    rng = np.random.default_rng(seed)
    out = []
    for d in details:
        shape = (count, *d["shape"])
        dt = d["dtype"]
        if dt == np.int8:
            out.append(rng.integers(-128, 128, shape, dtype=np.int8))
        elif dt == np.uint8:
            out.append(rng.integers(0, 256, shape, dtype=np.uint8))
        else:
            out.append(rng.uniform(-1.5, 1.5, shape).astype(np.float32))
    return out


def run(it, inputs):
    ins, outs = it.get_input_details(), it.get_output_details()
    results = [[] for _ in outs]
    for n in range(inputs[0].shape[0]):
        for d, x in zip(ins, inputs):
            it.set_tensor(d["index"], x[n])
        it.invoke()
        for k, d in enumerate(outs):
            results[k].append(it.get_tensor(d["index"]).copy())
    return [np.stack(r) for r in results]


def softmax_intermediates(blob, inputs):
    """Inputs and outputs of every int8 SOFTMAX that does not read a graph input, kept by a
    second reference run with all tensors preserved: the kernel's own goldens where the model
    input cannot serve (depth 10 after a FULLY_CONNECTED, the MobileNet's classifier)."""
    it = Interpreter(model_content=blob, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=True, num_threads=1)
    it.allocate_tensors()
    graph_inputs = {d["index"] for d in it.get_input_details()}
    ops = [o for o in it._get_ops_details()
           if o["op_name"] == "SOFTMAX" and o["inputs"][0] not in graph_inputs]
    if not ops:
        return []
    seen = {o["index"]: ([], []) for o in ops}
    for n in range(inputs[0].shape[0]):
        for d, x in zip(it.get_input_details(), inputs):
            it.set_tensor(d["index"], x[n])
        it.invoke()
        for o in ops:
            seen[o["index"]][0].append(it.get_tensor(o["inputs"][0]).copy())
            seen[o["index"]][1].append(it.get_tensor(o["outputs"][0]).copy())
    return [(o, np.stack(seen[o["index"]][0]), np.stack(seen[o["index"]][1])) for o in ops]


def quant_json(q):
    return {"scales": [float(s) for s in q["scales"]],
            "zero_points": [int(z) for z in q["zero_points"]],
            "quantized_dimension": int(q["quantized_dimension"])}


def describe(it):
    tensors = []
    for t in it.get_tensor_details():
        tensors.append({"index": int(t["index"]), "name": t["name"],
                        "shape": [int(v) for v in t["shape"]],
                        "dtype": np.dtype(t["dtype"]).name,
                        "quantization": quant_json(t["quantization_parameters"])})
    ops = [{"index": int(o["index"]), "op_name": o["op_name"],
            "inputs": [int(v) for v in o["inputs"]], "outputs": [int(v) for v in o["outputs"]]}
           for o in it._get_ops_details()]
    io = {"inputs": [int(d["index"]) for d in it.get_input_details()],
          "outputs": [int(d["index"]) for d in it.get_output_details()]}
    return {"ops": ops, "tensors": tensors, "io": io,
            "signatures": sorted(it.get_signature_list().keys())}


def compare_kernels(ref, opt):
    """How LiteRT's optimized kernels differ from its reference kernels on the same inputs."""
    out = []
    for r, o in zip(ref, opt):
        if r.dtype.kind in "iu":
            diff = np.abs(r.astype(np.int64) - o.astype(np.int64))
            out.append({"bytes_differing": int((diff != 0).sum()), "total": int(diff.size),
                        "max_abs_diff": int(diff.max(initial=0))})
        else:
            diff = np.abs(r.astype(np.float64) - o.astype(np.float64))
            out.append({"max_abs_diff": float(diff.max(initial=0)), "total": int(diff.size)})
    return out


def main():
    # `--only NAME ...` makes just those fixtures and keeps every other manifest entry, so a new
    # fixture can be added without rewriting the others.
    only = set(sys.argv[sys.argv.index("--only") + 1:]) if "--only" in sys.argv else None
    (OUT / "models").mkdir(exist_ok=True)
    (OUT / "golden").mkdir(exist_ok=True)
    manifest = {"versions": {"tensorflow": tf.__version__, "keras": keras.__version__,
                             "ai_edge_litert": getattr(ai_edge_litert, "__version__", "?"),
                             "numpy": np.__version__},
                "seed": SEED, "golden_samples": GOLDEN_SAMPLES, "models": {}}
    files = []
    for index, (name, shapes, build, required, io_type) in enumerate(MODELS):
        if only is not None and name not in only:
            continue
        keras.utils.set_random_seed(SEED + index)
        net = build()
        for xs in [[tf.zeros(s) for s in shapes]]:
            net(*xs)  # builds the layers
        for kind in ("int8", "float"):
            samples = (MOBILENET_SAMPLES if name.startswith("mobilenet") else GOLDEN_SAMPLES)[kind]
            quantized = kind == "int8"
            blob = convert(net, shapes, quantized, io_type, SEED + index,
                           buffer_offset=(name == "fully_connected" and kind == "float"),
                           saved_model=name.startswith("mobilenet"))
            stem = f"{name}.{kind}"
            path = OUT / "models" / f"{stem}.tflite"
            path.write_bytes(blob)
            files.append(path)
            ref = interpreter(blob, OpResolverType.BUILTIN_REF)
            desc = describe(ref)
            op_names = {o["op_name"] for o in desc["ops"]}
            if quantized:
                missing = required - op_names
                if missing:
                    sys.exit(f"{stem}: converter produced {sorted(op_names)}, missing {sorted(missing)}")
            inputs = random_inputs(ref.get_input_details(), samples, SEED + 1000 + index)
            ref_out = run(ref, inputs)
            opt_out = run(interpreter(blob, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES), inputs)
            xnn_out = run(interpreter(blob, OpResolverType.BUILTIN), inputs)
            entry = {"file": f"models/{stem}.tflite", "sha256": hashlib.sha256(blob).hexdigest(),
                     "bytes": len(blob), **desc, "inputs": [], "outputs": [],
                     "optimized_vs_reference": compare_kernels(ref_out, opt_out),
                     "xnnpack_vs_reference": compare_kernels(ref_out, xnn_out)}
            for i, x in enumerate(inputs):
                p = OUT / "golden" / f"{stem}.in{i}.npy"
                np.save(p, x)
                files.append(p)
                entry["inputs"].append(f"golden/{p.name}")
            for i, y in enumerate(ref_out):
                p = OUT / "golden" / f"{stem}.out{i}.npy"
                np.save(p, y)
                files.append(p)
                entry["outputs"].append(f"golden/{p.name}")
            if quantized:
                entry["softmax_intermediates"] = []
                for op, x, y in softmax_intermediates(blob, inputs):
                    names = []
                    for part, array in (("in", x), ("out", y)):
                        p = OUT / "golden" / f"{stem}.softmax{op['index']}.{part}.npy"
                        np.save(p, array)
                        files.append(p)
                        names.append(f"golden/{p.name}")
                    entry["softmax_intermediates"].append({"op": op["index"], "input": names[0], "output": names[1]})
            manifest["models"][stem] = entry
            print(f"{stem:34s} {len(blob):8d} B  ops: {', '.join(sorted(op_names))}")
    total = sum(f.stat().st_size for f in files)
    manifest["total_bytes"] = total
    previous = OUT / "manifest.json"
    if previous.exists():   # make_float_comparison.py's section survives a re-run of this script
        old = json.loads(previous.read_text())
        if old.get("float_comparison") is not None:
            manifest["float_comparison"] = old["float_comparison"]
        if only is not None:
            manifest["models"] = {**old["models"], **manifest["models"]}
            manifest["total_bytes"] = old.get("total_bytes", 0) + total
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"total {total} bytes in {len(files)} files")
    if total > MAX_TOTAL_BYTES:
        sys.exit(f"fixtures are {total} bytes, over the {MAX_TOTAL_BYTES} budget")


if __name__ == "__main__":
    main()
