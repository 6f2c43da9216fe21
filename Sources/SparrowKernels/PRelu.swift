/// PRelu: y = x for x >= 0, alpha[c]·x for x < 0, with one alpha per channel (innermost axis) or
/// one for all. TFLite's integer scheme: two output rescales, one for each sign, and int8 alpha
/// codes on one symmetric scale (zero point 0) folded into the negative side's rescale.
public struct PReluParams: Equatable {
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    /// inputScale / outputScale: the x >= 0 side.
    public var identityMultiplier: Int32
    public var identityShift: Int32
    /// inputScale · alphaScale / outputScale: the x < 0 side, applied to (x − zx) · alphaCode.
    public var alphaMultiplier: Int32
    public var alphaShift: Int32

    public init(inputZeroPoint: Int32, outputZeroPoint: Int32, identityMultiplier: Int32, identityShift: Int32,
                alphaMultiplier: Int32, alphaShift: Int32) {
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.identityMultiplier = identityMultiplier
        self.identityShift = identityShift
        self.alphaMultiplier = alphaMultiplier
        self.alphaShift = alphaShift
    }

    /// Prepare time (host): the two rescales from the scales.
    public static func prepare(inputScale: Double, inputZeroPoint: Int32, alphaScale: Double, outputScale: Double,
                               outputZeroPoint: Int32) -> PReluParams {
        let identity = quantizeMultiplier(inputScale / outputScale)
        let alpha = quantizeMultiplier(inputScale * alphaScale / outputScale)
        return PReluParams(inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                           identityMultiplier: identity.multiplier, identityShift: identity.shift,
                           alphaMultiplier: alpha.multiplier, alphaShift: alpha.shift)
    }
}

/// `count` int8 values whose innermost axis has `alphaCount` channels (`alphaCount` = 1: one
/// alpha for all; `count` is a multiple of `alphaCount`).
public func preluS8(_ p: PReluParams, input: UnsafePointer<Int8>, count: Int, alpha: UnsafePointer<Int8>,
                    alphaCount: Int, output: UnsafeMutablePointer<Int8>) {
    var i = 0
    while i < count {
        for c in 0..<alphaCount {
            // |x| <= 255 and |alpha| <= 128, so x · alpha (<= 32640 in magnitude) cannot overflow.
            let x = Int32(input[i + c]) &- p.inputZeroPoint
            let scaled = x >= 0 ? multiplyByQuantizedMultiplier(x, p.identityMultiplier, p.identityShift)
                : multiplyByQuantizedMultiplier(x &* Int32(alpha[c]), p.alphaMultiplier, p.alphaShift)
            output[i + c] = clampToS8(scaled, zeroPoint: p.outputZeroPoint, min: -128, max: 127)
        }
        i += alphaCount
    }
}
