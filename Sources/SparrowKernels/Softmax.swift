// int8 softmax along the innermost axis with an integer-only exp, in gemmlowp's fixed-point
// style. Notation: Q(i) is an int32 whose value is raw / 2^(31 − i) (i integer bits).
// Output scale is 1/256 and zero point −128 (TFLite's convention for int8 softmax).

/// Integer bits of the rescaled differences (x − max)·β·s: values down to −32 are represented.
let softmaxDiffIntegerBits: Int32 = 5
/// Integer bits of TFLite's sum of exps (Q(12): sums below 4096 fit); softmaxS8 widens it for larger rows.
let softmaxSumIntegerBits: Int32 = 12

public struct SoftmaxParams: Equatable {
    /// β·inputScale·2^(31 − 5) as a multiplier/shift pair: maps an int8 difference to Q(5).
    public var inputMultiplier: Int32
    public var inputShift: Int32
    /// Differences below this (in int8 input units) give exp < 2^−31·… and contribute 0; it
    /// also bounds |difference·2^shift| below 2^31.
    public var diffMin: Int32

    public init(inputMultiplier: Int32, inputShift: Int32, diffMin: Int32) {
        self.inputMultiplier = inputMultiplier
        self.inputShift = inputShift
        self.diffMin = diffMin
    }

    /// Prepare-time: β·inputScale in Q(5) units, capped so the multiplier stays representable:
    /// below 2^30, the largest ratio quantizeMultiplier writes with a shift ≤ 30 (the format's
    /// bound; TFLite caps at 2^31 − 1, which needs shift 31). Capping changes nothing: from a
    /// ratio of 2^30 on, one int8 step of difference is ≥ 16 in Q(5), e^−16 < 2^−23, which rounds
    /// to the same 1/256 output code either way.
    public static func prepare(inputScale: Double, beta: Double) -> SoftmaxParams {
        let realMultiplier = min(beta * inputScale * pow2(Int(31 - softmaxDiffIntegerBits)), pow2(30) - 1)
        let (multiplier, shift) = quantizeMultiplier(realMultiplier)
        // Largest |difference| whose rescaled value still fits Q(5) (≤ 31·2^26 raw), in input
        // units: floor(31·2^26 / 2^shift).
        let maxRescaled = (pow2(Int(softmaxDiffIntegerBits)) - 1) * pow2(Int(31 - softmaxDiffIntegerBits))
        let radius = (maxRescaled / pow2(Int(shift))).rounded(.down)
        let diffMin = -Int32(min(radius, 255))
        return SoftmaxParams(inputMultiplier: multiplier, inputShift: shift, diffMin: diffMin)
    }
}

/// 2^e as a Double (prepare time).
func pow2(_ e: Int) -> Double {
    var r = 1.0
    if e >= 0 { for _ in 0..<e { r *= 2 } } else { for _ in 0..<(-e) { r /= 2 } }
    return r
}

/// Q(0) constants: round(v · 2^31).
let expMinusOneEighthQ0: Int32 = 1_895_147_668     // e^(−1/8)
let oneThirdQ0: Int32 = 715_827_883                 // 1/3
/// e^(−2^k) in Q(0) for k = −2 … 4, applied for each set bit of the integer-quarter remainder.
let expMinusPowerOfTwoQ0: (Int32, Int32, Int32, Int32, Int32, Int32, Int32) =
    (1_672_461_947,   // e^(−1/4)
     1_302_514_674,   // e^(−1/2)
       790_015_084,   // e^(−1)
       290_630_308,   // e^(−2)
        39_332_535,   // e^(−4)
           720_401,   // e^(−8)
               242)   // e^(−16)

/// e^a for a ∈ [−1/4, 0), a and result in Q(0). Writes a = −1/8 + t with t ∈ [−1/8, 1/8) and
/// uses e^a = e^(−1/8)·(1 + t + t²/2 + t³/6 + t⁴/24); the truncation error is < 2^−22.
@inline(__always)
func expOnIntervalNegativeQuarterToZero(_ a: Int32) -> Int32 {
    let t = a &+ (1 << 28)                                       // + 1/8; stays in [−1/8, 1/8)
    let t2 = saturatingRoundingDoublingHighMul(t, t)
    let t3 = saturatingRoundingDoublingHighMul(t2, t)
    let t4 = saturatingRoundingDoublingHighMul(t2, t2)
    let t4Over4 = roundingDivideByPOT(t4, 2)
    // ((t⁴/4 + t³)/3 + t²)/2 = t⁴/24 + t³/6 + t²/2; every term is < 2^−5 in magnitude.
    let inner = saturatingRoundingDoublingHighMul(t4Over4 &+ t3, oneThirdQ0) &+ t2
    let higherTerms = roundingDivideByPOT(inner, 1)
    // e^(−1/8)·(1 + s) = e^(−1/8) + e^(−1/8)·s with |s| < 1/4: no overflow.
    return expMinusOneEighthQ0 &+ saturatingRoundingDoublingHighMul(expMinusOneEighthQ0, t &+ higherTerms)
}

