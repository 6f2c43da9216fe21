#!/usr/bin/env python3
"""Writes the ONNX fixtures for Tests/SparrowONNXTests with onnx.helper, plus expected.json: what
the onnx Python package itself reports for each file (nodes, attribute values, initializer values,
value infos, where the graph sits in the file). That JSON is the independent golden the Swift
protobuf reader is checked against. If Tests/Fixtures/digits/*.onnx exist (written by
Tests/Fixtures/make_fixtures.py), their structure is recorded too.

Run from anywhere:  python3 Tests/Fixtures/onnx/make_onnx_fixtures.py
"""
import glob
import json
import os

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "digits")


# ---------------------------------------------------------------- golden dumps (onnx's own view)

def dump_tensor(t, with_values=True):
    fields = [f for f in ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                          "uint64_data", "string_data") if (t.HasField(f) if f == "raw_data" else len(getattr(t, f)) > 0)]
    out = {"name": t.name, "data_type": t.data_type, "dims": list(t.dims)}
    if t.data_location == TensorProto.EXTERNAL:
        out["storage"] = "external"
        out["location"] = {e.key: e.value for e in t.external_data}["location"]
        return out
    out["storage"] = fields[0] if fields else "raw_data"
    if with_values:
        values = numpy_helper.to_array(t)
        if values.dtype == np.bool_ or values.dtype.kind in "iu":
            out["values"] = [int(v) for v in values.ravel()]
        else:
            out["values"] = [float(v) for v in values.astype(np.float64).ravel()]
    else:
        values = numpy_helper.to_array(t).astype(np.float64).ravel()
        out["count"] = int(values.size)
        out["sum"] = float(values.sum())
        out["first"] = [float(v) for v in values[:4]]
    return out


def dump_attribute(a, with_values=True):
    name = AttributeProto.AttributeType.Name(a.type)
    v = helper.get_attribute_value(a)
    if a.type == AttributeProto.FLOAT:
        value = float(v)
    elif a.type == AttributeProto.INT:
        value = int(v)
    elif a.type == AttributeProto.STRING:
        value = v.decode("utf-8")
    elif a.type == AttributeProto.TENSOR:
        value = dump_tensor(v, with_values)
    elif a.type == AttributeProto.GRAPH:
        value = dump_graph(v, with_values)
    elif a.type == AttributeProto.FLOATS:
        value = [float(x) for x in v]
    elif a.type == AttributeProto.INTS:
        value = [int(x) for x in v]
    elif a.type == AttributeProto.STRINGS:
        value = [x.decode("utf-8") for x in v]
    elif a.type == AttributeProto.TENSORS:
        value = [dump_tensor(x, with_values) for x in v]
    elif a.type == AttributeProto.GRAPHS:
        value = [dump_graph(x, with_values) for x in v]
    else:
        value = None  # sparse tensors and type protos: Sparrow keeps only the type code
    return {"type": name, "type_code": int(a.type), "value": value}


def dump_value_info(vi):
    t = vi.type
    out = {"name": vi.name, "is_tensor": t.HasField("tensor_type")}
    if not out["is_tensor"]:
        out["elem_type"] = None
        out["shape"] = None
        return out
    tt = t.tensor_type
    out["elem_type"] = tt.elem_type or None
    if not tt.HasField("shape"):
        out["shape"] = None
    else:
        dims = []
        for d in tt.shape.dim:
            kind = d.WhichOneof("value")
            dims.append({"value": d.dim_value} if kind == "dim_value" else
                        {"param": d.dim_param} if kind == "dim_param" else {})
        out["shape"] = dims
    return out


def dump_graph(g, with_values=True):
    return {
        "name": g.name,
        "nodes": [{
            "name": n.name, "op_type": n.op_type, "domain": n.domain,
            "inputs": list(n.input), "outputs": list(n.output),
            "attributes": {a.name: dump_attribute(a, with_values) for a in n.attribute},
        } for n in g.node],
        "initializers": [dump_tensor(t, with_values) for t in g.initializer],
        "inputs": [dump_value_info(v) for v in g.input],
        "outputs": [dump_value_info(v) for v in g.output],
        "value_info": [dump_value_info(v) for v in g.value_info],
    }


