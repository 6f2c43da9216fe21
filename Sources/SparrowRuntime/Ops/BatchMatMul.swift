import SparrowFormat
import SparrowKernels

// BatchMatMul of two int8 activations through per-operand axis maps (kernel: BatchMatMul.swift;
// params: BatchMatMulParamRecord). Format 1.3.

/// The Shape4 strides of `shape` read along the logical axes `axes`.
func matMulStrides(_ shape: Shape4, _ axes: MatMulAxes, broadcastBatches: Bool = true) -> MatMulStrides {
    func stride(_ axis: Int32, batch: Bool) -> Int {
        let a = Int(axis)
        if batch && broadcastBatches && shape.dim(a) == 1 { return 0 }
        switch a {
        case 0: return shape.h * shape.w * shape.c
        case 1: return shape.w * shape.c
        case 2: return shape.c
        default: return 1
        }
    }
    return MatMulStrides(batch0: stride(axes.batch0, batch: true), batch1: stride(axes.batch1, batch: true),
                         first: stride(axes.first, batch: false), second: stride(axes.second, batch: false))
}

extension OperandCheck {
    mutating func batchMatMul() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: BatchMatMulParamRecord.wordCount)
        // The right operand may be a constant (a batched constant B), quantized per tensor.
        let a = try activation(0, .int8, "left"), b = try input(1, .int8, "right"), y = try output(0, .int8)
        try quantizedS8(a, "left"); try quantizedS8(b, "right"); try quantizedS8(y, "output")
        let r = try params(BatchMatMulParamRecord.init(decoding:))
        let sa = shape4Of(a), sb = shape4Of(b), sy = shape4Of(y)
        func dim(_ s: Shape4, _ axis: Int32) -> Int { s.dim(Int(axis)) }
        // Batches: the output's, each operand's equal to it or 1 (broadcast).
        func batch(_ n: Int, _ v: Int, _ field: StaticString) throws(ModelError) {
            guard v == n || v == 1 else { throw fail(.shapeMismatch, v, limit: n, field) }
        }
        try batch(dim(sy, r.outputAxes.batch0), dim(sa, r.leftAxes.batch0), "batch0")
        try batch(dim(sy, r.outputAxes.batch0), dim(sb, r.rightAxes.batch0), "batch0")
        try batch(dim(sy, r.outputAxes.batch1), dim(sa, r.leftAxes.batch1), "batch1")
        try batch(dim(sy, r.outputAxes.batch1), dim(sb, r.rightAxes.batch1), "batch1")
        try same(dim(sa, r.leftAxes.first), dim(sy, r.outputAxes.first), "rows")
        try same(dim(sb, r.rightAxes.second), dim(sy, r.outputAxes.second), "columns")
        let depth = dim(sa, r.leftAxes.second)
        try same(dim(sb, r.rightAxes.first), depth, "depth")
        guard depth <= maxMatMulDepth else { throw fail(.accumulatorBound, depth, limit: maxMatMulDepth, "depth") }
    }
}

extension Interpreter {
    func runBatchMatMul(_ o: OperatorRecord) {
        let a = operand(o, 0), b = operand(o, 1), y = result(o)
        let r = BatchMatMulParamRecord(unchecked: model.paramWords(o))
        let sa = shape4Of(a), sb = shape4Of(b), sy = shape4Of(y)
        let sizes = MatMulSizes(batch0: sy.dim(Int(r.outputAxes.batch0)), batch1: sy.dim(Int(r.outputAxes.batch1)),
                                rows: sy.dim(Int(r.outputAxes.first)), depth: sa.dim(Int(r.leftAxes.second)),
                                columns: sy.dim(Int(r.outputAxes.second)))
        let p = BatchMatMulParams(leftZeroPoint: a.zeroPoint, rightZeroPoint: b.zeroPoint, outputZeroPoint: y.zeroPoint,
                                  multiplier: r.output.multiplier, shift: r.output.shift,
                                  activationMin: r.activation.min, activationMax: r.activation.max)
        batchMatMulS8(p, sizes: sizes, left: s8(a), leftStrides: matMulStrides(sa, r.leftAxes),
                      right: s8(b), rightStrides: matMulStrides(sb, r.rightAxes),
                      output: outS8(y), outputStrides: matMulStrides(sy, r.outputAxes, broadcastBatches: false))
    }
}
