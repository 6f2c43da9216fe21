#!/usr/bin/env python3
"""onnxruntime int8 latency of an ONNX model on this host, one thread: the reference column of
host-vs-onnxruntime.sh.

  python3 ort_int8_latency.py MODEL.onnx CALIB.npy INPUT.npy REPEATS WORKDIR
Quantizes MODEL with onnxruntime's quantize_static (QDQ, per-channel int8 weights, int8
activations, MinMax calibration on CALIB.npy's samples), then times REPEATS single-sample runs of
INPUT.npy's first sample after 3 warm-up runs (intra- and inter-op threads 1, all graph
optimizations). Prints 'ort-int8 p50_ms MIN_MS' and 'ort-float p50_ms ...' lines.
"""
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static


class Reader(CalibrationDataReader):
    def __init__(self, name, samples):
        self.items = iter([{name: s[None]} for s in samples])

    def get_next(self):
        return next(self.items, None)


def latency(path, x, repeats):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    for _ in range(3):
        session.run(None, {name: x})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.min(times))


def main(model, calib, inp, repeats, workdir):
    repeats = int(repeats)
    quantized = Path(workdir) / (Path(model).stem + "_ort_int8.onnx")
    name = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).get_inputs()[0].name
    quantize_static(model, str(quantized), Reader(name, np.load(calib).astype(np.float32)), quant_format=QuantFormat.QDQ,
                    per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QInt8)
    x = np.load(inp).astype(np.float32)[:1]
    for label, path in [("ort-int8", quantized), ("ort-float", Path(model))]:
        p50, low = latency(path, x, repeats)
        print(f"{label} p50_ms {p50:.3f} min_ms {low:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
