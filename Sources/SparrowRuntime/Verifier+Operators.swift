import SparrowFormat
import SparrowKernels

// Per-opcode checks: operand counts, dtypes, storage, shapes, parameters, and the bounds that
// the kernels' overflow proofs rely on. Also proves the memory plan's lifetime claims cover
// every read and write of each operator.

extension VerifiedModel {
    func checkOperator(_ k: Int) throws(ModelError) {
        let o = op(k)
        guard let opcode = o.opcode else { throw ModelError(.badOpcode, .operators, index: k, value: Int(o.opcodeRaw)) }
        let operandCount = Int(o.inputCount) + Int(o.outputCount)
        guard UInt(o.indicesStart) <= UInt(indexCount), operandCount <= indexCount - Int(o.indicesStart) else {
            throw ModelError(.indicesOutOfBounds, .operators, index: k, value: Int(bitPattern: UInt(o.indicesStart)), limit: indexCount)
        }
        guard UInt(o.paramsStart) <= UInt(paramCount), Int(o.paramCount) <= paramCount - Int(o.paramsStart) else {
            throw ModelError(.paramsOutOfBounds, .operators, index: k, value: Int(bitPattern: UInt(o.paramsStart)), limit: paramCount)
        }
        guard UInt(o.nameOffset) <= UInt(stringsSize), UInt(o.nameLength) <= UInt(stringsSize - Int(o.nameOffset)) else {
            throw ModelError(.nameOutOfBounds, .operators, index: k, value: Int(bitPattern: UInt(o.nameOffset)), limit: stringsSize)
        }
        // Every operand index is a tensor; inputs are constants or written earlier and still
        // alive per the plan; outputs are arena tensors this operator is planned to write.
        for j in 0..<operandCount {
            let t = Int(word(indicesAt, Int(o.indicesStart) + j))
            let isOptional = t == -1 && j < Int(o.inputCount)
            if isOptional { continue }
            guard t >= 0, t < tensorCount else {
                throw ModelError(.tensorIndexOutOfRange, .operators, index: k, value: t, limit: tensorCount, field: "operand")
            }
            let r = tensor(t)
            if j < Int(o.inputCount) {
                if r.storage == .constant { continue }
                guard Int(r.liveFrom) < k else { throw ModelError(.usedBeforeWritten, .operators, index: k, value: t) }
                guard Int(r.liveTo) >= k else {
                    throw ModelError(.lifetimeTooShort, .operators, index: k, value: t, limit: Int(r.liveTo))
                }
            } else {
                guard r.storage != .constant else { throw ModelError(.notInArena, .operators, index: k, value: t, field: "output") }
                guard Int(r.liveFrom) == k else {
                    throw ModelError(.tensorWrittenTwice, .operators, index: k, value: t, limit: Int(r.liveFrom), field: "output")
                }
            }
        }
        var c = OperandCheck(model: self, op: o, index: k)
        switch opcode {
        case .conv2D, .depthwiseConv2D: try c.convolution(depthwise: opcode == .depthwiseConv2D)
        case .fullyConnected: try c.fullyConnected()
        case .add, .sub: try c.binary(paramCount: AddParam.count, activation: AddParam.activationMin, multipliers: true)
        case .mul: try c.binary(paramCount: MulParam.count, activation: MulParam.activationMin, multipliers: false)
        case .maxPool, .averagePool: try c.pool()
        case .mean: try c.mean()
        case .softmax: try c.softmax()
        case .concat: try c.concat()
        case .pad: try c.pad()
        case .reshape: try c.reshape()
        case .quantize: try c.convert(from: .float32, to: .int8)
        case .dequantize: try c.convert(from: .int8, to: .float32)
        case .lookup: try c.lookup()
        case .transpose: try c.transpose()
        case .requantize: try c.requantize()
        case .sparseFullyConnected: try c.sparseFullyConnected()
        case .sparseConv1x1: try c.sparseConv1x1()
        }
    }
}

/// Checks one operator's operands; every failure names the operator index and the field.
struct OperandCheck {
    let model: VerifiedModel
    let op: OperatorRecord
    let index: Int

    func fail(_ reason: ModelError.Reason, _ value: Int, limit: Int = 0, _ field: StaticString) -> ModelError {
        ModelError(reason, .operators, index: index, value: value, limit: limit, field: field)
    }

