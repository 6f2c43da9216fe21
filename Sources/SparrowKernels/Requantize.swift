// Fixed-point requantization primitives, bit-exact with TFLite's reference integer kernels
// (gemmlowp semantics). See Docs/quantization.md for the derivations.

/// Bound on |bias| the accumulator proof assumes; the verifier rejects larger bias values.
public let maxBiasMagnitude: Int32 = 1 << 30

/// Largest number of products K summed into one int32 accumulator (conv: kh·kw·inC,
/// depthwise: kh·kw, fully connected: inputDepth). The verifier enforces it.
///
/// Proof: every product is (x − zx)·w with |x − zx| ≤ 255 (x, zx ∈ [−128, 127]) and |w| ≤ 127,
/// so |Σ| ≤ K·32385. With K ≤ 33155, K·32385 = 1_073_724_675 < 2^30, and adding a bias with
/// |bias| ≤ 2^30 (`maxBiasMagnitude`) keeps |acc| < 2^31: the sum is exact in int32.
public let maxAccumulationDepth: Int = 33_155

/// Largest H·W that `meanHWS8` may sum: 255·count must stay below 2^31.
public let maxMeanElementCount: Int = 8_421_504

/// gemmlowp `SaturatingRoundingDoublingHighMul`: a·b / 2^31 rounded to nearest. gemmlowp adds
/// a nudge of 2^30 (a·b ≥ 0) or 1 − 2^30 (a·b < 0) and divides truncating toward zero; both
/// cases equal floor((a·b + 2^30) / 2^31), i.e. ties round toward +∞ (positive ties away from
/// zero, negative ties toward zero, like NEON VQRDMULH). The only overflow,
/// Int32.min · Int32.min, saturates to Int32.max.
@inline(__always)
public func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    if a == Int32.min && b == Int32.min { return Int32.max }
    // Done in 32-bit halves: on armv7 Embedded Swift, widening to Int64 pulls in allocating
    // generic code. product = high·2^32 + low, exact.
    let product = a.multipliedFullWidth(by: b)
    let (low, carry) = product.low.addingReportingOverflow(1 << 30)
    let high = UInt32(bitPattern: product.high) &+ (carry ? 1 : 0)
    // Arithmetic shift right by 31 of the 64-bit sum; with min·min excluded,
    // |a·b + 2^30| < 2^62, so the quotient fits in Int32 and these are its 32 bits.
    return Int32(bitPattern: (high &<< 1) | (low &>> 31))
}

/// gemmlowp `RoundingDivideByPOT`: x / 2^exponent rounded to nearest, ties away from zero.
/// Defined for every exponent: ≤ 0 returns x unchanged; ≥ 32 gives 0 (or −1 for the single
/// tie Int32.min / 2^32).
@inline(__always)
public func roundingDivideByPOT(_ x: Int32, _ exponent: Int32) -> Int32 {
    if exponent <= 0 { return x }
    if exponent > 31 {
        // |x| ≤ 2^31 ≤ 2^(exponent − 1): at most a tie, which only Int32.min at 2^32 reaches.
        return (exponent == 32 && x == Int32.min) ? -1 : 0
    }
    // exponent = 31: 1 << 31 wraps to Int32.min and − 1 wraps to Int32.max, the wanted mask.
    let mask = (Int32(1) &<< exponent) &- 1
    let remainder = x & mask
    // mask >> 1 ≤ 2^30 − 1, so adding 1 cannot overflow.
    let threshold = (mask &>> 1) &+ (x < 0 ? 1 : 0)
    // x >> exponent lies in [−2^30, 2^30 − 1] for exponent ≥ 1, so adding 1 cannot overflow.
    return (x &>> exponent) &+ (remainder > threshold ? 1 : 0)
}

/// x · 2^exponent (exponent ≥ 0), saturated to the Int32 range.
@inline(__always)
func saturatingLeftShift(_ x: Int32, _ exponent: Int32) -> Int32 {
    if exponent <= 0 { return x }
    if exponent >= 31 { return x == 0 ? 0 : (x > 0 ? Int32.max : Int32.min) }
    if x > (Int32.max &>> exponent) { return Int32.max }
    if x < (Int32.min &>> exponent) { return Int32.min }
    return x &<< exponent   // in range by the two checks above
}

