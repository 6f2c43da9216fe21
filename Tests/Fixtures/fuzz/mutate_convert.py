#!/usr/bin/env python3
"""Mutation driver for the converter: gives `sparrow convert` thousands of mutated copies of the
fixture ONNX models (and of their calibration data) and counts how each run ended.

    python3 Tests/Fixtures/fuzz/mutate_convert.py .build/release/sparrow \
        [--count 3000] [--seed 1] [--jobs 2] [--keep DIR]

A run ends in one of these ways: `ok` (converted), `error` (non-zero exit with a message: the
wanted outcome for bad input), `crash` (killed by a signal: a trap, an out-of-bounds access),
`hang` (no result within the timeout), `silent` (non-zero exit, no message) or `bug` (the
converter's own output failed verification). Crashing and hanging mutants are written to --keep with
the first line of the runtime's message, grouped by that message, so each can be replayed and
turned into a regression test. Exit status 1 when any run crashed or hung.

Mutations are semantic (they go through the onnx protobuf classes, so they reach the importer,
passes and quantizer rather than stopping at the protobuf reader): non-finite and absurd values in
float and integer initializers, Constant nodes, attributes, scales and zero points of QDQ models,
dims that disagree with the data or overflow, graph input shapes, swapped or dropped inputs,
renamed op types; plus raw byte edits of the serialized file, and non-finite or absurd
calibration samples. Python is only the driver here: nothing of it runs inside Sparrow.

With --tflite the seeds are the int8 TFLite fixtures (Tests/Fixtures/tflite/models/*.int8.tflite,
converted without calibration) and the mutations go through a small flatbuffer walker
(TFLiteFile below) to the tensors' quantization and shapes: scales made non-finite, zero,
negative, subnormal or 10^±k times off, zero points and dims set to absurd integers; plus raw
byte edits.
"""
import argparse
import collections
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile

import struct

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)

SPECIAL_FLOATS = [float("nan"), float("inf"), float("-inf"), 3.4e38, -3.4e38, 1e-45, 1e30, -1e30, 0.0, 1e-30]
SPECIAL_INTS = [0, -1, -2, 1, 2, 3, 7, 255, 1000, 100_000, 2**31 - 1, -2**31, 2**32, 2**40, 2**62,
                2**63 - 1, -2**63, -1000]


# MARK: seed models


def seed_models():
    """(name, ModelProto, calibration array or None) for every fixture the converter accepts."""
    seeds = []
    digits = os.path.join(FIXTURES, "digits")
    calib = np.load(os.path.join(digits, "digits_calib.npy"))[:16]
    for name in ["digits_cnn", "digits_mbv3", "digits_mlp", "digits_cnn_pruned", "digits_mlp_pruned",
                 "digits_multiexit_ce", "digits_cnn_opset11", "digits_mbv3_opset18"]:
        seeds.append((name, onnx.load(os.path.join(digits, name + ".onnx")), calib))
    seeds.append(("digits_cnn_qdq", onnx.load(os.path.join(digits, "digits_cnn_qdq.onnx")), None))
    # ONNX backend node tests: bind inputs 1... (weights) as initializers, calibrate input 0 with
    # its own test data, so every op the importer knows is reached.
    node_dir = os.path.join(FIXTURES, "onnx-node")
    with open(os.path.join(FIXTURES, "onnx-node-allowlist.txt")) as f:
        entries = [line.split("#", 1)[0].split() for line in f]
    for entry in entries:
        if not entry or "fold" in entry[1:]:
            continue
        model = onnx.load(os.path.join(node_dir, entry[0], "model.onnx"))
        data_dir = os.path.join(node_dir, entry[0], "test_data_set_0")
        inputs = []
        for i in range(len(model.graph.input)):
            path = os.path.join(data_dir, f"input_{i}.pb")
            if not os.path.exists(path):
                break
            t = onnx.TensorProto()
            with open(path, "rb") as fh:
                t.ParseFromString(fh.read())
            inputs.append(numpy_helper.to_array(t))
        if not inputs or inputs[0].dtype != np.float32:
            continue
        for i in range(1, len(inputs)):
            t = numpy_helper.from_array(inputs[i], model.graph.input[i].name)
            model.graph.initializer.append(t)
        seeds.append((entry[0], model, inputs[0]))
    return seeds


# MARK: mutators (each edits a ModelProto in place, or returns False when it does not apply)


def float_initializers(m):
    return [t for t in m.graph.initializer if t.data_type == onnx.TensorProto.FLOAT]