    func counts(inputs: Int, outputs: Int, params: Int) throws(ModelError) {
        guard Int(op.inputCount) == inputs else { throw fail(.wrongInputCount, Int(op.inputCount), limit: inputs, "inputs") }
        guard Int(op.outputCount) == outputs else { throw fail(.wrongOutputCount, Int(op.outputCount), limit: outputs, "outputs") }
        guard Int(op.paramCount) == params else { throw fail(.wrongParamCount, Int(op.paramCount), limit: params, "params") }
    }

    /// Input `k`, required present, with the given dtype.
    func input(_ k: Int, _ dtype: DType, _ field: StaticString) throws(ModelError) -> TensorRecord {
        let t = model.input(op, k)
        guard t >= 0 else { throw fail(.tensorIndexOutOfRange, t, field) }
        let r = model.tensor(t)
        guard r.dtype == dtype else { throw fail(.wrongDType, Int(r.dtypeCode), limit: Int(dtype.rawValue), field) }
        return r
    }

    func output(_ k: Int, _ dtype: DType) throws(ModelError) -> TensorRecord {
        let r = model.tensor(model.output(op, k))
        guard r.dtype == dtype else { throw fail(.wrongDType, Int(r.dtypeCode), limit: Int(dtype.rawValue), "output") }
        return r
    }

    func constant(_ k: Int, _ dtype: DType, _ field: StaticString) throws(ModelError) -> TensorRecord {
        let r = try input(k, dtype, field)
        guard r.storage == .constant else { throw fail(.notConstant, model.input(op, k), field) }
        return r
    }

    func activation(_ k: Int, _ dtype: DType, _ field: StaticString) throws(ModelError) -> TensorRecord {
        let r = try input(k, dtype, field)
        guard r.storage != .constant else { throw fail(.notInArena, model.input(op, k), field) }
        return r
    }

    func rank(_ r: TensorRecord, _ expected: Int, _ field: StaticString) throws(ModelError) {
        guard Int(r.rank) == expected else { throw fail(.wrongRank, Int(r.rank), limit: expected, field) }
    }

    /// int8 activations are per-tensor quantized with an int8 zero point.
    func quantizedS8(_ r: TensorRecord, _ field: StaticString) throws(ModelError) {
        guard r.quant == .perTensor else { throw fail(.badQuantization, Int(r.quantCode), field) }
    }

    func param(_ k: Int) -> Int32 { model.param(op, k) }

    func positive(_ k: Int, _ field: StaticString, max: Int32 = 1 << 16) throws(ModelError) -> Int {
        let v = param(k)
        guard v >= 1, v <= max else { throw fail(.badParameter, Int(v), limit: Int(max), field) }
        return Int(v)
    }

    func nonNegative(_ k: Int, _ field: StaticString, max: Int32 = 1 << 16) throws(ModelError) -> Int {
        let v = param(k)
        guard v >= 0, v <= max else { throw fail(.badParameter, Int(v), limit: Int(max), field) }
        return Int(v)
    }

    func activationRange(_ k: Int) throws(ModelError) {
        let lo = param(k), hi = param(k + 1)
        guard lo >= -128, hi <= 127, lo <= hi else { throw fail(.badActivationRange, Int(lo), limit: Int(hi), "activation") }
    }

    func requant(multiplier m: Int32, shift s: Int32, _ field: StaticString) throws(ModelError) {
        guard m == 0 || m >= (1 << 30) else { throw fail(.badMultiplier, Int(m), limit: 1 << 30, field) }
        guard s >= -31, s <= 30 else { throw fail(.badShift, Int(s), limit: 30, field) }
    }

    func same(_ a: Int, _ b: Int, _ field: StaticString) throws(ModelError) {
        guard a == b else { throw fail(.shapeMismatch, a, limit: b, field) }
    }

    /// Weights, bias, multipliers and shifts of a conv or fully connected op; returns nothing,
    /// but establishes the bounds the kernels' int32 accumulator proof assumes (Requantize.swift).
    func weightsAndRequant(weights w: TensorRecord, outChannels: Int, depth: Int) throws(ModelError) {
        guard depth <= maxAccumulationDepth else { throw fail(.accumulatorBound, depth, limit: maxAccumulationDepth, "depth") }
        let weights = model.constantData(w).assumingMemoryBound(to: Int8.self)
        for i in 0..<Int(w.byteSize) where weights[i] == -128 { throw fail(.weightOutOfRange, i, "weights") }
        try requantOperands(firstInput: 2, outChannels: outChannels)
    }

