import SparrowFormat
import SparrowKernels

// Constant padding with the output zero point, or with the code in the optional fifth word
// (TFLite PADV2) (kernel: Pad.swift; params: PadParamRecord).

extension OperandCheck {
    mutating func pad() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: Int(op.paramCount) == PadParamRecord.fillWordCount
                   ? PadParamRecord.fillWordCount : PadParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(x.zeroPoint), Int(y.zeroPoint), "zero point")
        let p = try params(PadParamRecord.init(decoding:))
        let xs = shape4Of(x), ys = shape4Of(y)
        for d in 0..<4 {
            let before = Int(p.before(axis: d))
            guard ys.dim(d) >= xs.dim(d) + before else { throw fail(.shapeMismatch, ys.dim(d), limit: xs.dim(d) + before, "padded dim") }
        }
    }
}

extension Interpreter {
    func runPad(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = PadParamRecord(unchecked: model.paramWords(o))
        let before = Shape4(Int(r.beforeN), Int(r.beforeH), Int(r.beforeW), Int(r.beforeC))
        padS8(input: s8(x), inputShape: shape4Of(x), before: before, padValue: r.fill ?? Int8(truncatingIfNeeded: y.zeroPoint),
              output: outS8(y), outputShape: shape4Of(y))
    }
}
