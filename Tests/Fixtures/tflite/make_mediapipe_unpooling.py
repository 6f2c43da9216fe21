#!/usr/bin/env python3
"""models/mediapipe_unpooling.float.tflite: MediaPipe's custom MaxPoolingWithArgmax2D and
MaxUnpooling2D, which LiteRT cannot run without MediaPipe's kernels, so the reference is numpy
following those kernels (mediapipe/util/tflite/operations/max_pool_argmax.cc, max_unpooling.cc):

  pooling: TFLite's MAX_POOL_2D window (SAME: out ⌈in/s⌉, pad before ((out−1)·s + f − in)/2),
           the fused activation on the values; indices (float32) = ky·filter_w + kx of the first
           value greater than all before it in row-major window order, + 0.1
  unpooling: output [n, h·filter_h, w·filter_w, c] of zeros; input cell (y, x) written at
           (y·s_h − pad_h + ⌊i⌋ / filter_w, x·s_w − pad_w + ⌊i⌋ mod filter_w) when inside, with
           pad = max(((h − 1)·s + filter − out) / 2, 0); the activation is not applied

Made by TF's converter from a Keras model x [1, 8, 8, 3] → conv 3×3 (4) →
  A: max pool 2×2 / 2 → conv 1×1 (4) → nearest resize ×2   (output 0, [1, 8, 8, 4])
  B: max pool 3×3 / 2 SAME → nearest resize to 12×12        (output 1, [1, 12, 12, 4])
then rewritten with TF's flatbuffer object API: each MAX_POOL_2D becomes MaxPoolingWithArgmax2D
(options a raw TfLitePoolParams: padding 1 SAME, strides, filter, activation — RELU for A, NONE
for B — and four zero words; a new float32 indices tensor as output 1), each
RESIZE_NEAREST_NEIGHBOR becomes MaxUnpooling2D (inputs: values, those indices).

Writes golden/mediapipe_unpooling.eval.in0.npy (16 inputs uniform(−1.5, 1.5)) and
golden/mediapipe_unpooling.eval.float.out{0,1}.npy (the numpy reference).

    python3 Tests/Fixtures/tflite/make_mediapipe_unpooling.py
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tflite_fixtures as fx  # noqa: E402  (sets TF's environment before importing it)

import flatbuffers  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402
from tensorflow.lite.python import schema_py_generated as schema  # noqa: E402

OUT = fx.OUT
NAME = "mediapipe_unpooling"
SHAPES = [(1, 8, 8, 3)]
SEED = fx.SEED + 8000
SAMPLES = 16
# (filter, stride, activation code) of pools A and B; TfLitePadding SAME = 1.
POOLS = [(2, 2, 1), (3, 2, 0)]


def network():
    c = layers.Conv2D(4, 3, padding="same", **fx.dense_init())
    d = layers.Conv2D(4, 1, **fx.dense_init())

    def fn(m, x):
        y = m.c(x)
        a = tf.nn.max_pool2d(y, 2, 2, "SAME")
        a = tf.image.resize(m.d(a), (8, 8), method="nearest")
        b = tf.nn.max_pool2d(y, 3, 2, "SAME")
        b = tf.image.resize(b, (12, 12), method="nearest")
        return a, b
    return fx.Net(fn, c=c, d=d)


def rewrite(blob):
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(blob, 0))
    g = m.subgraphs[0]
    codes = {}
    for name in ("MaxPoolingWithArgmax2D", "MaxUnpooling2D"):
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        code.customCode = name
        code.version = 1
        m.operatorCodes.append(code)
        codes[name] = len(m.operatorCodes) - 1

    def builtin(op):
        c = m.operatorCodes[op.opcodeIndex]
        return max(c.builtinCode, c.deprecatedBuiltinCode)

    pools = [op for op in g.operators if builtin(op) == schema.BuiltinOperator.MAX_POOL_2D]
    unpools = [op for op in g.operators if builtin(op) == schema.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR]
    assert len(pools) == 2 and len(unpools) == 2, (len(pools), len(unpools))
    # Pool A is the one whose output feeds a conv; order the pairs by the pools' filter sizes.
    pools.sort(key=lambda op: op.builtinOptions.filterWidth)
    unpools.sort(key=lambda op: g.tensors[op.outputs[0]].shape[1])
    weights = {}
    for (pool, unpool), (f, s, act) in zip(zip(pools, unpools), POOLS):
        values = pool.outputs[0]
        indices = schema.TensorT()
        indices.shape = np.array(g.tensors[values].shape, dtype=np.int32)
        indices.type = schema.TensorType.FLOAT32
        indices.name = g.tensors[values].name + b"_indices" if isinstance(g.tensors[values].name, bytes) \
            else g.tensors[values].name + "_indices"
        indices.buffer = 0
        g.tensors.append(indices)
        index = len(g.tensors) - 1
        options = np.frombuffer(struct.pack("<10i", 1, s, s, f, f, act, 0, 0, 0, 0), dtype=np.uint8)
        pool.opcodeIndex = codes["MaxPoolingWithArgmax2D"]
        pool.builtinOptionsType, pool.builtinOptions = 0, None
        pool.customOptions = options
        pool.outputs = np.array([values, index], dtype=np.int32)
        unpool.opcodeIndex = codes["MaxUnpooling2D"]
        unpool.builtinOptionsType, unpool.builtinOptions = 0, None
        unpool.customOptions = options
        unpool.inputs = np.array([unpool.inputs[0], index], dtype=np.int32)
    for op in g.operators:
        if builtin(op) == schema.BuiltinOperator.CONV_2D:
            w, b = g.tensors[op.inputs[1]], g.tensors[op.inputs[2]]
            wt = np.frombuffer(bytes(m.buffers[w.buffer].data), dtype=np.float32).reshape(w.shape)
            bt = np.frombuffer(bytes(m.buffers[b.buffer].data), dtype=np.float32)
            weights[int(wt.shape[1])] = (wt.astype(np.float64), bt.astype(np.float64))
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), weights


def conv_same(x, w, b):
    """x [h, w, ci], w OHWI [co, k, k, ci], stride 1, SAME (odd k)."""
    k = w.shape[1]
    p = k // 2
    xp = np.pad(x, ((p, p), (p, p), (0, 0)))
    h, wd = x.shape[:2]
    out = np.broadcast_to(b, (h, wd, w.shape[0])).copy()
    for ky in range(k):
        for kx in range(k):
            out += xp[ky:ky + h, kx:kx + wd, :] @ w[:, ky, kx, :].T
    return out


def pool_argmax(x, f, s):
    h, w, c = x.shape
    oh, ow = -(-h // s), -(-w // s)
    ph, pw = max(((oh - 1) * s + f - h) // 2, 0), max(((ow - 1) * s + f - w) // 2, 0)
    values = np.zeros((oh, ow, c))
    indices = np.zeros((oh, ow, c))
    for oy in range(oh):
        for ox in range(ow):
            for ch in range(c):
                best, where = -np.inf, 0
                for ky in range(f):
                    for kx in range(f):
                        iy, ix = oy * s - ph + ky, ox * s - pw + kx
                        if 0 <= iy < h and 0 <= ix < w and x[iy, ix, ch] > best:
                            best, where = x[iy, ix, ch], ky * f + kx
                values[oy, ox, ch], indices[oy, ox, ch] = best, where + 0.1
    return values, indices


def unpool(x, indices, f, s):
    h, w, c = x.shape
    oh, ow = h * f, w * f
    ph, pw = max(((h - 1) * s + f - oh) // 2, 0), max(((w - 1) * s + f - ow) // 2, 0)
    out = np.zeros((oh, ow, c))
    for y in range(h):
        for xx in range(w):
            for ch in range(c):
                i = int(indices[y, xx, ch])
                oy, ox = y * s - ph + i // f, xx * s - pw + i % f
                if 0 <= oy < oh and 0 <= ox < ow:
                    out[oy, ox, ch] = x[y, xx, ch]
    return out


def reference(x, weights):
    (w3, b3), (w1, b1) = weights[3], weights[1]
    y = conv_same(x.astype(np.float64), w3, b3)
    (fa, sa, _), (fb, sb, _) = POOLS
    va, ia = pool_argmax(y, fa, sa)
    va = np.maximum(va, 0)   # pool A's RELU
    a = unpool(conv_same(va, w1, b1), ia, fa, sa)
    vb, ib = pool_argmax(y, fb, sb)
    b = unpool(vb, ib, fb, sb)
    return a.astype(np.float32), b.astype(np.float32)


def main():
    keras.utils.set_random_seed(SEED)
    net = network()
    net(*[tf.zeros(s) for s in SHAPES])
    blob, weights = rewrite(fx.convert(net, SHAPES, False, "float32", SEED))
    (OUT / "models" / f"{NAME}.float.tflite").write_bytes(blob)
    x = np.random.default_rng(SEED).uniform(-1.5, 1.5, (SAMPLES, *SHAPES[0])).astype(np.float32)
    outs = [reference(sample[0], weights) for sample in x]
    np.save(OUT / "golden" / f"{NAME}.eval.in0.npy", x)
    for k in range(2):
        y = np.stack([o[k] for o in outs])[:, None]
        np.save(OUT / "golden" / f"{NAME}.eval.float.out{k}.npy", y)
        print(f"output {k}: {y.shape}, |y| ≤ {np.abs(y).max():.3f}, {np.mean(y != 0):.2%} nonzero")


if __name__ == "__main__":
    main()
