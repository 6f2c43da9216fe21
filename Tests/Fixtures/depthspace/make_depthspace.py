#!/usr/bin/env python3
"""DepthToSpace / SpaceToDepth fixtures (opset 13) and onnxruntime's float outputs.

  pixel_shuffle  x[1,3,6,6] -> Conv 3->8 3x3 -> DepthToSpace b2 CRD (PyTorch PixelShuffle) -> Conv 2->2 1x1
  depth_dcr      x[1,3,6,6] -> Conv 3->12 1x1 -> DepthToSpace b2 DCR -> Relu
  space_to_depth x[1,2,8,8] -> SpaceToDepth b2 -> Conv 8->4 1x1

Files per model: <name>.onnx, <name>_calib.npy (32 samples in [−1, 1]), <name>_x.npy (8 test
inputs in [−0.8, 0.8]), <name>_ref.npy. Run from the repository root:
    python3 Tests/Fixtures/depthspace/make_depthspace.py
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
    calib = rng.uniform(-1, 1, size=[32] + in_shape[1:]).astype(np.float32)
    x = rng.uniform(-0.8, 0.8, size=[8] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    np.save(os.path.join(HERE, name + "_ref.npy"), ref)
    print(name, "ref", ref.shape, "range", float(ref.min()), float(ref.max()))



save("pixel_shuffle",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], name="conv", pads=[1, 1, 1, 1]),
      helper.make_node("DepthToSpace", ["c"], ["d"], name="shuffle", blocksize=2, mode="CRD"),
      helper.make_node("Conv", ["d", "w2", "b2"], ["y"], name="head")],
     [const("w1", rng.normal(0, 0.4, (8, 3, 3, 3))), const("b1", rng.normal(0, 0.1, 8)),
      const("w2", rng.normal(0, 0.5, (2, 2, 1, 1))), const("b2", rng.normal(0, 0.1, 2))], [1, 3, 6, 6])
save("depth_dcr",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], name="conv"),
      helper.make_node("DepthToSpace", ["c"], ["d"], name="d2s", blocksize=2, mode="DCR"),
      helper.make_node("Relu", ["d"], ["y"], name="relu")],
     [const("w1", rng.normal(0, 0.5, (12, 3, 1, 1))), const("b1", rng.normal(0, 0.1, 12))], [1, 3, 6, 6])
save("space_to_depth",
     [helper.make_node("SpaceToDepth", ["x"], ["s"], name="s2d", blocksize=2),
      helper.make_node("Conv", ["s", "w1", "b1"], ["y"], name="conv")],
     [const("w1", rng.normal(0, 0.4, (4, 8, 1, 1))), const("b1", rng.normal(0, 0.1, 4))], [1, 2, 8, 8])
