// Model-boundary conversions between float and int8 (float is inherent here).

/// ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zeroPoint) to [−128, 127].
/// The division is done in Float, as ONNX specifies; NaN maps to the zero point.
public func quantizeF32ToS8(input: UnsafePointer<Float>, count: Int, scale: Float, zeroPoint: Int32,
                            output: UnsafeMutablePointer<Int8>, roundHalfAway: Bool = false) {
    let q = QuantizeElement(scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway)
    for i in 0..<count { output[i] = q.apply(input[i]) }
}

/// One element of QuantizeLinear, the definition every quantize kernel reproduces bit for bit.
struct QuantizeElement {
    var scale: Float
    var zero: Float
    var fallback: Int8
    var roundHalfAway: Bool

    init(scale: Float, zeroPoint: Int32, roundHalfAway: Bool) {
        self.scale = scale
        zero = Float(Int(zeroPoint))
        fallback = Int8(truncatingIfNeeded: min(max(zeroPoint, -128), 127))
        self.roundHalfAway = roundHalfAway
    }

    @inline(__always)
    func apply(_ x: Float) -> Int8 {
        // ONNX QuantizeLinear rounds ties to even; LiteRT's QUANTIZE (imported TFLite models) away from zero.
        let v = (x / scale).rounded(roundHalfAway ? .toNearestOrAwayFromZero : .toNearestOrEven) + zero
        // Clamping in Float first keeps the Int8 conversion in range (±inf included).
        return v.isNaN ? fallback : Int8(min(max(v, -128), 127))
    }
}

/// ONNX DequantizeLinear: (x − zeroPoint) · scale.
public func dequantizeS8ToF32(input: UnsafePointer<Int8>, count: Int, scale: Float, zeroPoint: Int32,
                              output: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        output[i] = Float(Int(Int32(input[i]) &- zeroPoint)) * scale
    }
}
