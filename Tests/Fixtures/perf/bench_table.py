#!/usr/bin/env python3
"""Tables for bench-vs-litert.sh (not used elsewhere).

  bench_table.py ratio A B                      A / B with two decimals, "n/a" if either is missing
  bench_table.py operators CPU=PREFIX ...        Sparrow per operator from PREFIX.counts[FROM] (count-insns
                                                 --out files of model_driver.swift) and PREFIX.inspect
                                                 (`sparrow inspect`), one column per CPU
  bench_table.py host --sparrow S --model M.sparrow --onnx M.onnx --tflite M.tflite --input X.npy
                      --calibration C.npy --repeats R --work DIR
                                                 host wall time per inference, one thread, median of R
"""
import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

MARKER_PAIR = "region5_insns"   # model_driver.swift's empty begin/end pair
OP_LABEL_BASE, OP_WINDOW = 10, 50


def ratio(a, b):
    try:
        return f"{float(a) / float(b):.2f}"
    except (ValueError, ZeroDivisionError):
        return "n/a"


def read_counts(path):
    kv = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            kv[k] = v
    return kv


OP_LINE = re.compile(r"^\s*\[(\d+)\] (\w+) '([^']*)' .*MACs: (\d+)")


def read_operators(inspect_path):
    """[(index, opcode, name, macs, detail line)] from `sparrow inspect`'s graph section."""
    ops, lines = [], open(inspect_path).read().splitlines()
    for i, line in enumerate(lines):
        m = OP_LINE.match(line)
        if m:
            detail = lines[i + 1].strip() if i + 1 < len(lines) else ""
            ops.append((int(m[1]), m[2], m[3], int(m[4]), detail))
    return ops


def operator_insns(prefix, count):
    """Instructions of operator k in the observed invoke: region(10 + k − from) of the window file."""
    out = []
    for k in range(count):
        start = k // OP_WINDOW * OP_WINDOW
        kv = read_counts(f"{prefix}.counts" + (str(start) if start else ""))
        region = kv.get(f"region{OP_LABEL_BASE + k - start}_insns")
        out.append(None if region is None else int(region) - int(kv[MARKER_PAIR]))
    return out


def category(opcode, detail, first_conv):
    """Groups for the summary: what each kernel family costs (reference or packed operator)."""
    stride2 = "stride 2×2" in detail or "stride 2," in detail
    if opcode in ("Conv2D", "PackedConvIm2col"):
        family = "first conv" if first_conv else ("conv s2" if stride2 else "conv")
    elif opcode in ("DepthwiseConv2D", "PackedDepthwise3x3"):
        family = "depthwise s2" if stride2 else "depthwise s1"
    elif opcode == "PackedGemm":
        family = "1×1 conv, FC"
    elif opcode in ("Quantize", "Transpose"):
        return "input Quantize + Transpose"
    else:
        return opcode
    return f"{family} ({opcode})"


def operators(args):
    cpus = [a.split("=", 1) for a in args]
    ops = None
    per_cpu = {}
    for cpu, prefix in cpus:
        these = read_operators(f"{prefix}.inspect")
        ops = ops or these
        if [o[1] for o in these] != [o[1] for o in ops]:
            print(f"  ({cpu}: different operators than {cpus[0][0]}, per-operator rows not aligned)")
        per_cpu[cpu] = operator_insns(prefix, len(these))
    names = [c for c, _ in cpus]
    per_mac = "cortex-a76" if "cortex-a76" in names else names[-1]   # the Pi 5: the per-MAC targets
    fmt = "%4s %-16s %-20s %11s" + " %12s" * len(names) + " %14s"
    print(fmt % (("op", "kind", "name", "MACs") + tuple(names) + (f"/MAC {per_mac}",)))
    groups = {}
    first_conv_seen = False
    for (k, opcode, name, macs, detail), *cells in zip(ops, *(per_cpu[c] for c in names)):
        is_conv = opcode in ("Conv2D", "PackedConvIm2col")
        first = is_conv and not first_conv_seen
        first_conv_seen |= is_conv
        cat = category(opcode, detail, first)
        g = groups.setdefault(cat, [0, 0] + [0] * len(names))
        g[0] += 1
        g[1] += macs
        for i, v in enumerate(cells):
            g[2 + i] += v or 0
        last = cells[names.index(per_mac)]
        print(fmt % ((k, opcode[:16], name[:20], macs) + tuple("n/a" if v is None else v for v in cells)
                     + (f"{last / macs:.2f}" if macs and last is not None else "",)))
    totals = [sum(v or 0 for v in per_cpu[c]) for c in names]
    print("  by kind (count, MACs, instructions, share of the observed invoke, instructions per MAC):")
    gfmt = "  %-32s %3s %11s" + " %22s" * len(names)
    print(gfmt % (("kind", "n", "MACs") + tuple(names)))
    for cat, (n, macs, *insns) in sorted(groups.items(), key=lambda kv: -kv[1][2 + names.index(per_mac)]):
        cells = tuple(f"{v:,} {v / t * 100:4.1f}%" + (f" {v / macs:5.2f}" if macs else "      ") for v, t in zip(insns, totals))
        print(gfmt % ((cat, n, f"{macs:,}") + cells))
        if cat.startswith("depthwise") and macs:   # 3×3: 9 MACs per output
            print(gfmt % (("  per output (÷ MACs/9)", "", "") + tuple(f"{v / (macs / 9):.1f}" for v in insns)))


