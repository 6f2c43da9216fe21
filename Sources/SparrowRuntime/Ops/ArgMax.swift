import SparrowFormat
import SparrowKernels

// ArgMax along one Shape4 axis, int8 in, int32 (TFLite) or int64 (ONNX) indices out (kernel:
// ArgMax.swift; params: ArgMaxParamRecord). Format 1.3.

extension OperandCheck {
    mutating func argMax() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: ArgMaxParamRecord.wordCount)
        let x = try activation(0, .int8, "input")
        let y = try output(0, model.tensor(model.output(op, 0)).dtype == .int64 ? .int64 : .int32)
        try quantizedS8(x, "input")
        let axis = Int(try params(ArgMaxParamRecord.init(decoding:)).axis)
        let xs = shape4Of(x)
        try same(Int(y.byteSize), (y.dtype?.byteWidth ?? 4) * (xs.count / xs.dim(axis)), "output size")
    }
}

extension Interpreter {
    func runArgMax(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = ArgMaxParamRecord(unchecked: model.paramWords(o))
        if y.dtype == .int64 {
            argMaxS8(input: s8(x), inputShape: shape4Of(x), axis: Int(r.axis), selectLast: r.selectLast,
                     output: arenaAddress(y).assumingMemoryBound(to: Int64.self))
        } else {
            argMaxS8(input: s8(x), inputShape: shape4Of(x), axis: Int(r.axis), selectLast: r.selectLast,
                     output: arenaAddress(y).assumingMemoryBound(to: Int32.self))
        }
    }
}