    /// Bias (input `firstInput`, optional), multipliers and shifts (the next two inputs): constant
    /// int32 arrays of `outChannels` entries, within the bounds of the kernels' accumulator proof
    /// (|bias| <= maxBiasMagnitude, with depth * 32385 < 2^30, keeps |acc| < 2^31). Shared by the
    /// dense and the sparse conv/FC operators.
    func requantOperands(firstInput: Int, outChannels: Int) throws(ModelError) {
        if model.input(op, firstInput) >= 0 {
            let b = try constant(firstInput, .int32, "bias")
            guard Int(b.byteSize) == outChannels * 4 else { throw fail(.notPerChannelLength, Int(b.byteSize) / 4, limit: outChannels, "bias") }
            let bias = model.constantData(b).assumingMemoryBound(to: Int32.self)
            let headroom = Int(maxBiasMagnitude)
            for i in 0..<outChannels {
                let v = Int32(littleEndian: bias[i])
                guard v != Int32.min, Int(v.magnitude) <= headroom else { throw fail(.biasOutOfRange, Int(v), limit: headroom, "bias") }
            }
        }
        let m = try constant(firstInput + 1, .int32, "multipliers"), s = try constant(firstInput + 2, .int32, "shifts")
        guard Int(m.byteSize) == outChannels * 4 else { throw fail(.notPerChannelLength, Int(m.byteSize) / 4, limit: outChannels, "multipliers") }
        guard Int(s.byteSize) == outChannels * 4 else { throw fail(.notPerChannelLength, Int(s.byteSize) / 4, limit: outChannels, "shifts") }
        let mp = model.constantData(m).assumingMemoryBound(to: Int32.self)
        let sp = model.constantData(s).assumingMemoryBound(to: Int32.self)
        for i in 0..<outChannels {
            try requant(multiplier: Int32(littleEndian: mp[i]), shift: Int32(littleEndian: sp[i]), "multipliers/shifts")
        }
    }

