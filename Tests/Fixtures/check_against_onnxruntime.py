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

Usage: python3 Tests/Fixtures/check_against_onnxruntime.py [path/to/sparrow [MODEL ...]]
(MODEL: entries of MODELS to check, default all)
Needs: numpy, onnx, onnxruntime (pip). Exit status 0 when every check passes.
"""
import json
import os
import re
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
          "multiio/fusion",
          # Transformer (transformer/make_transformer.py): ViT on digits, torch opset 13 (decomposed
          # LayerNorm, fused) and 17 (LayerNormalization); attention (MatMul of two activations).
          "transformer/vit_digits", "transformer/vit_digits_op17",
          # Segmenter and detector head (detectors/make_detectors.py): DBNet-style FPN with Resize
          # and ConvTranspose + Sigmoid (symbolic H, W); MTCNN-style PRelu net with box and class outputs.
          "detectors/dbnet", "detectors/mtcnn",
          # CTC text recognizer (recognizer/make_recognizer.py): conv stem, encoder block, LogSoftmax.
          "recognizer/ctc_digits"]
# Extra `sparrow convert` arguments per model.
CONVERT_ARGS = {"detectors/dbnet": ["--input-shape", "image=1,3,64,64"]}
# Graph outputs whose top-1 must agree with onnxruntime (default: every output). A probability
# map or box coordinates have no meaningful top-1: they are checked element-wise as every op is.
TOP1_OUTPUTS = {"detectors/dbnet": set(), "detectors/mtcnn": {"face_prob"},
                # Per-step class scores: their decoded string is the recognizer's task metric
                # (RecognizerModelTests), a top-1 over the flattened [32, 11] has no meaning.
                "recognizer/ctc_digits": set()}
SAMPLES = [0, 1, 2, 3]
# Ops without weights only round their output (plus fixed-point approximations such as
# softmax's exp): 2 steps. Ops with int8 weights also carry weight rounding, which grows with
# the accumulation depth (|Σ x·Δw| ≤ Σ|x|·s_w/2): 6 steps covers the depths in these models.
# The packed operators (the converter's default) run the same arithmetic on packed weights
# (outputs identical to the reference operators: PackedConvolutionTests, PackedGemmTests); the
# transposed convolutions carry int8 weights like Conv2D.
PER_OP_MAX_LSB = {"Conv2D": 6.0, "DepthwiseConv2D": 6.0, "FullyConnected": 6.0,
                  "TransposeConv2D": 6.0, "DepthwiseTransposeConv2D": 6.0,
                  "PackedGemm": 6.0, "PackedDepthwise3x3": 6.0, "PackedConvIm2col": 6.0}
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


IDENTITY4 = (0, 1, 2, 3)


def pad4(shape):
    return [1] * (4 - len(shape)) + list(shape)


def canonical_shape(onnx_shape):
    """Sparrow's own layout of an ONNX value: NHWC for 4-D, the ONNX order otherwise."""
    s = list(onnx_shape)
    return [s[0], s[2], s[3], s[1]] if len(s) == 4 else s


def to_onnx_layout(value, onnx_shape, perm=IDENTITY4):
    """The dumped layout (NHWC for 4-D) -> ONNX layout of rank len(onnx_shape). Decided by the
    NHWC convention, not by comparing shapes: an [1,8,8,8] tensor is transposed too. `perm` is the
    tensor's layout relative to that convention (converter-inserted transposes, e.g. a softmax
    axis moved innermost): the dumped array, padded to 4-D, is the canonical one transposed by it."""
    if tuple(perm) != IDENTITY4:
        canonical = np.asarray(value).reshape(pad4(np.shape(value))).transpose(np.argsort(perm))
        value = canonical.reshape(canonical_shape(onnx_shape))
        if len(onnx_shape) == 4:
            value = value.transpose(0, 3, 1, 2)
        return value.reshape(onnx_shape).astype(np.float32)
    if value.ndim == 4 and len(onnx_shape) == 4 and value.transpose(0, 3, 1, 2).shape == tuple(onnx_shape):
        value = value.transpose(0, 3, 1, 2)
    return value.reshape(onnx_shape).astype(np.float32)