def median_time(fn, repeats, budget_s=1.0):
    """Median over repeats of (per-inference time of a batch of calls sized to ~budget_s)."""
    fn()
    t = time.perf_counter(); fn(); one = time.perf_counter() - t
    k = max(3, min(500, int(budget_s / max(one, 1e-6))))
    meds = []
    for _ in range(repeats):
        times = []
        for _ in range(k):
            t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
        meds.append(statistics.median(times))
    return statistics.median(meds) * 1e6


def host(argv):
    ap = argparse.ArgumentParser()
    for name in ("sparrow", "model", "onnx", "tflite", "input", "calibration", "work"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)
    import numpy as np
    x = np.load(a.input)
    rows = []

    # Sparrow: `sparrow bench` per repeat (its own p50 over timed iterations), median of those.
    p50s = []
    for r in range(a.repeats):
        out = os.path.join(a.work, "bench.json")
        proc = subprocess.run([a.sparrow, "bench", a.model, "--input", a.input, "--warmup", "3", "--iterations", "20",
                               "--quiet", "--power", "none", "--json", out], capture_output=True, text=True)
        if proc.returncode != 0:
            rows.append(("sparrow", None, f"sparrow bench failed: {proc.stderr.strip().splitlines()[-1:]}"))
            break
        p50s.append(json.load(open(out))["latency"]["p50"] * 1000)
    if p50s:
        rows.append(("sparrow (release, host conversion)", statistics.median(p50s), f"sparrow bench p50, {len(p50s)} runs"))

    try:
        from ai_edge_litert.interpreter import Interpreter
        it = Interpreter(model_path=a.tflite, num_threads=1)
        it.allocate_tensors()
        d = it.get_input_details()[0]
        s, z = d["quantization"]
        it.set_tensor(d["index"], np.clip(np.round(x.transpose(0, 2, 3, 1) / s) + z, -128, 127).astype(np.int8))
        rows.append(("LiteRT XNNPACK (ai-edge-litert)", median_time(it.invoke, a.repeats), "int8 .tflite, num_threads=1"))
    except Exception as e:   # noqa: BLE001 - report, do not stop the other columns
        rows.append(("LiteRT XNNPACK (ai-edge-litert)", None, f"n/a: {e}"))

    try:
        import onnxruntime as ort
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.samples = iter(np.load(a.calibration)[:, None])

            def get_next(self):
                s = next(self.samples, None)
                return None if s is None else {"input": s}

        q = os.path.join(a.work, os.path.basename(a.onnx).replace(".onnx", ".ort-int8.onnx"))
        if not os.path.exists(q):
            quantize_static(a.onnx, q, Reader(), quant_format=QuantFormat.QOperator, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        for label, path in (("onnxruntime int8 (quantize_static)", q), ("onnxruntime float", a.onnx)):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
            rows.append((label, median_time(lambda: sess.run(None, {"input": x}), a.repeats), "intra_op_num_threads=1"))
    except Exception as e:   # noqa: BLE001
        rows.append(("onnxruntime", None, f"n/a: {e}"))

    sparrow = rows[0][1] if rows and rows[0][0].startswith("sparrow") else None
    print("  %-36s %12s %12s  %s" % ("engine", "µs/inference", "sparrow ÷", "how"))
    for label, us, how in rows:
        print("  %-36s %12s %12s  %s" % (label, "n/a" if us is None else f"{us:,.0f}",
                                          ratio(sparrow, us) if us and not label.startswith("sparrow") else "", how))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "ratio":
        print(ratio(*rest))
    elif cmd == "operators":
        operators(rest)
    elif cmd == "host":
        host(rest)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
