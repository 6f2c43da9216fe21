// quantize-transpose-f32-s8-neon (aarch64): 16 pixels per step. Per channel plane: four `ldp q`
// loads, `fdiv` (x / scale, correctly rounded like the scalar division), `frintn` (ties to even)
// or `frinta` (ties away), `fmax`/`fmin` to [−128 − zp, 127 − zp], `fcvtzs` (NaN → 0), `add` zp,
// `xtn` twice. The channel vectors are interleaved to NHWC with
// `tbl` (three channels: 3 × `tbl` of three registers, the RGB case) or stored directly (one
// channel); other channel counts store lane by lane. armv7 has no vector divide: its kernel (below)
// multiplies by the reciprocal and redoes by the scalar rule the lanes where that could round
// differently.

#if arch(arm64)
import _Builtin_intrinsics.arm.neon

let quantizeTransposeNeonIsCompiled = true

private struct QuantizeVector {
    var scale: float32x4_t, zero: int32x4_t, lower: float32x4_t, upper: float32x4_t
    var roundHalfAway: Bool

    /// 16 floats at `p` → 16 int8 codes.
    @inline(__always)
    func codes(_ p: UnsafePointer<Float>) -> int8x16_t {
        let raw = UnsafeRawPointer(p)
        let a = one(raw.loadUnaligned(as: float32x4_t.self)), b = one(raw.loadUnaligned(fromByteOffset: 16, as: float32x4_t.self))
        let c = one(raw.loadUnaligned(fromByteOffset: 32, as: float32x4_t.self))
        let d = one(raw.loadUnaligned(fromByteOffset: 48, as: float32x4_t.self))
        // In range already: plain narrowing.
        return vcombine_s8(vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b))), vmovn_s16(vcombine_s16(vmovn_s32(c), vmovn_s32(d))))
    }

    /// round(x / scale) clamped to [−128 − zp, 127 − zp] in float, converted, + zp in int32: the
    /// scalar rule's clamp(round(x / scale) + zp) (the float sum is exact wherever it is not clamped
    /// anyway: |round| < 2^24). NaN passes `fmax`/`fmin` as NaN and `fcvtzs` makes it 0, so it
    /// comes out as zp, the scalar rule's fallback (callers check zp is an int8).
    @inline(__always)
    func one(_ x: float32x4_t) -> int32x4_t {
        let q = vdivq_f32(x, scale)
        let r = roundHalfAway ? vrndaq_f32(q) : vrndnq_f32(q)
        return vaddq_s32(vcvtq_s32_f32(vminq_f32(vmaxq_f32(r, lower), upper)), zero)
    }
}

/// Byte j of 48 interleaved RGB bytes is channel j % 3 of pixel j / 3: `tbl` index (j % 3)·16 + j / 3,
/// for bytes 16·`part` ..< 16·`part` + 16 (built from two words: an array literal would allocate).
@inline(__always)
private func rgbIndex(_ part: Int) -> uint8x16_t {
    let words: SIMD2<UInt64> = part == 0 ? SIMD2(0x1202211101201000, 0x0524140423130322)
        : part == 1 ? SIMD2(0x2717072616062515, 0x1A0A291909281808) : SIMD2(0x0D2C1C0C2B1B0B2A, 0x2F1F0F2E1E0E2D1D)
    return unsafeBitCast(words, to: uint8x16_t.self)
}

