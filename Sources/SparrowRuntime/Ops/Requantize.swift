import SparrowFormat
import SparrowKernels

// Requantize: int8 to another scale and zero point (kernel: Requantize.swift;
// params: RescaleParamRecord, multiplier 0 = identity).

extension OperandCheck {
    mutating func requantize() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: RescaleParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
        _ = try params(RescaleParamRecord.init(decoding:))
    }
}

extension Interpreter {
    func runRequantize(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = RescaleParamRecord(unchecked: model.paramWords(o)).rescale
        let p = RequantizeParams(inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint, multiplier: r.multiplier,
                                 shift: r.shift, isIdentity: r.multiplier == 0)
        requantizeS8(p, input: s8(x), count: Int(x.byteSize), output: outS8(y))
    }
}