    mutating func convolution(depthwise: Bool) throws(ModelError) {
        try counts(inputs: 5, outputs: 1, params: depthwise ? ConvParam.countDepthwise : ConvParam.countConv)
        let x = try activation(0, .int8, "input"), w = try constant(1, .int8, "filter"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(w, 4, "filter"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let strideH = try positive(ConvParam.strideH, "strideH"), strideW = try positive(ConvParam.strideW, "strideW")
        let dilH = try positive(ConvParam.dilationH, "dilationH"), dilW = try positive(ConvParam.dilationW, "dilationW")
        let padT = try nonNegative(ConvParam.padTop, "padTop"), padL = try nonNegative(ConvParam.padLeft, "padLeft")
        let padB = try nonNegative(ConvParam.padBottom, "padBottom"), padR = try nonNegative(ConvParam.padRight, "padRight")
        try activationRange(ConvParam.activationMin)
        let xs = shape4Of(x), ws = shape4Of(w), ys = shape4Of(y)
        let outChannels: Int, depth: Int
        if depthwise {
            let multiplier = try positive(ConvParam.depthMultiplier, "depthMultiplier")
            try same(ws.n, 1, "filter dim 0")
            try same(ws.c, xs.c * multiplier, "filter channels")
            outChannels = ws.c
            depth = ws.h * ws.w
        } else {
            try same(ws.c, xs.c, "filter input channels")
            outChannels = ws.n
            depth = ws.h * ws.w * ws.c
        }
        try same(ys.n, xs.n, "output batch")
        try same(ys.c, outChannels, "output channels")
        let effH = dilH * (ws.h - 1) + 1, effW = dilW * (ws.w - 1) + 1
        guard xs.h + padT + padB >= effH, xs.w + padL + padR >= effW else { throw fail(.shapeMismatch, xs.h, limit: effH, "input smaller than filter") }
        try same(ys.h, (xs.h + padT + padB - effH) / strideH + 1, "output height")
        try same(ys.w, (xs.w + padL + padR - effW) / strideW + 1, "output width")
        try weightsAndRequant(weights: w, outChannels: outChannels, depth: depth)
    }

    mutating func fullyConnected() throws(ModelError) {
        try counts(inputs: 5, outputs: 1, params: FullyConnectedParam.count)
        let x = try activation(0, .int8, "input"), w = try constant(1, .int8, "weights"), y = try output(0, .int8)
        try rank(w, 2, "weights")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try activationRange(FullyConnectedParam.activationMin)
        let depth = Int(w.dims.1), outDepth = Int(w.dims.0)
        guard x.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "input") }
        try same(Int(x.dim(Int(x.rank) - 1)), depth, "input depth")
        guard y.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "output") }
        try same(Int(y.dim(Int(y.rank) - 1)), outDepth, "output depth")
        try same(Int(y.byteSize) / outDepth, Int(x.byteSize) / depth, "batches")
        try weightsAndRequant(weights: w, outChannels: outDepth, depth: depth)
    }

    /// Add, Sub, Mul: numpy broadcasting on the NHWC-padded shapes.
    mutating func binary(paramCount: Int, activation: Int, multipliers: Bool) throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: paramCount)
        let a = try input(0, .int8, "input 1"), b = try input(1, .int8, "input 2"), y = try output(0, .int8)
        try quantizedS8(a, "input 1"); try quantizedS8(b, "input 2"); try quantizedS8(y, "output")
        let sa = shape4Of(a), sb = shape4Of(b), sy = shape4Of(y)
        for d in 0..<4 {
            let da = sa.dim(d), db = sb.dim(d), dy = sy.dim(d)
            guard (da == dy || da == 1) && (db == dy || db == 1) else { throw fail(.shapeMismatch, da, limit: dy, "broadcast") }
        }
        try activationRange(activation)
        if multipliers {
            guard param(AddParam.leftShift) >= 0, param(AddParam.leftShift) <= 20 else {
                throw fail(.badParameter, Int(param(AddParam.leftShift)), limit: 20, "leftShift")
            }
            try requant(multiplier: param(AddParam.input1Multiplier), shift: param(AddParam.input1Shift), "input1Multiplier")
            try requant(multiplier: param(AddParam.input2Multiplier), shift: param(AddParam.input2Shift), "input2Multiplier")
            try requant(multiplier: param(AddParam.outputMultiplier), shift: param(AddParam.outputShift), "outputMultiplier")
        } else {
            try requant(multiplier: param(MulParam.outputMultiplier), shift: param(MulParam.outputShift), "outputMultiplier")
        }
    }

    mutating func pool() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: PoolParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        // Pooling keeps the input's quantization (no rescale in the kernels).
        try same(Int(y.zeroPoint), Int(x.zeroPoint), "output zero point")
        guard y.scale.bitPattern == x.scale.bitPattern else { throw fail(.badQuantization, 0, "output scale differs from input") }
        let sh = try positive(PoolParam.strideH, "strideH"), sw = try positive(PoolParam.strideW, "strideW")
        let fh = try positive(PoolParam.filterH, "filterH"), fw = try positive(PoolParam.filterW, "filterW")
        // Padding smaller than the window keeps at least one real cell in every window.
        let pt = try nonNegative(PoolParam.padTop, "padTop", max: Int32(fh - 1))
        let pl = try nonNegative(PoolParam.padLeft, "padLeft", max: Int32(fw - 1))
        let pb = try nonNegative(PoolParam.padBottom, "padBottom", max: Int32(fh - 1))
        let pr = try nonNegative(PoolParam.padRight, "padRight", max: Int32(fw - 1))
        _ = try nonNegative(PoolParam.countIncludePad, "countIncludePad", max: 1)
        try activationRange(PoolParam.activationMin)
        let xs = shape4Of(x), ys = shape4Of(y)
        guard xs.h + pt + pb >= fh, xs.w + pl + pr >= fw else { throw fail(.shapeMismatch, xs.h, limit: fh, "input smaller than window") }
        try same(ys.n, xs.n, "output batch"); try same(ys.c, xs.c, "output channels")
        try same(ys.h, (xs.h + pt + pb - fh) / sh + 1, "output height")
        try same(ys.w, (xs.w + pl + pr - fw) / sw + 1, "output width")
        // The int32 window sum of 255-magnitude values stays exact below 2^23 cells.
        guard fh * fw <= 1 << 23 else { throw fail(.accumulatorBound, fh * fw, limit: 1 << 23, "window") }
    }

    mutating func mean() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: MeanParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try rank(x, 4, "input")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let xs = shape4Of(x)
        try same(Int(y.byteSize), xs.n * xs.c, "output size")
        guard xs.h * xs.w <= maxMeanElementCount else {
            throw fail(.accumulatorBound, xs.h * xs.w, limit: maxMeanElementCount, "H*W")
        }
        try requant(multiplier: param(MeanParam.multiplier), shift: param(MeanParam.shift), "multiplier")
    }

    mutating func softmax() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: SoftmaxParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
        try same(Int(y.zeroPoint), -128, "output zero point")
        try requant(multiplier: param(SoftmaxParam.inputMultiplier), shift: param(SoftmaxParam.inputShift), "inputMultiplier")
        // The fixed-point sum of exps holds up to 4096 terms exactly (Softmax.swift).
        let depth = Int(x.rank) == 0 ? 1 : Int(x.dim(Int(x.rank) - 1))
        guard depth <= 4095 else { throw fail(.accumulatorBound, depth, limit: 4095, "depth") }
        guard param(SoftmaxParam.diffMin) <= 0 else { throw fail(.badParameter, Int(param(SoftmaxParam.diffMin)), "diffMin") }
    }

    mutating func concat() throws(ModelError) {
        let n = Int(op.inputCount)
        guard n >= 1 else { throw fail(.wrongInputCount, n, limit: 1, "inputs") }
        try counts(inputs: n, outputs: 1, params: ConcatParam.firstInput + ConcatParam.wordsPerInput * n)
        let y = try output(0, .int8)
        try quantizedS8(y, "output")
        let axis = try nonNegative(ConcatParam.axis, "axis", max: 3)
        let ys = shape4Of(y)
        var total = 0
        for i in 0..<n {
            let x = try input(i, .int8, "input")
            try quantizedS8(x, "input")
            let xs = shape4Of(x)
            for d in 0..<4 where d != axis { try same(xs.dim(d), ys.dim(d), "non-axis dim") }
            total += xs.dim(axis)
            let w = ConcatParam.firstInput + ConcatParam.wordsPerInput * i
            try requant(multiplier: param(w), shift: param(w + 1), "input multiplier")
        }
        try same(total, ys.dim(axis), "axis length")
    }

    mutating func pad() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: PadParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(x.zeroPoint), Int(y.zeroPoint), "zero point")
        let xs = shape4Of(x), ys = shape4Of(y)
        for d in 0..<4 {
            let before = try nonNegative(PadParam.beforeN + d, "before")
            guard ys.dim(d) >= xs.dim(d) + before else { throw fail(.shapeMismatch, ys.dim(d), limit: xs.dim(d) + before, "padded dim") }
        }
    }

    mutating func reshape() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: 0)
        let xi = model.input(op, 0)
        guard xi >= 0 else { throw fail(.tensorIndexOutOfRange, xi, "input") }
        let x = model.tensor(xi), y = model.tensor(model.output(op, 0))
        guard y.storage == .alias else { throw fail(.badStorage, Int(y.storageCode), "output must alias the input") }
        let xBase = x.storage == .alias ? Int(x.location) : xi
        try same(Int(y.location), xBase, "alias target")
        try same(Int(y.byteSize), Int(x.byteSize), "byte size")
    }

    mutating func convert(from: DType, to: DType) throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: 0)
        let x = try activation(0, from, "input"), y = try output(0, to)
        try same(Int(y.byteSize) / to.byteWidth, Int(x.byteSize) / from.byteWidth, "element count")
        try quantizedS8(from == .int8 ? x : y, "quantized side")
    }

    mutating func lookup() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: 0)
        let x = try activation(0, .int8, "input"), table = try constant(1, .int8, "table"), y = try output(0, .int8)
        try same(Int(table.byteSize), 256, "table size")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
    }

    mutating func transpose() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: TransposeParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try same(Int(x.zeroPoint), Int(y.zeroPoint), "zero point")
        let xs = shape4Of(x), ys = shape4Of(y)
        var seen = 0
        for d in 0..<4 {
            let p = try nonNegative(TransposeParam.perm0 + d, "perm", max: 3)
            seen |= 1 << p
            try same(ys.dim(d), xs.dim(p), "permuted dim")
        }
        try same(seen, 0b1111, "perm is not a permutation")
    }

    mutating func requantize() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: RequantizeParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
        try requant(multiplier: param(RequantizeParam.multiplier), shift: param(RequantizeParam.shift), "multiplier")
    }
}

extension Shape4 {
    /// Axis `d` of n, h, w, c.
    @inline(__always)
    func dim(_ d: Int) -> Int {
        switch d {
        case 0: return n
        case 1: return h
        case 2: return w
        default: return c
        }
    }
}
