#!/usr/bin/env python3
"""Resize/Upsample fixtures: small ONNX models and onnxruntime's float outputs on seeded inputs.

  Resize alone on x[1,2,5,7] (opset 13 unless noted), one model per convention:
    resize_nearest_asym      nearest, asymmetric, floor, scales 2,2
    resize_nearest_half      nearest, half_pixel, round_prefer_floor, sizes 9x11
    resize_linear_half       linear, half_pixel, scales 2,2
    resize_linear_align      linear, align_corners, sizes 8x10
    resize_linear_pytorch    linear, pytorch_half_pixel, sizes 3x4 (downsampling)
    resize_linear_asym       linear, asymmetric, scales 1.5,2.5
    upsample_nearest         Upsample (opset 9) nearest, scales 2,3
    upsample_linear          Upsample (opset 9) linear, scales 2,2
  resize_fpn  x[1,3,8,8] -> Conv 3->4 3x3 s2 -> Relu -> Resize linear half_pixel x2 -> Add(skip:
              Conv 3->4 1x1) -> Conv 4->2 3x3                                (FPN-style, in a network)

Files per model: <name>.onnx, <name>_calib.npy (32 samples), <name>_x.npy (8 test inputs),
<name>_ref.npy (onnxruntime outputs on the test inputs). Run from the repository root:
    python3 Tests/Fixtures/resize/make_resize.py
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
    x = rng.uniform(-1, 1, size=[8] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    np.save(os.path.join(HERE, name + "_ref.npy"), ref)
    print(name, "ref", ref.shape, "range", float(ref.min()), float(ref.max()))


def resize(name, mode, coordinates, scales=None, sizes=None, nearest="round_prefer_floor"):
    inits = [const("roi", [])]
    inputs = ["x", "roi"]
    if scales is not None:
        inits.append(const("scales", [1, 1] + scales))
        inputs.append("scales")
    else:
        inits.append(const("sizes", [1, 2] + sizes, np.int64))
        inputs += ["", "sizes"]
    node = helper.make_node("Resize", inputs, ["y"], name="resize", mode=mode,
                            coordinate_transformation_mode=coordinates, nearest_mode=nearest)
    save(name, [node], inits, [1, 2, 5, 7])


resize("resize_nearest_asym", "nearest", "asymmetric", scales=[2, 2], nearest="floor")
resize("resize_nearest_half", "nearest", "half_pixel", sizes=[9, 11])
resize("resize_linear_half", "linear", "half_pixel", scales=[2, 2])
resize("resize_linear_align", "linear", "align_corners", sizes=[8, 10])
resize("resize_linear_pytorch", "linear", "pytorch_half_pixel", sizes=[3, 4])
resize("resize_linear_asym", "linear", "asymmetric", scales=[1.5, 2.5])
save("upsample_nearest", [helper.make_node("Upsample", ["x", "scales"], ["y"], name="up", mode="nearest")],
     [const("scales", [1, 1, 2, 3])], [1, 2, 5, 7], opset=9)
save("upsample_linear", [helper.make_node("Upsample", ["x", "scales"], ["y"], name="up", mode="linear")],
     [const("scales", [1, 1, 2, 2])], [1, 2, 5, 7], opset=9)

save("resize_fpn",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="down", pads=[1, 1, 1, 1], strides=[2, 2]),
      helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
      helper.make_node("Resize", ["r1", "roi", "scales"], ["u"], name="up", mode="linear",
                       coordinate_transformation_mode="half_pixel"),
      helper.make_node("Conv", ["x", "w2", "b2"], ["skip"], name="lateral"),
      helper.make_node("Add", ["u", "skip"], ["s"], name="merge"),
      helper.make_node("Conv", ["s", "w3", "b3"], ["y"], name="head", pads=[1, 1, 1, 1])],
     [const("w1", rng.normal(0, 0.4, (4, 3, 3, 3))), const("b1", rng.normal(0, 0.1, 4)),
      const("roi", []), const("scales", [1, 1, 2, 2]),
      const("w2", rng.normal(0, 0.5, (4, 3, 1, 1))), const("b2", rng.normal(0, 0.1, 4)),
      const("w3", rng.normal(0, 0.3, (2, 4, 3, 3))), const("b3", rng.normal(0, 0.1, 2))],
     [1, 3, 8, 8])
