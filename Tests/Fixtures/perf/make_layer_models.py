#!/usr/bin/env python3
"""One-layer int8 .tflite models of MobileNetV2 1.0 224's non-GEMM convolutions, to count what
LiteRT (XNNPACK on aarch64, the builtin kernels on armv7) spends per layer under qemu
(Docs/performance.md, "Per layer against LiteRT"). Each model is Input -> the layer -> ReLU6
(fused into the layer by the converter), full-integer quantized by TensorFlow's TFLiteConverter
with int8 input and output; `empty` is a lone ReLU6 on 8x8x16, the invoke's fixed cost.
Weights are seeded random numbers (counts depend on the shapes, not the values).

Run (needs tensorflow-cpu; the outputs are committed):
    python3 Tests/Fixtures/perf/make_layer_models.py [OUTDIR]      # default Tests/Fixtures/perf/layers
Count one (see ../shared/tools/armcount/README.md; subtract `empty`):
    $ARMCOUNT/litert-report.sh layers/dw_s1_56x144.tflite --cpu cortex-a76 --resolver auto --n2 4
    $ARMCOUNT/litert-report-armhf.sh layers/dw_s1_56x144.tflite --cpu max --resolver builtin --n2 4
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(1)
out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "layers")
out.mkdir(parents=True, exist_ok=True)


def build(name, shape, layer):
    inp = tf.keras.Input(shape=shape, batch_size=1)
    model = tf.keras.Model(inp, tf.keras.layers.ReLU(6.0)(layer(inp)))
    for w in model.weights:
        w.assign(rng.normal(0, 0.3, w.shape).astype(np.float32))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.uniform(-1, 1, (1,) + shape).astype(np.float32)] for _ in range(8))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    (out / f"{name}.tflite").write_bytes(converter.convert())


L = tf.keras.layers
build("conv1", (224, 224, 3), L.Conv2D(32, 3, strides=2, padding="same"))
build("dw_s1_56x144", (56, 56, 144), L.DepthwiseConv2D(3, padding="same"))
build("dw_s2_112x96", (112, 112, 96), L.DepthwiseConv2D(3, strides=2, padding="same"))
build("dw_s1_112x32", (112, 112, 32), L.DepthwiseConv2D(3, padding="same"))
build("dw_s1_7x960", (7, 7, 960), L.DepthwiseConv2D(3, padding="same"))
build("empty", (8, 8, 16), L.ReLU(6.0))
