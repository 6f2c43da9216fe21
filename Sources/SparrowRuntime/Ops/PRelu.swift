import SparrowFormat
import SparrowKernels

// PRelu: y = x for x >= 0, alpha[c]·x below, alpha per innermost channel or one for all
// (kernel: PRelu.swift; params: PReluParamRecord). Format 1.2.

extension OperandCheck {
    mutating func prelu() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: PReluParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), alpha = try constant(1, .int8, "alpha"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
        // The alpha codes enter the product unshifted: their scale is in the alpha rescale.
        try same(Int(alpha.zeroPoint), 0, "alpha zero point")
        let channels = shape4Of(x).c
        guard alpha.byteSize == 1 || Int(alpha.byteSize) == channels else {
            throw fail(.notPerChannelLength, Int(alpha.byteSize), limit: channels, "alpha")
        }
        _ = try params(PReluParamRecord.init(decoding:))
    }
}

extension Interpreter {
    func runPRelu(_ o: OperatorRecord) {
        let x = operand(o, 0), alpha = operand(o, 1), y = result(o)
        let r = PReluParamRecord(unchecked: model.paramWords(o))
        let p = PReluParams(inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                            identityMultiplier: r.identity.multiplier, identityShift: r.identity.shift,
                            alphaMultiplier: r.alpha.multiplier, alphaShift: r.alpha.shift)
        preluS8(p, input: s8(x), count: Int(x.byteSize), alpha: s8(alpha), alphaCount: Int(alpha.byteSize), output: outS8(y))
    }
}