def to_sparrow_layout(value, shape, perm=IDENTITY4):
    """ONNX layout -> the dumped layout (NHWC for 4-D, then `perm` as in to_onnx_layout), when
    the element count matches."""
    if tuple(perm) != IDENTITY4:
        value = np.asarray(value, dtype=np.float32)
        if value.size != int(np.prod(shape)):
            return None
        canonical = value.transpose(0, 2, 3, 1) if value.ndim == 4 else value
        return canonical.reshape(pad4(canonical.shape)).transpose(perm).reshape(shape)
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
    if name.startswith("transformer/"):
        base = name.split("/", 1)[1]
        folder = os.path.join(HERE, "transformer")
        data = "vit_digits" if base.startswith("vit_digits") else base
        return (os.path.join(folder, base + ".onnx"), {None: os.path.join(folder, f"{data}_calib.npy")},
                {None: np.load(os.path.join(folder, f"{data}_x.npy"))})
    if name.startswith("detectors/") or name.startswith("recognizer/"):
        folder_name, base = name.split("/", 1)
        folder = os.path.join(HERE, folder_name)
        return (os.path.join(folder, base + ".onnx"), {None: os.path.join(folder, f"{base}_calib.npy")},
                {None: np.load(os.path.join(folder, f"{base}_test_x.npy"))})
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


INSPECT_OP = re.compile(r"^\s*\[(\d+)\] (\w+) '([^']*)' \(([^)]*)\) -> (t\d+)")
INSPECT_TENSOR = re.compile(r"^\s*t(\d+) '([^']*)' (\w+) \[([^\]]*)\].*?( const |$)")
# Operators the converter inserts around the ONNX graph that change only the dtype or the layout
# of one ONNX value: their output stands for the same ONNX value as their input.
TRANSPOSE_PERM = re.compile(r"^\s*output axes take input axes \[([nhwc, ]+)\]")
SAME_VALUE_OPCODES = {"Quantize", "Dequantize", "Transpose", "Reshape"}


def inspect_model(sparrow, model_path):
    """Every operator (index, opcode, name, input tensors, output tensor) and every tensor's
    (name, dtype, is constant) from `sparrow inspect`."""
    text = subprocess.run([sparrow, "inspect", model_path], check=True, stdout=subprocess.PIPE, text=True).stdout
    ops, tensors = [], {}
    axis_index = {"n": 0, "h": 1, "w": 2, "c": 3}
    declared = int(re.search(r"operators: (\d+)", text).group(1))
    for line in text.splitlines():
        m = INSPECT_OP.match(line)
        if m:
            inputs = [int(t[1:]) for t in m.group(4).split(", ") if t.startswith("t")]
            ops.append({"op": int(m.group(1)), "opcode": m.group(2), "opName": m.group(3), "inputs": inputs,
                        "output": int(m.group(5)[1:])})
            continue
        m = TRANSPOSE_PERM.match(line)
        if m and ops and ops[-1]["opcode"] == "Transpose":
            ops[-1]["perm"] = tuple(axis_index[a] for a in m.group(1).split(", "))
            continue
        m = INSPECT_TENSOR.match(line)
        if m:
            tensors[int(m.group(1))] = {"name": m.group(2), "dtype": m.group(3), "constant": " const " in line,
                                        "shape": m.group(4)}
    assert len(ops) == declared, f"parsed {len(ops)} of {declared} operators from sparrow inspect"
    return ops, tensors