def int_initializers(m):
    return [t for t in m.graph.initializer if t.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32)]


def replace_array(t, array):
    new = numpy_helper.from_array(array, t.name)
    t.CopyFrom(new)


def mut_float_values(m, rng):
    ts = float_initializers(m)
    if not ts:
        return False
    t = rng.choice(ts)
    a = numpy_helper.to_array(t).copy()
    if a.size == 0:
        return False
    flat = a.reshape(-1)
    value = rng.choice(SPECIAL_FLOATS)
    if rng.random() < 0.3:
        flat[:] = value
    else:
        for _ in range(rng.randint(1, 3)):
            flat[rng.randrange(flat.size)] = value
    replace_array(t, a)
    return True


def mut_int_values(m, rng):
    ts = int_initializers(m)
    consts = [n for n in m.graph.node if n.op_type == "Constant"]
    if not ts and not consts:
        return False
    if consts and (not ts or rng.random() < 0.5):
        n = rng.choice(consts)
        attr = next((a for a in n.attribute if a.name == "value"), None)
        if attr is None:
            return False
        t = attr.t
    else:
        t = rng.choice(ts)
    a = numpy_helper.to_array(t).copy()
    if a.size == 0:
        return False
    flat = a.reshape(-1)
    if a.dtype.kind == "f":
        flat[rng.randrange(flat.size)] = rng.choice(SPECIAL_FLOATS)
    else:
        info = np.iinfo(a.dtype)
        v = rng.choice(SPECIAL_INTS)
        flat[rng.randrange(flat.size)] = min(max(v, info.min), info.max)
    replace_array(t, a)
    return True


def mut_dims(m, rng):
    ts = list(m.graph.initializer)
    if not ts:
        return False
    t = rng.choice(ts)
    if not t.dims or rng.random() < 0.1:
        t.dims.append(rng.choice([1, 2, 0]))
        return True
    i = rng.randrange(len(t.dims))
    choice = rng.random()
    if choice < 0.4:
        t.dims[i] = rng.choice([0, -1, 2**31, 2**40, 2**62, t.dims[i] + 1, t.dims[i] * 1000])
    elif choice < 0.7 and len(t.dims) > 1:
        # Same element count, other shape: gets past the data-size check into the op's shape rules.
        j = rng.randrange(len(t.dims))
        t.dims[i], t.dims[j] = t.dims[j], t.dims[i]
    else:
        del t.dims[i]
    return True


def mut_attribute(m, rng):
    attrs = [(n, a) for n in m.graph.node for a in n.attribute
             if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS, onnx.AttributeProto.FLOAT,
                           onnx.AttributeProto.FLOATS)]
    if not attrs:
        return False
    n, a = rng.choice(attrs)
    if a.type == onnx.AttributeProto.INT:
        a.i = rng.choice(SPECIAL_INTS)
    elif a.type == onnx.AttributeProto.FLOAT:
        a.f = rng.choice(SPECIAL_FLOATS)
    elif a.type == onnx.AttributeProto.INTS:
        if len(a.ints) == 0 or rng.random() < 0.15:
            a.ints.append(rng.choice(SPECIAL_INTS))
        elif rng.random() < 0.15:
            del a.ints[rng.randrange(len(a.ints))]
        else:
            a.ints[rng.randrange(len(a.ints))] = rng.choice(SPECIAL_INTS)
    else:
        if len(a.floats) == 0:
            a.floats.append(rng.choice(SPECIAL_FLOATS))
        else:
            a.floats[rng.randrange(len(a.floats))] = rng.choice(SPECIAL_FLOATS)
    return True


def mut_add_attribute(m, rng):
    if not m.graph.node:
        return False
    n = rng.choice(m.graph.node)
    name = rng.choice(["axis", "group", "strides", "pads", "dilations", "kernel_shape", "epsilon", "alpha",
                       "beta", "perm", "axes", "keepdims", "transA", "transB", "ceil_mode", "auto_pad",
                       "count_include_pad", "min", "max", "to", "allowzero", "mode"])
    for a in list(n.attribute):
        if a.name == name:
            n.attribute.remove(a)
    if name in ("strides", "pads", "dilations", "kernel_shape", "perm", "axes"):
        value = [rng.choice(SPECIAL_INTS) for _ in range(rng.randint(0, 5))]
    elif name in ("epsilon", "alpha", "beta", "min", "max"):
        value = rng.choice(SPECIAL_FLOATS)
    elif name in ("auto_pad", "mode"):
        value = rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "bogus", "reflect", "edge"])
    else:
        value = rng.choice(SPECIAL_INTS)
    n.attribute.append(onnx.helper.make_attribute(name, value))
    return True


