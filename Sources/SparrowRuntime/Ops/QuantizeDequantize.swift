import SparrowFormat
import SparrowKernels

// Quantize (float32 → int8 at a model input) and Dequantize (int8 → float32 at a model output),
// with the int8 side's scale and zero point (kernels: QuantizeDequantize.swift). No params, except
// Quantize's optional QuantizeParamRecord (ties rounded away from zero, as LiteRT).

extension OperandCheck {
    mutating func convert(from: DType, to: DType) throws(ModelError) {
        let rounding = from == .float32 && Int(op.paramCount) == QuantizeParamRecord.halfAwayWordCount
        try counts(inputs: 1, outputs: 1, params: rounding ? QuantizeParamRecord.halfAwayWordCount : 0)
        if rounding { _ = try params(QuantizeParamRecord.init(decoding:)) }
        let x = try activation(0, from, "input"), y = try output(0, to)
        try same(Int(y.byteSize) / to.byteWidth, Int(x.byteSize) / from.byteWidth, "element count")
        try quantizedS8(from == .int8 ? x : y, "quantized side")
    }
}

extension Interpreter {
    func runQuantize(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let input = address(x).assumingMemoryBound(to: Float.self)
        let halfAway = QuantizeParamRecord(unchecked: model.paramWords(o)).roundHalfAway
        // y.liveFrom is this operator's index (the verifier checks every output's).
        if isFusedInputConversion(quantize: Int(y.liveFrom)) {
            // Quantize + Transpose NCHW → NHWC in one pass, into this op's own output bytes (the
            // Transpose's output may share the float input's bytes); the Transpose copies them.
            // y is [N, C, H, W]: Shape4's (n, h, w, c) slots hold N, C, H, W.
            let s = shape4Of(y)
            quantizeTransposeF32ToS8(.thisBuild, QuantizeTransposeShape(batches: s.n, channels: s.h, pixels: s.w * s.c),
                                     input: input, scale: y.scale, zeroPoint: y.zeroPoint, roundHalfAway: halfAway,
                                     output: outS8(y))
            return
        }
        quantizeTransposeF32ToS8(.thisBuild, QuantizeTransposeShape(batches: 1, channels: 1, pixels: Int(y.byteSize)),
                                 input: input, scale: y.scale, zeroPoint: y.zeroPoint, roundHalfAway: halfAway, output: outS8(y))
    }

    /// Whether Quantize operator `k` and Transpose `k + 1` are an NCHW input's conversion, run as one
    /// quantize-transpose pass: the Transpose is the only reader of the Quantize's output (its
    /// lifetime ends there, the verifier's lifetimes bound every reader; not a graph output) and
    /// permutes (0, 2, 3, 1). Both operators ask this, so they agree. After such a pair the
    /// Quantize's output tensor holds its codes in NHWC order (tools that dump it reorder them).
    public func isFusedInputConversion(quantize k: Int) -> Bool {
        guard k >= 0, k + 1 < model.operatorCount else { return false }
        let quantize = model.op(k), transpose = model.op(k + 1)
        guard quantize.opcodeRaw == OpCode.quantize.rawValue, transpose.opcodeRaw == OpCode.transpose.rawValue else { return false }
        let middle = model.output(quantize, 0)
        guard model.input(transpose, 0) == middle, model.tensor(middle).liveTo == Int32(k + 1),
              model.tensor(middle).rank == 4 else { return false }
        for i in 0..<model.outputCount where model.graphOutput(i) == middle { return false }
        let r = TransposeParamRecord(unchecked: model.paramWords(transpose))
        return r.perm.0 == 0 && r.perm.1 == 2 && r.perm.2 == 3 && r.perm.3 == 1
    }

    func runDequantize(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        dequantizeS8ToF32(input: s8(x), count: Int(x.byteSize), scale: x.scale, zeroPoint: x.zeroPoint,
                          output: arenaAddress(y).assumingMemoryBound(to: Float.self))
    }
}
