// Float NCHW model input → int8 NHWC (the fused Quantize + Transpose of SparrowKernels'
// QuantizeTranspose.swift) on AVX2, bit-identical to its twin `quantizeTransposeF32ToS8Scalar`:
// x / scale in Float (`vdivps`, IEEE like the scalar division), rounded, + zero point, saturated,
// NaN → the zero point. The quotient is first clamped to ±2^30 (any value beyond saturates
// anyway), so the conversion to int32 is exact: ties to even by `vcvtps2dq` (MXCSR's default
// round-to-nearest-even, which Swift code never changes), ties away from zero by truncation plus
// one step where |fraction| ≥ 0.5 (the fraction q − trunc(q) is exact in Float). NaN is found on
// the bit pattern (`_mm256_cmp_ps` is a macro Swift cannot import). Eight pixels per step, one
// channel plane at a time, scattered to their NHWC places; the last pixels % 8 go to the caller.
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Quantizes pixels 0 ..< pixels & ~7 of each image (`batches` × `channels` planes of `pixels`
/// floats) into NHWC `output`; returns how many pixels per image it did. Callers must have
/// checked that the CPU has AVX2.
public func quantizeTransposeF32ToS8AVX2(batches: Int, channels: Int, pixels: Int, input: UnsafePointer<Float>, scale: Float,
                                         zeroPoint: Int32, roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) -> Int {
    let done = pixels & ~7
    let divisor = _mm256_set1_ps(scale)
    let limit = _mm256_set1_ps(1_073_741_824), negativeLimit = _mm256_set1_ps(-1_073_741_824)   // ±2^30
    let zero = _mm256_set1_epi32(zeroPoint)
    let fallback = _mm256_set1_epi32(min(max(zeroPoint, -128), 127))
    let lower = _mm256_set1_epi32(-128), upper = _mm256_set1_epi32(127)
    let absMask = _mm256_set1_epi32(Int32.max), infinityBits = _mm256_set1_epi32(0x7F80_0000)
    let halfBitsMinusOne = _mm256_set1_epi32(0x3F00_0000 - 1), one = _mm256_set1_epi32(1)
    @inline(__always)
    func quantize8(_ p: UnsafePointer<Float>) -> UInt64 {
        let x = UnsafeRawPointer(p).loadUnaligned(as: __m256.self)
        let q = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(x, divisor), negativeLimit), limit)   // NaN → the limit; masked below
        var r: __m256i
        if roundHalfAway {
            let t = _mm256_cvttps_epi32(q)
            let fraction = _mm256_castps_si256(_mm256_sub_ps(q, _mm256_cvtepi32_ps(t)))
            let atLeastHalf = _mm256_cmpgt_epi32(_mm256_and_si256(fraction, absMask), halfBitsMinusOne)
            let step = _mm256_or_si256(_mm256_srai_epi32(_mm256_castps_si256(q), 31), one)   // ±1 by q's sign
            r = _mm256_add_epi32(t, _mm256_and_si256(atLeastHalf, step))
        } else {
            r = _mm256_cvtps_epi32(q)
        }
        r = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(r, zero), lower), upper)
        let isNaN = _mm256_cmpgt_epi32(_mm256_and_si256(_mm256_castps_si256(x), absMask), infinityBits)
        r = _mm256_blendv_epi8(r, fallback, isNaN)
        let words = _mm_packs_epi32(r.lowHalf, r.highHalf)
        return UInt64(bitPattern: _mm_cvtsi128_si64(_mm_packs_epi16(words, words)))
    }
    for n in 0..<batches {
        let image = input + n &* channels &* pixels, out = output + n &* channels &* pixels
        var p = 0
        while p < done {
            if channels == 1 {
                UnsafeMutableRawPointer(out + p).storeBytes(of: quantize8(image + p), as: UInt64.self)
            } else {
                for c in 0..<channels {
                    var bytes = quantize8(image + (c &* pixels &+ p))
                    var o = out + (p &* channels &+ c)
                    for _ in 0..<8 {
                        o.pointee = Int8(truncatingIfNeeded: bytes)
                        bytes &>>= 8
                        o += channels
                    }
                }
            }
            p &+= 8
        }
    }
    return done
}
#endif
