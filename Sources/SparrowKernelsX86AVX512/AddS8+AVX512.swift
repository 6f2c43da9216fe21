// Same-shape int8 Add / Sub (MobileNetV2's residual Add) on AVX-512, 16 elements per step: the
// AVX2 kernel's scheme (SparrowKernelsX86/AddS8+AVX2.swift) with every requantization on 16 int32
// lanes at once (Requant16): x − z exact in int32, each input rescaled (one shift by leftShift +
// pre, exact under the caller's guard, then SRDHM and RDBPOT), summed in wrapping int32, rescaled
// to the output, clamped and narrowed like `clampToS8`. Byte-identical to the twin
// `addS8SameShapeScalar`. Callers must have checked AVX-512 F/BW/DQ/VL (CPUID).
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// `count` (a multiple of 16) elements, the parameters as `addS8AVX2` takes them.
public func addS8AVX512(zero1: Int8, zero2: Int8, multiplier1: Int32, pre1: Int32, post1: Int32,
                        multiplier2: Int32, pre2: Int32, post2: Int32, outputMultiplier: Int32, outputPre: Int32,
                        outputPost: Int32, outputZeroPoint: Int32, activationMin: Int8, activationMax: Int8, subtract: Bool,
                        _ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, count: Int) {
    let z1 = _mm512_set1_epi32(Int32(zero1)), z2 = _mm512_set1_epi32(Int32(zero2))
    @inline(__always)
    func constants(_ m: Int32, _ pre: Int32, _ post: Int32) -> Requant16 {
        Requant16(multiplier: _mm512_set1_epi32(m), pre: _mm512_set1_epi32(pre), post: _mm512_set1_epi32(post))
    }
    let q1 = constants(multiplier1, pre1, post1), q2 = constants(multiplier2, pre2, post2)
    let qo = constants(outputMultiplier, outputPre, outputPost)
    // |x − z| ≤ 255 < 2^8: a pre-shift up to 23 cannot overflow (the AVX2 kernel's rule).
    let exact1 = pre1 <= 23, exact2 = pre2 <= 23
    let stage = OutputStage16(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    var i = 0
    while i < count {
        let x = _mm512_sub_epi32(_mm512_cvtepi8_epi32(UnsafeRawPointer(a + i).loadUnaligned(as: __m128i.self)), z1)
        let w = _mm512_sub_epi32(_mm512_cvtepi8_epi32(UnsafeRawPointer(b + i).loadUnaligned(as: __m128i.self)), z2)
        let s1 = exact1 ? q1.applyWithoutShiftOverflow(x) : q1.general(x)
        let s2 = exact2 ? q2.applyWithoutShiftOverflow(w) : q2.general(w)
        let raw = subtract ? _mm512_sub_epi32(s1, s2) : _mm512_add_epi32(s1, s2)
        stage.store(qo.apply(raw), count: 16, to: y + i)
        i &+= 16
    }
}
#endif
