#!/usr/bin/env python3
"""ConvTranspose fixtures: small ONNX models (opset 13) and onnxruntime's float outputs on seeded inputs.

  deconv_s2_outpad  x[1,3,5,5] -> ConvTranspose 3->4 k3 s2 pads 1 output_padding 1 (+bias)   -> 10x10
  deconv_k4s2_relu  x[1,4,6,6] -> ConvTranspose 4->2 k4 s2 pads 1 -> Relu (DBNet-head style)  -> 12x12
  deconv_dw         x[1,4,5,6] -> ConvTranspose group 4 (multiplier 2) k3 s2 dilations [1,2]
                    pads [0,1,1,0] output_padding [1,0]                                        (depthwise)
  deconv_s3         x[1,2,4,4] -> ConvTranspose 2->3 k2 s3, no bias                            (gaps)
  deconv_net        x[1,3,8,8] -> Conv 3->6 3x3 s2 -> Relu -> ConvTranspose 6->3 k2 s2 -> Add(x) (in a network)

Files per model: <name>.onnx, <name>_calib.npy (64 samples in [−1, 1]), <name>_x.npy (8 test inputs
in [−0.8, 0.8], so the test outputs stay inside the calibrated range and the check measures the
arithmetic, not clipping), <name>_ref.npy (onnxruntime outputs on the test inputs). Run from the repository root:
    python3 Tests/Fixtures/convtranspose/make_convtranspose.py
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
    probe = make(name, nodes, inits, in_shape, ["a", "b", "c", "d"], opset).SerializeToString()
    out_shape = list(ort.InferenceSession(probe, providers=["CPUExecutionProvider"])
                     .run(None, {"x": np.zeros(in_shape, np.float32)})[0].shape)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(make(name, nodes, inits, in_shape, out_shape, opset), path)
    calib = rng.uniform(-1, 1, size=[64] + in_shape[1:]).astype(np.float32)
    x = rng.uniform(-0.8, 0.8, size=[8] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    np.save(os.path.join(HERE, name + "_ref.npy"), ref)
    print(name, "ref", ref.shape, "range", float(ref.min()), float(ref.max()))



def deconv(inp, out, w, b, name, **attrs):
    inputs = [inp, w] + ([b] if b else [])
    return helper.make_node("ConvTranspose", inputs, [out], name=name, **attrs)


save("deconv_s2_outpad", [deconv("x", "y", "w", "b", "up", strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])],
     [const("w", rng.normal(0, 0.4, (3, 4, 3, 3))), const("b", rng.normal(0, 0.1, 4))], [1, 3, 5, 5])
save("deconv_k4s2_relu", [deconv("x", "d", "w", "b", "up", strides=[2, 2], pads=[1, 1, 1, 1]),
                          helper.make_node("Relu", ["d"], ["y"], name="relu")],
     [const("w", rng.normal(0, 0.3, (4, 2, 4, 4))), const("b", rng.normal(0, 0.1, 2))], [1, 4, 6, 6])
save("deconv_dw", [deconv("x", "y", "w", "b", "up", group=4, strides=[2, 2], dilations=[1, 2], pads=[0, 1, 1, 0],
                          output_padding=[1, 0])],
     [const("w", rng.normal(0, 0.5, (4, 2, 3, 3))), const("b", rng.normal(0, 0.1, 8))], [1, 4, 5, 6])
save("deconv_s3", [deconv("x", "y", "w", None, "up", strides=[3, 3])],
     [const("w", rng.normal(0, 0.5, (2, 3, 2, 2)))], [1, 2, 4, 4])
save("deconv_net",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="down", pads=[1, 1, 1, 1], strides=[2, 2]),
      helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
      deconv("r1", "u", "w2", "b2", "up", strides=[2, 2]),
      helper.make_node("Add", ["u", "x"], ["y"], name="skip")],
     [const("w1", rng.normal(0, 0.4, (6, 3, 3, 3))), const("b1", rng.normal(0, 0.1, 6)),
      const("w2", rng.normal(0, 0.3, (6, 3, 2, 2))), const("b2", rng.normal(0, 0.1, 3))], [1, 3, 8, 8])
