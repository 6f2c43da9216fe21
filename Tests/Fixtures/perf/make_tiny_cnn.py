#!/usr/bin/env python3
"""ONNX twin of armcount's models/tiny_cnn_int8.tflite, for Sparrow-vs-LiteRT instruction counts.

Same graph and shapes as that model (made by armcount's make_model_tf.py with --size 32
--width 16): Conv 3x3 s2 (TF 'same' padding = pads top/left 0, bottom/right 1) 3->16 + ReLU,
depthwise 3x3 + ReLU, Conv 1x1 16->32 + ReLU, Conv 3x3 s2 32->32 + ReLU, depthwise 3x3 + ReLU,
Conv 1x1 32->64 + ReLU, GlobalAveragePool, Dense 64->10 (logits). Weights are seeded random
(He-normal), not TFLite's: instruction counts depend on the shapes, not on the values.

  python3 make_tiny_cnn.py OUTDIR   -> OUTDIR/tiny_cnn.onnx, OUTDIR/tiny_cnn_calib.npy (32 samples),
                                       OUTDIR/tiny_cnn_input.npy (1 sample)
Inputs are uniform in [-1, 1] like the TFLite model's representative set. Layout NCHW [1,3,32,32].
"""
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def main(outdir):
    rng = np.random.default_rng(1234)
    inits, nodes = [], []

    def weight(name, shape, fan_in):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32), name))
        return name

    def bias(name, n):
        inits.append(numpy_helper.from_array((rng.standard_normal(n) * 0.05).astype(np.float32), name))
        return name

    def conv(x, name, cin, cout, k, stride, pads, group=1):
        w = weight(name + "_w", (cout, cin // group, k, k), (cin // group) * k * k)
        b = bias(name + "_b", cout)
        nodes.append(helper.make_node("Conv", [x, w, b], [name], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=pads, group=group, name=name))
        nodes.append(helper.make_node("Relu", [name], [name + "_relu"], name=name + "_relu"))
        return name + "_relu"

    x = conv("input", "conv1", 3, 16, 3, 2, [0, 0, 1, 1])
    x = conv(x, "dw1", 16, 16, 3, 1, [1, 1, 1, 1], group=16)
    x = conv(x, "pw1", 16, 32, 1, 1, [0, 0, 0, 0])
    x = conv(x, "conv2", 32, 32, 3, 2, [0, 0, 1, 1])
    x = conv(x, "dw2", 32, 32, 3, 1, [1, 1, 1, 1], group=32)
    x = conv(x, "pw2", 32, 64, 1, 1, [0, 0, 0, 0])
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1, name="flat"))
    w = weight("fc_w", (10, 64), 64)
    b = bias("fc_b", 10)
    nodes.append(helper.make_node("Gemm", ["flat", w, b], ["logits"], transB=1, name="fc"))
    graph = helper.make_graph(nodes, "tiny_cnn",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_tiny_cnn.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, f"{outdir}/tiny_cnn.onnx")
    np.save(f"{outdir}/tiny_cnn_calib.npy", rng.uniform(-1, 1, (32, 3, 32, 32)).astype(np.float32))
    np.save(f"{outdir}/tiny_cnn_input.npy", rng.uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