/// e^a for a ≤ 0 with a in Q(5) (so a ≥ −32) and the result in Q(0).
/// Splits a = r − q where r ∈ [−1/4, 0) and q ≥ 0 is a multiple of 1/4; e^r comes from the
/// polynomial and e^(−q) from one constant per set bit of q (1/4, 1/2, 1, …, 16).
@inline(__always)
func expOnNegativeValuesQ5(_ a: Int32) -> Int32 {
    if a == 0 { return Int32.max }                             // 1.0, saturated in Q(0)
    let fractionalBits: Int32 = 31 - softmaxDiffIntegerBits    // 26
    let oneQuarter: Int32 = 1 << (fractionalBits - 2)
    let r = (a & (oneQuarter - 1)) &- oneQuarter                // a mod 1/4, minus 1/4
    let q = r &- a                                              // ≥ 0 for a < 0
    // r ∈ [−1/4, 0) fits Q(0): shifting left by 5 is exact.
    var result = expOnIntervalNegativeQuarterToZero(r &<< softmaxDiffIntegerBits)
    let c = expMinusPowerOfTwoQ0
    if q & (1 << (fractionalBits - 2)) != 0 { result = saturatingRoundingDoublingHighMul(result, c.0) }
    if q & (1 << (fractionalBits - 1)) != 0 { result = saturatingRoundingDoublingHighMul(result, c.1) }
    if q & (1 << fractionalBits) != 0 { result = saturatingRoundingDoublingHighMul(result, c.2) }
    if q & (1 << (fractionalBits + 1)) != 0 { result = saturatingRoundingDoublingHighMul(result, c.3) }
    if q & (1 << (fractionalBits + 2)) != 0 { result = saturatingRoundingDoublingHighMul(result, c.4) }
    if q & (1 << (fractionalBits + 3)) != 0 { result = saturatingRoundingDoublingHighMul(result, c.5) }
    if q & (1 << (fractionalBits + 4)) != 0 { result = saturatingRoundingDoublingHighMul(result, c.6) }
    return result
}

/// 1/(1 + x) for x ∈ [0, 1), input Q(0), result Q(0), by three Newton–Raphson steps on the half
/// denominator d = (1 + x)/2 ∈ [1/2, 1), starting from the linear guess 48/17 − 32/17·d.
@inline(__always)
func reciprocalOfOnePlusQ0(_ x: Int32) -> Int32 {
    // gemmlowp RoundingHalfSum(x, 1.0) = (x + (2^31 − 1) + 1) / 2 for x ≥ 0, which is
    // x/2 + 2^30 rounded down; ≤ 2^30 − 1 + 2^30, so no overflow.
    let halfDenominator = (x &>> 1) &+ (1 << 30)
    let fortyEightOverSeventeenQ2: Int32 = 1_515_870_810       // round(48/17 · 2^29)
    let minusThirtyTwoOverSeventeenQ2: Int32 = -1_010_580_540  // round(−32/17 · 2^29)
    let oneQ2: Int32 = 1 << 29
    // Q(0)·Q(2) → Q(2).
    var estimate = fortyEightOverSeventeenQ2
        &+ saturatingRoundingDoublingHighMul(halfDenominator, minusThirtyTwoOverSeventeenQ2)
    for _ in 0..<3 {
        let product = saturatingRoundingDoublingHighMul(halfDenominator, estimate)   // Q(2), ≈ 1
        let error = oneQ2 &- product                                                // Q(2), small
        // Q(2)·Q(2) → Q(4); back to Q(2) by a saturating ×4.
        estimate = estimate &+ saturatingLeftShift(saturatingRoundingDoublingHighMul(estimate, error), 2)
    }
    // estimate ≈ 1/d = 2/(1 + x) in Q(2); 1/(1 + x) = estimate/2, moved to Q(0) by ×4 then /2.
    return saturatingLeftShift(estimate, 1)
}

/// The largest row the verifier accepts (ONNX classifiers over ≈ 6,600 CTC classes and
/// vocabulary-sized heads fit).
public let softmaxMaxDepth = 65536

