#!/usr/bin/env python3
"""Unary math fixtures: small ONNX models and onnxruntime's float outputs on seeded inputs.

Each op on a computed tensor (int8 on the device as a 256-entry lookup table):
  unary_sqrt, unary_reciprocal, unary_log   x[1,4,5,5] in [0.1, 2] -> op
  unary_erf, unary_exp                      x[1,4,5,5] in [-2, 2]  -> op
  unary_pow2, unary_pow3, unary_pow_half    x -> Pow(x, constant scalar 2 / 3 / 0.5)
  div_net        x[1,3,8,8] -> Conv 3->4 (a) and Conv 3->4 -> Sigmoid -> + 0.5 (b in [0.5, 1.5]) -> a / b
  layernorm_decomposed  x[1,8,16] -> MatMul 16x16 -> ReduceMean/Sub/Pow 2/ReduceMean/Add eps/Sqrt/Div, ·γ + β
                 over the last axis (LayerNorm as exporters write it before opset 17; unfused int8)
  gelu_erf_net   x[1,3,8,8] -> Conv 3->6 -> x*0.5*(1+Erf(x/sqrt(2))) (decomposed GELU) -> Conv 1x1 6->4
  gelu_tanh_net  same with the tanh form 0.5*x*(1+Tanh(sqrt(2/pi)*(x+0.044715*Pow(x,3))))

Files per model: <name>.onnx, <name>_calib.npy (64 samples), <name>_x.npy (16 test inputs),
<name>_ref.npy (onnxruntime outputs on the test inputs). The networks' test inputs are drawn
from 0.8× the calibration interval so that no test output lies beyond the calibrated range
(where any int8 model saturates; that error is calibration's, not the op's). Run from the repository root:
    python3 Tests/Fixtures/unary/make_unary.py
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


def save(name, nodes, inits, in_shape, out_shape, low=-1.0, high=1.0, test_shrink=1.0):
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    calib = rng.uniform(low, high, size=[64] + in_shape[1:]).astype(np.float32)
    x = test_shrink * rng.uniform(low, high, size=[16] + in_shape[1:]).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))]).astype(np.float32)
    np.save(os.path.join(HERE, name + "_calib.npy"), calib)
    np.save(os.path.join(HERE, name + "_x.npy"), x)
    np.save(os.path.join(HERE, name + "_ref.npy"), ref)
    print(name, "ref", ref.shape, "range", float(ref.min()), float(ref.max()))


shape = [1, 4, 5, 5]
for op, low, high in [("Sqrt", 0.1, 2.0), ("Reciprocal", 0.1, 2.0), ("Log", 0.1, 2.0),
                      ("Erf", -2.0, 2.0), ("Exp", -2.0, 2.0)]:
    save("unary_" + op.lower(), [helper.make_node(op, ["x"], ["y"], name=op.lower())], [], shape, shape, low, high)
for suffix, exponent, low in [("pow2", 2.0, -2.0), ("pow3", 3.0, -2.0), ("pow_half", 0.5, 0.1)]:
    save("unary_" + suffix, [helper.make_node("Pow", ["x", "e"], ["y"], name="pow")],
         [const("e", exponent)], shape, shape, low, 2.0)


def conv_net(name, gelu_nodes, gelu_inits):
    save(name,
         [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1])] + gelu_nodes +
         [helper.make_node("Conv", ["g", "w2", "b2"], ["y"], name="conv2")],
         [const("w1", rng.normal(0, 0.5, (6, 3, 3, 3))), const("b1", rng.normal(0, 0.2, 6)),
          const("w2", rng.normal(0, 0.5, (4, 6, 1, 1))), const("b2", rng.normal(0, 0.1, 4))] + gelu_inits,
         [1, 3, 8, 8], [1, 4, 8, 8], test_shrink=0.8)


conv_net("gelu_erf_net",
         [helper.make_node("Div", ["c1", "sqrt2"], ["d"], name="gelu/div"),
          helper.make_node("Erf", ["d"], ["e"], name="gelu/erf"),
          helper.make_node("Add", ["e", "one"], ["e1"], name="gelu/add"),
          helper.make_node("Mul", ["c1", "e1"], ["m"], name="gelu/mul"),
          helper.make_node("Mul", ["m", "half"], ["g"], name="gelu/mul_half")],
         [const("sqrt2", 1.4142135), const("one", 1.0), const("half", 0.5)])
conv_net("gelu_tanh_net",
         [helper.make_node("Pow", ["c1", "three"], ["p3"], name="gelu/pow"),
          helper.make_node("Mul", ["p3", "k"], ["p3k"], name="gelu/mul_k"),
          helper.make_node("Add", ["c1", "p3k"], ["inner"], name="gelu/add_inner"),
          helper.make_node("Mul", ["inner", "s"], ["scaled"], name="gelu/mul_s"),
          helper.make_node("Tanh", ["scaled"], ["t"], name="gelu/tanh"),
          helper.make_node("Add", ["t", "one"], ["t1"], name="gelu/add"),
          helper.make_node("Mul", ["c1", "half"], ["xh"], name="gelu/mul_half"),
          helper.make_node("Mul", ["xh", "t1"], ["g"], name="gelu/mul")],
         [const("three", 3.0), const("k", 0.044715), const("s", 0.7978845608), const("one", 1.0),
          const("half", 0.5)])

save("div_net",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["a"], name="conv_a", pads=[1, 1, 1, 1]),
      helper.make_node("Conv", ["x", "w2", "b2"], ["c"], name="conv_b", pads=[1, 1, 1, 1]),
      helper.make_node("Sigmoid", ["c"], ["s"], name="sigmoid"),
      helper.make_node("Add", ["s", "half"], ["b"], name="add_half"),
      helper.make_node("Div", ["a", "b"], ["y"], name="div")],
     [const("w1", rng.normal(0, 0.5, (4, 3, 3, 3))), const("b1", rng.normal(0, 0.2, 4)),
      const("w2", rng.normal(0, 0.5, (4, 3, 3, 3))), const("b2", rng.normal(0, 0.2, 4)), const("half", 0.5)],
     [1, 3, 8, 8], [1, 4, 8, 8], test_shrink=0.8)

save("layernorm_decomposed",
     [helper.make_node("MatMul", ["x", "w"], ["h"], name="proj"),
      helper.make_node("ReduceMean", ["h"], ["mu"], name="ln/mean", axes=[-1]),
      helper.make_node("Sub", ["h", "mu"], ["d"], name="ln/sub"),
      helper.make_node("Pow", ["d", "two"], ["d2"], name="ln/pow"),
      helper.make_node("ReduceMean", ["d2"], ["var"], name="ln/var", axes=[-1]),
      helper.make_node("Add", ["var", "eps"], ["ve"], name="ln/add_eps"),
      helper.make_node("Sqrt", ["ve"], ["sd"], name="ln/sqrt"),
      helper.make_node("Div", ["d", "sd"], ["n"], name="ln/div"),
      helper.make_node("Mul", ["n", "gamma"], ["ng"], name="ln/gamma"),
      helper.make_node("Add", ["ng", "beta"], ["y"], name="ln/beta")],
     [const("w", rng.normal(0, 0.5, (16, 16))), const("two", 2.0), const("eps", 1e-5),
      const("gamma", rng.uniform(0.5, 1.5, 16)), const("beta", rng.normal(0, 0.1, 16))],
     [1, 8, 16], [1, 8, 16], test_shrink=0.8)
