// Same-shape int8 Add / Sub (MobileNetV2's residual Add): 16 elements per NEON iteration,
// byte-identical to `AddOperation` (its portable twin `addS8SameShapeScalar`); AVX2 on x86 hosts
// (SparrowKernelsX86, AddS8+AVX2.swift), AVX-512 where CPUID reports it (SparrowKernelsX86AVX512);
// the twin on other targets and for the last count % 16 elements.
#if arch(arm64) || arch(arm)
import _Builtin_intrinsics.arm.neon
#endif

/// Selected by `addS8` when neither input broadcasts.
public func addS8SameShape(_ p: AddParams, input1: UnsafePointer<Int8>, input2: UnsafePointer<Int8>,
                           output: UnsafeMutablePointer<Int8>, count: Int) {
    var done = 0
#if arch(arm64) || arch(arm)
    if let k = AddNeonConstants(p) {
        done = count & ~15
        if p.subtract {
            addS8Neon16(k, subtract: true, input1, input2, output, count: done)
        } else {
            addS8Neon16(k, subtract: false, input1, input2, output, count: done)
        }
    }
#elseif arch(x86_64)
    let cpu = CPUFeatures.thisBuild
    if cpu.avx2 && addS8AVX2Applies(p) {   // the AVX-512 kernel has the same guard
        done = count & ~15
        addS8X86Call(p, input1, input2, output, count: done, avx512: cpu.avx512Vnni)
    }
#endif
    addS8SameShapeScalar(p, input1: input1 + done, input2: input2 + done, output: output + done, count: count - done)
}

#if arch(arm64) || arch(arm)
/// The parameters as vectors, or nil where the vector path would not be byte-identical (outside
/// the verifier's ranges, or leftShift + an input's positive shift > 31): those run the twin.
struct AddNeonConstants {
    var zero1: int8x8_t, zero2: int8x8_t
    var m1: int32x4_t, pre1: int32x4_t, post1: int32x4_t
    var m2: int32x4_t, pre2: int32x4_t, post2: int32x4_t
    var mo: int32x4_t, preO: int32x4_t, postO: int32x4_t
    var zeroOut: int16x8_t, lo: int8x16_t, hi: int8x16_t

    init?(_ p: AddParams) {
        let int8s: ClosedRange<Int32> = -128...127, shifts: ClosedRange<Int32> = -31...30
        guard int8s.contains(p.input1ZeroPoint), int8s.contains(p.input2ZeroPoint), int8s.contains(p.outputZeroPoint),
              int8s.contains(p.activationMin), int8s.contains(p.activationMax),
              shifts.contains(p.input1Shift), shifts.contains(p.input2Shift), shifts.contains(p.outputShift),
              p.leftShift >= 0, p.leftShift &+ max(p.input1Shift, 0) <= 31, p.leftShift &+ max(p.input2Shift, 0) <= 31
        else { return nil }
        // |x − z| ≤ 255 and leftShift ≤ 31 − pre: (x − z)·2^leftShift is exact unless the
        // saturating pre-shift saturates anyway, so one saturating shift by leftShift + pre is
        // `&<< leftShift` followed by MBQM's `saturatingLeftShift(·, pre)`.
        zero1 = vdup_n_s8(Int8(p.input1ZeroPoint)); zero2 = vdup_n_s8(Int8(p.input2ZeroPoint))
        m1 = vdupq_n_s32(p.input1Multiplier); pre1 = vdupq_n_s32(p.leftShift &+ max(p.input1Shift, 0))
        post1 = vdupq_n_s32(min(p.input1Shift, 0))
        m2 = vdupq_n_s32(p.input2Multiplier); pre2 = vdupq_n_s32(p.leftShift &+ max(p.input2Shift, 0))
        post2 = vdupq_n_s32(min(p.input2Shift, 0))
        mo = vdupq_n_s32(p.outputMultiplier); preO = vdupq_n_s32(max(p.outputShift, 0)); postO = vdupq_n_s32(min(p.outputShift, 0))
        zeroOut = vdupq_n_s16(Int16(p.outputZeroPoint))
        lo = vdupq_n_s8(Int8(p.activationMin)); hi = vdupq_n_s8(Int8(p.activationMax))
    }
}

/// `count` (a multiple of 16) elements; `subtract` is constant per call site.
@inline(__always)
func addS8Neon16(_ k: AddNeonConstants, subtract: Bool, _ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>,
                 _ y: UnsafeMutablePointer<Int8>, count: Int) {
    var i = 0
    while i < count {
        let va = UnsafeRawPointer(a + i).loadUnaligned(as: int8x16_t.self)
        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: int8x16_t.self)
        // x − z exactly in int16 (both in int8), then to int32.
        let a0 = vsubl_s8(vget_low_s8(va), k.zero1), a1 = vsubl_s8(vget_high_s8(va), k.zero1)
        let b0 = vsubl_s8(vget_low_s8(vb), k.zero2), b1 = vsubl_s8(vget_high_s8(vb), k.zero2)
        @inline(__always)
        func lane(_ x: int16x4_t, _ w: int16x4_t) -> int32x4_t {
            let s1 = requantizeNeon(vmovl_s16(x), multiplier: k.m1, preShift: k.pre1, postShift: k.post1)
            let s2 = requantizeNeon(vmovl_s16(w), multiplier: k.m2, preShift: k.pre2, postShift: k.post2)
            let raw = subtract ? vsubq_s32(s1, s2) : vaddq_s32(s1, s2)   // wrapping, as &+ / &-
            return requantizeNeon(raw, multiplier: k.mo, preShift: k.preO, postShift: k.postO)
        }
        let r0 = lane(vget_low_s16(a0), vget_low_s16(b0)), r1 = lane(vget_high_s16(a0), vget_high_s16(b0))
        let r2 = lane(vget_low_s16(a1), vget_low_s16(b1)), r3 = lane(vget_high_s16(a1), vget_high_s16(b1))
        UnsafeMutableRawPointer(y + i).storeBytes(of: narrowToS8(r0, r1, r2, r3, zeroPoint: k.zeroOut, min: k.lo, max: k.hi),
                                                  as: int8x16_t.self)
        i &+= 16
    }
}
#endif