/// Σ e^(β·s·(x[i] − max)) over one row, as (sum, integer bits): the sum's value is
/// sum / 2^(31 − integerBits), and it is ≥ 1.0 (the maximum's own term).
///
/// The exps are TFLite's Q(12) terms (each ≤ 2^19, 1.0 = 2^19), summed exactly in a two-word
/// (carry, low) accumulator: the total is ≤ 65536·2^19 = 2^35 < 2^64. Up to 4095 terms the total
/// is < 2^31 and the Q(12) sum is used as is (TFLite's arithmetic, bit for bit); beyond, it is
/// shifted right by k bits to fit 31 bits and read as a Q(12 + k) sum (truncating ≤ 2^−30 of it),
/// so large rows keep every term's 2^−19 resolution instead of saturating.
@inline(__always)
func softmaxRowSum(_ p: SoftmaxParams, _ x: UnsafePointer<Int8>, depth: Int, maxInRow: Int32) -> (Int32, Int32) {
    var low: UInt32 = 0, carry: UInt32 = 0
    for i in 0..<depth {
        let difference = Int32(x[i]) &- maxInRow
        if difference >= p.diffMin {
            let rescaled = multiplyByQuantizedMultiplier(difference, p.inputMultiplier, p.inputShift)
            // 0 ≤ e ≤ 2^19 (1.0 in Q(12)).
            let e = roundingDivideByPOT(expOnNegativeValuesQ5(rescaled), softmaxSumIntegerBits)
            let (total, overflow) = low.addingReportingOverflow(UInt32(bitPattern: e))
            low = total
            if overflow { carry &+= 1 }
        }
    }
    // Fit the total into 31 bits: k extra integer bits.
    let bitLength = carry != 0 ? 64 - carry.leadingZeroBitCount : 32 - low.leadingZeroBitCount
    let k = max(bitLength - 31, 0)
    let fitted = k == 0 ? low : (low >> UInt32(k)) | (carry << UInt32(32 - k))
    return (Int32(bitPattern: fitted), softmaxSumIntegerBits + Int32(k))
}

/// One row's maximum and its sum of exps normalized as 2^bitsOverUnit · (1 + f), with f ∈ [0, 1)
/// in Q0.31: where softmaxS8 and logSoftmaxS8 both start. The row maximum contributes 1.0, so
/// sum ≥ 2^19 and bitsOverUnit ≥ 0.
@inline(__always)
func softmaxRowNormalizedSum(_ p: SoftmaxParams, _ x: UnsafePointer<Int8>, depth: Int)
    -> (maxInRow: Int32, bitsOverUnit: Int32, fraction: Int32) {
    var maxValue = Int8.min
    for i in 0..<depth { maxValue = max(maxValue, x[i]) }
    let maxInRow = Int32(maxValue)
    let (sumOfExps, sumIntegerBits) = softmaxRowSum(p, x, depth: depth, maxInRow: maxInRow)
    let headroomPlusOne = Int32(UInt32(bitPattern: sumOfExps).leadingZeroBitCount)
    let fraction = Int32(bitPattern: (UInt32(bitPattern: sumOfExps) &<< UInt32(headroomPlusOne)) &- (UInt32(1) << 31))
    return (maxInRow, sumIntegerBits - headroomPlusOne, fraction)
}

/// int8 softmax over rows of `depth` values (`outer` rows), output scale 1/256, zero point
/// −128. Precondition: depth ≤ softmaxMaxDepth.
/// The sum of exps is `softmaxRowSum`'s.
public func softmaxS8(_ p: SoftmaxParams, input: UnsafePointer<Int8>, outer: Int, depth: Int,
                      output: UnsafeMutablePointer<Int8>) {
    for row in 0..<outer {
        let x = input + row * depth
        let out = output + row * depth
        // sum = 2^bitsOverUnit · (1 + f) with f ∈ [0, 1): take 1/(1 + f).
        let (maxInRow, bitsOverUnit, normalized) = softmaxRowNormalizedSum(p, x, depth: depth)
        let reciprocal = reciprocalOfOnePlusQ0(normalized)

        // probability · 256 = e · reciprocal / 2^bitsOverUnit · 2^8, a Q(0)·Q(0) product.
        let outputShift = bitsOverUnit + 31 - 8
        for i in 0..<depth {
            let difference = Int32(x[i]) &- maxInRow
            if difference >= p.diffMin {
                let rescaled = multiplyByQuantizedMultiplier(difference, p.inputMultiplier, p.inputShift)
                let e = expOnNegativeValuesQ5(rescaled)
                let scaled = roundingDivideByPOT(saturatingRoundingDoublingHighMul(reciprocal, e), outputShift)
                out[i] = clampToS8(scaled, zeroPoint: -128, min: -128, max: 127)
            } else {
                out[i] = -128
            }
        }
    }
}
