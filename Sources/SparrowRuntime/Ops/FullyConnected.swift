import SparrowFormat
import SparrowKernels

// FullyConnected: x[..., depth] · weights[outDepth, depth]ᵀ + bias, per-channel requantization
// (kernel: FullyConnected.swift; params: FullyConnectedParamRecord).

extension OperandCheck {
    mutating func fullyConnected() throws(ModelError) {
        // 2 words, or 3 with the single-rounding flag (FullyConnectedParamRecord checks which).
        try counts(inputs: 5, outputs: 1, params: Int(op.paramCount) == FullyConnectedParamRecord.singleRoundingWordCount
                   ? FullyConnectedParamRecord.singleRoundingWordCount : FullyConnectedParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), w = try constant(1, .int8, "weights"), y = try output(0, .int8)
        try rank(w, 2, "weights")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        _ = try params(FullyConnectedParamRecord.init(decoding:))
        let depth = Int(w.dims.1), outDepth = Int(w.dims.0)
        guard x.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "input") }
        try same(Int(x.dim(Int(x.rank) - 1)), depth, "input depth")
        guard y.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "output") }
        try same(Int(y.dim(Int(y.rank) - 1)), outDepth, "output depth")
        try same(Int(y.byteSize) / outDepth, Int(x.byteSize) / depth, "batches")
        try weightsAndRequant(weights: w, outChannels: outDepth, depth: depth)
    }
}

extension Interpreter {
    func runFullyConnected(_ o: OperatorRecord) {
        let m = model
        let x = operand(o, 0), w = operand(o, 1), y = result(o)
        let r = FullyConnectedParamRecord(unchecked: m.paramWords(o))
        let biasIndex = m.input(o, 2)
        let bias: UnsafePointer<Int32>? = biasIndex >= 0 ? s32(m.tensor(biasIndex)) : nil
        let depth = Int(w.dims.1), outDepth = Int(w.dims.0)
        let p = FullyConnectedParams(inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                                     activationMin: r.activation.min, activationMax: r.activation.max,
                                     singleRounding: r.singleRounding)
        fullyConnectedS8(p, input: s8(x), batches: Int(x.byteSize) / depth, inputDepth: depth, weights: s8(w),
                         bias: bias, outputDepth: outDepth, multipliers: s32(operand(o, 3)),
                         shifts: s32(operand(o, 4)), output: outS8(y))
    }
}
