#!/usr/bin/env python3
"""Check, operator by operator, that the integer arithmetic the TFLite importer plans to use
(Docs/tflite-import.md) reproduces LiteRT's reference kernels byte for byte.

For every int8 fixture, runs LiteRT (BUILTIN_REF) on the golden inputs with all intermediate
tensors preserved, then recomputes each operator's output from its actual int8 inputs with a
numpy model of the planned arithmetic (gemmlowp-style multiplier/shift, TFLite's activation
ranges, float lookup tables, ...) and counts equal bytes. Operators without a model here are
listed as "not modelled". This is a design check, not part of CI: the Swift importer's own tests
compare Sparrow's outputs with the committed goldens.

    python3 Tests/Fixtures/tflite/check_int8_arithmetic.py
"""

from __future__ import annotations

import collections
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
from tensorflow.lite.python import schema_py_generated as schema

HERE = Path(__file__).resolve().parent
# Every operator matches LiteRT with gemmlowp's double rounding except FULLY_CONNECTED, whose
# outputs match single rounding (see Docs/tflite-import.md). `--double-fc` uses double rounding
# for FULLY_CONNECTED too, to show the difference.
ROUNDING = "double"
FC_ROUNDING = "double" if "--double-fc" in sys.argv else "single"
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


# ---------------------------------------------------------------------------------------------
# gemmlowp / TFLite fixed-point primitives, on int64 numpy arrays holding int32 values
# ---------------------------------------------------------------------------------------------

def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    q = (ab + nudge)
    r = np.where(q >= 0, q >> 31, -((-q) >> 31))  # division truncating toward zero
    return np.where((a == I32_MIN) & (b == I32_MIN), I32_MAX, r)


def rdbpot_np(x, e):
    return rdbpot(x, e)


def rdbpot(x, e):
    """RoundingDivideByPOT."""
    x = np.asarray(x, np.int64)
    e = np.asarray(e, np.int64)
    mask = (np.int64(1) << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def quantize_multiplier(d):
    """QuantizeMultiplier: d = m * 2^(shift - 31), m in [2^30, 2^31)."""
    if d == 0:
        return 0, 0
    q, shift = np.frexp(d)
    m = int(np.sign(q) * np.floor(abs(q) * (1 << 31) + 0.5))  # TfLiteRound: half away from zero
    if abs(m) == 1 << 31:
        m //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return m, int(shift)


def mbqm(x, m, s):
    """MultiplyByQuantizedMultiplier. `mbqm_single`: one rounding,
    (x·m + 2^(30 − shift)) >> (31 − shift), ties toward +∞. (The gemmlowp double rounding,
    SRDHM then RDBPOT, is `mbqm_double`; it differs on near-ties.)"""
    if ROUNDING == "double":
        return mbqm_double(x, m, s)
    return mbqm_single(x, m, s)


def mbqm_single(x, m, s):
    x = np.asarray(x, np.int64)
    m = np.asarray(m, np.int64)
    total = 31 - np.asarray(s, np.int64)
    return (x * m + (np.int64(1) << (total - 1))) >> total


def mbqm_double(x, m, s):
    """MultiplyByQuantizedMultiplier (gemmlowp double rounding)."""
    x = np.asarray(x, np.int64)
    m = np.asarray(m, np.int64)
    s = np.asarray(s, np.int64)
    left = np.maximum(s, 0)
    right = np.maximum(-s, 0)
    return rdbpot(srdhm(x * (np.int64(1) << left), m), right)


def round_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def act_range(act, scale, zp, qmin=-128, qmax=127):
    """CalculateActivationRangeQuantized: bounds quantized in float32, rounded half away."""
    q = lambda f: zp + int(round_away(np.float32(f) / np.float32(scale)))
    if act == 0:
        return qmin, qmax
    if act == 1:
        return max(qmin, zp), qmax
    if act == 3:
        return max(qmin, zp), min(qmax, q(6.0))
    if act == 2:
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"activation {act}")


# ---------------------------------------------------------------------------------------------
# Operator models
# ---------------------------------------------------------------------------------------------

def qp(t):
    q = t["quantization_parameters"]
    return np.asarray(q["scales"], np.float32), np.asarray(q["zero_points"], np.int64)


