#!/usr/bin/env python3
"""1-D convolution and pooling fixture (opset 13; a keyword-spotting-style signal CNN) and
onnxruntime's float outputs.

  kws1d  x[1,4,32] -> Conv1d 4->8 k5 s2 p2 -> Relu -> MaxPool1d k2 -> Conv1d 8->8 k3 d2 p2 -> Relu
         -> AveragePool1d k2 -> ConvTranspose1d 8->4 k2 s2 -> Flatten -> Gemm 32->5

Files: kws1d.onnx, kws1d_calib.npy (32 samples in [−1, 1]), kws1d_x.npy (8 test inputs in
[−0.8, 0.8]), kws1d_ref.npy. Run from the repository root:
    python3 Tests/Fixtures/conv1d/make_conv1d.py
Deterministic (numpy seed 20261206); needs numpy, onnx, onnxruntime.
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)


def const(name, array, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)


def make(name, nodes, inits, in_shape, out_shape, opset):
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def save(name, nodes, inits, in_shape, opset=13):
    # The declared output shape is onnxruntime's, found with a symbolic first pass.
    probe = make(name, nodes, inits, in_shape, ["a", "b"], opset).SerializeToString()
    out_shape = list(ort.InferenceSession(probe, providers=["CPUExecutionProvider"])
                     .run(None, {"x": np.zeros(in_shape, np.float32)})[0].shape)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(make(name, nodes, inits, in_shape, out_shape, opset), path)
    calib = rng.uniform(-1, 1, size=[32] + in_shape[1:]).astype(np.float32)
    x = rng.uniform(-0.8, 0.8, size=[8] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    np.save(os.path.join(HERE, name + "_ref.npy"), ref)
    print(name, "ref", ref.shape, "range", float(ref.min()), float(ref.max()))



save("kws1d",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[5], strides=[2], pads=[2, 2]),
      helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
      helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2], strides=[2]),
      helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2", kernel_shape=[3], dilations=[2], pads=[2, 2]),
      helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
      helper.make_node("AveragePool", ["r2"], ["p2"], name="pool2", kernel_shape=[2], strides=[2]),
      helper.make_node("ConvTranspose", ["p2", "w3"], ["u"], name="up", kernel_shape=[2], strides=[2]),
      helper.make_node("Flatten", ["u"], ["f"], name="flatten"),
      helper.make_node("Gemm", ["f", "w4", "b4"], ["y"], name="fc", transB=1)],
     [const("w1", rng.normal(0, 0.4, (8, 4, 5))), const("b1", rng.normal(0, 0.1, 8)),
      const("w2", rng.normal(0, 0.3, (8, 8, 3))), const("b2", rng.normal(0, 0.1, 8)),
      const("w3", rng.normal(0, 0.4, (8, 4, 2))),
      const("w4", rng.normal(0, 0.3, (5, 32))), const("b4", rng.normal(0, 0.1, 5))], [1, 4, 32])
