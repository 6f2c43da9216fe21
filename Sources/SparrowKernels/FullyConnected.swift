public struct FullyConnectedParams: Equatable {
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activationMin: Int32
    public var activationMax: Int32
    /// Requantize with one rounding (`multiplyByQuantizedMultiplierSingleRounding`), as LiteRT's
    /// FULLY_CONNECTED reference kernel does, instead of gemmlowp's double rounding.
    public var singleRounding: Bool

    public init(inputZeroPoint: Int32, outputZeroPoint: Int32,
                activationMin: Int32 = -128, activationMax: Int32 = 127, singleRounding: Bool = false) {
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
        self.singleRounding = singleRounding
    }
}

/// int8 fully connected: output[b, o] = requant(Σ_i (x[b, i] − zx)·W[o, i] + bias[o]).
/// Weights `[outputDepth, inputDepth]` row-major, input `[batches, inputDepth]`, per-channel
/// multipliers/shifts with outputDepth entries. Preconditions (verifier):
/// inputDepth ≤ maxAccumulationDepth, |bias| ≤ maxBiasMagnitude, weights in [−127, 127].
///
/// Computed as Σx·w − zx·Σw (see DotProduct.swift), four weight rows per pass so each input
/// byte is loaded once for four outputs; Σw of a row is taken once and reused for every batch.
public func fullyConnectedS8(_ p: FullyConnectedParams, input: UnsafePointer<Int8>, batches: Int, inputDepth: Int,
                             weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?, outputDepth: Int,
                             multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                             output: UnsafeMutablePointer<Int8>) {
    let zx = p.inputZeroPoint
    var o = 0
    while o < outputDepth {
        let lanes = min(4, outputDepth - o)
        // A block past the last row repeats the last row; those lanes are computed, not stored.
        let w0 = weights + o * inputDepth
        let w1 = weights + (o + min(1, lanes - 1)) * inputDepth
        let w2 = weights + (o + min(2, lanes - 1)) * inputDepth
        let w3 = weights + (o + min(3, lanes - 1)) * inputDepth
        let weightSums = sumS8x4(w0, w1, w2, w3, count: inputDepth)
        for b in 0..<batches {
            let products = dotS8x4(input + b * inputDepth, w0, w1, w2, w3, count: inputDepth)
            let acc = products.subtractingZeroPoint(zx, times: weightSums)
            let out = output + b * outputDepth
            if p.singleRounding {
                for lane in 0..<lanes {
                    // |acc| < 2^30 and |bias| ≤ 2^30 (as in finishAccumulator): the sum fits.
                    let scaled = multiplyByQuantizedMultiplierSingleRounding(acc[lane] &+ (bias?[o + lane] ?? 0),
                                                                             multipliers[o + lane], shifts[o + lane])
                    out[o + lane] = clampToS8(scaled, zeroPoint: p.outputZeroPoint, min: p.activationMin,
                                              max: p.activationMax)
                }
                continue
            }
            for lane in 0..<lanes {
                out[o + lane] = finishAccumulator(acc[lane], bias: bias?[o + lane] ?? 0,
                                                  multiplier: multipliers[o + lane], shift: shifts[o + lane],
                                                  outputZeroPoint: p.outputZeroPoint,
                                                  activationMin: p.activationMin, activationMax: p.activationMax)
            }
        }
        o += lanes
    }
}