def same_pads(in_size, k, stride, dilation, out_size):
    eff = (k - 1) * dilation + 1
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2


def conv_acc(x, w, zx, stride, dil, pad_h, pad_w, out_hw, depthwise=False):
    """Σ (x − zx)·w over valid taps (padding contributes 0). x [N,H,W,C]; w OHWI or [1,kh,kw,C·m]."""
    n, h, wd, c = x.shape
    oh, ow = out_hw
    kh, kw = w.shape[1], w.shape[2]
    xs = x.astype(np.int64) - zx
    padded = np.zeros((n, h + 2 * kh * dil + 2 * pad_h, wd + 2 * kw * dil + 2 * pad_w, c), np.int64)
    padded[:, pad_h:pad_h + h, pad_w:pad_w + wd, :] = xs
    oc = w.shape[3] if depthwise else w.shape[0]
    acc = np.zeros((n, oh, ow, oc), np.int64)
    for i in range(kh):
        for j in range(kw):
            patch = padded[:, i * dil:i * dil + stride * oh:stride, j * dil:j * dil + stride * ow:stride, :]
            if depthwise:
                mult = oc // c
                acc += np.repeat(patch, mult, axis=3) * w[0, i, j, :].astype(np.int64)
            else:
                acc += np.einsum("nhwc,oc->nhwo", patch, w[:, i, j, :].astype(np.int64))
    return acc


def requant_per_channel(acc, in_scale, w_scales, out_scale, out_zp, act, float_product=False, single=False):
    ms = []
    for ws in w_scales:
        if float_product:
            # GetQuantizedConvolutionMultipler (per-tensor FULLY_CONNECTED): the product of the
            # input and filter scales is taken in float32, then divided in double.
            real = float(np.float32(in_scale) * np.float32(ws)) / float(out_scale)
        else:
            # PopulateConvolutionQuantizationParams: double(input) * double(filter) / double(output)
            real = float(in_scale) * float(ws) / float(out_scale)
        ms.append(quantize_multiplier(real))
    m = np.array([a for a, _ in ms], np.int64)
    s = np.array([b for _, b in ms], np.int64)
    if len(ms) == 1:
        m, s = m[0], s[0]
    lo, hi = act_range(act, out_scale, out_zp)
    return np.clip((mbqm_single if single else mbqm)(acc, m, s) + out_zp, lo, hi)


def model_conv(op, t, opts, depthwise=False):
    x, w, b, y = t["in"][0], t["in"][1], t["in"][2], t["out"][0]
    sx, zx = qp(x["d"]); sw, _ = qp(w["d"]); sy, zy = qp(y["d"])
    stride_h, stride_w = opts.strideH, opts.strideW
    dh, dw = opts.dilationHFactor, opts.dilationWFactor
    oh, ow = y["v"].shape[1:3]
    if opts.padding == 0:
        ph = same_pads(x["v"].shape[1], w["v"].shape[1], stride_h, dh, oh)
        pw = same_pads(x["v"].shape[2], w["v"].shape[2], stride_w, dw, ow)
    else:
        ph = pw = 0
    assert stride_h == stride_w
    acc = conv_acc(x["v"], w["v"], int(zx[0]), stride_h, dh, ph, pw, (oh, ow), depthwise)
    if dh != dw:
        return None
    acc = acc + (b["v"].astype(np.int64) if b is not None else 0)
    return requant_per_channel(acc, sx[0], sw, sy[0], int(zy[0]), opts.fusedActivationFunction)


def model_fc(op, t, opts):
    x, w, b, y = t["in"][0], t["in"][1], t["in"][2], t["out"][0]
    sx, zx = qp(x["d"]); sw, _ = qp(w["d"]); sy, zy = qp(y["d"])
    xs = x["v"].reshape(-1, w["v"].shape[1]).astype(np.int64) - zx[0]
    acc = xs @ w["v"].astype(np.int64).T + (b["v"].astype(np.int64) if b is not None else 0)
    return requant_per_channel(acc, sx[0], sw, sy[0], int(zy[0]), opts.fusedActivationFunction,
                               float_product=len(sw) == 1, single=FC_ROUNDING == "single").reshape(y["v"].shape)


