import SparrowFormat
import SparrowKernels

// Requantize: int8 to another scale and zero point; either side may be uint8 (the edges of an
// imported uint8-I/O TFLite model) (kernels: Concat.swift; params: RescaleParamRecord,
// multiplier 0 = identity).

extension OperandCheck {
    mutating func requantize() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: RescaleParamRecord.wordCount)
        let xi = model.input(op, 0), yi = model.output(op, 0)
        let inType: DType = xi >= 0 && model.tensor(xi).dtype == .uint8 ? .uint8 : .int8
        let outType: DType = model.tensor(yi).dtype == .uint8 ? .uint8 : .int8
        let x = try activation(0, inType, "input"), y = try output(0, outType)
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
        if x.dtype == .uint8 || y.dtype == .uint8 {
            requantizeMixedS8U8(p, input: s8(x), inputUnsigned: x.dtype == .uint8, count: Int(x.byteSize), output: outS8(y),
                                outputUnsigned: y.dtype == .uint8)
        } else {
            requantizeS8(p, input: s8(x), count: Int(x.byteSize), output: outS8(y))
        }
    }
}
