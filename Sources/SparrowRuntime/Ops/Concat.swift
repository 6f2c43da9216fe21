import SparrowFormat
import SparrowKernels

// Concat of any number of int8 tensors along one Shape4 axis, each input rescaled into the
// output's quantization (kernel: Concat.swift; params: ConcatParamRecord).

extension OperandCheck {
    mutating func concat() throws(ModelError) {
        let n = Int(op.inputCount)
        guard n >= 1 else { throw fail(.wrongInputCount, n, limit: 1, "inputs") }
        try counts(inputs: n, outputs: 1, params: ConcatParamRecord.wordCount(inputs: n))
        let y = try output(0, .int8)
        try quantizedS8(y, "output")
        let p = try params { w throws(ParamError) in try ConcatParamRecord(decoding: w, inputs: n) }
        let axis = Int(p.axis)
        let ys = shape4Of(y)
        var total = 0
        for i in 0..<n {
            let x = try input(i, .int8, "input")
            try quantizedS8(x, "input")
            let xs = shape4Of(x)
            for d in 0..<4 where d != axis { try same(xs.dim(d), ys.dim(d), "non-axis dim") }
            total += xs.dim(axis)
        }
        try same(total, ys.dim(axis), "axis length")
    }
}

extension Interpreter {
    func runConcat(_ o: OperatorRecord) {
        let y = result(o)
        let r = ConcatParamRecord(unchecked: model.paramWords(o))
        let axis = Int(r.axis)
        var offset = 0
        let ys = shape4Of(y)
        for i in 0..<Int(o.inputCount) {
            let xi = operand(o, i)
            let rescale = r.inputRescale(i)
            let p = RequantizeParams(inputZeroPoint: xi.zeroPoint, outputZeroPoint: y.zeroPoint,
                                     multiplier: rescale.multiplier, shift: rescale.shift,
                                     isIdentity: rescale.multiplier == 0)
            let xs = shape4Of(xi)
            concatSliceS8(p, input: s8(xi), inputShape: xs, axis: axis, offsetAlongAxis: offset,
                          output: outS8(y), outputShape: ys)
            offset += xs.dim(axis)
        }
    }
}
