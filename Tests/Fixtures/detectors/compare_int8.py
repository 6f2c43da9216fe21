#!/usr/bin/env python3
"""Sparrow int8 against onnxruntime's own int8, both measured against onnxruntime float, per
architecture class (Docs/results.md, "Accuracy bar by architecture class").

  classifier     digits/digits_cnn.onnx (360 test images): top-1 agreement with float, logit error
  detector head  detectors/mtcnn.onnx (512 crops): face decision (p > 0.5) agreement, box and
                 probability error
  segmenter      detectors/dbnet.onnx at 64x64 (256 images): IoU of the map thresholded at 0.5
                 with the float map, probability error
  recognizer     recognizer/ctc_digits.onnx (1,000 text lines of held-out digits): greedy CTC
                 decode equal to float's (string agreement), character error rate against float

The detector and segmenter test sets are drawn here from the fixtures' generators
(synthetic_data.py, seed 20261207, unseen in training and calibration; the recognizer's lines from
recognizer/ctc_lines.py, seed 20261209, of digit images held out from training): the committed 16-image
test file is too small to separate the two int8 pipelines (their IoUs differ by ~0.002 there,
in either direction depending on the draw).

onnxruntime int8 is `quantize_static` (QDQ, per-channel int8 weights, int8 activations, MinMax
calibration) on the same calibration samples Sparrow gets; Sparrow is `sparrow convert` with
its defaults then `sparrow run --output-dir`. Errors are mean absolute differences from float.

Usage: python3 Tests/Fixtures/detectors/compare_int8.py [path/to/sparrow]
Needs numpy, onnx, onnxruntime. Prints a Markdown table; exits 1 if Sparrow's task metric is
worse than onnxruntime int8's on any class.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort
from synthetic_data import face_crops, text_images

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recognizer"))
import ctc_lines  # noqa: E402
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)


def session(path):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run_ort(path, x):
    s = session(path)
    name = s.get_inputs()[0].name
    runs = [s.run(None, {name: x[i:i + 1]}) for i in range(len(x))]
    return [np.concatenate([r[k] for r in runs]) for k in range(len(runs[0]))], [o.name for o in s.get_outputs()]


def ort_int8(path, calib, work):
    class Reader(CalibrationDataReader):
        def __init__(self):
            name = session(path).get_inputs()[0].name
            self.items = iter([{name: calib[i:i + 1]} for i in range(len(calib))])

        def get_next(self):
            return next(self.items, None)

    out = os.path.join(work, os.path.basename(path) + ".qdq.onnx")
    quantize_static(path, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return out


def run_sparrow(sparrow, path, calib_path, x_path, work, extra=()):
    model = os.path.join(work, os.path.basename(path) + ".sparrow")
    subprocess.run([sparrow, "convert", path, "-o", model, "--calibration", calib_path, *extra], check=True,
                   stdout=subprocess.DEVNULL)
    out_dir = os.path.join(work, os.path.basename(path) + ".out")
    subprocess.run([sparrow, "run", model, "--input", x_path, "--output-dir", out_dir], check=True, stdout=subprocess.DEVNULL)
    return {f[:-4]: np.load(os.path.join(out_dir, f)) for f in os.listdir(out_dir)}


def iou(a, b):
    return float((a & b).sum() / max((a | b).sum(), 1))


def main():
    sparrow = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, "..", "..", ".build", "debug", "sparrow")
    rows, worse = [], []
    with tempfile.TemporaryDirectory() as work:
        # Classifier.
        path = os.path.join(FIXTURES, "digits", "digits_cnn.onnx")
        calib_path, x_path = os.path.join(FIXTURES, "digits", "digits_calib.npy"), os.path.join(FIXTURES, "digits", "digits_test_x.npy")
        calib, x = np.load(calib_path), np.load(x_path)
        (f,), _ = run_ort(path, x)
        (q,), _ = run_ort(ort_int8(path, calib, work), x)
        s = run_sparrow(sparrow, path, calib_path, x_path, work)["logits"]
        agree = lambda y: float((y.argmax(1) == f.argmax(1)).mean())
        err = lambda y: float(np.abs(y - f).mean())
        rows.append(("classifier (digits_cnn, 360 images)", "top-1 agreement with float", agree(q), agree(s),
                     "mean \\|logit error\\|", err(q), err(s)))
        if agree(s) < agree(q):
            worse.append("classifier")

        # Detector head.
        path = os.path.join(HERE, "mtcnn.onnx")
        rng = np.random.default_rng(20261207)
        calib_path, x_path = os.path.join(HERE, "mtcnn_calib.npy"), os.path.join(work, "mtcnn_x.npy")
        calib, x = np.load(calib_path), face_crops(rng, 512)[0]
        np.save(x_path, x)
        (fb, fp), names = run_ort(path, x)
        (qb, qp), _ = run_ort(ort_int8(path, calib, work), x)
        out = run_sparrow(sparrow, path, calib_path, x_path, work)
        sb, sp = out["boxes"], out["face_prob"]
        decide = lambda p: p[:, 1] > 0.5
        agree_q, agree_s = float((decide(qp) == decide(fp)).mean()), float((decide(sp) == decide(fp)).mean())
        rows.append(("detector head (MTCNN-style, 512 crops)", "face decision agreement", agree_q, agree_s,
                     "mean \\|box error\\| / \\|p error\\|", f"{np.abs(qb - fb).mean():.4f} / {np.abs(qp - fp).mean():.4f}",
                     f"{np.abs(sb - fb).mean():.4f} / {np.abs(sp - fp).mean():.4f}"))
        if agree_s < agree_q:
            worse.append("detector head")

        # Segmenter.
        path = os.path.join(HERE, "dbnet.onnx")
        calib_path, x_path = os.path.join(HERE, "dbnet_calib.npy"), os.path.join(work, "dbnet_x.npy")
        calib, x = np.load(calib_path), text_images(rng, 256)[0]
        np.save(x_path, x)
        (fm,), _ = run_ort(path, x)
        (qm,), _ = run_ort(ort_int8(path, calib, work), x)
        sm = run_sparrow(sparrow, path, calib_path, x_path, work, ["--input-shape", "image=1,3,64,64"])["prob"]
        iou_q, iou_s = iou(qm > 0.5, fm > 0.5), iou(sm > 0.5, fm > 0.5)
        rows.append(("segmenter (DBNet-style, 256 images 64×64)", "IoU of map > 0.5 with float's", iou_q, iou_s,
                     "mean \\|p error\\|", float(np.abs(qm - fm).mean()), float(np.abs(sm - fm).mean())))
        if iou_s < iou_q:
            worse.append("segmenter")

        # Recognizer (CTC).
        path = os.path.join(FIXTURES, "recognizer", "ctc_digits.onnx")
        calib_path, x_path = os.path.join(FIXTURES, "recognizer", "ctc_digits_calib.npy"), os.path.join(work, "ctc_x.npy")
        _, test_images, _, test_labels = ctc_lines.digit_splits()
        x, _ = ctc_lines.text_lines(np.random.default_rng(20261209), test_images, test_labels, 1000)
        np.save(x_path, x)
        calib = np.load(calib_path)
        (fl,), _ = run_ort(path, x)
        (ql,), _ = run_ort(ort_int8(path, calib, work), x)
        sl = run_sparrow(sparrow, path, calib_path, x_path, work)["log_probs"].reshape(fl.shape)
        fd = ctc_lines.greedy_decode(fl)
        agree_q, cer_q = ctc_lines.agreement_and_cer(ctc_lines.greedy_decode(ql), fd)
        agree_s, cer_s = ctc_lines.agreement_and_cer(ctc_lines.greedy_decode(sl), fd)
        rows.append(("recognizer (CTC, 1,000 text lines 8×64)", "decoded string equal to float's", agree_q, agree_s,
                     "character error rate vs float / mean \\|log-prob error\\|",
                     f"{cer_q:.4f} / {np.abs(ql - fl).mean():.4f}", f"{cer_s:.4f} / {np.abs(sl - fl).mean():.4f}"))
        if agree_s < agree_q:
            worse.append("recognizer")

    print("| class | task metric | onnxruntime int8 | Sparrow int8 | error | onnxruntime int8 | Sparrow int8 |")
    print("|---|---|---:|---:|---|---:|---:|")
    fmt = lambda v: v if isinstance(v, str) else f"{v:.4f}"
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {fmt(r[2])} | {fmt(r[3])} | {r[4]} | {fmt(r[5])} | {fmt(r[6])} |")
    if worse:
        print("Sparrow int8 is behind onnxruntime int8 on: " + ", ".join(worse))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
