// Model-boundary conversions between float and int8 (float is inherent here).

/// ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zeroPoint) to [−128, 127].
/// The division is done in Float, as ONNX specifies; NaN maps to the zero point.
public func quantizeF32ToS8(input: UnsafePointer<Float>, count: Int, scale: Float, zeroPoint: Int32,
                            output: UnsafeMutablePointer<Int8>, roundHalfAway: Bool = false) {
    let zero = Float(Int(zeroPoint))
    let fallback = Int8(truncatingIfNeeded: min(max(zeroPoint, -128), 127))
    // ONNX QuantizeLinear rounds ties to even; LiteRT's QUANTIZE (imported TFLite models) away from zero.
    let rule: FloatingPointRoundingRule = roundHalfAway ? .toNearestOrAwayFromZero : .toNearestOrEven
    for i in 0..<count {
        let v = (input[i] / scale).rounded(rule) + zero
        // Clamping in Float first keeps the Int8 conversion in range (±inf included).
        output[i] = v.isNaN ? fallback : Int8(min(max(v, -128), 127))
    }
}

/// ONNX DequantizeLinear: (x − zeroPoint) · scale.
public func dequantizeS8ToF32(input: UnsafePointer<Int8>, count: Int, scale: Float, zeroPoint: Int32,
                              output: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        output[i] = Float(Int(Int32(input[i]) &- zeroPoint)) * scale
    }
}
