#!/usr/bin/env python3
"""Writes the all-opcode parity models: small .sparrow files that together use every opcode of
the format, each with its input files, for AllOpcodeParityTests (host and every board's device
build under qemu must write byte-identical outputs; the test fails when an opcode of the
format's OpCode enum is in none of these files).

    python3 Tests/Fixtures/parity/make_parity_models.py .build/debug/sparrow

Each model is converted by `sparrow convert` from an ONNX or TFLite fixture (the ONNX node tests
with their weights bound as initializers, as Tests/Fixtures/fuzz/mutate_convert.py does) and
written as NAME.sparrow with NAME.in0.npy, NAME.in1.npy, … (one per graph input, in order).
A new opcode gets covered by adding its fixture to MODELS below and re-running this script.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(FIXTURES, "fuzz"))
import mutate_convert  # noqa: E402  (its seed_models: node tests with weights bound)

TFLITE = os.path.join(FIXTURES, "tflite")

# (file name, source, extra `sparrow convert` flags). Sources: "onnx:SEED" (a mutate_convert
# seed: the digits models; node tests work too when their input has batch 1), "file:DIR/STEM" (Tests/Fixtures/DIR/STEM.onnx with
# STEM_calib.npy, inputs from STEM_x.npy), "tflite:NAME" (Tests/Fixtures/tflite/models/NAME.tflite
# with its golden inputs), "tflitefloat:STEM" (models/STEM.float.tflite calibrated with golden/STEM.eval.in0.npy), "pad_sub" (built below: no fixture has a Pad the converter keeps). The comments list the opcodes each one brings.
# `sparrow convert` packs by default; the reference-operator models are converted with
# --no-packed-weights so both forms keep a model.
REF = ["--no-packed-weights"]
MODELS = [
    ("digits_mbv3", "onnx:digits_mbv3", REF),           # Conv, depthwise, sparse 1×1, Lookup, Mul, Concat, AveragePool, Mean, Softmax, FC
    ("digits_cnn", "onnx:digits_cnn", REF),             # Add, MaxPool, Transpose, Reshape, Quantize, Dequantize
    ("digits_mlp_pruned", "onnx:digits_mlp_pruned", REF),  # SparseFullyConnected
    ("digits_mlp_packed", "onnx:digits_mlp", ["--packed-weights"]),  # PackedGemm
    ("digits_cnn_packed", "onnx:digits_cnn", []),       # PackedConvIm2col, PackedDepthwise3x3, PackedGemm (the default)
    ("deconv_net", "file:convtranspose/deconv_net", REF),  # TransposeConv2D
    ("deconv_dw", "file:convtranspose/deconv_dw", REF),  # DepthwiseTransposeConv2D
    ("pad_sub", "pad_sub", REF),                        # Pad, Sub
    ("prelu", "file:prelu/prelu_channels", REF),        # PRelu
    ("resize", "file:resize/resize_fpn", REF),          # Resize
    ("slice", "file:slice/slice_net", REF),             # Slice, Gather
    ("vit", "file:transformer/vit_digits", REF),        # LayerNorm, BatchMatMul
    ("logsoftmax", "file:indices/logsoftmax_fc", REF),  # LogSoftmax
    ("argmax_fc", "file:indices/argmax_fc", REF),       # ArgMax (int64 graph output)
    # Opcodes only int8 TFLite models bring. Their inputs are int8/uint8 codes, saved as they are
    # (LiteRT's golden inputs): `sparrow run` and `sparrow-device run` take an input's own codes.
    ("binary_int8", "tflite:binary.int8", []),          # Maximum, Minimum (and Sub, Slice)
    ("arg_max_int8", "tflite:arg_max.int8", []),        # ArgMax (int32 output)
    ("uint8_io_int8", "tflite:uint8_io.int8", []),      # Requantize
    # Float .tflite models (float32 inputs, so every board runs them): calibrated with their
    # evaluation inputs (golden/NAME.eval.in0.npy), the first 8 of which are the parity inputs.
    ("float_ops", "tflitefloat:float_ops", REF),        # Maximum, Minimum, Requantize, ArgMax
    ("mediapipe_unpooling", "tflitefloat:mediapipe_unpooling", REF),  # MaxPoolArgmax, MaxUnpool
]


def pad_sub_model():
    """x [1,2,4,4] → Pad (1 each side of H and W, constant 0) → p; y = p − sigmoid(p) [1,2,6,6]
    (a Sub of two activations; a Sub of a constant becomes an Add); 8 seeded samples."""
    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads")
    nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="constant"),
             helper.make_node("Sigmoid", ["p"], ["s"], name="sigmoid"),
             helper.make_node("Sub", ["p", "s"], ["y"], name="sub")]
    graph = helper.make_graph(nodes, "pad_sub", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 6, 6])], [pads])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    samples = np.random.default_rng(7).uniform(-1, 3, (8, 2, 4, 4)).astype(np.float32)
    return model, samples


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sparrow = os.path.abspath(sys.argv[1])
    seeds = {name: (model, calib) for name, model, calib in mutate_convert.seed_models()}
    with tempfile.TemporaryDirectory() as work:
        for name, source, flags in MODELS:
            out = os.path.join(HERE, name + ".sparrow")
            if source.startswith("tflitefloat:"):
                stem = source[len("tflitefloat:"):]
                x = np.load(os.path.join(TFLITE, "golden", f"{stem}.eval.in0.npy"))
                x = x.reshape(x.shape[0], *x.shape[2:]).astype(np.float32)   # samples first, no batch axis
                calib = os.path.join(work, stem + "_calib.npy")
                np.save(calib, x)
                cmd = [sparrow, "convert", os.path.join(TFLITE, "models", stem + ".float.tflite"), "-o", out,
                       "--calibration", calib] + flags
                inputs = [x[:8]]
            elif source.startswith("tflite:"):
                stem = source[len("tflite:"):]
                cmd = [sparrow, "convert", os.path.join(TFLITE, "models", stem + ".tflite"), "-o", out] + flags
                inputs, k = [], 0
                while os.path.exists(os.path.join(TFLITE, "golden", f"{stem}.in{k}.npy")):
                    x = np.load(os.path.join(TFLITE, "golden", f"{stem}.in{k}.npy"))
                    # [N, 1, H, W, C] → [N, H, W, C]: samples first, then the input's dims without its batch of 1.
                    inputs.append(x.reshape((x.shape[0],) + x.shape[2:]) if x.ndim >= 2 and x.shape[1] == 1 else x)
                    k += 1
            elif source.startswith("file:"):
                stem = os.path.join(FIXTURES, source[len("file:"):])
                cmd = [sparrow, "convert", stem + ".onnx", "-o", out, "--calibration", stem + "_calib.npy"] + flags
                inputs = [np.load(stem + "_x.npy")[:8].astype(np.float32)]
            else:
                model, calib = pad_sub_model() if source == "pad_sub" else seeds[source[len("onnx:"):]]
                path = os.path.join(work, name + ".onnx")
                onnx.save(model, path)
                calib = calib.astype(np.float32)
                np.save(path + ".npy", calib)
                cmd = [sparrow, "convert", path, "-o", out, "--calibration", path + ".npy"] + flags
                inputs = [calib[:8]]
            subprocess.run(cmd, check=True, capture_output=True)
            for k, x in enumerate(inputs):
                np.save(os.path.join(HERE, f"{name}.in{k}.npy"), x)
            print(f"{name}.sparrow ({os.path.getsize(out)} bytes), {len(inputs)} input file(s)")


if __name__ == "__main__":
    main()
