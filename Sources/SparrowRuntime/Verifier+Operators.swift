import SparrowFormat
import SparrowKernels

// The rules every operator shares, kept in one place for auditing: operand indices and the
// memory plan's lifetime claims (proven to cover every read and write), the operand helpers
// (counts, dtypes, storage, ranks, quantization), parameter-record decoding, and the weight,
// bias and requantization bounds the kernels' int32 accumulator proofs rely on. Each opcode
// family's own rules (shapes, parameters) live in Ops/<Family>.swift.

extension VerifiedModel {
    func checkOperator(_ k: Int) throws(ModelError) {
        let o = op(k)
        guard let opcode = o.opcode else { throw ModelError(.badOpcode, .operators, index: k, value: Int(o.opcodeRaw)) }
        // Strict versioning: an opcode newer than the file's declared minor version is unknown to it.
        guard ModelFormat.minorVersion(introducing: opcode) <= file.versionMinor else {
            throw ModelError(.badOpcode, .operators, index: k, value: Int(o.opcodeRaw), limit: Int(file.versionMinor),
                             field: "opcode newer than the file's minor version")
        }
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
        // One line per opcode; each family's rules live in Ops/<Family>.swift.
        var c = OperandCheck(model: self, op: o, index: k)
        switch opcode {
        case .conv2D: try c.convolution(depthwise: false)
        case .depthwiseConv2D: try c.convolution(depthwise: true)
        case .fullyConnected: try c.fullyConnected()
        case .add, .sub: try c.add()
        case .mul: try c.mul()
        case .maxPool, .averagePool: try c.pool()
        case .mean: try c.mean()
        case .softmax: try c.softmax()
        case .logSoftmax: try c.softmax(logarithm: true)
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
        case .prelu: try c.prelu()
        case .resize: try c.resize()
        case .transposeConv2D: try c.transposeConvolution(depthwise: false)
        case .depthwiseTransposeConv2D: try c.transposeConvolution(depthwise: true)
        case .slice: try c.slice()
        case .gather: try c.gather()
        case .argMax: try c.argMax()
        case .layerNorm: try c.layerNorm()
        case .batchMatMul: try c.batchMatMul()
        case .maximum, .minimum: try c.maxMin()
        case .maxPoolArgmax: try c.maxPoolArgmax()
        case .maxUnpool: try c.maxUnpool()
        case .packedGemm: try c.packedGemm()
        case .packedDepthwise3x3: try c.packedDepthwise3x3()
        case .packedConvIm2col: try c.packedConvIm2col()
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

    func fail(_ e: ParamError) -> ModelError {
        ModelError(ModelError.Reason(e.reason), .operators, index: index, value: e.value, limit: e.limit, field: e.field)
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

    /// The operator's parameter record, decoded with its range checks (SparrowFormat/Params);
    /// a rejected field becomes a ModelError naming this operator.
    func params<R>(_ decode: (ParamWords) throws(ParamError) -> R) throws(ModelError) -> R {
        do {
            return try decode(model.paramWords(op))
        } catch {
            throw fail(error)
        }
    }

    func requant(multiplier m: Int32, shift s: Int32, _ field: StaticString) throws(ModelError) {
        do {
            try Rescale(multiplier: m, shift: s).check(field)
        } catch {
            throw fail(error)
        }
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

extension ModelError.Reason {
    /// The verifier's name for a parameter record's rejection (the same case names).
    init(_ r: ParamError.Reason) {
        switch r {
        case .wrongParamCount: self = .wrongParamCount
        case .badParameter: self = .badParameter
        case .badActivationRange: self = .badActivationRange
        case .badMultiplier: self = .badMultiplier
        case .badShift: self = .badShift
        }
    }
}
