/// Any unary int8 → int8 function (sigmoid, tanh, hard-swish, …) as a 256-entry table:
/// output[i] = table[input[i] + 128].
public func lookupS8(table: UnsafePointer<Int8>, input: UnsafePointer<Int8>, count: Int, output: UnsafeMutablePointer<Int8>) {
    for i in 0..<count {
        output[i] = table[Int(input[i]) &+ 128]
    }
}

/// Prepare-time (host): fills the 256-entry table for `f`, evaluated in Double on each
/// dequantized input, requantized with round half to even (the rule of `quantizeF32ToS8`)
/// and saturated to int8. NaN maps to the output zero point.
public func fillLookupTable(_ table: UnsafeMutablePointer<Int8>, inputScale: Double, inputZeroPoint: Int32,
                            outputScale: Double, outputZeroPoint: Int32, _ f: (Double) -> Double) {
    for index in 0..<256 {
        let q = Int32(index) - 128
        let y = f(Double(Int(q - inputZeroPoint)) * inputScale)
        table[index] = quantizeDoubleToS8(y / outputScale, zeroPoint: outputZeroPoint)
    }
}

/// round-half-even(v) + zeroPoint, saturated to int8; NaN gives zeroPoint.
func quantizeDoubleToS8(_ v: Double, zeroPoint: Int32) -> Int8 {
    if v.isNaN { return Int8(truncatingIfNeeded: min(max(zeroPoint, -128), 127)) }
    let shifted = v.rounded(.toNearestOrEven) + Double(Int(zeroPoint))
    return Int8(min(max(shifted, -128), 127))
}
