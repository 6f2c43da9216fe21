#!/usr/bin/env python3
"""LogSoftmax, ArgMax/ArgMin (int64 outputs) and rank-5 shuffles: small ONNX models and
onnxruntime's float outputs on seeded inputs.

  logsoftmax_fc   x[1,12] -> Gemm 12->10 -> LogSoftmax(axis -1)                          (classifier head)
  logsoftmax_ch   x[1,6,4,4] -> Conv 1x1 6->8 -> LogSoftmax(axis 1)                      (over NCHW channels)
  argmax_seg      x[1,3,6,6] -> Conv 3x3 3->5 -> outputs: logits (float), classes = ArgMax(axis 1,
                  keepdims 1) [1,1,6,6] int64, rows = ArgMin(axis 2, keepdims 0, select_last_index 1)
                  [1,5,6] int64                                                           (segmenter heads)
  argmax_fc       x[1,12] -> Gemm 12->7 -> ArgMax(axis 1, keepdims 0) [1] int64          (one class index)
  shuffle5d       x[1,8,5,5] -> Conv 1x1 8->8 -> Reshape [1,2,4,5,5] -> Transpose [0,2,1,3,4]
                  -> Reshape [1,8,5,5] -> Conv 1x1 8->4                                   (ShuffleNet channel shuffle)
  yolo5d          x[1,6,4,4] -> Conv 1x1 6->12 -> Reshape [1,3,4,4,4] -> Transpose [0,1,3,4,2]
                  -> Sigmoid -> Reshape [1,48,4]                                          (YOLO head)
  space6d         x[1,4,4,4] -> Relu -> Reshape [1,4,2,2,2,2] -> Transpose [0,3,5,1,2,4]
                  -> Reshape [1,16,2,2]                  (rank-6 space-to-depth, blocks first: folds to 4 groups)
  space6d_crd     the same with Transpose [0,1,3,5,2,4] (channels first): 5 groups, which no rank-4
                  transpose can do; the converter must name the node

Files per model: <name>.onnx, <name>_calib.npy (1024 samples for
the 2-D inputs, whose FC logits reach further out, 256 for the others), <name>_x.npy (16 test inputs),
<name>_ref_<output>.npy (onnxruntime outputs on the test inputs, one file per graph output).
Run from the repository root:  python3 Tests/Fixtures/indices/make_indices.py
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


def save(name, nodes, inits, in_shape, outputs):
    """outputs: [(name, elem_type, shape)]."""
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    calib = rng.uniform(-1, 1, size=[1024 if len(in_shape) == 2 else 256] + in_shape[1:]).astype(np.float32)
    x = rng.uniform(-1, 1, size=[16] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    runs = [session.run(None, {"x": x[i:i + 1]}) for i in range(len(x))]
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    for k, (out, _, _) in enumerate(outputs):
        ref = np.concatenate([r[k] if r[k].ndim > 0 else r[k][None] for r in runs])
        np.save(os.path.join(HERE, f"{name}_ref_{out}.npy"), ref)
        print(name, out, ref.dtype, ref.shape, "range", ref.min(), ref.max())


F, I64 = TensorProto.FLOAT, TensorProto.INT64

save("logsoftmax_fc",
     [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
      helper.make_node("LogSoftmax", ["h"], ["y"], name="log_softmax", axis=-1)],
     [const("w", rng.normal(0, 0.8, (10, 12))), const("b", rng.normal(0, 0.3, 10))],
     [1, 12], [("y", F, [1, 10])])

save("logsoftmax_ch",
     [helper.make_node("Conv", ["x", "w", "b"], ["h"], name="conv"),
      helper.make_node("LogSoftmax", ["h"], ["y"], name="log_softmax", axis=1)],
     [const("w", rng.normal(0, 0.7, (8, 6, 1, 1))), const("b", rng.normal(0, 0.2, 8))],
     [1, 6, 4, 4], [("y", F, [1, 8, 4, 4])])

save("argmax_seg",
     [helper.make_node("Conv", ["x", "w", "b"], ["logits"], name="conv", pads=[1, 1, 1, 1]),
      helper.make_node("ArgMax", ["logits"], ["classes"], name="argmax", axis=1, keepdims=1),
      helper.make_node("ArgMin", ["logits"], ["rows"], name="argmin", axis=2, keepdims=0, select_last_index=1)],
     [const("w", rng.normal(0, 0.5, (5, 3, 3, 3))), const("b", rng.normal(0, 0.2, 5))],
     [1, 3, 6, 6], [("logits", F, [1, 5, 6, 6]), ("classes", I64, [1, 1, 6, 6]), ("rows", I64, [1, 5, 6])])

save("argmax_fc",
     [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
      helper.make_node("ArgMax", ["h"], ["cls"], name="argmax", axis=1, keepdims=0)],
     [const("w", rng.normal(0, 0.8, (7, 12))), const("b", rng.normal(0, 0.3, 7))],
     [1, 12], [("cls", I64, [1])])

save("shuffle5d",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1"),
      helper.make_node("Reshape", ["c1", "s5"], ["r5"], name="split_groups"),
      helper.make_node("Transpose", ["r5"], ["t5"], name="shuffle", perm=[0, 2, 1, 3, 4]),
      helper.make_node("Reshape", ["t5", "s4"], ["r4"], name="merge_groups"),
      helper.make_node("Conv", ["r4", "w2", "b2"], ["y"], name="conv2")],
     [const("w1", rng.normal(0, 0.5, (8, 8, 1, 1))), const("b1", rng.normal(0, 0.2, 8)),
      const("s5", [1, 2, 4, 5, 5], np.int64), const("s4", [1, 8, 5, 5], np.int64),
      const("w2", rng.normal(0, 0.5, (4, 8, 1, 1))), const("b2", rng.normal(0, 0.2, 4))],
     [1, 8, 5, 5], [("y", F, [1, 4, 5, 5])])

save("yolo5d",
     [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="head"),
      helper.make_node("Reshape", ["c", "s5"], ["r5"], name="anchors"),
      helper.make_node("Transpose", ["r5"], ["t5"], name="channels_last", perm=[0, 1, 3, 4, 2]),
      helper.make_node("Sigmoid", ["t5"], ["g5"], name="sigmoid"),
      helper.make_node("Reshape", ["g5", "s3"], ["y"], name="flatten_boxes")],
     [const("w", rng.normal(0, 0.7, (12, 6, 1, 1))), const("b", rng.normal(0, 0.2, 12)),
      const("s5", [1, 3, 4, 4, 4], np.int64), const("s3", [1, 48, 4], np.int64)],
     [1, 6, 4, 4], [("y", F, [1, 48, 4])])

for name, perm in [("space6d", [0, 3, 5, 1, 2, 4]), ("space6d_crd", [0, 1, 3, 5, 2, 4])]:
    save(name,
         [helper.make_node("Relu", ["x"], ["a"], name="relu"),
          helper.make_node("Reshape", ["a", "s6"], ["r6"], name="blocks"),
          helper.make_node("Transpose", ["r6"], ["t6"], name="to_depth", perm=perm),
          helper.make_node("Reshape", ["t6", "s4"], ["y"], name="merge")],
         [const("s6", [1, 4, 2, 2, 2, 2], np.int64), const("s4", [1, 16, 2, 2], np.int64)],
         [1, 4, 4, 4], [("y", F, [1, 16, 2, 2])])
