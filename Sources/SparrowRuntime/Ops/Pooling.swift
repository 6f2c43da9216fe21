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
        let (fh, fw) = try poolWindow(p, input: x, output: y)
        // The int32 window sum of 255-magnitude values stays exact below 2^23 cells.
        guard fh * fw <= 1 << 23 else { throw fail(.accumulatorBound, fh * fw, limit: 1 << 23, "window") }
    }

    /// The window of a pooling record (MaxPool, AveragePool, MaxPoolArgmax): it fits the padded
    /// input, and the output is the grid of windows. Returns the window's height and width.
    func poolWindow(_ p: PoolParamRecord, input x: TensorRecord, output y: TensorRecord) throws(ModelError) -> (Int, Int) {
        let fh = Int(p.filterH), fw = Int(p.filterW)
        let pt = Int(p.padTop), pl = Int(p.padLeft), pb = Int(p.padBottom), pr = Int(p.padRight)
        let xs = shape4Of(x), ys = shape4Of(y)
        guard xs.h + pt + pb >= fh, xs.w + pl + pr >= fw else { throw fail(.shapeMismatch, xs.h, limit: fh, "input smaller than window") }
        try same(ys.n, xs.n, "output batch"); try same(ys.c, xs.c, "output channels")
        try same(ys.h, (xs.h + pt + pb - fh) / Int(p.strideH) + 1, "output height")
        try same(ys.w, (xs.w + pl + pr - fw) / Int(p.strideW) + 1, "output width")
        return (fh, fw)
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

// MaxPoolArgmax and MaxUnpool: MediaPipe's MaxPoolingWithArgmax2D positions and MaxUnpooling2D
// (kernels: MaxUnpooling.swift; params: PoolParamRecord, UnpoolParamRecord). Format 1.3.

extension OperandCheck {
    mutating func maxPoolArgmax() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: PoolParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .uint8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input")
        let p = try params(PoolParamRecord.init(decoding:))
        let (fh, fw) = try poolWindow(p, input: x, output: y)
        // Positions are stored in one byte.
        guard fh * fw <= 256 else { throw fail(.shapeMismatch, fh * fw, limit: 256, "window cells") }
    }

    mutating func maxUnpool() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: UnpoolParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), positions = try activation(1, .uint8, "positions")
        let y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(positions, 4, "positions"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        // Values are copied: the output keeps the input's quantization (its zero point is real 0).
        try same(Int(y.zeroPoint), Int(x.zeroPoint), "output zero point")
        guard y.scale.bitPattern == x.scale.bitPattern else { throw fail(.badQuantization, 0, "output scale differs from input") }
        let xs = shape4Of(x), ps = shape4Of(positions), ys = shape4Of(y)
        try same(ps.n, xs.n, "positions batch"); try same(ps.h, xs.h, "positions height")
        try same(ps.w, xs.w, "positions width"); try same(ps.c, xs.c, "positions channels")
        try same(ys.n, xs.n, "output batch"); try same(ys.c, xs.c, "output channels")
        _ = try params(UnpoolParamRecord.init(decoding:))
        // y·strideH + 255 stays far below 2^31 (record fields ≤ 2^12, dims < 2^18 here).
        guard xs.h < 1 << 18, xs.w < 1 << 18 else { throw fail(.shapeMismatch, max(xs.h, xs.w), limit: 1 << 18, "input size") }
    }
}

extension Interpreter {
    func runMaxPoolArgmax(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = PoolParamRecord(unchecked: model.paramWords(o))
        let p = PoolParams(
            strideH: Int(r.strideH), strideW: Int(r.strideW), filterH: Int(r.filterH), filterW: Int(r.filterW),
            padTop: Int(r.padTop), padLeft: Int(r.padLeft), countIncludePad: false,
            activationMin: r.activation.min, activationMax: r.activation.max, zeroPoint: x.zeroPoint)
        maxPoolArgmaxS8(p, input: s8(x), inputShape: shape4Of(x), output: arenaAddress(y).assumingMemoryBound(to: UInt8.self),
                        outputShape: shape4Of(y))
    }

    func runMaxUnpool(_ o: OperatorRecord) {
        let x = operand(o, 0), positions = operand(o, 1), y = result(o)
        let r = UnpoolParamRecord(unchecked: model.paramWords(o))
        let p = UnpoolParams(strideH: Int(r.strideH), strideW: Int(r.strideW), filterW: Int(r.filterW),
                             padTop: Int(r.padTop), padLeft: Int(r.padLeft))
        maxUnpoolS8(p, input: s8(x), positions: address(positions).assumingMemoryBound(to: UInt8.self), inputShape: shape4Of(x),
                    zeroCode: Int8(truncatingIfNeeded: x.zeroPoint), output: outS8(y), outputShape: shape4Of(y))
    }
}
