"""Host (x86) latency of Sparrow files vs onnxruntime int8 and LiteRT XNNPACK, one thread,
interleaved: each round times every engine once (30 inferences each), so a load spike on the
shared machine hits all of them alike. Prints per engine the minimum over all rounds and the
median of the rounds' p50s, and both divided by onnxruntime int8's.

    python host_interleaved.py --sparrow BIN --onnx M.onnx --tflite M.tflite --input X.npy \
        --calibration C.npy --work DIR [--rounds 7] FILE.sparrow [FILE.sparrow ...]

onnxruntime's model is `quantize_static` of the ONNX twin (QOperator, per-channel s8 weights, u8
activations, the calibration samples), as in bench_table.py; it is cached in --work.
"""
import argparse
import os
import re
import statistics
import subprocess
import time

import numpy as np


def timed(run, n=30):
    for _ in range(3):
        run()
    t = []
    for _ in range(n):
        a = time.perf_counter()
        run()
        t.append(time.perf_counter() - a)
    t.sort()
    return t[0] * 1e3, t[n // 2] * 1e3


def main():
    ap = argparse.ArgumentParser()
    for name in ("sparrow", "onnx", "tflite", "input", "calibration", "work"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    x = np.load(a.input)[:1]
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    q = os.path.join(a.work, os.path.basename(a.onnx).replace(".onnx", ".ort-int8.onnx"))
    if not os.path.exists(q):
        samples = np.load(a.calibration)

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.it = iter(samples[:, None])

            def get_next(self):
                s = next(self.it, None)
                return None if s is None else {"input": s}

        quantize_static(a.onnx, q, Reader(), quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(q, opts, providers=["CPUExecutionProvider"])
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=a.tflite, num_threads=1)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    s, z = d["quantization"]
    it.set_tensor(d["index"], np.clip(np.round(x.transpose(0, 2, 3, 1) / s) + z, -128, 127).astype(np.int8))
    x1 = os.path.join(a.work, "input1.npy")
    np.save(x1, x)
    results = {}
    for _ in range(a.rounds):
        for f in a.files:
            out = subprocess.run([a.sparrow, "bench", f, "--input", x1, "--warmup", "3", "--iterations", "30",
                                  "--power", "none", "--quiet"], capture_output=True, text=True, check=True).stdout
            m = re.search(r"min ([0-9.]+) p50 ([0-9.]+)", out)
            results.setdefault("sparrow " + os.path.basename(f), []).append((float(m[1]), float(m[2])))
        results.setdefault("onnxruntime int8", []).append(timed(lambda: sess.run(None, {"input": x})))
        results.setdefault("LiteRT XNNPACK", []).append(timed(it.invoke))
    ref = results["onnxruntime int8"]
    ref_min, ref_p50 = min(m for m, _ in ref), statistics.median(p for _, p in ref)
    print(f"{os.path.basename(a.onnx)}: {a.rounds} interleaved rounds of 30 inferences per engine, 1 thread (ms)")
    for k, v in results.items():
        low, p50 = min(m for m, _ in v), statistics.median(p for _, p in v)
        print("  %-40s min %8.3f  median p50 %8.3f   ÷ onnxruntime int8: min %5.2f  p50 %5.2f"
              % (k, low, p50, low / ref_min, p50 / ref_p50))


if __name__ == "__main__":
    main()