/// TFLite `MultiplyByQuantizedMultiplier`:
/// RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^max(shift, 0), m), max(−shift, 0)).
/// Where TFLite's `x · 2^shift` would overflow int32 (undefined behaviour in C++), this
/// saturates instead; everywhere else the result is identical.
@inline(__always)
public func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
    let shifted = shift > 0 ? saturatingLeftShift(x, shift) : x
    let rightShift: Int32 = shift > 0 ? 0 : 0 &- shift
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), rightShift)
}

/// x · multiplier · 2^(shift − 31) with one rounding, ties toward +∞:
/// (x·m + 2^(30 − shift)) >> (31 − shift), saturated to Int32 (LiteRT's single-rounding
/// MultiplyByQuantizedMultiplier, which its FULLY_CONNECTED reference kernel uses). Shift in
/// [−31, 30] (the verifier's range), so the total right shift is 1…62.
@inline(__always)
public func multiplyByQuantizedMultiplierSingleRounding(_ x: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
    // In 32-bit halves, as saturatingRoundingDoublingHighMul: on armv7 Embedded Swift, Int64
    // arithmetic pulls in allocating generic code. product = high·2^32 + low, |product| < 2^62.
    let total = 31 &- shift
    let product = x.multipliedFullWidth(by: multiplier)
    var high = product.high, low = product.low
    // + 2^(total − 1): stays below 2^63 in magnitude, so `high` cannot overflow.
    if total <= 32 {
        let (sum, carry) = low.addingReportingOverflow(UInt32(1) &<< UInt32(total &- 1))
        low = sum
        high = high &+ (carry ? 1 : 0)
    } else {
        high = high &+ (Int32(1) &<< (total &- 33))
    }
    if total >= 32 { return high &>> (total &- 32) }   // |result| < 2^31: fits
    // total in 1…31: the result is (high >> total)·2^32 + resultLow.
    let resultHigh = high &>> total
    let resultLow = UInt32(bitPattern: high &<< (32 &- total)) | (low &>> UInt32(total))
    let fits = resultHigh == 0 ? resultLow < 0x8000_0000 : (resultHigh == -1 && resultLow >= 0x8000_0000)
    if !fits { return resultHigh < 0 ? Int32.min : Int32.max }
    return Int32(bitPattern: resultLow)
}

/// TFLite `QuantizeMultiplier` (prepare time only): real = multiplier · 2^(shift − 31) with
/// multiplier in [2^30, 2^31). frexp-style split real = q · 2^e, q ∈ [0.5, 1); multiplier =
/// round(q · 2^31) with ties away from zero; if that rounds up to 2^31 it is halved and e + 1.
/// Zero, non-finite input and |real| < 2^−32 (shift < −31) give (0, 0). A negative real yields
/// the negated multiplier. Intended range: |real| < 2^31 (larger gives shift > 31, which
/// `multiplyByQuantizedMultiplier` treats as saturating).
public func quantizeMultiplier(_ real: Double) -> (multiplier: Int32, shift: Int32) {
    if real == 0 || !real.isFinite { return (0, 0) }
    let magnitude = real.magnitude
    // Double.significand is in [1, 2): frexp's mantissa is half of it, with exponent + 1.
    // (exponent of a finite nonzero Double is in [−1074, 1023].)
    var exponent = Int32(truncatingIfNeeded: magnitude.exponent) + 1
    let mantissa = magnitude.significand / 2
    var fixed = (mantissa * 2147483648.0).rounded(.toNearestOrAwayFromZero)   // in [2^30, 2^31]
    if fixed == 2147483648.0 {
        fixed /= 2
        exponent += 1
    }
    if exponent < -31 { return (0, 0) }
    let multiplier = Int32(fixed)
    return (real < 0 ? -multiplier : multiplier, exponent)
}

/// Clamps a requantized value, adds the output zero point and applies the activation bounds.
/// Clamping to ±512 first keeps `+ zeroPoint` from overflowing and cannot change the result,
/// since any |value| > 512 lands outside [−128, 127] either way.
@inline(__always)
func clampToS8(_ value: Int32, zeroPoint: Int32, min lower: Int32, max upper: Int32) -> Int8 {
    let bounded = Swift.min(Swift.max(value, -512), 512)
    let withZero = bounded &+ zeroPoint   // |bounded| ≤ 512, |zeroPoint| ≤ 128: fits
    return Int8(truncatingIfNeeded: Swift.min(Swift.max(withZero, lower), upper))
}
