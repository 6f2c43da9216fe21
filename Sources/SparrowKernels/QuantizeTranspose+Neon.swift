// quantize-transpose-f32-s8-neon (aarch64): 16 pixels per step. Per channel plane: four `ldp q`
// loads, `fdiv` (x / scale, correctly rounded like the scalar division), `frintn` (ties to even)
// or `frinta` (ties away), `fadd` zp, `fmax`/`fmin` to [−128, 127], `fcvtzs`, NaN lanes replaced by
// the zero point (`fcmeq` + `bsl`), `xtn` twice. The channel vectors are interleaved to NHWC with
// `tbl` (three channels: 3 × `tbl` of three registers, the RGB case) or stored directly (one
// channel); other channel counts store lane by lane. armv7 has no vector divide, so it keeps the
// portable twin (a reciprocal multiply would not round like the division).

#if arch(arm64)
import _Builtin_intrinsics.arm.neon

let quantizeTransposeNeonIsCompiled = true

private struct QuantizeVector {
    var scale: float32x4_t, zero: float32x4_t, lower: float32x4_t, upper: float32x4_t
    var fallback: int32x4_t
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

    @inline(__always)
    func one(_ x: float32x4_t) -> int32x4_t {
        let q = vdivq_f32(x, scale)
        let v = vaddq_f32(roundHalfAway ? vrndaq_f32(q) : vrndnq_f32(q), zero)
        let clamped = vcvtq_s32_f32(vminq_f32(vmaxq_f32(v, lower), upper))
        return vbslq_s32(vceqq_f32(v, v), clamped, fallback)   // v ≠ v only for NaN
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
    let q = QuantizeVector(scale: vdupq_n_f32(scale), zero: vdupq_n_f32(element.zero), lower: vdupq_n_f32(-128),
                           upper: vdupq_n_f32(127), fallback: vdupq_n_s32(Int32(element.fallback)), roundHalfAway: roundHalfAway)
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
#else
let quantizeTransposeNeonIsCompiled = false

/// Not in this build (no aarch64 target): the portable twin.
func quantizeTransposeF32ToS8Neon(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float,
                                  zeroPoint: Int32, roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) {
    quantizeTransposeF32ToS8Scalar(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                   output: output)
}
#endif
