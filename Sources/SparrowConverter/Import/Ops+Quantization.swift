// QDQ models (onnxruntime quantize_static, PyTorch QAT export): QuantizeLinear/DequantizeLinear
import SparrowONNX
// pairs disappear; their scale and zero point stay on the IR value as `IRValue.quantization`, and
// quantized constant weights become float constants carrying the same annotation.

extension ONNXImporter {
    static func quantizationParameters(_ s: ImportState, _ r: NodeReader, shape: [Int],
                                       dataType: ONNXDataTypeHint) throws(ImportError) -> (IRQuantization, onnxAxis: Int?) {
        let rank = shape.count
        let scale = try r.constant(1, in: s, what: "scale")
        let zeroPoint = try r.optionalConstant(2, in: s, what: "zero_point")
        if r.has("block_size"), try r.int("block_size") != 0 {
            throw r.attributeError("block_size", "blocked quantization is not supported")
        }
        var axis: Int? = nil
        if scale.count > 1 {
            axis = try r.axis(r.int("axis", default: 1), rank: rank, attribute: "axis")
            guard scale.count == shape[axis!] else {
                throw r.inputError(1, "scale has \(scale.count) elements; axis \(axis!) of the input has \(shape[axis!])")
            }
        }
        // Every scale divides or multiplies a weight or a range later: it must be a positive
        // float32 normal number (0, negative, subnormal or huge scales would give NaN or infinity).
        for (c, v) in scale.floats.enumerated() where !(v.isNormal && v > 0 && (1 / v).isFinite) {
            throw r.inputError(1, "scale[\(c)] = \(scale.values[c]) is not a positive, normal float32")
        }
        let zps = zeroPoint?.ints.map { Int32($0) } ?? [Int32](repeating: 0, count: scale.count)  // ints saturate to Int32
        guard zps.count == scale.count else { throw r.inputError(2, "zero_point has \(zps.count) elements, scale \(scale.count)") }
        let type = zeroPoint?.sourceType ?? dataType.type
        guard type == nil || type == .int8 || type == .uint8 else {
            throw r.inputError(2, "zero point type \(type!.name) is not supported (int8, uint8)")
        }
        let zpRange: ClosedRange<Int32> = type == .uint8 ? 0...255 : -128...127
        if let bad = zps.firstIndex(where: { !zpRange.contains($0) }) {
            throw r.inputError(2, "zero_point[\(bad)] = \(zps[bad]) is outside the \(type == .uint8 ? "uint8" : "int8") range")
        }
        return (IRQuantization(scales: scale.floats, zeroPoints: zps, axis: axis, isSigned: type != .uint8), axis)
    }

    static func irAxis(_ onnxAxis: Int?, rank: Int) -> Int? {
        guard let a = onnxAxis else { return nil }
        return rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC)[a] : a
    }

    static func importQuantizeLinear(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.symbol(0, in: s)
        let rank = onnxShape(x).count
        var hint = ONNXDataTypeHint(type: nil)
        if let t = try? r.int("output_dtype", default: 0), t != 0 { hint.type = ONNXDataTypeHint.from(t) }
        let (q, axis) = try quantizationParameters(s, r, shape: onnxShape(x), dataType: hint)
        switch x {
        case .constant(var c):
            // Quantized in place of a weight: round-trip so the float value is what int8 represents.
            let channels = axis.map { c.shape[$0] } ?? 1
            let inner = axis.map { c.shape[($0 + 1)...].reduce(1, *) } ?? c.count
            let (lo, hi): (Double, Double) = q.isSigned ? (-128, 127) : (0, 255)
            for i in 0..<c.count {
                let ch = (i / inner) % channels
                let scale = Double(q.scales[ch]), zp = Double(q.zeroPoints[ch])
                let level = min(max((roundHalfEven(c.values[i] / scale)) + zp, lo), hi)
                c.values[i] = (level - zp) * scale
            }
            c.quantization = q
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            var q = q
            q.axis = irAxis(axis, rank: rank)
            s.graph.values[a.id].quantization = q
            s.symbols[r.output] = .activation(a)
        }
    }

    static func importDequantizeLinear(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.symbol(0, in: s)
        let rank = onnxShape(x).count
        switch x {
        case .constant(var c):
            let (q, axis) = try quantizationParameters(s, r, shape: c.shape, dataType: ONNXDataTypeHint(type: c.sourceType))
            if c.quantization == nil {
                let channels = axis.map { c.shape[$0] } ?? 1
                let inner = axis.map { c.shape[($0 + 1)...].reduce(1, *) } ?? c.count
                for i in 0..<c.count {
                    let ch = (i / inner) % channels
                    c.values[i] = Double(Float(c.values[i] - Double(q.zeroPoints[ch])) * q.scales[ch])
                }
            }
            c.isInteger = false
            c.quantization = q
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            // The float tensor already stands for the quantized one (QuantizeLinear annotated it).
            if s.graph.values[a.id].quantization == nil {
                var (q, axis) = try quantizationParameters(s, r, shape: a.onnxShape, dataType: ONNXDataTypeHint(type: nil))
                q.axis = irAxis(axis, rank: rank)
                s.graph.values[a.id].quantization = q
            }
            // The Q/DQ pair saturates to the integer range, and exporters rely on it: onnxruntime
            // drops a Relu when the zero point makes the range start at 0. Keep that clamp as a
            // Clip (fused into the producer by the passes). Graph inputs are clamped by the
            // device's Quantize op anyway.
            guard let q = s.graph.values[a.id].quantization, q.axis == nil, q.scales.count == 1,
                  !s.graph.inputs.contains(a.id) else {
                s.symbols[r.output] = .activation(a)
                return
            }
            let (qmin, qmax): (Float, Float) = q.isSigned ? (-128, 127) : (0, 255)
            let zp = Float(q.zeroPoints[0])
            let id = s.emit(.unary(.clip((qmin - zp) * q.scales[0], (qmax - zp) * q.scales[0])), inputs: [a.id],
                            irShape: s.graph.values[a.id].shape, name: r.name, outputName: r.output)
            s.graph.values[id].quantization = q
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: a.onnxShape))
        }
    }
}

/// The integer type a QuantizeLinear produces, when known.
struct ONNXDataTypeHint {
    var type: ONNXDataType?
    static func from(_ code: Int) -> ONNXDataType? { ONNXDataType(rawValue: Int32(truncatingIfNeeded: code)) }
}

/// Round half to even, as ONNX QuantizeLinear specifies.
private func roundHalfEven(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }
