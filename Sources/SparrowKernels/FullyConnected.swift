public struct FullyConnectedParams: Equatable {
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(inputZeroPoint: Int32, outputZeroPoint: Int32,
                activationMin: Int32 = -128, activationMax: Int32 = 127) {
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
    }
}

/// int8 fully connected: output[b, o] = requant(Σ_i (x[b, i] − zx)·W[o, i] + bias[o]).
/// Weights `[outputDepth, inputDepth]` row-major, input `[batches, inputDepth]`, per-channel
/// multipliers/shifts with outputDepth entries. Preconditions (verifier):
/// inputDepth ≤ maxAccumulationDepth, |bias| ≤ maxBiasMagnitude, weights in [−127, 127].
public func fullyConnectedS8(_ p: FullyConnectedParams, input: UnsafePointer<Int8>, batches: Int, inputDepth: Int,
                             weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?, outputDepth: Int,
                             multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                             output: UnsafeMutablePointer<Int8>) {
    let zx = p.inputZeroPoint
    for b in 0..<batches {
        let x = input + b * inputDepth
        let out = output + b * outputDepth
        for o in 0..<outputDepth {
            let w = weights + o * inputDepth
            var acc: Int32 = 0
            for i in 0..<inputDepth {
                // inputDepth ≤ maxAccumulationDepth terms of |.| ≤ 255·127: |acc| < 2^30.
                acc &+= (Int32(x[i]) &- zx) &* Int32(w[i])
            }
            out[o] = finishAccumulator(acc, bias: bias?[o] ?? 0, multiplier: multipliers[o], shift: shifts[o],
                                       outputZeroPoint: p.outputZeroPoint,
                                       activationMin: p.activationMin, activationMax: p.activationMax)
        }
    }
}
