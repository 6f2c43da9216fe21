// The gemmlowp/TFLite requantization of Requantize.swift on NEON vectors, bit-exact for shifts in
// [−31, 30] (the verifier's range), shared by the vector microkernels (aarch64 and armv7).
#if arch(arm64) || arch(arm)
import _Builtin_intrinsics.arm.neon

/// MBQM(acc, multiplier, pre + post) per lane, where pre = max(shift, 0), post = min(shift, 0).
/// - `sqshl` by pre is the saturating left shift (`saturatingLeftShift`).
/// - `sqrdmulh` is SRDHM exactly: sat((2ab + 2^31) >> 32) = floor((ab + 2^30) / 2^31), saturating
///   only Int32.min·Int32.min.
/// - RDBPOT by e = −post rounds ties away from zero; `srshl` by −e rounds ties up. Subtracting 1
///   from negative values first (the fixup, −1 exactly where x < 0 and e > 0, saturating) turns
///   one into the other: for x = q·2^e + r (0 ≤ r < 2^e) and r ≥ 1, floor((x − 1 + 2^(e−1)) / 2^e)
///   = q + [r > 2^(e−1)], gemmlowp's rule for x < 0; r = 0 gives q. Int32.min stays Int32.min
///   under the saturating add and srshl rounds it to its exact quotient.
@inline(__always)
func requantizeNeon(_ acc: int32x4_t, multiplier: int32x4_t, preShift: int32x4_t, postShift: int32x4_t) -> int32x4_t {
    let scaled = vqrdmulhq_s32(vqshlq_s32(acc, preShift), multiplier)
    let fixup = vshlq_s32(vandq_s32(scaled, postShift), vdupq_n_s32(-31))
    return vrshlq_s32(vqaddq_s32(scaled, fixup), postShift)
}

/// `requantizeNeon` for lanes whose left shift is 0 and whose right shift is ≥ 1 (or whose
/// multiplier is 0): 3 instructions instead of 6. The fixup (−1 for negative values) becomes one
/// `ssra` (x + (x >> 31)): `sqrdmulh` never returns Int32.min (|a·b| < 2^62 except for
/// Int32.min·Int32.min, which saturates to Int32.max), so x − 1 cannot wrap. With post ≤ −1 the
/// fixup applies to every negative lane, as `requantizeNeon`'s mask does; a multiplier of 0
/// gives 0, and 0 stays 0. Callers check the lanes with `qs8GemmRightShiftOnly`.
@inline(__always)
func requantizeNeonRightShift(_ acc: int32x4_t, multiplier: int32x4_t, postShift: int32x4_t) -> int32x4_t {
    let scaled = vqrdmulhq_s32(acc, multiplier)
    return vrshlq_s32(scaled &+ (scaled &>> 31), postShift)
}

/// Whether the first `lanes` channels of a packed constants block (multiplier, pre, post blocks
/// `nr` lanes apart) all have preShift = 0 and postShift < 0, so `requantizeNeonRightShift`
/// applies: the depthwise and first-layer kernels' check, once per channel group (padded lanes
/// never reach the output). The GEMM's is `qs8GemmRightShiftOnly`, vectorised over the group.
@inline(__always)
func requantShiftsAllNegative(_ constants: UnsafeRawPointer, lanes: Int, nr: Int) -> Bool {
    var i = 0
    while i < lanes {
        if constants.loadUnaligned(fromByteOffset: (nr &+ i) &* 4, as: Int32.self) != 0 { return false }
        if constants.loadUnaligned(fromByteOffset: (2 &* nr &+ i) &* 4, as: Int32.self) >= 0 { return false }
        i &+= 1
    }
    return true
}

