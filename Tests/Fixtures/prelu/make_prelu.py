#!/usr/bin/env python3
"""PRelu fixtures: three small ONNX models and onnxruntime's float outputs on seeded inputs.

  prelu_channels  x[1,4,5,5] -> PRelu(slope [4,1,1] = 0.25, -0.5, 1.5, 0)              (the op alone)
  prelu_fc        x[1,6] -> Gemm 6->5 -> PRelu(slope [1] = 0.1)                         (scalar slope, 2-D)
  prelu_conv      x[1,3,8,8] -> Conv 3->4 3x3 -> PRelu([4,1,1]) -> Conv 1x1 4->4 -> PRelu([1])
                  -> GlobalAveragePool -> Flatten -> Gemm 4->3                           (in a network)

Files per model: <name>.onnx, <name>_calib.npy (64 samples), <name>_x.npy (16 test inputs),
<name>_ref.npy (onnxruntime outputs on the test inputs). Run from the repository root:
    python3 Tests/Fixtures/prelu/make_prelu.py
Deterministic (numpy seed 20261206); needs numpy, onnx, onnxruntime.
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261206)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def save(name, nodes, inits, in_shape, out_shape):
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    calib = rng.uniform(-1, 1, size=[64] + in_shape[1:]).astype(np.float32)
    x = rng.uniform(-1, 1, size=[16] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    np.save(os.path.join(HERE, name + "_ref.npy"), ref)
    print(name, "ref", ref.shape, "range", float(ref.min()), float(ref.max()))


save("prelu_channels",
     [helper.make_node("PRelu", ["x", "slope"], ["y"], name="prelu")],
     [const("slope", np.array([0.25, -0.5, 1.5, 0.0]).reshape(4, 1, 1))], [1, 4, 5, 5], [1, 4, 5, 5])

save("prelu_fc",
     [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
      helper.make_node("PRelu", ["h", "slope"], ["y"], name="prelu")],
     [const("w", rng.normal(0, 0.6, (5, 6))), const("b", rng.normal(0, 0.1, 5)), const("slope", [0.1])],
     [1, 6], [1, 5])

save("prelu_conv",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
      helper.make_node("PRelu", ["c1", "s1"], ["p1"], name="prelu1"),
      helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2"),
      helper.make_node("PRelu", ["c2", "s2"], ["p2"], name="prelu2"),
      helper.make_node("GlobalAveragePool", ["p2"], ["g"], name="gap"),
      helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
      helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], name="fc", transB=1)],
     [const("w1", rng.normal(0, 0.4, (4, 3, 3, 3))), const("b1", rng.normal(0, 0.1, 4)),
      const("s1", np.array([0.2, -0.3, 0.05, 0.7]).reshape(4, 1, 1)),
      const("w2", rng.normal(0, 0.5, (4, 4, 1, 1))), const("b2", rng.normal(0, 0.1, 4)), const("s2", [0.15]),
      const("w3", rng.normal(0, 0.5, (3, 4))), const("b3", rng.normal(0, 0.1, 3))],
     [1, 3, 8, 8], [1, 3])
