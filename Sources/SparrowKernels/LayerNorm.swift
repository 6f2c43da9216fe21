// Layer normalization over the innermost axis, integer only (Docs/quantization.md "LayerNorm").
// Per row of C int8 codes d_i = x_i − zx:
//   S1 = Σ d_i, S2 = Σ d_i² (int32: |d| ≤ 255 and C ≤ maxLayerNormDepth keep S2 < 2^31)
//   c_i = C·d_i − S1 (= C²·(x_i − μ)/(C·sx), exact), V = C·S2 − S1² + E (int64, exact;
//   E = ε·C²/sx², rounded on the host), so (x_i − μ)/√(var + ε) = c_i / √V.
//   1/√V: V is shifted left by an even 2t into [2^60, 2^62), s = ⌊√(V·4^t)⌋ ∈ [2^30, 2^31) by the
//   bitwise integer square root, inv = ⌊2^61 / s⌋; N_i = round(c_i·inv / 2^(45 − t)) is the
//   normalized value in Q16 (N_i ≈ 2^16·c_i/√V).
//   Output: P_i = MBQM(N_i, m_i, s_i) with (m_i, s_i) = quantizeMultiplier(γ_i / (so·2^8)) (so P_i
//   is the output in 1/256 steps), clamped to ±2^29; y_i = clamp(RDBPOT(P_i + B_i, 8) + zo) with
//   B_i = round(256·β_i / so), |B_i| ≤ 2^29.
// No float, no division per element: one 64-bit division and one square root per row, so the
// device and the host compute the same integers.

/// Largest row (normalized axis) `layerNormS8` accepts: S2 ≤ 65025·C < 2^31 and |c_i| ≤ 255·C.
public let maxLayerNormDepth = 32768
/// Fractional bits of the normalized value N_i.
public let layerNormNormalizedBits: Int32 = 16
/// Fractional bits of the per-channel output sum P_i + B_i before the final rounding.
public let layerNormOutputFractionBits: Int32 = 8
/// Bound on |B_i| (and the clamp of P_i): their sum stays below 2^30.
public let layerNormBiasBound: Int32 = 1 << 29
/// Bound on the ε term E: with C ≤ 2^15, C·S2 − S1² ≤ 2^15·2^15·127.5² < 2^44, so V < 2^61.
public let layerNormMaxEpsilonTerm: UInt64 = 0x1000_0000_0000_0000   // 2^60

public struct LayerNormParams: Equatable {
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    /// E = round(ε·C²/sx²), at most `layerNormMaxEpsilonTerm`.
    public var epsilonTerm: UInt64

    public init(inputZeroPoint: Int32, outputZeroPoint: Int32, epsilonTerm: UInt64) {
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.epsilonTerm = epsilonTerm
    }

    #if !hasFeature(Embedded)
    /// Prepare time (host): E, and per channel the γ rescale and the β term.
    public static func prepare(inputScale: Double, epsilon: Double, depth: Int, gamma: [Double], beta: [Double],
                               outputScale: Double) -> (epsilonTerm: UInt64, multipliers: [Int32], shifts: [Int32],
                                                        bias: [Int32]) {
        let e = (epsilon * Double(depth) * Double(depth) / (inputScale * inputScale)).rounded()
        let epsilonTerm = e.isFinite && e < Double(layerNormMaxEpsilonTerm) ? UInt64(Swift.max(e, 0)) : layerNormMaxEpsilonTerm
        let unit = Double(1 << layerNormOutputFractionBits)
        var multipliers: [Int32] = [], shifts: [Int32] = [], bias: [Int32] = []
        for (g, b) in zip(gamma, beta) {
            let q = quantizeMultiplier(g / outputScale * unit / Double(1 << layerNormNormalizedBits))
            // Too large a γ/so saturates the left shift anyway; keep the shift in the verifier's range.
            let shift = Swift.min(q.shift, 30)
            multipliers.append(q.multiplier)
            shifts.append(q.multiplier == 0 ? 0 : shift)
            let bound = Double(layerNormBiasBound)
            bias.append(Int32(Swift.min(Swift.max((b / outputScale * unit).rounded(), -bound), bound)))
        }
        return (epsilonTerm, multipliers, shifts, bias)
    }
    #endif
}

