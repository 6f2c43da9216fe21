// Same-shape int8 Add / Sub (MobileNetV2's residual Add) on AVX2, 16 elements per step, the
// NEON kernel's scheme (SparrowKernels' AddS8+Neon.swift) with the AVX2 requantization:
// x − z exactly in int16, widened to int32, each input rescaled (one saturating shift by
// leftShift + pre, which the caller's guard makes exact), summed in wrapping int32, rescaled to
// the output, narrowed like `clampToS8`. Byte-identical to the twin `addS8SameShapeScalar`.
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// `count` (a multiple of 16) elements. The shifts are the combined pre-shifts (leftShift +
/// max(shift, 0)) and post-shifts (min(shift, 0)); zero points and bounds are int8 values.
/// Callers must have checked that the CPU has AVX2.
public func addS8AVX2(zero1: Int8, zero2: Int8, multiplier1: Int32, pre1: Int32, post1: Int32,
                      multiplier2: Int32, pre2: Int32, post2: Int32, outputMultiplier: Int32, outputPre: Int32,
                      outputPost: Int32, outputZeroPoint: Int32, activationMin: Int8, activationMax: Int8, subtract: Bool,
                      _ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, count: Int) {
    let z1 = _mm256_set1_epi16(Int16(zero1)), z2 = _mm256_set1_epi16(Int16(zero2))
    // As per-channel constants (every lane the same). |x − z| ≤ 255 < 2^8, so an input's pre-shift
    // (leftShift + its positive shift, 20 in the usual scheme) cannot overflow up to 23; the
    // output's short path applies when its shift is a right shift.
    func constants(_ m: Int32, _ pre: Int32, _ post: Int32) -> RequantConstants8 {
        RequantConstants8(multiplier: _mm256_set1_epi32(m), pre: _mm256_set1_epi32(pre), post: _mm256_set1_epi32(post))
    }
    let q1 = constants(multiplier1, pre1, post1), q2 = constants(multiplier2, pre2, post2)
    let qo = constants(outputMultiplier, outputPre, outputPost)
    let exact1 = pre1 <= 23, exact2 = pre2 <= 23
    let stage = OutputStage(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    @inline(__always)
    func half(_ x: __m128i, _ w: __m128i) -> __m256i {
        let x32 = _mm256_cvtepi16_epi32(x), w32 = _mm256_cvtepi16_epi32(w)
        let s1 = exact1 ? q1.applyWithoutShiftOverflow(x32) : q1.apply(x32)
        let s2 = exact2 ? q2.applyWithoutShiftOverflow(w32) : q2.apply(w32)
        let raw = subtract ? _mm256_sub_epi32(s1, s2) : _mm256_add_epi32(s1, s2)
        return qo.apply(raw)
    }
    var i = 0
    while i < count {
        let va = _mm256_sub_epi16(_mm256_cvtepi8_epi16(UnsafeRawPointer(a + i).loadUnaligned(as: __m128i.self)), z1)
        let vb = _mm256_sub_epi16(_mm256_cvtepi8_epi16(UnsafeRawPointer(b + i).loadUnaligned(as: __m128i.self)), z2)
        let low = half(va.lowHalf, vb.lowHalf), high = half(va.highHalf, vb.highHalf)
        UnsafeMutableRawPointer(y + i).storeBytes(of: stage.narrow(low, high), as: __m128i.self)
        i &+= 16
    }
}
#endif
