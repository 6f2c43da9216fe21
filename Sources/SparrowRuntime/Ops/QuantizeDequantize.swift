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
        quantizeF32ToS8(input: address(x).assumingMemoryBound(to: Float.self), count: Int(y.byteSize),
                        scale: y.scale, zeroPoint: y.zeroPoint, output: outS8(y),
                        roundHalfAway: QuantizeParamRecord(unchecked: model.paramWords(o)).roundHalfAway)
    }

    func runDequantize(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        dequantizeS8ToF32(input: s8(x), count: Int(x.byteSize), scale: x.scale, zeroPoint: x.zeroPoint,
                          output: arenaAddress(y).assumingMemoryBound(to: Float.self))
    }
}
