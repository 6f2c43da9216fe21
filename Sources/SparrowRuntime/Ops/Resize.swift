import SparrowFormat
import SparrowKernels

// Resize of H and W, nearest or bilinear, from a constant tap table (kernel: Resize.swift;
// params: ResizeParamRecord). Format 1.3.

extension OperandCheck {
    mutating func resize() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: ResizeParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), taps = try constant(1, .int32, "taps"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        _ = try params(ResizeParamRecord.init(decoding:))
        // The kernel interpolates codes without rescaling.
        try same(Int(y.zeroPoint), Int(x.zeroPoint), "zero point")
        guard y.scale == x.scale else { throw fail(.shapeMismatch, 0, "scale differs from the input's") }
        let xs = shape4Of(x), ys = shape4Of(y)
        try same(ys.n, xs.n, "batch"); try same(ys.c, xs.c, "channels")
        try same(Int(taps.byteSize), 12 * (ys.h + ys.w), "taps size")
        // Every index inside its axis and every weight in 0...1024: the kernel's reads and its
        // accumulator proof depend on both.
        let t = model.constantData(taps).assumingMemoryBound(to: Int32.self)
        for k in 0..<(ys.h + ys.w) {
            let size = k < ys.h ? xs.h : xs.w
            for j in 0..<2 {
                let i = Int32(littleEndian: t[3 * k + j])
                guard i >= 0, Int(i) < size else { throw fail(.tapOutOfRange, Int(i), limit: size, "taps index") }
            }
            let weight = Int32(littleEndian: t[3 * k + 2])
            guard weight >= 0, weight <= resizeWeightOne else {
                throw fail(.tapOutOfRange, Int(weight), limit: Int(resizeWeightOne), "taps weight")
            }
        }
    }
}

extension Interpreter {
    func runResize(_ o: OperatorRecord) {
        let x = operand(o, 0), taps = operand(o, 1), y = result(o)
        let r = ResizeParamRecord(unchecked: model.paramWords(o))
        let ys = shape4Of(y)
        resizeS8(input: s8(x), inputShape: shape4Of(x), outputHeight: ys.h, outputWidth: ys.w,
                 taps: s32(taps), bilinear: r.bilinear, output: outS8(y))
    }
}