func quantizeTransposeF32ToS8Neon(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float,
                                  zeroPoint: Int32, roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) {
    let element = QuantizeElement(scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway)
    guard zeroPoint >= -128 && zeroPoint <= 127 else {   // not an int8 zero point: the scalar rule throughout
        quantizeTransposeF32ToS8Scalar(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                       output: output)
        return
    }
    let q = QuantizeVector(scale: vdupq_n_f32(scale), zero: vdupq_n_s32(zeroPoint), lower: vdupq_n_f32(Float(-128 &- zeroPoint)),
                           upper: vdupq_n_f32(Float(127 &- zeroPoint)), roundHalfAway: roundHalfAway)
    let c = s.channels, plane = s.pixels
    let index0 = rgbIndex(0), index1 = rgbIndex(1), index2 = rgbIndex(2)
    for n in 0..<s.batches {
        let image = input + n &* c &* plane, out = output + n &* c &* plane
        var p = 0
        while p &+ 16 <= plane {
            let o = UnsafeMutableRawPointer(out + p &* c)
            if c == 1 {
                o.storeBytes(of: q.codes(image + p), as: int8x16_t.self)
            } else if c == 3 {
                let rgb = int8x16x3_t(val: (q.codes(image + p), q.codes(image + (plane &+ p)), q.codes(image + (2 &* plane &+ p))))
                o.storeBytes(of: vqtbl3q_s8(rgb, index0), as: int8x16_t.self)
                o.storeBytes(of: vqtbl3q_s8(rgb, index1), toByteOffset: 16, as: int8x16_t.self)
                o.storeBytes(of: vqtbl3q_s8(rgb, index2), toByteOffset: 32, as: int8x16_t.self)
            } else {
                for ch in 0..<c {
                    let v = q.codes(image + (ch &* plane &+ p))
                    for j in 0..<16 { out[(p &+ j) &* c &+ ch] = v[j] }
                }
            }
            p &+= 16
        }
        while p < plane {   // the last < 16 pixels
            for ch in 0..<c { out[p &* c &+ ch] = element.apply(image[ch &* plane &+ p]) }
            p &+= 1
        }
    }
}
#elseif arch(arm)
// quantize-transpose-f32-s8-neon on armv7 (AArch32 NEON has no vector divide): x times two
// reciprocals instead of x / scale, used only where that provably gives the scalar rule's code.
// r = 1/scale is rounded once (scalar division), then rLow = fl(r·(1 − 2^-20)) and
// rHigh = fl(r·(1 + 2^-20)); scale ∈ [2^-120, 2^120] keeps them normal. With four roundings of
// at most 2^-24 each, x·rLow and x·rHigh (rounded) lie strictly on either side of
// Q = fl(x / scale), at a relative distance ≥ 2^-21 from x / scale, which Q is within 2^-24 of
// (results below 2^-126 only occur when |Q| < 0.5, where every value rounds to 0). Rounding to an
// integer (`vcvtn`: ties to even, `vcvta`: ties away, saturating) is monotone, so when both ends
// round to the same integer, so does Q: that integer is the code's (then saturating narrowing with
// the zero point, as `clampToS8`). NaN converts to 0 at both ends, giving the zero point, as the
// rule does. x is first clamped to ±fl(2048·scale): that only moves values whose code saturates
// anyway (x / scale beyond ±2047.9, zero point within ±128), and keeps the two ends of huge values
// from differing (their gap grows with |x|: garbage or out-of-range inputs would all fall back). Where the ends differ (x / scale within ≈ 2^-20 relative of a rounding tie, or at
// the int32 limit) the 16 pixels are redone by the scalar rule. The twin stays the oracle
// (battery: ties, their neighbours, non-power-of-two scales).
import _Builtin_intrinsics.arm.neon

let quantizeTransposeNeonIsCompiled = true

private struct QuantizeVectorArmv7 {
    var low: float32x4_t, high: float32x4_t
    /// ±2048·scale: x is clamped to these first (see `one`).
    var lower: float32x4_t, upper: float32x4_t
    var zero: int16x8_t
    var roundHalfAway: Bool

    /// 16 floats at `p` → 16 codes; `sure` loses the lanes the vector may get wrong.
    @inline(__always)
    func codes(_ p: UnsafePointer<Float>, _ sure: inout uint32x4_t) -> int8x16_t {
        let raw = UnsafeRawPointer(p)
        let a = one(raw.loadUnaligned(as: float32x4_t.self), &sure)
        let b = one(raw.loadUnaligned(fromByteOffset: 16, as: float32x4_t.self), &sure)
        let c = one(raw.loadUnaligned(fromByteOffset: 32, as: float32x4_t.self), &sure)
        let d = one(raw.loadUnaligned(fromByteOffset: 48, as: float32x4_t.self), &sure)
        let ab = vqaddq_s16(vcombine_s16(vqmovn_s32(a), vqmovn_s32(b)), zero)
        let cd = vqaddq_s16(vcombine_s16(vqmovn_s32(c), vqmovn_s32(d)), zero)
        return vcombine_s8(vqmovn_s16(ab), vqmovn_s16(cd))
    }

    @inline(__always)
    func one(_ x: float32x4_t, _ sure: inout uint32x4_t) -> int32x4_t {
        // Far outside the int8 range both ends would differ (their gap grows with |x|) though the
        // code saturates either way: clamped, x / scale ≈ ±2048 gives the same saturated code.
        let xc = vminq_f32(vmaxq_f32(x, lower), upper)   // NaN stays NaN (→ 0 → the zero point)
        let lo = vmulq_f32(xc, low), hi = vmulq_f32(xc, high)
        let a = roundHalfAway ? vcvtaq_s32_f32(lo) : vcvtnq_s32_f32(lo)
        let b = roundHalfAway ? vcvtaq_s32_f32(hi) : vcvtnq_s32_f32(hi)
        sure = vandq_u32(sure, vceqq_s32(a, b))
        return a
    }
}

/// Output byte j of 24 interleaved RGB bytes is channel j % 3 of pixel j / 3: `vtbl3` index
/// (j % 3)·8 + j / 3 into {R, G, B} (8 pixels each), bytes 8·`part` ..< 8·`part` + 8.
@inline(__always)
private func rgbIndex8(_ part: Int) -> int8x8_t {
    let word: UInt64 = part == 0 ? 0x0A02_1109_0110_0800 : part == 1 ? 0x0514_0C04_130B_0312 : 0x170F_0716_0E06_150D
    return unsafeBitCast(word, to: int8x8_t.self)
}

