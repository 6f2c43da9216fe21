#!/usr/bin/env python3
"""The benchmark models of Tests/Fixtures/perf/bench-vs-litert.sh, each as twins with the same weights:

- `<model>.tflite`: built in Keras, converted by TensorFlow's TFLiteConverter with full-integer
  quantization (representative set: 16-32 seeded inputs uniform in [-1, 1], like armcount's
  make_model_tf.py), int8 input and output: what a Pi user would run in LiteRT.
- `<model>.onnx`: the same network written directly as ONNX (NCHW, opset 13) from the same numpy
  weights: TF "same" padding as explicit pads, ReLU6 as Clip(0, 6), the pool as GlobalAveragePool,
  Dense as Gemm. What Sparrow converts.

Models: `tiny_cnn` (armcount's demo architecture: 32x32, 1.0 M MACs), `mbv1_050_96` (MobileNetV1
alpha 0.5, 96x96, 1000 classes), `mbv2_100_224` (MobileNetV2 alpha 1.0, 224x224, 1000 classes).
Weights are seeded random numbers with BatchNorm-folded-like scales (He-normal per layer times a
per-channel gain in [0.5, 1.5], small biases; linear bottlenecks and the classifier with Glorot
scale), not trained: instruction counts depend on the shapes; the values only move requantization
branches. No BatchNorm layers: they would be folded by both converters anyway.

Also written, per model, for the fixture test (Tests/SparrowConverterTests/BenchModelTwinTests.swift):
`<model>_input.npy` (one NCHW float input, uniform in [-1, 1]), `<model>_ort.npy` (onnxruntime's
float output of the ONNX twin on it), `<model>_litert.npy` (LiteRT's int8 output of the .tflite on
the same input quantized with the model's input scale, dequantized to float).

Checked here before anything is written: Keras float and onnxruntime float agree within 1e-4 of
the output range (the twins are the same function), and LiteRT int8 agrees with that float output
within 10 % of the range (the .tflite is a faithful quantization).

Run (needs tensorflow-cpu, ai-edge-litert, onnx, onnxruntime; CI never runs it, the outputs are
committed):  python3 Tests/Fixtures/perf/make_bench_models.py [OUTDIR] [--models a,b]
Default OUTDIR: Tests/Fixtures/perf/models.
"""
import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

SEED = 20261206