def mut_input_shape(m, rng):
    real = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    if not real:
        return False
    inp = rng.choice(real)
    dims = inp.type.tensor_type.shape.dim
    if not dims:
        return False
    d = dims[rng.randrange(len(dims))]
    d.dim_value = rng.choice([0, 1, 2, 3, 5, 100_000, 2**31, 2**40, 2**62])
    return True


def mut_wiring(m, rng):
    nodes = list(m.graph.node)
    if not nodes:
        return False
    n = rng.choice(nodes)
    choice = rng.random()
    if choice < 0.3 and len(n.input) > 1:
        i, j = rng.sample(range(len(n.input)), 2)
        n.input[i], n.input[j] = n.input[j], n.input[i]
    elif choice < 0.5 and len(n.input) > 0:
        del n.input[rng.randrange(len(n.input))]
    elif choice < 0.7:
        names = [t.name for t in m.graph.initializer] + [o for k in nodes for o in k.output]
        if not names or not n.input:
            return False
        n.input[rng.randrange(len(n.input))] = rng.choice(names)
    elif choice < 0.85:
        n.op_type = rng.choice(["Conv", "Gemm", "MatMul", "Add", "Mul", "Relu", "Reshape", "Transpose",
                                "Concat", "Softmax", "AveragePool", "MaxPool", "GlobalAveragePool",
                                "BatchNormalization", "Pad", "Flatten", "Clip", "Sigmoid", "HardSwish",
                                "ReduceMean", "Squeeze", "Unsqueeze", "Gather", "Slice", "Div", "Sub"])
    else:
        m.graph.node.remove(n)
    return True


def mut_qdq(m, rng):
    q = [n for n in m.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    inits = {t.name: t for t in m.graph.initializer}
    cands = [inits[x] for n in q for x in n.input[1:] if x in inits]
    if not cands:
        return False
    t = rng.choice(cands)
    a = numpy_helper.to_array(t).copy()
    flat = a.reshape(-1)
    if flat.size == 0:
        return False
    if a.dtype.kind == "f":
        flat[rng.randrange(flat.size)] = rng.choice(SPECIAL_FLOATS + [-1.0, -0.5])
    else:
        info = np.iinfo(a.dtype)
        flat[rng.randrange(flat.size)] = rng.choice([info.min, info.max, 0, 1])
        if rng.random() < 0.3:
            # Another element type for the zero point (uint8 <-> int8 <-> int32).
            a = a.astype(rng.choice([np.int8, np.uint8, np.int32]))
    replace_array(t, a)
    return True


MUTATORS = [(mut_float_values, 4), (mut_int_values, 3), (mut_dims, 3), (mut_attribute, 4),
            (mut_add_attribute, 2), (mut_input_shape, 2), (mut_wiring, 2), (mut_qdq, 2)]


# MARK: TFLite


class TFLiteFile:
    """Where the tensors' scale, zero-point and shape elements lie in a .tflite flatbuffer (only
    what the mutators need: Model.subgraphs → SubGraph.tensors → Tensor.shape/quantization →
    QuantizationParameters.scale/zero_point). Offsets are absolute positions in the file."""

    def __init__(self, data):
        self.data = data
        self.scales, self.zero_points, self.dims = [], [], []   # (position, element size) each
        root = self.u32(0)
        for sg in self.tables(root, 2):
            for t in self.tables(sg, 0):
                self.dims += [(p, 4) for p in self.vector(t, 0, 4)]
                q = self.table(t, 4)
                if q is not None:
                    self.scales += [(p, 4) for p in self.vector(q, 2, 4)]
                    self.zero_points += [(p, 8) for p in self.vector(q, 3, 8)]

    def u32(self, p):
        return struct.unpack_from("<I", self.data, p)[0]

    def field(self, table, i):
        """Absolute position of field i of the table at `table`, or None when absent."""
        vt = table - struct.unpack_from("<i", self.data, table)[0]
        if 4 + 2 * i >= struct.unpack_from("<H", self.data, vt)[0]:
            return None
        off = struct.unpack_from("<H", self.data, vt + 4 + 2 * i)[0]
        return table + off if off else None

    def table(self, table, i):
        p = self.field(table, i)
        return None if p is None else p + self.u32(p)

    def vector(self, table, i, size):
        p = self.field(table, i)
        if p is None:
            return []
        v = p + self.u32(p)
        return [v + 4 + k * size for k in range(self.u32(v))]

    def tables(self, table, i):
        return [p + self.u32(p) for p in self.vector(table, i, 4)]


def tflite_seeds():
    directory = os.path.join(FIXTURES, "tflite", "models")
    return [(f[:-len(".tflite")], open(os.path.join(directory, f), "rb").read(), None)
            for f in sorted(os.listdir(directory)) if f.endswith(".int8.tflite")]


def mutate_tflite(data, rng):
    """Returns (mutated bytes, what was applied)."""
    data = bytearray(data)
    f = TFLiteFile(bytes(data))
    applied = []
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.55 and f.scales:
            p, _ = rng.choice(f.scales)
            old = struct.unpack_from("<f", data, p)[0]
            new = rng.choice(SPECIAL_FLOATS + [-old, old * 10.0 ** rng.randint(-30, 30), old * 2.0 ** rng.randint(-40, 40)])
            struct.pack_into("<f", data, p, float(np.float32(new)) if np.isfinite(new) else new)
            applied.append("scale")
        elif roll < 0.75 and f.zero_points:
            p, _ = rng.choice(f.zero_points)
            struct.pack_into("<q", data, p, max(-2**63, min(2**63 - 1, rng.choice(SPECIAL_INTS + [-129, 128, -128, 127]))))
            applied.append("zero_point")
        elif roll < 0.9 and f.dims:
            p, _ = rng.choice(f.dims)
            struct.pack_into("<i", data, p, max(-2**31, min(2**31 - 1, rng.choice(SPECIAL_INTS))))
            applied.append("dims")
        else:
            data = bytearray(mutate_bytes(bytes(data), rng))
            applied.append("bytes")
            break   # positions are stale after an insertion or deletion
    return bytes(data), "+".join(applied)


def mutate_bytes(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        kind = rng.random()
        i = rng.randrange(len(data))
        if kind < 0.5:
            data[i] = rng.randrange(256)
        elif kind < 0.7:
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 10)))
        elif kind < 0.85:
            del data[i:i + rng.randint(1, 16)]
        else:
            # A huge varint where a length or a value was.
            data[i:i + 1] = bytes([0xFF] * rng.randint(1, 9) + [rng.randrange(128)])
    return bytes(data)