func quantizeTransposeF32ToS8Neon(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float,
                                  zeroPoint: Int32, roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) {
    let element = QuantizeElement(scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway)
    // Outside these ranges the proof above does not hold: the twin.
    guard scale >= 0x1p-120 && scale <= 0x1p120 && zeroPoint >= -128 && zeroPoint <= 127 else {
        quantizeTransposeF32ToS8Scalar(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                       output: output)
        return
    }
    let r = 1 / scale
    let bound = 2048 * scale
    let q = QuantizeVectorArmv7(low: vdupq_n_f32(r * (1 - 0x1p-20)), high: vdupq_n_f32(r * (1 + 0x1p-20)),
                                lower: vdupq_n_f32(-bound), upper: vdupq_n_f32(bound),
                                zero: vdupq_n_s16(Int16(zeroPoint)), roundHalfAway: roundHalfAway)
    // One loop per rounding rule (a constant, so no branch or spill inside the loop).
    if roundHalfAway {
        quantizeTransposeArmv7TiesAway(s, input: input, q: q, element: element, output: output)
    } else {
        quantizeTransposeArmv7TiesEven(s, input: input, q: q, element: element, output: output)
    }
}

@inline(never)
private func quantizeTransposeArmv7TiesAway(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, q: QuantizeVectorArmv7,
                                            element: QuantizeElement, output: UnsafeMutablePointer<Int8>) {
    quantizeTransposeArmv7(s, input: input, q: q, element: element, output: output, roundHalfAway: true)
}

@inline(never)
private func quantizeTransposeArmv7TiesEven(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, q: QuantizeVectorArmv7,
                                            element: QuantizeElement, output: UnsafeMutablePointer<Int8>) {
    quantizeTransposeArmv7(s, input: input, q: q, element: element, output: output, roundHalfAway: false)
}

@inline(__always)
private func quantizeTransposeArmv7(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, q: QuantizeVectorArmv7,
                                    element: QuantizeElement, output: UnsafeMutablePointer<Int8>, roundHalfAway: Bool) {
    var q = q
    q.roundHalfAway = roundHalfAway
    let c = s.channels, plane = s.pixels
    let index0 = rgbIndex8(0), index1 = rgbIndex8(1), index2 = rgbIndex8(2)
    let all = vdupq_n_u32(0xFFFF_FFFF)
    for n in 0..<s.batches {
        let image = input + n &* c &* plane, out = output + n &* c &* plane
        var p = 0
        while p &+ 16 <= plane {
            let o = UnsafeMutableRawPointer(out + p &* c)
            var sure = all
            if c == 1 {
                o.storeBytes(of: q.codes(image + p, &sure), as: int8x16_t.self)
            } else if c == 3 {
                let r = q.codes(image + p, &sure), g = q.codes(image + (plane &+ p), &sure)
                let b = q.codes(image + (2 &* plane &+ p), &sure)
                let low = int8x8x3_t(val: (vget_low_s8(r), vget_low_s8(g), vget_low_s8(b)))
                let high = int8x8x3_t(val: (vget_high_s8(r), vget_high_s8(g), vget_high_s8(b)))
                o.storeBytes(of: vcombine_s8(vtbl3_s8(low, index0), vtbl3_s8(low, index1)), as: int8x16_t.self)
                o.storeBytes(of: vcombine_s8(vtbl3_s8(low, index2), vtbl3_s8(high, index0)), toByteOffset: 16, as: int8x16_t.self)
                o.storeBytes(of: vcombine_s8(vtbl3_s8(high, index1), vtbl3_s8(high, index2)), toByteOffset: 32, as: int8x16_t.self)
            } else {
                for ch in 0..<c {
                    let v = q.codes(image + (ch &* plane &+ p), &sure)
                    for j in 0..<16 { out[(p &+ j) &* c &+ ch] = v[j] }
                }
            }
            if unsafeBitCast(vmovn_u32(sure), to: UInt64.self) != UInt64.max {   // rare: a lane next to a rounding tie
                for j in 0..<16 {
                    for ch in 0..<c { out[(p &+ j) &* c &+ ch] = element.apply(image[ch &* plane &+ p &+ j]) }
                }
            }
            p &+= 16
        }
        while p < plane {   // the last < 16 pixels
            for ch in 0..<c { out[p &* c &+ ch] = element.apply(image[ch &* plane &+ p]) }
            p &+= 1
        }
    }
}
#else
let quantizeTransposeNeonIsCompiled = false

/// Not in this build (no ARM target): the portable twin.
func quantizeTransposeF32ToS8Neon(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float,
                                  zeroPoint: Int32, roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) {
    quantizeTransposeF32ToS8Scalar(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                   output: output)
}
#endif