/// Sixteen requantized lanes → int8 with the output zero point and activation bounds: the same
/// value as `clampToS8` per lane. Saturating to int16, adding zp (saturating) and saturating to
/// int8 only moves values that are outside [−128, 127] after + zp anyway; the bounds are int8.
@inline(__always)
func narrowToS8(_ a0: int32x4_t, _ a1: int32x4_t, _ a2: int32x4_t, _ a3: int32x4_t,
                zeroPoint: int16x8_t, min lo: int8x16_t, max hi: int8x16_t) -> int8x16_t {
    let h01 = vqaddq_s16(vcombine_s16(vqmovn_s32(a0), vqmovn_s32(a1)), zeroPoint)
    let h23 = vqaddq_s16(vcombine_s16(vqmovn_s32(a2), vqmovn_s32(a3)), zeroPoint)
    return vminq_s8(vmaxq_s8(vcombine_s8(vqmovn_s16(h01), vqmovn_s16(h23)), lo), hi)
}

/// Sixteen requantized lanes → int8 with the output zero point, saturated to [−128, 127]: `narrowToS8`
/// for activation bounds −128 and 127 (callers clamp separately otherwise).
@inline(__always)
func narrowToS8(_ a0: int32x4_t, _ a1: int32x4_t, _ a2: int32x4_t, _ a3: int32x4_t, zeroPoint: int16x8_t) -> int8x16_t {
    let h01 = vqaddq_s16(vcombine_s16(vqmovn_s32(a0), vqmovn_s32(a1)), zeroPoint)
    let h23 = vqaddq_s16(vcombine_s16(vqmovn_s32(a2), vqmovn_s32(a3)), zeroPoint)
    return vcombine_s8(vqmovn_s16(h01), vqmovn_s16(h23))
}

/// Eight lanes → int8 with the zero point, saturated to [−128, 127].
@inline(__always)
func narrowToS8(_ a0: int32x4_t, _ a1: int32x4_t, zeroPoint: int16x8_t) -> int8x8_t {
    vqmovn_s16(vqaddq_s16(vcombine_s16(vqmovn_s32(a0), vqmovn_s32(a1)), zeroPoint))
}

/// Eight lanes → int8 (low half of the result).
@inline(__always)
func narrowToS8(_ a0: int32x4_t, _ a1: int32x4_t, zeroPoint: int16x8_t, min lo: int8x8_t, max hi: int8x8_t) -> int8x8_t {
    let h = vqaddq_s16(vcombine_s16(vqmovn_s32(a0), vqmovn_s32(a1)), zeroPoint)
    return vmin_s8(vmax_s8(vqmovn_s16(h), lo), hi)
}

/// Per-channel constants of four lanes at `constants` (multiplier, pre, post blocks NR apart).
struct RequantConstants4 {
    var multiplier: int32x4_t
    var pre: int32x4_t
    var post: int32x4_t
    @inline(__always)
    init(_ constants: UnsafeRawPointer, lane: Int, nr: Int) {
        multiplier = constants.loadUnaligned(fromByteOffset: lane &* 4, as: int32x4_t.self)
        pre = constants.loadUnaligned(fromByteOffset: (nr &+ lane) &* 4, as: int32x4_t.self)
        post = constants.loadUnaligned(fromByteOffset: (2 &* nr &+ lane) &* 4, as: int32x4_t.self)
    }
    @inline(__always)
    func apply(_ acc: int32x4_t) -> int32x4_t {
        requantizeNeon(acc, multiplier: multiplier, preShift: pre, postShift: post)
    }
    /// `apply`, or the 3-instruction form when the caller has checked `qs8GemmRightShiftOnly`.
    @inline(__always)
    func apply(_ acc: int32x4_t, rightShiftOnly: Bool) -> int32x4_t {
        rightShiftOnly ? requantizeNeonRightShift(acc, multiplier: multiplier, postShift: post) : apply(acc)
    }
}

/// Stores the first `count` bytes of `v` (a partial tile's last channels).
@inline(__always)
func storePartial(_ v: int8x16_t, count: Int, to output: UnsafeMutablePointer<Int8>) {
    for i in 0..<count { output[i] = v[i] }   // int8x16_t is SIMD16<Int8>
}
#endif
