import SparrowFormat
import SparrowKernels

// LayerNorm over the innermost axis, integer statistics (kernel: LayerNorm.swift; params:
// LayerNormParamRecord). Format 1.3.

extension OperandCheck {
    mutating func layerNorm() throws(ModelError) {
        try counts(inputs: 4, outputs: 1, params: LayerNormParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
        try same(Int(y.rank), Int(x.rank), "output rank")
        let depth = shape4Of(x).c
        try same(shape4Of(y).c, depth, "channels")
        // The kernel's int32 sums (Σ(x − zx)² ≤ 65025·C) and int64 variance depend on this bound.
        guard depth <= maxLayerNormDepth else { throw fail(.accumulatorBound, depth, limit: maxLayerNormDepth, "depth") }
        _ = try params(LayerNormParamRecord.init(decoding:))
        let m = try constant(1, .int32, "multipliers"), s = try constant(2, .int32, "shifts"), b = try constant(3, .int32, "bias")
        func perChannel(_ r: TensorRecord, _ field: StaticString) throws(ModelError) {
            guard Int(r.byteSize) == 4 * depth else { throw fail(.notPerChannelLength, Int(r.byteSize) / 4, limit: depth, field) }
        }
        try perChannel(m, "multipliers"); try perChannel(s, "shifts"); try perChannel(b, "bias")
        let mp = model.constantData(m).assumingMemoryBound(to: Int32.self)
        let sp = model.constantData(s).assumingMemoryBound(to: Int32.self)
        let bp = model.constantData(b).assumingMemoryBound(to: Int32.self)
        for i in 0..<depth {
            // γ may be negative: the multiplier carries its sign, |m| in [2^30, 2^31) or 0.
            let multiplier = Int32(littleEndian: mp[i])
            guard multiplier != Int32.min else { throw fail(.badMultiplier, Int(multiplier), limit: 1 << 30, "multipliers") }
            try requant(multiplier: multiplier < 0 ? 0 &- multiplier : multiplier, shift: Int32(littleEndian: sp[i]),
                        "multipliers/shifts")
            let bias = Int32(littleEndian: bp[i])
            guard bias >= -layerNormBiasBound, bias <= layerNormBiasBound else {
                throw fail(.biasOutOfRange, Int(bias), limit: Int(layerNormBiasBound), "bias")
            }
        }
    }
}

extension Interpreter {
    func runLayerNorm(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = LayerNormParamRecord(unchecked: model.paramWords(o))
        let p = LayerNormParams(inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint, epsilonTerm: r.epsilonTerm)
        let depth = shape4Of(x).c
        layerNormS8(p, input: s8(x), rows: Int(x.byteSize) / depth, depth: depth, multipliers: s32(operand(o, 1)),
                    shifts: s32(operand(o, 2)), bias: s32(operand(o, 3)), output: outS8(y))
    }
}