/// ⌊√v⌋ of a 64-bit value, bit by bit (exact; no division, no float).
@inline(__always)
func integerSquareRoot(_ v: UInt64) -> UInt64 {
    var remainder = v, root: UInt64 = 0, bit: UInt64 = 0x4000_0000_0000_0000   // 2^62
    while bit > remainder { bit &>>= 2 }
    while bit != 0 {
        if remainder >= root &+ bit {
            remainder &-= root &+ bit
            root = (root &>> 1) &+ bit
        } else {
            root &>>= 1
        }
        bit &>>= 2
    }
    return root
}

/// The normalization of one row: the Q16 value of (x − μ)/√(var + ε) is
/// round(c·inverse / 2^shift) for c = C·(x − zx) − S1. `inverse` is 0 for a constant row with ε = 0.
@inline(__always)
func layerNormRowScale(sum: Int32, sumOfSquares: Int32, depth: Int32, epsilonTerm: UInt64) -> (inverse: Int64, shift: Int64) {
    // C·S2 < 2^46 and S1² ≤ C·S2 (Cauchy–Schwarz), so the difference is ≥ 0 and exact.
    let spread = widenToInt64(depth) &* widenToInt64(sumOfSquares) &- widenToInt64(sum) &* widenToInt64(sum)
    let v = UInt64(bitPattern: spread) &+ epsilonTerm
    if v == 0 { return (0, 1) }
    // t with V·4^t ∈ [2^60, 2^62): V < 2^62, so t ≥ 0; V ≥ 1, so t ≤ 30.
    let t = (Int32(truncatingIfNeeded: v.leadingZeroBitCount) &- 2) &>> 1
    let s = integerSquareRoot(v &<< unsafeBitCast((UInt32(bitPattern: 2 &* t), UInt32(0)), to: UInt64.self))
    let inverse = Int64(bitPattern: 0x2000_0000_0000_0000 / s)   // 2^61 / s, in (2^30, 2^31]
    return (inverse, widenToInt64(45 &- t))
}

/// `rows` rows of `depth` int8 values each (innermost axis), normalized and scaled per channel:
/// `multipliers`, `shifts`, `bias` have `depth` entries (Docs/quantization.md "LayerNorm").
public func layerNormS8(_ p: LayerNormParams, input: UnsafePointer<Int8>, rows: Int, depth: Int,
                        multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>, bias: UnsafePointer<Int32>,
                        output: UnsafeMutablePointer<Int8>) {
    let c32 = Int32(truncatingIfNeeded: depth)
    for r in 0..<rows {
        let x = input + r * depth, y = output + r * depth
        var sum: Int32 = 0, squares: Int32 = 0
        for i in 0..<depth {
            let d = Int32(x[i]) &- p.inputZeroPoint
            sum &+= d
            squares &+= d &* d   // ≤ 65025·32768 < 2^31
        }
        let (inverse, shift) = layerNormRowScale(sum: sum, sumOfSquares: squares, depth: c32, epsilonTerm: p.epsilonTerm)
        let half = Int64(1) &<< (shift &- 1)
        for i in 0..<depth {
            // |c| ≤ 255·C ≤ 2^23 and inverse ≤ 2^31: the product is below 2^54.
            let c = c32 &* (Int32(x[i]) &- p.inputZeroPoint) &- sum
            let normalized = Int32(truncatingIfNeeded: (widenToInt64(c) &* inverse &+ half) &>> shift)
            let scaled = multiplyByQuantizedMultiplier(normalized, multipliers[i], shifts[i])
            let bounded = Swift.min(Swift.max(scaled, -layerNormBiasBound), layerNormBiasBound)
            let rounded = roundingDivideByPOT(bounded &+ bias[i], layerNormOutputFractionBits)
            y[i] = clampToS8(rounded, zeroPoint: p.outputZeroPoint, min: -128, max: 127)
        }
    }
}