def onnx_value_map(graph, ops, tensors):
    """Sparrow tensor -> the ONNX value it holds (name), for every tensor an operator writes and
    every graph input. A tensor named as an ONNX value is that value; the output of an operator
    named as an ONNX node is that node's first output (e.g. a Reshape lowered from '/Flatten');
    the output of a converter-inserted dtype/layout operator is its input's value. Anything else
    stays unmapped, and the check fails on it rather than skip it."""
    node_outputs = {n.name: n.output[0] for n in graph.node if n.name and n.output}
    values = {v for n in graph.node for v in n.output} | {i.name for i in graph.input}
    mapped = {}
    for t, info in tensors.items():
        if info["name"] in values and not info["constant"]:
            mapped[t] = info["name"]
    for o in ops:
        y = o["output"]
        if y in mapped:
            continue
        if o["opName"] in node_outputs:
            mapped[y] = node_outputs[o["opName"]]
        elif o["opcode"] in SAME_VALUE_OPCODES and len(o["inputs"]) >= 1 and o["inputs"][0] in mapped:
            mapped[y] = mapped[o["inputs"][0]]
    return mapped


def layouts(ops, tensors, mapped, onnx_shapes):
    """Each operator output's layout relative to Sparrow's convention for its ONNX value (see
    to_onnx_layout): a Transpose that keeps the ONNX value (a converter-inserted layout change)
    composes its permutation; an op that keeps its input's shape keeps its input's layout; all
    else is canonical. The transposes between a graph input or output's ONNX layout and NHWC
    (next to Quantize and Dequantize, or reading a tensor not yet in Sparrow's layout, such as
    an unsqueezed graph input) are the convention itself, not a layout change."""
    layout = {}
    producer = {o["output"]: o["opcode"] for o in ops}
    readers = {}
    for o in ops:
        for t in o["inputs"]:
            readers.setdefault(t, set()).add(o["opcode"])
    for o in ops:
        y, x = o["output"], (o["inputs"][0] if o["inputs"] else None)
        inherited = layout.get(x, IDENTITY4)
        in_convention = x in mapped and x in tensors and \
            [int(d) for d in re.findall(r"\d+", tensors[x]["shape"])] == canonical_shape(onnx_shapes[mapped[x]])
        at_boundary = producer.get(x) == "Quantize" or "Dequantize" in readers.get(y, set()) or \
            (inherited == IDENTITY4 and not in_convention)
        if o["opcode"] == "Transpose" and x in mapped and mapped.get(y) == mapped[x] and not at_boundary:
            layout[y] = tuple(inherited[p] for p in o["perm"])
        elif x is not None and inherited != IDENTITY4 and tensors[y]["shape"] == tensors[x]["shape"]:
            layout[y] = inherited
    return layout


