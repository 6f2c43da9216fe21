/// Rescales int8 values from one (scale, zero point) to another:
/// out = clamp(MBQM(x − zi, multiplier, shift) + zo, −128, 127).
public struct RequantizeParams: Equatable {
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var multiplier: Int32
    public var shift: Int32
    /// Same scale and zero point: values are copied unchanged.
    public var isIdentity: Bool

    public init(inputZeroPoint: Int32, outputZeroPoint: Int32, multiplier: Int32, shift: Int32, isIdentity: Bool) {
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.multiplier = multiplier
        self.shift = shift
        self.isIdentity = isIdentity
    }

    /// Prepare-time: multiplier for inputScale / outputScale (scales must be > 0).
    public static func prepare(inputScale: Double, inputZeroPoint: Int32, outputScale: Double,
                               outputZeroPoint: Int32) -> RequantizeParams {
        let identity = inputScale == outputScale && inputZeroPoint == outputZeroPoint
        let (multiplier, shift) = quantizeMultiplier(inputScale / outputScale)
        return RequantizeParams(inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                                multiplier: multiplier, shift: shift, isIdentity: identity)
    }
}

/// Elementwise rescale of `count` values (also the body of concatenation).
public func requantizeS8(_ p: RequantizeParams, input: UnsafePointer<Int8>, count: Int, output: UnsafeMutablePointer<Int8>) {
    if p.isIdentity {
        if UnsafePointer(output) != input { output.update(from: input, count: count) }
        return
    }
    for i in 0..<count {
        // |x − zi| ≤ 255; the multiply saturates rather than wraps.
        let scaled = multiplyByQuantizedMultiplier(Int32(input[i]) &- p.inputZeroPoint, p.multiplier, p.shift)
        output[i] = clampToS8(scaled, zeroPoint: p.outputZeroPoint, min: -128, max: 127)
    }
}

/// Requantize where either side may hold uint8 codes (LiteRT's QUANTIZE uint8 ↔ int8 at the
/// edges of a uint8-I/O model). A uint8 code u with zero point z is the int8 code u − 128 (its
/// top bit flipped) with zero point z − 128, so the int8 arithmetic applies unchanged; `p` holds
/// the tensors' own zero points. Multiplier 0 means the identity rescale.
public func requantizeMixedS8U8(_ p: RequantizeParams, input: UnsafePointer<Int8>, inputUnsigned: Bool, count: Int,
                                output: UnsafeMutablePointer<Int8>, outputUnsigned: Bool) {
    let zi = inputUnsigned ? p.inputZeroPoint &- 128 : p.inputZeroPoint
    let zo = outputUnsigned ? p.outputZeroPoint &- 128 : p.outputZeroPoint
    let flipIn: Int8 = inputUnsigned ? -128 : 0, flipOut: Int8 = outputUnsigned ? -128 : 0
    for i in 0..<count {
        // |x − zi| ≤ 255 (zero points are in their dtype's range, verifier).
        let centered = Int32(input[i] ^ flipIn) &- zi
        let scaled = p.isIdentity ? centered : multiplyByQuantizedMultiplier(centered, p.multiplier, p.shift)
        output[i] = clampToS8(scaled, zeroPoint: zo, min: -128, max: 127) ^ flipOut
    }
}

/// Concatenation, one input per call: copies `input` (rescaled by `p`) into `output` at
/// `offsetAlongAxis` along `axis` (0…3 = n, h, w, c). All other dimensions of inputShape and
/// outputShape agree, and offset + inputShape[axis] ≤ outputShape[axis] (verifier).
public func concatSliceS8(_ p: RequantizeParams, input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int,
                          offsetAlongAxis: Int, output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    // Everything inside `axis` is one contiguous block per outer index in both tensors.
    let inner = inputShape.stride(ofAxis: axis)
    let inputBlock = inputShape[axis] * inner
    let outputBlock = outputShape[axis] * inner
    var outer = 1
    for a in 0..<axis { outer *= inputShape[a] }
    for o in 0..<outer {
        requantizeS8(p, input: input + o * inputBlock, count: inputBlock,
                     output: output + o * outputBlock + offsetAlongAxis * inner)
    }
}