def mutate_calibration(calib, rng):
    a = calib.astype(np.float32).copy()
    flat = a.reshape(-1)
    if flat.size == 0:
        return a
    choice = rng.random()
    if choice < 0.5:
        for _ in range(rng.randint(1, 4)):
            flat[rng.randrange(flat.size)] = rng.choice(SPECIAL_FLOATS)
    elif choice < 0.7:
        flat[:] = rng.choice(SPECIAL_FLOATS)
    elif choice < 0.85:
        a = a.reshape(-1)[: rng.randint(0, max(flat.size - 1, 0))]   # wrong element count / shape
    else:
        a = a.astype(rng.choice([np.float64, np.int8, np.int32, np.float16]))
    return a


# MARK: driver


def make_tflite_case(seeds, rng, index, workdir):
    name, data, _ = rng.choice(seeds)
    mutated, applied = mutate_tflite(data, rng)
    path = os.path.join(workdir, f"m{index}.tflite")
    with open(path, "wb") as f:
        f.write(mutated)
    return name, applied, path, None


def make_case(seeds, rng, index, workdir):
    # Half the mutants start from a whole model (digits_*), half from a one-op node test.
    whole = [s for s in seeds if s[0].startswith("digits")]
    name, model, calib = rng.choice(whole if rng.random() < 0.5 else seeds)
    m = onnx.ModelProto()
    m.CopyFrom(model)
    applied = []
    roll = rng.random()
    calib_out = calib
    if roll < 0.12 and calib is not None:
        calib_out = mutate_calibration(calib, rng)
        applied.append("calibration")
    else:
        for _ in range(rng.randint(1, 3)):
            mutator = rng.choices([f for f, _ in MUTATORS], weights=[w for _, w in MUTATORS])[0]
            try:
                if mutator(m, rng):
                    applied.append(mutator.__name__[4:])
            except (ValueError, OverflowError, TypeError, IndexError):
                pass
    data = m.SerializeToString()
    if roll > 0.88 or not applied:
        data = mutate_bytes(data, rng)
        applied.append("bytes")
    base = os.path.join(workdir, f"m{index}")
    with open(base + ".onnx", "wb") as f:
        f.write(data)
    calib_path = None
    if calib_out is not None:
        calib_path = base + ".npy"
        np.save(calib_path, calib_out)
    return name, "+".join(applied), base + ".onnx", calib_path


