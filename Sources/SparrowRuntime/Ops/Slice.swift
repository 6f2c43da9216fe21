import SparrowFormat
import SparrowKernels

// Slice (strided, any step) and Gather (constant index table along one axis): data movement that
// keeps the input's quantization (kernels: Slice.swift; params: SliceParamRecord,
// GatherParamRecord). Format 1.3.

extension OperandCheck {
    /// Input and output share scale and zero point: the kernels copy codes.
    func sameQuantization(_ x: TensorRecord, _ y: TensorRecord) throws(ModelError) {
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.zeroPoint), Int(x.zeroPoint), "zero point")
        guard y.scale == x.scale else { throw fail(.shapeMismatch, 0, "scale differs from the input's") }
    }

    mutating func slice() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: SliceParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try sameQuantization(x, y)
        let p = try params(SliceParamRecord.init(decoding:))
        let xs = shape4Of(x), ys = shape4Of(y)
        // First and last index of every axis inside the input: every read is.
        for d in 0..<4 {
            let (begin, step) = p.axis(d)
            let last = Int(begin) + (ys.dim(d) - 1) * Int(step)
            guard Int(begin) < xs.dim(d), last >= 0, last < xs.dim(d) else {
                throw fail(.shapeMismatch, last, limit: xs.dim(d), "slice index outside the input")
            }
        }
    }

    mutating func gather() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: GatherParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), table = try constant(1, .int32, "indices"), y = try output(0, .int8)
        try sameQuantization(x, y)
        let axis = Int(try params(GatherParamRecord.init(decoding:)).axis)
        let xs = shape4Of(x), ys = shape4Of(y), count = Int(table.byteSize) / 4
        for d in 0..<4 { try same(ys.dim(d), d == axis ? count : xs.dim(d), "output dim") }
        let indices = model.constantData(table).assumingMemoryBound(to: Int32.self)
        for j in 0..<count {
            let i = Int32(littleEndian: indices[j])
            guard i >= 0, Int(i) < xs.dim(axis) else { throw fail(.tapOutOfRange, Int(i), limit: xs.dim(axis), "gather index") }
        }
    }
}

extension Interpreter {
    func runSlice(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = SliceParamRecord(unchecked: model.paramWords(o))
        sliceS8(input: s8(x), inputShape: shape4Of(x),
                begin: (Int(r.begin.0), Int(r.begin.1), Int(r.begin.2), Int(r.begin.3)),
                step: (Int(r.step.0), Int(r.step.1), Int(r.step.2), Int(r.step.3)), output: outS8(y), outputShape: shape4Of(y))
    }

    func runGather(_ o: OperatorRecord) {
        let x = operand(o, 0), table = operand(o, 1), y = result(o)
        let r = GatherParamRecord(unchecked: model.paramWords(o))
        gatherS8(input: s8(x), inputShape: shape4Of(x), axis: Int(r.axis), indices: s32(table),
                 indexCount: Int(table.byteSize) / 4, output: outS8(y))
    }
}
