import SparrowFormat
import SparrowKernels

// MaxPool and AveragePool over H and W; the output keeps the input's quantization (kernels:
// Pooling.swift; params: PoolParamRecord).

extension OperandCheck {
    mutating func pool() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: PoolParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        // Pooling keeps the input's quantization (no rescale in the kernels).
        try same(Int(y.zeroPoint), Int(x.zeroPoint), "output zero point")
        guard y.scale.bitPattern == x.scale.bitPattern else { throw fail(.badQuantization, 0, "output scale differs from input") }
        let p = try params(PoolParamRecord.init(decoding:))
        let fh = Int(p.filterH), fw = Int(p.filterW)
        let pt = Int(p.padTop), pl = Int(p.padLeft), pb = Int(p.padBottom), pr = Int(p.padRight)
        let xs = shape4Of(x), ys = shape4Of(y)
        guard xs.h + pt + pb >= fh, xs.w + pl + pr >= fw else { throw fail(.shapeMismatch, xs.h, limit: fh, "input smaller than window") }
        try same(ys.n, xs.n, "output batch"); try same(ys.c, xs.c, "output channels")
        try same(ys.h, (xs.h + pt + pb - fh) / Int(p.strideH) + 1, "output height")
        try same(ys.w, (xs.w + pl + pr - fw) / Int(p.strideW) + 1, "output width")
        // The int32 window sum of 255-magnitude values stays exact below 2^23 cells.
        guard fh * fw <= 1 << 23 else { throw fail(.accumulatorBound, fh * fw, limit: 1 << 23, "window") }
    }
}

extension Interpreter {
    func runPool(_ o: OperatorRecord, max: Bool) {
        let x = operand(o, 0), y = result(o)
        let r = PoolParamRecord(unchecked: model.paramWords(o))
        let p = PoolParams(
            strideH: Int(r.strideH), strideW: Int(r.strideW), filterH: Int(r.filterH), filterW: Int(r.filterW),
            padTop: Int(r.padTop), padLeft: Int(r.padLeft), countIncludePad: r.countIncludePad,
            activationMin: r.activation.min, activationMax: r.activation.max, zeroPoint: x.zeroPoint)
        if max {
            maxPoolS8(p, input: s8(x), inputShape: shape4Of(x), output: outS8(y), outputShape: shape4Of(y))
        } else {
            averagePoolS8(p, input: s8(x), inputShape: shape4Of(x), output: outS8(y), outputShape: shape4Of(y))
        }
    }
}