def model_add_sub(op, t, opts, sign):
    a, b, y = t["in"][0], t["in"][1], t["out"][0]
    s1, z1 = qp(a["d"]); s2, z2 = qp(b["d"]); so, zo = qp(y["d"])
    left = 20
    twice_max = 2 * max(float(s1[0]), float(s2[0]))
    m1, sh1 = quantize_multiplier(float(s1[0]) / twice_max)
    m2, sh2 = quantize_multiplier(float(s2[0]) / twice_max)
    mo, sho = quantize_multiplier(twice_max / ((1 << left) * float(so[0])))
    x1 = mbqm((a["v"].astype(np.int64) - z1[0]) << left, m1, sh1)
    x2 = mbqm((b["v"].astype(np.int64) - z2[0]) << left, m2, sh2)
    lo, hi = act_range(opts.fusedActivationFunction, so[0], int(zo[0]))
    return np.clip(mbqm(x1 + sign * x2, mo, sho) + zo[0], lo, hi)


def model_mul(op, t, opts):
    a, b, y = t["in"][0], t["in"][1], t["out"][0]
    s1, z1 = qp(a["d"]); s2, z2 = qp(b["d"]); so, zo = qp(y["d"])
    m, s = quantize_multiplier(float(s1[0]) * float(s2[0]) / float(so[0]))
    prod = (a["v"].astype(np.int64) - z1[0]) * (b["v"].astype(np.int64) - z2[0])
    lo, hi = act_range(opts.fusedActivationFunction, so[0], int(zo[0]))
    return np.clip(mbqm(prod, m, s) + zo[0], lo, hi)