def main():
    sparrow = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", ".build", "debug", "sparrow")
    failures, compared, total_ops = [], 0, 0
    counts, per_opcode = {}, {}
    with tempfile.TemporaryDirectory() as work:
        for name in (sys.argv[2:] or MODELS):
            onnx_path, calib_paths, test_x = model_files(name)
            convert_args, top1_outputs = CONVERT_ARGS.get(name, []), TOP1_OUTPUTS.get(name)
            name = name.replace("/", "_")
            model_path = os.path.join(work, name + ".sparrow")
            subprocess.run([sparrow, "convert", onnx_path, "-o", model_path] + named("--calibration", calib_paths) + convert_args,
                           check=True, stdout=subprocess.DEVNULL)
            graph = onnx.load(onnx_path).graph
            graph_inputs = [i.name for i in graph.input if i.name not in {t.name for t in graph.initializer}]
            ops, tensors = inspect_model(sparrow, model_path)
            mapped = onnx_value_map(graph, ops, tensors)
            layout = None
            unmapped = [o for o in ops if o["output"] not in mapped]
            for o in unmapped:
                failures.append(f"{name} op {o['op']} {o['opcode']} '{o['opName']}': output "
                                f"'{tensors[o['output']]['name']}' maps to no ONNX value")
            worst_mean, worst_max, worst_op, worst_by_kind = 0.0, 0.0, 0.0, {}
            saturated, elements, model_compared = 0, 0, set()
            for s in SAMPLES:
                x_paths, x_feeds = {}, {}
                for k, (input_name, data) in enumerate(test_x.items()):
                    x_paths[input_name] = os.path.join(work, f"x{k}.npy")
                    x_feeds[input_name or graph_inputs[0]] = data[s:s + 1]
                    np.save(x_paths[input_name], data[s:s + 1])
                dump = os.path.join(work, f"{name}_{s}")
                out_dir = os.path.join(work, f"{name}_{s}_out")
                subprocess.run([sparrow, "run", model_path] + named("--input", x_paths) +
                               ["--dump-tensors", dump, "--output-dir", out_dir], check=True, stdout=subprocess.DEVNULL)
                manifest = json.load(open(os.path.join(dump, "manifest.json")))["tensors"]
                by_tensor = {t["tensor"]: t for t in manifest}
                reference = onnxruntime_intermediates(onnx_path, sorted(set(mapped.values()) - set(x_feeds)), x_feeds)
                reference.update(x_feeds)
                if layout is None:
                    layout = layouts(ops, tensors, mapped, {k: list(np.shape(v)) for k, v in reference.items()})

                def sparrow_value(t):
                    """What Sparrow computed for tensor t (float, dumped layout) and its step."""
                    if t in by_tensor:
                        d = by_tensor[t]
                        return np.load(os.path.join(dump, d["file"])), d["scale"], d["zeroPoint"], d["shape"]
                    info = tensors[t]
                    if info["name"] in graph_inputs:   # a float graph input: the sample itself
                        x = np.asarray(x_feeds[info["name"]], dtype=np.float32)
                        return x, None, None, list(x.shape)
                    path = os.path.join(out_dir, re.sub(r"[^A-Za-z0-9._-]", "_", info["name"]) + ".npy")
                    if os.path.exists(path):           # a float graph output (Dequantize)
                        y = np.load(path)
                        return y, None, None, list(y.shape)
                    return None

                for o in ops:
                    if o["output"] not in mapped:
                        continue
                    got_entry = sparrow_value(o["output"])
                    sources = [t for t in o["inputs"] if not tensors[t]["constant"]]
                    source_values = [sparrow_value(t) for t in sources]
                    if got_entry is None or any(v is None for v in source_values) or any(t not in mapped for t in sources):
                        failures.append(f"{name} sample {s} op {o['op']} {o['opcode']} '{o['opName']}': "
                                        f"an operand is neither dumped, an input nor an output")
                        continue
                    got, scale, zero_point, shape = got_entry
                    if scale is None:  # float output of Dequantize: measured in its input's steps
                        scale, zero_point = source_values[0][1], source_values[0][2]
                    out_value = mapped[o["output"]]
                    # End to end: against onnxruntime's float run of the whole model.
                    perm = layout.get(o["output"], IDENTITY4)
                    ref = to_sparrow_layout(reference[out_value], shape, perm)
                    if ref is None:
                        failures.append(f"{name} op {o['op']} {o['opcode']}: shape {shape} does not hold "
                                        f"ONNX value '{out_value}' {np.shape(reference[out_value])}")
                        continue
                    err = np.abs(got - ref) / scale
                    worst_mean, worst_max = max(worst_mean, float(err.mean())), max(worst_max, float(err.max()))
                    # Per op: the ONNX computation between the values this op reads and writes,
                    # replayed on exactly the values Sparrow fed it.
                    source_names = sorted({mapped[t] for t in sources})
                    feeds = {}
                    for t, (value, _, _, _) in zip(sources, source_values):
                        feeds[mapped[t]] = to_onnx_layout(value, np.shape(reference[mapped[t]]), layout.get(t, IDENTITY4))
                    if source_names == [out_value]:
                        # A dtype/layout operator: the ONNX value passes through unchanged.
                        replay = to_sparrow_layout(feeds[out_value], shape, perm)
                    else:
                        try:
                            sub = extract_subgraph(onnx_path, source_names, [out_value])
                            replay = to_sparrow_layout(run_model(sub, feeds)[0], shape, perm)
                        except Exception as e:
                            failures.append(f"{name} op {o['op']} {o['opcode']} '{o['opName']}': the ONNX graph "
                                            f"between {source_names} and '{out_value}' cannot be replayed: {e}")
                            continue
                    # An int8 tensor holds only [scale·(-128-zp), scale·(127-zp)]: where the float
                    # replay leaves the calibrated range, the op can only saturate. Compare with the
                    # representable value and count those elements separately.
                    low, high = (-128 - zero_point) * scale, (127 - zero_point) * scale
                    # (Counted beyond half a step: min/max ranges end within a step of the grid.)
                    half = scale / 2
                    saturated += int(np.count_nonzero((replay < low - half) | (replay > high + half)))
                    elements += replay.size
                    op_err = np.abs(got - np.clip(replay, low, high)) / scale
                    compared += 1
                    model_compared.add(o["op"])
                    counts[o["opcode"]] = counts.get(o["opcode"], 0) + 1
                    worst, mean_sum = per_opcode.get(o["opcode"], (0.0, 0.0))
                    per_opcode[o["opcode"]] = (max(worst, float(op_err.max())), mean_sum + float(op_err.mean()))
                    worst_op = max(worst_op, float(op_err.max()))
                    kind = "weighted" if o["opcode"] in PER_OP_MAX_LSB else "other"
                    worst_by_kind[kind] = max(worst_by_kind.get(kind, 0.0), float(op_err.max()))
                    if op_err.max() > PER_OP_MAX_LSB.get(o["opcode"], PER_OP_DEFAULT_MAX_LSB):
                        failures.append(f"{name} sample {s} op {o['op']} {o['opcode']} '{o['opName']}': "
                                        f"per-op error max {op_err.max():.2f} LSB (mean {op_err.mean():.2f})")
                for out in graph.output:
                    got = sparrow_value(next(t for t, i in tensors.items() if i["name"] == out.name)) \
                        if any(i["name"] == out.name for i in tensors.values()) else None
                    if got is None:
                        failures.append(f"{name}: graph output '{out.name}' not found in the Sparrow model")
                    elif top1_outputs is not None and out.name not in top1_outputs:
                        continue
                    elif int(np.argmax(got[0])) != int(np.argmax(reference[out.name])):
                        failures.append(f"{name} sample {s} output '{out.name}': top-1 {np.argmax(got[0])} "
                                        f"vs onnxruntime {np.argmax(reference[out.name])}")
            total_ops += len(ops)
            if len(model_compared) != len(ops):
                failures.append(f"{name}: {len(ops) - len(model_compared)} of {len(ops)} operators never compared")
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(worst_by_kind.items()))
            print(f"{name}: {len(model_compared)} of {len(ops)} operators compared per op, worst {worst_op:.2f} LSB "
                  f"({kinds}); end to end worst mean {worst_mean:.2f} LSB, worst element {worst_max:.2f} LSB; "
                  f"{saturated} of {elements} per-op outputs saturated (> 0.5 LSB outside the calibrated range)")
    for f in failures:
        print("FAIL", f)
    print("compared per opcode:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("per-op error by opcode (LSB of the output, max / mean over comparisons):",
          ", ".join(f"{k} {per_opcode[k][0]:.2f}/{per_opcode[k][1] / counts[k]:.3f}" for k in sorted(counts)))
    print(f"onnxruntime op-by-op check: {total_ops} operators in {len(sys.argv[2:] or MODELS)} models, {compared} comparisons "
          f"({len(SAMPLES)} samples), {len(failures)} failed")
    return 1 if failures or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