def run_case(sparrow, onnx_path, calib_path, timeout):
    cmd = [sparrow, "convert", onnx_path, "-o", onnx_path + ".sparrow"]
    if calib_path:
        cmd += ["--calibration", calib_path]
    env = dict(os.environ, SWIFT_BACKTRACE="enable=no")
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return "hang", "timeout"
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0:
        fatal = [l for l in err.splitlines() if "Fatal error" in l or "fatal error" in l.lower()]
        return "crash", (fatal[0].strip() if fatal else f"signal {-p.returncode}")[:200]
    if p.returncode == 0:
        return "ok", ""
    first = err.strip().splitlines()[0] if err.strip() else p.stdout.decode(errors="replace").strip()[:120]
    if not first:
        return "silent", "non-zero exit without a message"
    if "converter bug" in first:
        # The converter's own output failed verification: not a crash, but a bug all the same.
        return "bug", first[:200]
    return "error", first[:160]


def write_seeds(sparrow, directory):
    os.makedirs(directory, exist_ok=True)
    written = 0
    with tempfile.TemporaryDirectory() as work:
        for name, model, calib in seed_models():
            path = os.path.join(work, name + ".onnx")
            onnx.save(model, path)
            out = os.path.join(directory, name + ".sparrow")
            cmd = [sparrow, "convert", path, "-o", out]
            if calib is not None:
                np.save(path + ".npy", calib.astype(np.float32))
                cmd += ["--calibration", path + ".npy"]
            if subprocess.run(cmd, capture_output=True).returncode == 0:
                written += 1
    print(f"wrote {written} converted seed models to {directory}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sparrow")
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--keep", default="/tmp/sparrow-convert-mutants")
    ap.add_argument("--tflite", action="store_true", help="mutate the int8 TFLite fixtures instead of the ONNX ones")
    ap.add_argument("--write-seeds", metavar="DIR",
                    help="instead of mutating: convert every seed model and write the .sparrow files to DIR "
                         "(the verifier fuzz target's corpus: every opcode, in small models that run fast)")
    args = ap.parse_args()
    if args.write_seeds:
        return write_seeds(args.sparrow, args.write_seeds)

    rng = random.Random(args.seed)
    seeds = tflite_seeds() if args.tflite else seed_models()
    new_case = make_tflite_case if args.tflite else make_case
    os.makedirs(args.keep, exist_ok=True)
    counts = collections.Counter()
    signatures = collections.defaultdict(list)
    by_mutator = collections.Counter()
    errors = collections.Counter()
    with tempfile.TemporaryDirectory() as work, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        batch = 64
        for start in range(0, args.count, batch):
            cases = [new_case(seeds, rng, i, work) for i in range(start, min(start + batch, args.count))]
            futures = [pool.submit(run_case, args.sparrow, c[2], c[3], args.timeout) for c in cases]
            for (name, applied, onnx_path, calib_path), fut in zip(cases, futures):
                outcome, detail = fut.result()
                counts[outcome] += 1
                if outcome == "error":
                    errors[":".join(detail.split(":")[1:3])[:70]] += 1
                if outcome in ("crash", "hang", "silent", "bug"):
                    by_mutator[applied] += 1
                    key = f"{outcome}: {detail}"
                    n = len(signatures[key])
                    signatures[key].append(f"{name} [{applied}]")
                    if n < 60:
                        stem = os.path.join(args.keep, f"{outcome}{len(signatures)}_{n}_{name}")
                        shutil.copy(onnx_path, stem + os.path.splitext(onnx_path)[1])
                        if calib_path:
                            shutil.copy(calib_path, stem + ".npy")
                for p in (onnx_path, calib_path, onnx_path + ".sparrow"):
                    if p and os.path.exists(p):
                        os.remove(p)
            print(f"{min(start + batch, args.count)}/{args.count}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                  flush=True)
    print(f"\n{len(seeds)} seed models, {args.count} mutants, seed {args.seed}")
    for outcome in ("ok", "error", "crash", "hang", "silent", "bug"):
        print(f"  {outcome:6} {counts[outcome]}")
    print("most frequent error sources:", ", ".join(f"{k} ×{v}" for k, v in errors.most_common(8)))
    for key, where in sorted(signatures.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{len(where)}× {key}\n   e.g. {', '.join(where[:4])}")
    if signatures:
        print(f"\nmutants kept in {args.keep}")
    return 1 if counts["crash"] + counts["hang"] + counts["silent"] + counts["bug"] else 0


if __name__ == "__main__":
    sys.exit(main())