def model_pool(op, t, opts, kind):
    x, y = t["in"][0], t["out"][0]
    so, zo = qp(y["d"])
    n, h, w, c = x["v"].shape
    oh, ow = y["v"].shape[1:3]
    fh, fw, sh, sw = opts.filterHeight, opts.filterWidth, opts.strideH, opts.strideW
    ph = same_pads(h, fh, sh, 1, oh) if opts.padding == 0 else 0
    pw = same_pads(w, fw, sw, 1, ow) if opts.padding == 0 else 0
    out = np.zeros(y["v"].shape, np.int64)
    xv = x["v"].astype(np.int64)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * sh - ph, j * sw - pw
            win = xv[:, max(h0, 0):min(h0 + fh, h), max(w0, 0):min(w0 + fw, w), :]
            if kind == "max":
                out[:, i, j, :] = win.max(axis=(1, 2))
            else:
                cnt = win.shape[1] * win.shape[2]
                s = win.sum(axis=(1, 2))
                # Round half away from zero, C division truncating toward zero.
                q = np.where(s > 0, s + cnt // 2, s - cnt // 2)
                out[:, i, j, :] = np.sign(q) * (np.abs(q) // cnt)
    lo, hi = act_range(opts.fusedActivationFunction, so[0], int(zo[0]))
    return np.clip(out, lo, hi)


def model_mean(op, t, opts):
    x, y = t["in"][0], t["out"][0]
    axes = tuple(int(a) for a in t["in"][1]["v"].reshape(-1))
    sx, zx = qp(x["d"]); so, zo = qp(y["d"])
    count = int(np.prod([x["v"].shape[a] for a in axes]))
    s = (x["v"].astype(np.int64) - zx[0]).sum(axis=axes, keepdims=True)
    # Observed on the goldens (exact on every MEAN instance; rescale-then-divide is not):
    # (m, shift) = quantizeMultiplier(si / so); 1/count is folded in as
    # m' = (m << k) / count (integer division), shift' = shift − k, k = floor(log2(count)).
    m, sh = quantize_multiplier(float(sx[0]) / float(so[0]))
    k = count.bit_length() - 1
    r = mbqm(s, (m << k) // count, sh - k)
    return np.clip(r + zo[0], -128, 127).reshape(y["v"].shape)


def lut(x, y, f):
    """LUTPopulate<int8>: float32 arithmetic, multiply by 1/output_scale, round half away."""
    sx, zx = qp(x["d"]); so, zo = qp(y["d"])
    vals = np.arange(-128, 128, dtype=np.int64)
    deq = np.float32(sx[0]) * (vals - zx[0]).astype(np.float32)
    tr = f(deq.astype(np.float32)).astype(np.float32)
    inv = np.float32(1) / np.float32(so[0])
    q = round_away((tr * inv).astype(np.float32)).astype(np.float32) + np.float32(zo[0])
    table = np.clip(q.astype(np.int64), -128, 127)
    return table[x["v"].astype(np.int64) + 128]


def model_leaky(op, t, opts):
    x, y = t["in"][0], t["out"][0]
    sx, zx = qp(x["d"]); so, zo = qp(y["d"])
    mi, si = quantize_multiplier(float(sx[0]) / float(so[0]))
    ma, sa = quantize_multiplier(float(np.float32(opts.alpha)) * float(sx[0]) / float(so[0]))
    d = x["v"].astype(np.int64) - zx[0]
    r = np.where(d >= 0, mbqm(d, mi, si), mbqm(d, ma, sa))
    return np.clip(r + zo[0], -128, 127)


def model_relu(op, t, lo_f, hi_f):
    x, y = t["in"][0], t["out"][0]
    sx, zx = qp(x["d"]); so, zo = qp(y["d"])
    m, s = quantize_multiplier(float(sx[0]) / float(so[0]))
    r = mbqm(x["v"].astype(np.int64) - zx[0], m, s) + zo[0]
    lo = max(-128, int(zo[0]) + (0 if lo_f == 0 else int(round_away(np.float32(lo_f) / np.float32(so[0])))))
    hi = 127 if hi_f is None else min(127, int(zo[0]) + int(round_away(np.float32(hi_f) / np.float32(so[0]))))
    return np.clip(r, lo, hi)


def model_prelu(op, t, opts):
    x, a, y = t["in"][0], t["in"][1], t["out"][0]
    sx, zx = qp(x["d"]); sa, za = qp(a["d"]); so, zo = qp(y["d"])
    m1, s1 = quantize_multiplier(float(sx[0]) / float(so[0]))
    m2, s2 = quantize_multiplier(float(sx[0]) * float(sa[0]) / float(so[0]))
    d = x["v"].astype(np.int64) - zx[0]
    av = np.broadcast_to(a["v"].astype(np.int64) - za[0], d.shape)
    r = np.where(d >= 0, mbqm(d, m1, s1), mbqm(d * av, m2, s2))
    return np.clip(r + zo[0], -128, 127)


def model_requant(x, y):
    """QUANTIZE int8/uint8 -> int8/uint8: MBQM(x − zi, quantizeMultiplier(si/so)) + zo."""
    sx, zx = qp(x["d"]); so, zo = qp(y["d"])
    m, s = quantize_multiplier(float(sx[0]) / float(so[0]))
    lo, hi = (0, 255) if y["v"].dtype == np.uint8 else (-128, 127)
    return np.clip(mbqm(x["v"].astype(np.int64) - zx[0], m, s) + zo[0], lo, hi)


def model_concat(op, t, opts):
    """Each input rescaled into the output's parameters (identity when they match), joined."""
    y = t["out"][0]
    so, zo = qp(y["d"])
    parts = []
    for x in t["in"]:
        sx, zx = qp(x["d"])
        if sx[0] == so[0] and zx[0] == zo[0]:
            parts.append(x["v"].astype(np.int64))
        else:
            # reference_ops::ConcatenationWithScaling: float rescale, round half away.
            scale = np.float32(sx[0]) / np.float32(so[0])
            bias = -np.float32(zx[0]) * scale
            v = round_away(x["v"].astype(np.float32) * scale + bias).astype(np.int64) + zo[0]
            parts.append(np.clip(v, -128, 127))
    axis = opts.axis if opts.axis >= 0 else opts.axis + y["v"].ndim
    return np.concatenate(parts, axis=axis)


def model_transpose_conv(op, t, opts):
    """The planned lowering: insert stride−1 zero-point codes between input pixels, pad by
    k−1−pad, and run an ordinary convolution with the filter flipped spatially (OHWI, I = the
    transpose conv's input channels); then bias and per-channel requantization as CONV_2D."""
    w, x, y = t["in"][1], t["in"][2], t["out"][0]
    b = t["in"][3] if len(t["in"]) > 3 else None
    sx, zx = qp(x["d"]); sw, _ = qp(w["d"]); sy, zy = qp(y["d"])
    n, h, wd, c = x["v"].shape
    _, oh, ow, _ = y["v"].shape
    kh, kw = w["v"].shape[1:3]
    s_h, s_w = opts.strideH, opts.strideW
    # LiteRT's padding: that of a convolution from the output size back to the input size.
    pad_h = max((h - 1) * s_h + kh - oh, 0) // 2 if opts.padding == 0 else 0
    pad_w = max((wd - 1) * s_w + kw - ow, 0) // 2 if opts.padding == 0 else 0
    dil = np.zeros((n, (h - 1) * s_h + 1 + kh, (wd - 1) * s_w + 1 + kw, c), np.int64)
    dil[:, 0:(h - 1) * s_h + 1:s_h, 0:(wd - 1) * s_w + 1:s_w, :] = x["v"].astype(np.int64) - zx[0]
    flipped = w["v"][:, ::-1, ::-1, :]
    assert kh - 1 - pad_h >= 0 and kw - 1 - pad_w >= 0
    acc = conv_acc(dil, flipped, 0, 1, 1, kh - 1 - pad_h, kw - 1 - pad_w, (oh, ow))
    if b is not None:
        acc = acc + b["v"].astype(np.int64)
    return requant_per_channel(acc, sx[0], sw, sy[0], int(zy[0]), getattr(opts, "fusedActivationFunction", 0))


def model_pad(op, t, opts, v2):
    x, pads, y = t["in"][0], t["in"][1]["v"], t["out"][0]
    # PAD fills with the output zero point (real 0); PADV2 with its int8 constant.
    value = int(t["in"][2]["v"].reshape(-1)[0]) if v2 else int(qp(y["d"])[1][0])
    return np.pad(x["v"].astype(np.int64), [(int(a), int(b)) for a, b in pads], constant_values=value)


def nearest_index(out_index, in_size, out_size, align, half):
    """GetNearestNeighbor: float32 scale and offset, floor (or round with align_corners)."""
    scale = (np.float32(in_size - 1) / np.float32(out_size - 1)) if (align and out_size > 1) \
        else np.float32(in_size) / np.float32(out_size)
    v = (np.float32(out_index) + np.float32(0.5 if half else 0)) * scale
    i = int(round_away(v)) if align else int(np.floor(v))
    i = min(i, in_size - 1)
    return max(i, 0) if half else i


def model_resize_nearest(op, t, opts):
    x, y = t["in"][0]["v"], t["out"][0]["v"]
    _, h, w, _ = x.shape
    _, oh, ow, _ = y.shape
    ys = [nearest_index(i, h, oh, opts.alignCorners, opts.halfPixelCenters) for i in range(oh)]
    xs = [nearest_index(j, w, ow, opts.alignCorners, opts.halfPixelCenters) for j in range(ow)]
    return x[:, ys][:, :, xs]


def model_resize_bilinear(op, t, opts):
    """ResizeBilinearInteger: 10-bit fixed-point source coordinates, int64 weighted sum of the
    four raw int8 neighbours, divided by 2^20 rounding half away from zero."""
    x, y = t["in"][0]["v"].astype(np.int64), t["out"][0]["v"]
    _, h, w, _ = x.shape
    _, oh, ow, _ = y.shape

    def scale10(i, o):
        if opts.alignCorners and o > 1:
            return ((1 << 10) * (i - 1) + (o - 1) // 2) // (o - 1)
        return ((1 << 10) * i + o // 2) // o

    def coords(out_size, in_size, sc):
        res = []
        for v in range(out_size):
            sv = v * sc + sc // 2 - (1 << 9) if opts.halfPixelCenters else v * sc
            lo = max(int(np.trunc(sv / 1024)), 0)
            hi = min((sv + 1023) // 1024 if sv >= 0 else int(np.trunc((sv + 1023) / 1024)), in_size - 1)
            res.append((sv, lo, hi))
        return res
    out = np.zeros(y.shape, np.int64)
    for i, (iy, y0, y1) in enumerate(coords(oh, h, scale10(h, oh))):
        for j, (ix, x0, x1) in enumerate(coords(ow, w, scale10(w, ow))):
            dy, dx = iy - 1024 * y0, ix - 1024 * x0
            o20 = (x[:, y0, x0] * (1024 - dy) * (1024 - dx) + x[:, y1, x0] * dy * (1024 - dx)
                   + x[:, y0, x1] * (1024 - dy) * dx + x[:, y1, x1] * dy * dx)
            r = np.where(o20 > 0, o20 + (1 << 19), o20 - (1 << 19))
            out[:, i, j] = np.sign(r) * (np.abs(r) >> 20)
    return out


def model_strided_slice(op, t, opts):
    """Python slicing with TF's masks (no ellipsis / new-axis masks in these fixtures)."""
    x = t["in"][0]["v"]
    begin, end, strides = (t["in"][k]["v"].reshape(-1) for k in (1, 2, 3))
    if opts.ellipsisMask or opts.newAxisMask:
        return None
    index = []
    for d in range(x.ndim):
        if opts.shrinkAxisMask >> d & 1:
            index.append(int(begin[d]))
            continue
        b = None if opts.beginMask >> d & 1 else int(begin[d])
        e = None if opts.endMask >> d & 1 else int(end[d])
        index.append(slice(b, e, int(strides[d])))
    return x[tuple(index)]


def hard_swish_table(si, zi, so, zo):
    """The 256-entry table of LiteRT's int8 HARD_SWISH reference kernel (reference_ops::HardSwish,
    16-bit fixed point), evaluated on every input code: the table a lookup op would carry."""
    def sat16(v):
        return max(-32768, min(32767, v))

    def srdhm16(a, b):  # gemmlowp SaturatingRoundingDoublingHighMul on int16
        if a == b == -32768:
            return 32767
        ab = a * b
        nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
        q = ab + nudge
        return int(q / (1 << 15)) if q >= 0 else -int(-q // (1 << 15))

    def sdhm16(a, b):  # SaturatingDoublingHighMul (truncating)
        if a == b == -32768:
            return 32767
        ab = a * b
        return int(ab / (1 << 15)) if ab >= 0 else -((-ab) // (1 << 15))

    def rdbpot(x, e):
        return int(rdbpot_np(x, e))

    def down16(m32):
        return 32767 if m32 >= (1 << 31) - 1 - (1 << 15) else (m32 + (1 << 15)) >> 16
    hires = np.float32(1.0 / 128.0) * np.float32(si)
    out_m, out_e = quantize_multiplier(float(np.float32(hires / np.float32(so))))
    rel_m, rel_e = quantize_multiplier(float(np.float32(hires / np.float32(3.0 / 32768.0))))
    out_m16, rel_m16 = down16(out_m), down16(rel_m)
    table = []
    for q in range(-128, 128):
        v = q - zi
        hires_v = sat16(v * (1 << 7))
        pre_out = srdhm16(hires_v, out_m16)
        r = hires_v
        if rel_e > 0:
            r = sat16(r * (1 << (rel_e - 1)))
        r = srdhm16(r, rel_m16)
        if rel_e > 0:
            r = sat16(r * 2)
        if rel_e < 0:
            r = rdbpot(r, -rel_e)
        r = (r + (1 << 15)) >> 1
        o = rdbpot(sdhm16(r, pre_out), -out_e) + zo
        table.append(max(-128, min(127, o)))
    return np.array(table, np.int64)


def modelled(code, op, t, opts):
    name = code
    if name == "CONV_2D":
        return model_conv(op, t, opts)
    if name == "DEPTHWISE_CONV_2D":
        return model_conv(op, t, opts, depthwise=True)
    if name == "FULLY_CONNECTED":
        return model_fc(op, t, opts)
    if name == "ADD":
        return model_add_sub(op, t, opts, 1)
    if name == "SUB":
        return model_add_sub(op, t, opts, -1)
    if name == "MUL":
        return model_mul(op, t, opts)
    if name == "MAX_POOL_2D":
        return model_pool(op, t, opts, "max")
    if name == "AVERAGE_POOL_2D":
        return model_pool(op, t, opts, "avg")
    if name == "MEAN":
        return model_mean(op, t, opts)
    if name == "LOGISTIC":
        return lut(t["in"][0], t["out"][0], lambda v: np.float32(1) / (np.float32(1) + np.exp(-v)))
    if name == "TANH":
        return lut(t["in"][0], t["out"][0], np.tanh)
    if name == "LEAKY_RELU":
        return model_leaky(op, t, opts)
    if name == "RELU":
        return model_relu(op, t, 0, None)
    if name == "RELU6":
        return model_relu(op, t, 0, 6.0)
    if name == "PRELU":
        return model_prelu(op, t, opts)
    if name == "QUANTIZE" and t["in"][0]["v"].dtype != np.float32:
        return model_requant(t["in"][0], t["out"][0])
    if name == "QUANTIZE":
        # AffineQuantize: float32 division, round half away from zero, + zp, saturate.
        x, y = t["in"][0], t["out"][0]
        so, zo = qp(y["d"])
        q = round_away((x["v"] / np.float32(so[0])).astype(np.float32)).astype(np.int64) + zo[0]
        return np.clip(q, -128, 127)
    if name == "DEQUANTIZE":
        # (q − zp) · scale in float32; compared as raw float32 bits.
        x = t["in"][0]
        sx, zx = qp(x["d"])
        f = ((x["v"].astype(np.int32) - np.int32(zx[0])).astype(np.float32) * np.float32(sx[0])).astype(np.float32)
        return f
    if name == "CONCATENATION":
        return model_concat(op, t, opts)
    if name in ("MAXIMUM", "MINIMUM"):
        f = np.maximum if name == "MAXIMUM" else np.minimum
        return f(t["in"][0]["v"], t["in"][1]["v"])
    if name in ("RESHAPE",):
        return t["in"][0]["v"].reshape(t["out"][0]["v"].shape)
    if name == "TRANSPOSE_CONV":
        return model_transpose_conv(op, t, opts)
    if name in ("PAD", "PADV2"):
        return model_pad(op, t, opts, name == "PADV2")
    if name == "RESIZE_NEAREST_NEIGHBOR":
        return model_resize_nearest(op, t, opts)
    if name == "RESIZE_BILINEAR":
        return model_resize_bilinear(op, t, opts)
    if name == "STRIDED_SLICE":
        return model_strided_slice(op, t, opts)
    if name == "HARD_SWISH":
        x, y = t["in"][0], t["out"][0]
        sx, zx = qp(x["d"]); so, zo = qp(y["d"])
        return hard_swish_table(sx[0], int(zx[0]), so[0], int(zo[0]))[x["v"].astype(np.int64) + 128]
    if name == "ARG_MAX":
        return np.argmax(t["in"][0]["v"], axis=int(t["in"][1]["v"].reshape(-1)[0]))
    return None


def fc_rounding_experiment(samples=3000):
    """FULLY_CONNECTED's rounding, on a 256→64 layer converted per-channel and per-tensor and
    3 000 random int8 inputs: which requantization reproduces LiteRT BUILTIN_REF, counting the
    outputs where the candidates disagree. (`--fc-experiment`; needs tensorflow.)"""
    import tensorflow as tf
    rng = np.random.default_rng(5)
    w_f = tf.constant(rng.normal(0, 0.1, (256, 64)).astype(np.float32))
    b_f = tf.constant(rng.normal(0, 0.5, (64,)).astype(np.float32))
    fn = tf.function(lambda x: tf.matmul(x, w_f) + b_f,
                     input_signature=[tf.TensorSpec((1, 256), tf.float32)]).get_concrete_function()

    def reduced16(a, m, s):  # the int64-accumulator variant: 16-bit multiplier, one rounding
        m = np.asarray(m, np.int64)
        m16 = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
        total = 15 - np.asarray(s, np.int64)
        return (np.asarray(a, np.int64) * m16 + (np.int64(1) << (total - 1))) >> total
    for per_tensor in (False, True):
        conv = tf.lite.TFLiteConverter.from_concrete_functions([fn])
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, 256)).astype(np.float32)] for _ in range(32))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = conv.inference_output_type = tf.int8
        conv._experimental_disable_per_channel_quantization_for_dense_layers = per_tensor
        it = Interpreter(model_content=conv.convert(), experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        det = {d["index"]: d for d in it.get_tensor_details()}
        op = next(o for o in it._get_ops_details() if o["op_name"] == "FULLY_CONNECTED")
        (xi, wi, bi), yi = op["inputs"], op["outputs"][0]
        sx, zx = qp(det[xi]); sw, _ = qp(det[wi]); sy, zy = qp(det[yi])
        w, bias = it.get_tensor(wi).astype(np.int64), it.get_tensor(bi).astype(np.int64)
        ms = [quantize_multiplier(float(sx[0]) * float(s) / float(sy[0])) for s in sw]
        m, sh = np.array([a for a, _ in ms]), np.array([b for _, b in ms])
        hits = collections.Counter()
        differ = 0
        for _ in range(samples):
            x = rng.integers(-128, 128, (1, 256), dtype=np.int8)
            it.set_tensor(it.get_input_details()[0]["index"], x)
            it.invoke()
            y = it.get_tensor(yi).astype(np.int64)
            acc = (x.astype(np.int64) - zx[0]) @ w.T + bias
            outs = {name: np.clip(f(acc, m, sh) + zy[0], -128, 127)
                    for name, f in (("single", mbqm_single), ("double", mbqm_double), ("reduced16", reduced16))}
            for name, o in outs.items():
                hits[name] += int((o == y).sum())
            differ += int((outs["single"] != outs["double"]).sum())
        print(f"FULLY_CONNECTED {'per-tensor' if per_tensor else 'per-channel'}: {samples * 64} outputs, "
              f"{differ} where single and double rounding differ; equal to LiteRT: {dict(hits)}")


def main():
    if "--fc-experiment" in sys.argv:
        fc_rounding_experiment()
        return
    manifest = json.loads((HERE / "manifest.json").read_text())
    totals = collections.defaultdict(lambda: [0, 0])
    unmodelled = collections.Counter()
    for stem, entry in manifest["models"].items():
        if not stem.endswith(".int8"):
            continue
        blob = (HERE / entry["file"]).read_bytes()
        fb = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(blob, 0))
        codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in fb.operatorCodes]
        ops = fb.subgraphs[0].operators
        it = Interpreter(model_content=blob, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
        it.allocate_tensors()
        details = {d["index"]: d for d in it.get_tensor_details()}
        names = {o["index"]: o["op_name"] for o in it._get_ops_details()}
        inputs = [np.load(HERE / f) for f in entry["inputs"]]
        for n in range(inputs[0].shape[0]):
            for d, x in zip(it.get_input_details(), inputs):
                it.set_tensor(d["index"], x[n])
            it.invoke()

            def tensor(i):
                if i < 0:
                    return None
                return {"d": details[i], "v": it.get_tensor(i)}
            for k, op in enumerate(ops):
                t = {"in": [tensor(i) for i in op.inputs], "out": [tensor(i) for i in op.outputs]}
                try:
                    got = modelled(names[k], op, t, op.builtinOptions)
                except Exception as e:  # a model that does not apply: report, not crash
                    got = None
                    unmodelled[f"{names[k]} ({type(e).__name__}: {e})"] += 1 if n == 0 else 0
                if got is None:
                    if n == 0:
                        unmodelled[names[k]] += 1
                    continue
                want = t["out"][0]["v"]
                if want.dtype == np.float32:  # DEQUANTIZE: compare float32 bit patterns
                    equal = int((np.asarray(got, np.float32).reshape(want.shape).view(np.int32) == want.view(np.int32)).sum())
                else:
                    equal = int((np.asarray(got).astype(np.int64).reshape(want.shape) == want.astype(np.int64)).sum())
                totals[names[k]][0] += equal
                totals[names[k]][1] += want.size
    print(f"{'operator':24s} {'equal values':>14s} {'total':>10s}")
    for name, (eq, tot) in sorted(totals.items()):
        print(f"{name:24s} {eq:14d} {tot:10d}  {'EXACT' if eq == tot else f'{100 * eq / tot:.3f} %'}")
    print("not modelled (operator instances):", dict(unmodelled))


if __name__ == "__main__":
    main()
