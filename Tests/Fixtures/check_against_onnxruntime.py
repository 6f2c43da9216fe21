#!/usr/bin/env python3
"""Op-by-op check of Sparrow's int8 execution against onnxruntime's float execution.

For each digits model and a few test images, converts the ONNX model with `sparrow convert`,
runs the int8 model on one image with `sparrow run --dump-tensors` (every int8 tensor after the
operator that produced it, dequantized), and checks it two ways against onnxruntime:

- per op: the ONNX subgraph that a Sparrow op implements (e.g. Conv+BatchNormalization+Relu,
  cut out with onnx.utils.Extractor) is run by onnxruntime on exactly the int8 values Sparrow
  fed that op (dequantized). The difference is then that one op's own error: weight rounding
  plus output rounding. Bound: PER_OP_MAX_LSB quantization steps of the output tensor. Where the
  float result lies outside the output's calibrated int8 range the op must saturate, so it is
  compared with the nearest representable value; such elements are counted and reported.
- end to end: every intermediate tensor against onnxruntime's float run of the whole model on
  the same image (accumulated error, reported; the top-1 class must agree).

Usage: python3 Tests/Fixtures/check_against_onnxruntime.py [path/to/sparrow]
Needs: numpy, onnx, onnxruntime (pip). Exit status 0 when every check passes.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "digits")
MODELS = ["digits_cnn", "digits_mlp", "digits_mbv3", "digits_cnn_opset11", "digits_mbv3_opset18",
          # MobileNet/EfficientNet-class exports (realistic/make_realistic.py): PyTorch, tf2onnx-
          # and paddle2onnx-style.
          "realistic/effnet_pt13", "realistic/tf_mbv2", "realistic/pd_mbv3s",
          # Two inputs and two outputs (multiio/make_multiio.py): camera + IMU fusion.
          "multiio/fusion"]
SAMPLES = [0, 1, 2, 3]
# Ops without weights only round their output (plus fixed-point approximations such as
# softmax's exp): 2 steps. Ops with int8 weights also carry weight rounding, which grows with
# the accumulation depth (|Σ x·Δw| ≤ Σ|x|·s_w/2): 6 steps covers the depths in these models.
PER_OP_MAX_LSB = {"Conv2D": 6.0, "DepthwiseConv2D": 6.0, "FullyConnected": 6.0}
PER_OP_DEFAULT_MAX_LSB = 2.0


def onnxruntime_intermediates(model_path, names, feeds):
    model = onnx.load(model_path)
    existing = {o.name for o in model.graph.output}
    for name in names:
        if name not in existing:
            model.graph.output.append(onnx.ValueInfoProto(name=name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    wanted = [o.name for o in session.get_outputs()]
    values = session.run(wanted, feeds)
    return dict(zip(wanted, values))


_extractors = {}


def extract_subgraph(model_path, inputs, outputs):
    if model_path not in _extractors:
        # The extractor needs every intermediate's type: infer them first.
        _extractors[model_path] = onnx.utils.Extractor(onnx.shape_inference.infer_shapes(onnx.load(model_path)))
    return _extractors[model_path].extract_model(inputs, outputs)


def run_model(model, feeds):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def to_onnx_layout(value, onnx_shape):
    """The dumped layout (NHWC for 4-D) -> ONNX layout of rank len(onnx_shape). Decided by the
    NHWC convention, not by comparing shapes: an [1,8,8,8] tensor is transposed too."""
    if value.ndim == 4 and len(onnx_shape) == 4 and value.transpose(0, 3, 1, 2).shape == tuple(onnx_shape):
        value = value.transpose(0, 3, 1, 2)
    return value.reshape(onnx_shape).astype(np.float32)


def to_sparrow_layout(value, shape):
    """ONNX layout -> the dumped layout (NHWC for 4-D), when the element count matches."""
    value = np.asarray(value, dtype=np.float32)
    if value.size != int(np.prod(shape)):
        return None
    if value.ndim == 4 and len(shape) == 4 and value.transpose(0, 2, 3, 1).shape == tuple(shape):
        value = value.transpose(0, 2, 3, 1)
    return value.reshape(shape)


def model_files(name):
    """(ONNX path, {input name: calibration .npy}, {input name: test inputs}) of a MODELS entry:
    a digits model, 'realistic/<model>' from Tests/Fixtures/realistic (tf_* models take NHWC
    inputs), or 'multiio/fusion' (inputs image and imu)."""
    if name == "multiio/fusion":
        folder = os.path.join(HERE, "multiio")
        inputs = ["image", "imu"]
        return (os.path.join(folder, "fusion.onnx"), {i: os.path.join(folder, f"fusion_calib_{i}.npy") for i in inputs},
                {i: np.load(os.path.join(folder, f"fusion_test_{i}.npy")) for i in inputs})
    if name.startswith("realistic/"):
        base = name.split("/", 1)[1]
        suffix = "_nhwc" if base.startswith("tf_") else ""
        folder = os.path.join(HERE, "realistic")
        onnx_path = os.path.join(folder, base + ".onnx")
        return (onnx_path, {None: os.path.join(folder, f"calib{suffix}.npy")},
                {None: np.load(os.path.join(folder, f"test_x{suffix}.npy"))})
    return (os.path.join(DIGITS, name + ".onnx"), {None: os.path.join(DIGITS, "digits_calib.npy")},
            {None: np.load(os.path.join(DIGITS, "digits_test_x.npy"))})


def named(option, files):
    """`--calibration FILE` for a single-input model, `--calibration NAME=FILE` per input otherwise."""
    return [a for name, path in files.items() for a in (option, path if name is None else f"{name}={path}")]


def main():
    sparrow = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", ".build", "debug", "sparrow")
    onnx_names = {}
    failures, skipped, compared = [], [], 0
    with tempfile.TemporaryDirectory() as work:
        for name in MODELS:
            onnx_path, calib_paths, test_x = model_files(name)
            name = name.replace("/", "_")
            model_path = os.path.join(work, name + ".sparrow")
            subprocess.run([sparrow, "convert", onnx_path, "-o", model_path] + named("--calibration", calib_paths),
                           check=True, stdout=subprocess.DEVNULL)
            graph = onnx.load(onnx_path).graph
            graph_inputs = [i.name for i in graph.input if i.name not in {t.name for t in graph.initializer}]
            onnx_names = {v for n in graph.node for v in n.output} | {o.name for o in graph.output}
            worst_mean, worst_max, worst_op, worst_by_kind = 0.0, 0.0, 0.0, {}
            saturated, elements = 0, 0
            for s in SAMPLES:
                x_paths, x_feeds = {}, {}
                for k, (input_name, data) in enumerate(test_x.items()):
                    x_paths[input_name] = os.path.join(work, f"x{k}.npy")
                    x_feeds[input_name or graph_inputs[0]] = data[s:s + 1]
                    np.save(x_paths[input_name], data[s:s + 1])
                dump = os.path.join(work, f"{name}_{s}")
                subprocess.run([sparrow, "run", model_path] + named("--input", x_paths) + ["--dump-tensors", dump],
                               check=True, stdout=subprocess.DEVNULL)
                manifest = json.load(open(os.path.join(dump, "manifest.json")))["tensors"]
                by_tensor = {t["tensor"]: t for t in manifest}
                matched = [t for t in manifest if t["name"] in onnx_names]
                reference = onnxruntime_intermediates(onnx_path, [t["name"] for t in matched], x_feeds)
                for t in matched:
                    ref = to_sparrow_layout(reference[t["name"]], t["shape"])
                    if ref is None:
                        continue
                    got = np.load(os.path.join(dump, t["file"]))
                    err = np.abs(got - ref) / t["scale"]
                    worst_mean, worst_max = max(worst_mean, float(err.mean())), max(worst_max, float(err.max()))
                    # Per op: replay the ONNX subgraph on the int8 values Sparrow fed this op.
                    sources = [by_tensor.get(i) for i in t["inputs"]]
                    if not sources or any(src is None or src["name"] not in onnx_names for src in sources):
                        continue
                    try:
                        sub = extract_subgraph(onnx_path, [src["name"] for src in sources], [t["name"]])
                    except Exception as e:  # a fused op whose inputs do not cut the ONNX graph cleanly
                        skipped.append(f"{name} op {t['op']} {t['opcode']}: {e}")
                        continue
                    feeds = {}
                    for src in sources:
                        onnx_shape = np.asarray(reference[src["name"]]).shape if src["name"] in reference else None
                        value = np.load(os.path.join(dump, src["file"]))
                        feeds[src["name"]] = to_onnx_layout(value, onnx_shape if onnx_shape is not None else value.shape)
                    replay = to_sparrow_layout(run_model(sub, feeds)[0], t["shape"])
                    # An int8 tensor holds only [scale·(-128-zp), scale·(127-zp)]: where the float
                    # replay leaves the calibrated range, the op can only saturate. Compare with the
                    # representable value and count those elements separately.
                    low, high = (-128 - t["zeroPoint"]) * t["scale"], (127 - t["zeroPoint"]) * t["scale"]
                    # (Counted beyond half a step: min/max ranges end within a step of the grid.)
                    half = t["scale"] / 2
                    saturated += int(np.count_nonzero((replay < low - half) | (replay > high + half)))
                    elements += replay.size
                    op_err = np.abs(got - np.clip(replay, low, high)) / t["scale"]
                    compared += 1
                    worst_op = max(worst_op, float(op_err.max()))
                    kind = "weighted" if t["opcode"] in PER_OP_MAX_LSB else "other"
                    worst_by_kind[kind] = max(worst_by_kind.get(kind, 0.0), float(op_err.max()))
                    if op_err.max() > PER_OP_MAX_LSB.get(t["opcode"], PER_OP_DEFAULT_MAX_LSB):
                        failures.append(f"{name} sample {s} op {t['op']} {t['opcode']} '{t['name']}': "
                                        f"per-op error max {op_err.max():.2f} LSB (mean {op_err.mean():.2f})")
                final = [t for t in manifest if t["name"] in {o.name for o in graph.output}]
                if final:
                    got = np.load(os.path.join(dump, final[-1]["file"]))
                    ref = reference[final[-1]["name"]]
                    if int(np.argmax(got)) != int(np.argmax(ref)):
                        failures.append(f"{name} sample {s}: top-1 {np.argmax(got)} vs onnxruntime {np.argmax(ref)}")
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(worst_by_kind.items()))
            print(f"{name}: per op worst {worst_op:.2f} LSB ({kinds}); end to end worst mean {worst_mean:.2f} LSB, "
                  f"worst element {worst_max:.2f} LSB ({len(matched)} tensors per sample); "
                  f"{saturated} of {elements} per-op outputs saturated (> 0.5 LSB outside the calibrated range)")
    for f in skipped:
        print("skipped", f)
    for f in failures:
        print("FAIL", f)
    print(f"onnxruntime op-by-op check: {compared - len(failures)} passed, {len(failures)} failed")
    return 1 if failures or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