def dump_model(path, with_values=True):
    data = open(path, "rb").read()
    m = onnx.load_from_string(data)
    graph_bytes = m.graph.SerializeToString()
    start = data.find(graph_bytes)
    assert start > 0, path
    return {
        "ir_version": m.ir_version,
        "producer_name": m.producer_name,
        "producer_version": m.producer_version,
        "opset_imports": {o.domain: o.version for o in m.opset_import},
        "metadata": {p.key: p.value for p in m.metadata_props},
        "file_size": len(data),
        # Byte range of the GraphProto payload: any cut inside it must be reported as truncation.
        "graph_range": [start, start + len(graph_bytes)],
        "graph": dump_graph(m.graph, with_values),
    }


# ---------------------------------------------------------------- fixtures

def save(model, name):
    path = os.path.join(HERE, name)
    onnx.save_model(model, path)
    return path


def tiny_graph(name, op="Identity"):
    return helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], name=name + "_node")], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])


def attributes_model():
    """One node carrying every attribute kind, plus a Conv with the usual INTS attributes."""
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("sv", TensorProto.FLOAT, [2], [1.0, 2.0]),
        helper.make_tensor("si", TensorProto.INT64, [2], [0, 3]), [4])
    custom = helper.make_node(
        "Everything", ["x"], ["y"], name="everything", domain="test.sparrow",
        f=1.5, i=-42, big_i=2**40, zero_i=0, s="SAME_UPPER", s_utf8="héllo ✓",
        t=helper.make_tensor("t", TensorProto.FLOAT, [2, 2], [1.0, -2.0, 0.25, 3e-5]),
        g=tiny_graph("g_body"),
        floats=[0.5, -1.25, 3e-5, 1e30], ints=[1, -2, 300, 2**33],
        strings=["a", "bc", ""],
        tensors=[helper.make_tensor("ti", TensorProto.INT64, [3], [7, -8, 9]),
                 numpy_helper.from_array(np.array([[1.5, 2.5]], dtype=np.float32), "tf")],
        graphs=[tiny_graph("gs0", "Relu"), tiny_graph("gs1", "Neg")],
        sparse=sparse)
    custom.attribute.append(helper.make_attribute("empty_ints", [], attr_type=AttributeProto.INTS))
    custom.attribute.append(helper.make_attribute("empty_floats", [], attr_type=AttributeProto.FLOATS))
    conv = helper.make_node("Conv", ["y", "w"], ["z"], name="conv_1",
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], group=1,
                            auto_pad="NOTSET")
    w = numpy_helper.from_array(np.arange(18, dtype=np.float32).reshape(2, 1, 3, 3) / 8, "w")
    graph = helper.make_graph(
        [custom, conv], "attributes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2, 2, 2])], [w])
    return helper.make_model(graph, producer_name="sparrow-fixtures",
                             opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("test.sparrow", 1)])


