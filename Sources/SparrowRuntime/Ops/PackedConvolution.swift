import SparrowFormat
import SparrowKernels

// PackedDepthwise3x3 (opcode 51) and PackedConvIm2col (opcode 52): convolutions on weights the
// converter packed for the microkernels (kernels: Qs8Dwconv3x3+Neon.swift, Qs8ConvIm2col.swift;
// layouts: Qs8Dwconv3x3+Packing.swift, Qs8Gemm+Packing.swift; params: Params+Packed.swift).
// Format 1.3. The microkernel is chosen by this build's CPUFeatures; every layout has a portable
// twin, so any build runs any file bit-identically. The im2col rows live in a scratch tensor the
// converter's memory planner placed in the arena (the operator's second output).

extension OperandCheck {
    mutating func packedDepthwise3x3() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: PackedDepthwise3x3ParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), packed = try constant(1, .int8, "packed weights"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let r = try params(PackedDepthwise3x3ParamRecord.init(decoding:))
        let xs = shape4Of(x), ys = shape4Of(y), s = Int(r.stride)
        let paddedH = xs.h + Int(r.padTop) + Int(r.padBottom), paddedW = xs.w + Int(r.padLeft) + Int(r.padRight)
        guard paddedH >= 3, paddedW >= 3 else { throw fail(.shapeMismatch, min(paddedH, paddedW), limit: 3, "input smaller than filter") }
        try same(ys.n, xs.n, "output batch")
        try same(ys.c, xs.c, "output channels")
        try same(ys.h, (paddedH - 3) / s + 1, "output height")
        try same(ys.w, (paddedW - 3) / s + 1, "output width")
        try same(Int(packed.byteSize), Qs8Dwconv3x3Layout.packedBytes(c: xs.c), "packed weights size")
        // A group record is a GEMM group of NR 16 with K = 9 taps of one byte (Qs8Dwconv3x3+Packing.swift).
        try packedGroups(packed, tile: Qs8GemmTile(mr: 1, nr: Qs8Dwconv3x3Layout.channels, kr: 1), n: xs.c, k: 9)
    }

    mutating func packedConvIm2col() throws(ModelError) {
        try counts(inputs: 2, outputs: 2, params: PackedConvIm2colParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), packed = try constant(1, .int8, "packed weights"), y = try output(0, .int8)
        let scratch = try output(1, .int8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let r = try params(PackedConvIm2colParamRecord.init(decoding:))
        let p = r.conv, xs = shape4Of(x), ys = shape4Of(y), kh = Int(r.kernelH), kw = Int(r.kernelW)
        let effH = Int(p.dilationH) * (kh - 1) + 1, effW = Int(p.dilationW) * (kw - 1) + 1
        let paddedH = xs.h + Int(p.padTop) + Int(p.padBottom), paddedW = xs.w + Int(p.padLeft) + Int(p.padRight)
        guard paddedH >= effH, paddedW >= effW else { throw fail(.shapeMismatch, xs.h, limit: effH, "input smaller than filter") }
        try same(ys.n, xs.n, "output batch")
        try same(ys.h, (paddedH - effH) / Int(p.strideH) + 1, "output height")
        try same(ys.w, (paddedW - effW) / Int(p.strideW) + 1, "output width")
        let (k, overflow) = (kh * kw).multipliedReportingOverflow(by: xs.c)
        guard !overflow, k <= maxAccumulationDepth else { throw fail(.accumulatorBound, k, limit: maxAccumulationDepth, "depth") }
        let tile = Qs8GemmTile(mr: 1, nr: Int(r.layout.nr), kr: Int(r.layout.kr))
        try same(Int(packed.byteSize), tile.packedBytes(n: ys.c, k: k), "packed weights size")
        try packedGroups(packed, tile: tile, n: ys.c, k: k)
        // The scratch: a plain arena tensor (not an alias of anything), alive only while this
        // operator runs (the plan check proves no other live tensor shares its bytes), and as
        // large as this build's microkernel needs for its MR rows.
        let scratchIndex = model.output(op, 1)
        guard scratch.storage == .arena, Int(scratch.liveTo) == index else {
            throw fail(.badLifetime, scratchIndex, limit: index, "im2col scratch (arena, alive only during its operator)")
        }
        if y.storage == .alias { guard Int(y.location) != scratchIndex else { throw fail(.arenaOverlap, scratchIndex, "im2col scratch") } }
        guard model.output(op, 0) != scratchIndex else { throw fail(.arenaOverlap, scratchIndex, "im2col scratch") }
        let config = Qs8GemmConfig.select(for: .thisBuild, packedNR: tile.nr, kr: tile.kr)
        let needed = qs8ConvIm2colScratchBytes(config, kernelH: kh, kernelW: kw, inputChannels: xs.c)
        guard Int(scratch.byteSize) >= needed else { throw fail(.shapeMismatch, Int(scratch.byteSize), limit: needed, "im2col scratch size") }
    }
}

extension Interpreter {
    func runPackedDepthwise3x3(_ o: OperatorRecord) {
        let x = operand(o, 0), packed = operand(o, 1), y = result(o)
        let r = PackedDepthwise3x3ParamRecord(unchecked: model.paramWords(o))
        let xs = shape4Of(x), ys = shape4Of(y)
        let shape = Qs8Dwconv3x3Shape(batches: xs.n, inH: xs.h, inW: xs.w, channels: xs.c, outH: ys.h, outW: ys.w,
                                      stride: Int(r.stride), padTop: Int(r.padTop), padLeft: Int(r.padLeft))
        let p = Qs8DwconvParams(inputZeroPoint: Int8(truncatingIfNeeded: x.zeroPoint),
                                output: Qs8GemmParams(outputZeroPoint: y.zeroPoint,
                                                      activationMin: Int8(truncatingIfNeeded: r.activation.min),
                                                      activationMax: Int8(truncatingIfNeeded: r.activation.max)))
        Qs8Dwconv3x3Config.select(for: .thisBuild).kernel(shape, p, s8(x), UnsafeRawPointer(s8(packed)), outS8(y))
    }

    func runPackedConvIm2col(_ o: OperatorRecord) {
        let x = operand(o, 0), packed = operand(o, 1), y = result(o), scratch = model.tensor(model.output(o, 1))
        let r = PackedConvIm2colParamRecord(unchecked: model.paramWords(o))
        let c = r.conv
        let config = Qs8GemmConfig.select(for: .thisBuild, packedNR: Int(r.layout.nr), kr: Int(r.layout.kr))
        let p = ConvParams(
            strideH: Int(c.strideH), strideW: Int(c.strideW), dilationH: Int(c.dilationH), dilationW: Int(c.dilationW),
            padTop: Int(c.padTop), padLeft: Int(c.padLeft), depthMultiplier: 1,
            inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
            activationMin: c.activation.min, activationMax: c.activation.max)
        qs8ConvIm2col(config, p, input: s8(x), inputShape: shape4Of(x), kernelH: Int(r.kernelH), kernelW: Int(r.kernelW),
                      packed: UnsafeRawPointer(s8(packed)), output: outS8(y), outputShape: shape4Of(y),
                      scratch: outS8(scratch))
    }
}