class Net:
    """One network description, built twice: as Keras layers (NHWC) and as ONNX nodes (NCHW)."""

    def __init__(self, name, size, classes, seed):
        self.name, self.size, self.classes = name, size, classes
        self.rng = np.random.default_rng(seed)
        self.layers = []   # (kind, params) in order; kinds: conv, dw, add, gap, fc
        self.macs = 0

    # Weight generation -------------------------------------------------------------------------
    def _gain(self, n):
        return self.rng.uniform(0.5, 1.5, n).astype(np.float32)

    def conv(self, x, cout, k, stride, act, linear_scale=False):
        cin, h = x
        fan_in = cin * k * k
        std = np.sqrt((1.0 if linear_scale else 2.0) / fan_in)
        w = (self.rng.standard_normal((k, k, cin, cout)) * std).astype(np.float32) * self._gain(cout)
        b = (self.rng.standard_normal(cout) * 0.05).astype(np.float32)
        ho = -(-h // stride)
        self.layers.append(("conv", dict(w=w, b=b, k=k, stride=stride, act=act, h=h)))
        self.macs += ho * ho * cout * fan_in
        return (cout, ho)

    def dw(self, x, stride, act):
        c, h = x
        w = (self.rng.standard_normal((3, 3, c, 1)) * np.sqrt(2.0 / 9)).astype(np.float32) * self._gain(c)[None, None, :, None]
        b = (self.rng.standard_normal(c) * 0.05).astype(np.float32)
        ho = -(-h // stride)
        self.layers.append(("dw", dict(w=w, b=b, k=3, stride=stride, act=act, h=h)))
        self.macs += ho * ho * c * 9
        return (c, ho)

    def fc(self, x, n):
        c, _ = x
        w = (self.rng.standard_normal((c, n)) * np.sqrt(1.0 / c)).astype(np.float32)
        b = (self.rng.standard_normal(n) * 0.05).astype(np.float32)
        self.layers.append(("fc", dict(w=w, b=b)))
        self.macs += c * n
        return (n, 1)


def tiny_cnn():
    n = Net("tiny_cnn", 32, 10, SEED + 1)
    x = (3, 32)
    x = n.conv(x, 16, 3, 2, "relu")
    x = n.dw(x, 1, "relu")
    x = n.conv(x, 32, 1, 1, "relu")
    x = n.conv(x, 32, 3, 2, "relu")
    x = n.dw(x, 1, "relu")
    x = n.conv(x, 64, 1, 1, "relu")
    n.layers.append(("gap", {}))
    n.fc(x, 10)
    return n


def mobilenet_v1(alpha=0.5, size=96, classes=1000):
    n = Net(f"mbv1_{int(alpha * 100):03d}_{size}", size, classes, SEED + 2)
    x = n.conv((3, size), int(32 * alpha), 3, 2, "relu6")
    for c, s in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                 (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]:
        x = n.dw(x, s, "relu6")
        x = n.conv(x, int(c * alpha), 1, 1, "relu6")
    n.layers.append(("gap", {}))
    n.fc(x, classes)
    return n


def mobilenet_v2(size=224, classes=1000):
    n = Net(f"mbv2_100_{size}", size, classes, SEED + 3)
    x = n.conv((3, size), 32, 3, 2, "relu6")
    for t, c, reps, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                          (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(reps):
            stride = s if i == 0 else 1
            cin = x[0]
            start = len(n.layers)
            y = x
            if t != 1:
                y = n.conv(y, cin * t, 1, 1, "relu6")
            y = n.dw(y, stride, "relu6")
            # Linear bottleneck, scaled down so residual sums stay in a sensible range.
            y = n.conv(y, c, 1, 1, None, linear_scale=True)
            if stride == 1 and cin == c:
                n.layers.append(("add", dict(start=start)))
            x = y
    x = n.conv(x, 1280, 1, 1, "relu6")
    n.layers.append(("gap", {}))
    n.fc(x, classes)
    return n


MODELS = {"tiny_cnn": tiny_cnn, "mbv1_050_96": mobilenet_v1, "mbv2_100_224": mobilenet_v2}


# Keras twin ------------------------------------------------------------------------------------
def to_keras(net):
    import tensorflow as tf
    L = tf.keras.layers
    inp = tf.keras.Input(shape=(net.size, net.size, 3), batch_size=1)
    x = inp
    outputs = []          # output tensor of each layer, for residual inputs
    block_input = {}
    for i, (kind, p) in enumerate(net.layers):
        block_input[i] = x
        if kind == "conv":
            layer = L.Conv2D(p["w"].shape[3], p["k"], strides=p["stride"], padding="same")
            x = layer(x)
            layer.set_weights([p["w"], p["b"]])
        elif kind == "dw":
            layer = L.DepthwiseConv2D(3, strides=p["stride"], padding="same")
            x = layer(x)
            layer.set_weights([p["w"], p["b"]])
        elif kind == "add":
            x = L.Add()([block_input[p["start"]], x])
        elif kind == "gap":
            x = L.GlobalAveragePooling2D()(x)
        elif kind == "fc":
            layer = L.Dense(p["w"].shape[1])
            x = layer(x)
            layer.set_weights([p["w"], p["b"]])
        act = p.get("act")
        if act == "relu":
            x = L.ReLU()(x)
        elif act == "relu6":
            x = L.ReLU(6.0)(x)
        outputs.append(x)
    return tf.keras.Model(inp, x)


def to_tflite(net, keras_model, samples):
    import tensorflow as tf
    rng = np.random.default_rng(SEED + 100)

    def rep():
        for _ in range(samples):
            yield [rng.uniform(-1.0, 1.0, (1, net.size, net.size, 3)).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


# ONNX twin -------------------------------------------------------------------------------------
def same_pads(h, k, stride):
    """TF 'same' padding: total = max((ceil(h/s) - 1)·s + k − h, 0), the extra pixel at the end."""
    total = max((-(-h // stride) - 1) * stride + k - h, 0)
    return [total // 2, total // 2, total - total // 2, total - total // 2]


def to_onnx(net):
    inits, nodes = [], []
    six = numpy_helper.from_array(np.array(6.0, np.float32), "six")
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
    inits += [six, zero]
    x = "input"
    block_input = {}
    for i, (kind, p) in enumerate(net.layers):
        block_input[i] = x
        name = f"l{i}_{kind}"
        if kind in ("conv", "dw"):
            w = p["w"]
            if kind == "conv":
                wt, group = w.transpose(3, 2, 0, 1), 1
            else:
                wt, group = w.transpose(2, 3, 0, 1), w.shape[2]
            inits.append(numpy_helper.from_array(np.ascontiguousarray(wt), name + "_w"))
            inits.append(numpy_helper.from_array(p["b"], name + "_b"))
            k = p["k"]
            nodes.append(helper.make_node("Conv", [x, name + "_w", name + "_b"], [name], name=name, kernel_shape=[k, k],
                                          strides=[p["stride"]] * 2, pads=same_pads(p["h"], k, p["stride"]), group=group))
        elif kind == "add":
            nodes.append(helper.make_node("Add", [block_input[p["start"]], x], [name], name=name))
        elif kind == "gap":
            nodes.append(helper.make_node("GlobalAveragePool", [x], [name + "_pool"], name=name + "_pool"))
            nodes.append(helper.make_node("Flatten", [name + "_pool"], [name], axis=1, name=name))
        elif kind == "fc":
            inits.append(numpy_helper.from_array(np.ascontiguousarray(p["w"].T), name + "_w"))
            inits.append(numpy_helper.from_array(p["b"], name + "_b"))
            nodes.append(helper.make_node("Gemm", [x, name + "_w", name + "_b"], [name], transB=1, name=name))
        x = name
        act = p.get("act")
        if act == "relu":
            nodes.append(helper.make_node("Relu", [x], [x + "_relu"], name=x + "_relu"))
            x += "_relu"
        elif act == "relu6":
            nodes.append(helper.make_node("Clip", [x, "zero", "six"], [x + "_relu6"], name=x + "_relu6"))
            x += "_relu6"
    nodes[-1].output[0] = "logits"
    used = {name for node in nodes for name in node.input}
    inits = [t for t in inits if t.name in used]
    graph = helper.make_graph(nodes, net.name,
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, net.size, net.size])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, net.classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_bench_models.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def run_litert(data, x_nhwc):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=data, num_threads=1)
    it.allocate_tensors()
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    s, z = i["quantization"]
    q = np.clip(np.round(x_nhwc / s) + z, -128, 127).astype(np.int8)
    it.set_tensor(i["index"], q)
    it.invoke()
    os_, oz = o["quantization"]
    return (it.get_tensor(o["index"]).astype(np.float32) - oz) * os_, (s, z)


def onnx_only(a, ort):
    """Regenerates ONNX twins from the seed; the committed float golden proves it is the same network."""
    golden_dir = Path(__file__).resolve().parent / "models"
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    for name in a.models.split(","):
        model = to_onnx(MODELS[name]())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        x = np.load(golden_dir / f"{name}_input.npy")
        want = np.load(golden_dir / f"{name}_ort.npy")
        err = float(np.abs(sess.run(None, {"input": x})[0] - want).max())
        span = float(want.max() - want.min())
        if err > 1e-4 * span:
            print(f"make_bench_models.py: the regenerated {name}.onnx is NOT the network of the committed "
                  f"{name}.tflite (onnxruntime output differs from {name}_ort.npy by {err}, range {span}); numpy's "
                  f"random stream changed? Regenerate all twins with TensorFlow (see the docstring).", file=sys.stderr)
            return 1
        onnx.save(model, out / f"{name}.onnx")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", nargs="?", default=str(Path(__file__).resolve().parent / "models"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--onnx-only", action="store_true",
                    help="only write the ONNX twins (numpy + onnx + onnxruntime, no TensorFlow) and check each "
                         "against the committed <model>_ort.npy: for the twins not committed because of their size")
    a = ap.parse_args()
    import onnxruntime as ort
    if a.onnx_only:
        return onnx_only(a, ort)
    import tensorflow as tf
    tf.keras.utils.set_random_seed(SEED)
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    for name in a.models.split(","):
        net = MODELS[name]()
        keras_model = to_keras(net)
        rng = np.random.default_rng(SEED + 200)
        x = rng.uniform(-1.0, 1.0, (1, net.size, net.size, 3)).astype(np.float32)
        want = keras_model(x, training=False).numpy()
        model = to_onnx(net)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        x_nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        got = sess.run(None, {"input": x_nchw})[0]
        span = float(want.max() - want.min())
        float_err = float(np.abs(got - want).max())
        assert float_err <= 1e-4 * span, f"{name}: Keras vs onnxruntime float differ by {float_err} (range {span})"
        data = to_tflite(net, keras_model, 32 if net.size <= 96 else 16)
        lite, (s, z) = run_litert(data, x)
        int8_err = float(np.abs(lite - got).max())
        assert int8_err <= 0.10 * span, f"{name}: LiteRT int8 vs float differ by {int8_err} (range {span})"
        onnx.save(model, out / f"{name}.onnx")
        (out / f"{name}.tflite").write_bytes(data)
        np.save(out / f"{name}_input.npy", x_nchw)
        np.save(out / f"{name}_ort.npy", got.astype(np.float32))
        np.save(out / f"{name}_litert.npy", lite.astype(np.float32))
        print(f"{name}: {net.macs / 1e6:.2f} M MACs, onnx {(out / f'{name}.onnx').stat().st_size} B, "
              f"tflite {len(data)} B; input scale {s:.6f} zp {z}; output range {span:.3f}; "
              f"|keras - ort| {float_err:.2e}; |litert int8 - float| max {int8_err:.4f} "
              f"({int8_err / span * 100:.2f} % of range), top-1 {'same' if lite.argmax() == got.argmax() else 'DIFFERENT'}")


if __name__ == "__main__":
    sys.exit(main())