def initializers_model():
    """Every way an initializer can store its values that Sparrow reads."""
    raw = [
        numpy_helper.from_array(np.array([[0.5, -1.0, 2.25], [1e-7, -3e8, 0.0]], dtype=np.float32), "raw_f32"),
        numpy_helper.from_array(np.array([-(2**62), -1, 0, 2**40], dtype=np.int64), "raw_i64"),
        numpy_helper.from_array(np.array([[-(2**31), 5], [2**31 - 1, -6]], dtype=np.int32), "raw_i32"),
        numpy_helper.from_array(np.array([-128, -1, 0, 1, 127], dtype=np.int8), "raw_i8"),
        numpy_helper.from_array(np.array([0, 128, 255], dtype=np.uint8), "raw_u8"),
        numpy_helper.from_array(np.array([True, False, True, True]), "raw_bool"),
        numpy_helper.from_array(np.array([1.0, -0.333, 65504.0, 6e-8], dtype=np.float16), "raw_f16"),
        numpy_helper.from_array(np.array([1.0 / 3.0, -2.5], dtype=np.float64), "raw_f64"),
        numpy_helper.from_array(np.array([-300, 7], dtype=np.int16), "raw_i16"),
        numpy_helper.from_array(np.array([65535, 1], dtype=np.uint16), "raw_u16"),
        numpy_helper.from_array(np.array([4000000000, 2], dtype=np.uint32), "raw_u32"),
        numpy_helper.from_array(np.array([2**63 - 1, 3], dtype=np.uint64), "raw_u64"),
        numpy_helper.from_array(np.array(3.5, dtype=np.float32), "raw_scalar"),
        numpy_helper.from_array(np.zeros((0, 3), dtype=np.float32), "raw_empty"),
    ]
    typed = [
        helper.make_tensor("typed_f32", TensorProto.FLOAT, [3], [0.1, -7.0, 1e20]),
        helper.make_tensor("typed_i32", TensorProto.INT32, [2, 2], [-(2**31), -1, 0, 2**31 - 1]),
        helper.make_tensor("typed_i8", TensorProto.INT8, [4], [-128, -5, 0, 127]),
        helper.make_tensor("typed_u8", TensorProto.UINT8, [3], [0, 200, 255]),
        helper.make_tensor("typed_bool", TensorProto.BOOL, [3], [True, False, True]),
        helper.make_tensor("typed_f16", TensorProto.FLOAT16, [3],
                           np.array([0.5, -2.0, 1e-5], dtype=np.float16)),
        helper.make_tensor("typed_bf16", TensorProto.BFLOAT16, [2], [1.0, -3.5]),
        helper.make_tensor("typed_i64", TensorProto.INT64, [3], [-(2**50), 0, 2**62]),
        helper.make_tensor("typed_f64", TensorProto.DOUBLE, [2], [0.1, -1e300]),
        helper.make_tensor("typed_u64", TensorProto.UINT64, [2], [0, 2**62]),
        helper.make_tensor("typed_scalar_i64", TensorProto.INT64, [], [-9]),
    ]
    for t in typed:
        assert not t.HasField("raw_data"), t.name
    external = TensorProto()
    external.name = "external_w"
    external.data_type = TensorProto.FLOAT
    external.dims.extend([2, 2])
    external.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "16")):
        entry = external.external_data.add()
        entry.key, entry.value = k, v
    graph = helper.make_graph(
        [helper.make_node("Identity", ["raw_f32"], ["out"], name="id")], "initializers",
        [], [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3])], raw + typed + [external])
    return helper.make_model(graph, producer_name="sparrow-fixtures", opset_imports=[helper.make_opsetid("", 17)])


def dynamic_model():
    """Symbolic, fixed and unknown dims; several opset domains; value_info; non-tensor types."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None, 224])
    s = helper.make_tensor_value_info("scale", TensorProto.FLOAT, [])
    anything = helper.make_tensor_value_info("unranked", TensorProto.INT64, None)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, "h", 224])
    mid = helper.make_tensor_value_info("mid", TensorProto.FLOAT, ["batch", 3, None, 224])
    seq = helper.make_tensor_sequence_value_info("seq", TensorProto.FLOAT, [2])
    nodes = [
        helper.make_node("Relu", ["x"], ["mid"], name="relu"),
        helper.make_node("Mul", ["mid", "scale"], ["y"], name="mul"),
    ]
    graph = helper.make_graph(nodes, "dynamic", [x, s, anything], [y], value_info=[mid, seq])
    model = helper.make_model(graph, producer_name="sparrow-fixtures", producer_version="1.0",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3),
                                             helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    model.model_version = 5
    model.doc_string = "fixture for ONNX reader tests"
    helper.set_model_props(model, {"author": "sparrow", "purpose": "tests"})
    return model


expected = {"models": {}, "digits": {}}
for name, build in (("attributes.onnx", attributes_model), ("initializers.onnx", initializers_model),
                    ("dynamic.onnx", dynamic_model)):
    path = save(build(), name)
    expected["models"][name] = dump_model(path)

for path in sorted(glob.glob(os.path.join(DIGITS, "*.onnx"))):
    onnx.checker.check_model(onnx.load(path))
    expected["digits"][os.path.basename(path)] = dump_model(path, with_values=False)

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, ensure_ascii=False)
    f.write("\n")
print("models:", list(expected["models"]), "digits:", list(expected["digits"]))
