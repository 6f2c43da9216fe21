#!/usr/bin/env python3
"""Slice/Gather/Split on run-time tensors: small ONNX models (opset 13) and onnxruntime's outputs.

  slice_net   x[1,4,6,8] -> Conv 4->6 1x1 -> Slice channels 1:5, rows 1::2, columns reversed
              -> Gather columns [0,2,5] -> Split channels [1,3] -> Mul (1 channel broadcast to 3)
  gather_cls  x[1,5,8] -> Gather axis 1 index 0 (scalar: the "class token") -> Gemm 8->4
  split_seq   x[1,6,10] -> Split axis 2 into [4,6] -> Slice the 6-part 1::2 -> Add       (3-D, attention-style)
  expand_tile x[1,3,1,4] -> Expand to [1,3,5,4] -> Tile [1,2,1,2] -> Conv 6->2 1x1        (run-time Expand, Tile)
  pad_modes   x[1,2,5,6] -> Pad reflect (1,2 | 2,1 on H, W) -> Pad edge (1 all round) -> Conv 2->3 3x3

Files per model: <name>.onnx, <name>_calib.npy (32 samples), <name>_x.npy (8 test inputs),
<name>_ref.npy (onnxruntime outputs on the test inputs). Run from the repository root:
    python3 Tests/Fixtures/slice/make_slice.py
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


def save(name, nodes, inits, in_shape, opset=13, out_rank=None):
    # The declared output shape is onnxruntime's, found with a symbolic first pass.
    probe = make(name, nodes, inits, in_shape, ["a", "b", "c", "d"][:out_rank or len(in_shape)], opset).SerializeToString()
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



def ints(name, values):
    return const(name, values, np.int64)


save("slice_net",
     [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv"),
      helper.make_node("Slice", ["c", "s0", "e0", "a0", "t0"], ["s"], name="slice"),
      helper.make_node("Gather", ["s", "idx"], ["g"], name="gather", axis=3),
      helper.make_node("Split", ["g", "parts"], ["p1", "p3"], name="split", axis=1),
      helper.make_node("Mul", ["p1", "p3"], ["y"], name="mul")],
     [const("w", rng.normal(0, 0.5, (6, 4, 1, 1))), const("b", rng.normal(0, 0.1, 6)),
      ints("s0", [1, 1, -1]), ints("e0", [5, 6, -100]), ints("a0", [1, 2, 3]), ints("t0", [1, 2, -1]),
      ints("idx", [0, 2, 5]), ints("parts", [1, 3])], [1, 4, 6, 8])
save("gather_cls",
     [helper.make_node("Gather", ["x", "zero"], ["t"], name="cls", axis=1),
      helper.make_node("Gemm", ["t", "w", "b"], ["y"], name="fc", transB=1)],
     [ints("zero", 0), const("w", rng.normal(0, 0.5, (4, 8))), const("b", rng.normal(0, 0.1, 4))], [1, 5, 8], out_rank=2)
save("split_seq",
     [helper.make_node("Split", ["x", "parts"], ["a", "b"], name="split", axis=2),
      helper.make_node("Slice", ["b", "s0", "e0", "a0", "t0"], ["bs"], name="every_other"),
      helper.make_node("Slice", ["a", "s1", "e1", "a1"], ["as"], name="first_three"),
      helper.make_node("Add", ["as", "bs"], ["y"], name="add")],
     [ints("parts", [4, 6]), ints("s0", [1]), ints("e0", [6]), ints("a0", [2]), ints("t0", [2]),
      ints("s1", [0]), ints("e1", [3]), ints("a1", [2])], [1, 6, 10])
save("expand_tile",
     [helper.make_node("Expand", ["x", "shape"], ["e"], name="expand"),
      helper.make_node("Tile", ["e", "reps"], ["t"], name="tile"),
      helper.make_node("Conv", ["t", "w", "b"], ["y"], name="conv")],
     [ints("shape", [1, 3, 5, 4]), ints("reps", [1, 2, 1, 2]),
      const("w", rng.normal(0, 0.5, (2, 6, 1, 1))), const("b", rng.normal(0, 0.1, 2))], [1, 3, 1, 4])
save("pad_modes",
     [helper.make_node("Pad", ["x", "p1"], ["r"], name="reflect", mode="reflect"),
      helper.make_node("Pad", ["r", "p2"], ["e"], name="edge", mode="edge"),
      helper.make_node("Conv", ["e", "w", "b"], ["y"], name="conv")],
     [ints("p1", [0, 0, 1, 2, 0, 0, 2, 1]), ints("p2", [0, 0, 1, 1, 0, 0, 1, 1]),
      const("w", rng.normal(0, 0.4, (3, 2, 3, 3))), const("b", rng.normal(0, 0.1, 3))], [1, 2, 5, 6])
