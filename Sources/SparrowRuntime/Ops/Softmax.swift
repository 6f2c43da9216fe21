import SparrowFormat
import SparrowKernels

// Softmax along the last axis, output scale 1/256, zero point -128; LogSoftmax (format 1.3),
// output scale 16/256, zero point 127. Kernels: Softmax.swift, LogSoftmax.swift; params:
// SoftmaxParamRecord for both.

extension OperandCheck {
    mutating func softmax(logarithm: Bool = false) throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: SoftmaxParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
        if logarithm {
            try same(Int(y.zeroPoint), Int(logSoftmaxOutputZeroPoint), "output zero point")
            guard y.scale == logSoftmaxOutputScale else { throw fail(.badQuantization, Int(y.scale.bitPattern), "output scale") }
        } else {
            try same(Int(y.zeroPoint), -128, "output zero point")
        }
        _ = try params(SoftmaxParamRecord.init(decoding:))
        // The two-word sum of exps is exact up to softmaxMaxDepth terms (Softmax.swift).
        let depth = Int(x.rank) == 0 ? 1 : Int(x.dim(Int(x.rank) - 1))
        guard depth <= softmaxMaxDepth else { throw fail(.accumulatorBound, depth, limit: softmaxMaxDepth, "depth") }
    }
}

extension Interpreter {
    func runSoftmax(_ o: OperatorRecord, logarithm: Bool = false) {
        let x = operand(o, 0), y = result(o)
        let r = SoftmaxParamRecord(unchecked: model.paramWords(o))
        let depth = x.rank == 0 ? 1 : Int(x.dim(Int(x.rank) - 1))
        let p = SoftmaxParams(inputMultiplier: r.input.multiplier, inputShift: r.input.shift, diffMin: r.diffMin)
        if logarithm {
            logSoftmaxS8(p, input: s8(x), outer: Int(x.byteSize) / depth, depth: depth, output: outS8(y))
        } else {
            softmaxS8(p, input: s8(x), outer: Int(x.byteSize) / depth, depth: depth, output: outS8(y))
        }
    }
}
