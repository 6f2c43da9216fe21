import SparrowFormat
import SparrowKernels

// Add, Sub, Mul, Maximum and Minimum with numpy broadcasting on the NHWC-padded shapes (kernels: Elementwise.swift;
// params: AddParamRecord, MulParamRecord).

extension OperandCheck {
    mutating func add() throws(ModelError) {
        try broadcastOperands(params: AddParamRecord.wordCount)
        _ = try params(AddParamRecord.init(decoding:))
    }

    mutating func mul() throws(ModelError) {
        try broadcastOperands(params: MulParamRecord.wordCount)
        _ = try params(MulParamRecord.init(decoding:))
    }

    /// Maximum, Minimum: no parameters; the raw codes are compared.
    mutating func maxMin() throws(ModelError) {
        try broadcastOperands(params: 0)
    }

    /// Two int8 inputs whose shapes broadcast to the output's.
    func broadcastOperands(params: Int) throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: params)
        let a = try input(0, .int8, "input 1"), b = try input(1, .int8, "input 2"), y = try output(0, .int8)
        try quantizedS8(a, "input 1"); try quantizedS8(b, "input 2"); try quantizedS8(y, "output")
        let sa = shape4Of(a), sb = shape4Of(b), sy = shape4Of(y)
        for d in 0..<4 {
            let da = sa.dim(d), db = sb.dim(d), dy = sy.dim(d)
            guard (da == dy || da == 1) && (db == dy || db == 1) else { throw fail(.shapeMismatch, da, limit: dy, "broadcast") }
        }
    }
}

extension Interpreter {
    func runAdd(_ o: OperatorRecord, subtract: Bool) {
        let a = operand(o, 0), b = operand(o, 1), y = result(o)
        let r = AddParamRecord(unchecked: model.paramWords(o))
        let p = AddParams(
            input1ZeroPoint: a.zeroPoint, input2ZeroPoint: b.zeroPoint, outputZeroPoint: y.zeroPoint,
            leftShift: r.leftShift,
            input1Multiplier: r.input1.multiplier, input1Shift: r.input1.shift,
            input2Multiplier: r.input2.multiplier, input2Shift: r.input2.shift,
            outputMultiplier: r.output.multiplier, outputShift: r.output.shift,
            activationMin: r.activation.min, activationMax: r.activation.max, subtract: subtract)
        addS8(p, input1: s8(a), shape1: shape4Of(a), input2: s8(b), shape2: shape4Of(b), output: outS8(y),
              outputShape: shape4Of(y))
    }

    func runMaxMin(_ o: OperatorRecord, maximum: Bool) {
        let a = operand(o, 0), b = operand(o, 1), y = result(o)
        maxMinS8(maximum: maximum, input1: s8(a), shape1: shape4Of(a), input2: s8(b), shape2: shape4Of(b), output: outS8(y),
                 outputShape: shape4Of(y))
    }

    func runMul(_ o: OperatorRecord) {
        let a = operand(o, 0), b = operand(o, 1), y = result(o)
        let r = MulParamRecord(unchecked: model.paramWords(o))
        let p = MulParams(input1ZeroPoint: a.zeroPoint, input2ZeroPoint: b.zeroPoint, outputZeroPoint: y.zeroPoint,
                          outputMultiplier: r.output.multiplier, outputShift: r.output.shift,
                          activationMin: r.activation.min, activationMax: r.activation.max)
        mulS8(p, input1: s8(a), shape1: shape4Of(a), input2: s8(b), shape2: shape4Of(b), output: outS8(y),
              outputShape: shape4Of(y))
    }
}
