/// Parameters shared by `conv2DS8` and `depthwiseConv2DS8`.
public struct ConvParams: Equatable {
    public var strideH: Int
    public var strideW: Int
    public var dilationH: Int
    public var dilationW: Int
    public var padTop: Int
    public var padLeft: Int
    /// Depthwise only: output channels per input channel (1 for ordinary convolution).
    public var depthMultiplier: Int
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(strideH: Int = 1, strideW: Int = 1, dilationH: Int = 1, dilationW: Int = 1,
                padTop: Int = 0, padLeft: Int = 0, depthMultiplier: Int = 1,
                inputZeroPoint: Int32, outputZeroPoint: Int32,
                activationMin: Int32 = -128, activationMax: Int32 = 127) {
        self.strideH = strideH
        self.strideW = strideW
        self.dilationH = dilationH
        self.dilationW = dilationW
        self.padTop = padTop
        self.padLeft = padLeft
        self.depthMultiplier = depthMultiplier
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
    }
}

/// Adds the bias, requantizes with the channel's multiplier and shift, adds the output zero
/// point and clamps: the common tail of conv, depthwise conv and fully connected.
@inline(__always)
func finishAccumulator(_ acc: Int32, bias: Int32, multiplier: Int32, shift: Int32,
                       outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32) -> Int8 {
    // |acc| < 2^30 (maxAccumulationDepth) and |bias| ≤ 2^30 (maxBiasMagnitude): sum < 2^31.
    let withBias = acc &+ bias
    let scaled = multiplyByQuantizedMultiplier(withBias, multiplier, shift)
    return clampToS8(scaled, zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
}

/// int8 2-D convolution, NHWC input, OHWI filter `[outC, kh, kw, inC]`, per-channel
/// requantization (`bias`, `multipliers`, `shifts` have outC entries). Padding is implicit:
/// taps outside the input are skipped (they would contribute (zx − zx)·w = 0).
/// Preconditions (checked by the verifier): shapes agree, kh·kw·inC ≤ maxAccumulationDepth,
/// |bias| ≤ maxBiasMagnitude, weights in [−127, 127], strides and dilations ≥ 1.
public func conv2DS8(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                     filter: UnsafePointer<Int8>, filterShape: Shape4,
                     bias: UnsafePointer<Int32>?, multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                     output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let kH = filterShape.h, kW = filterShape.w
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let zx = p.inputZeroPoint
    for b in 0..<outputShape.n {
        for oy in 0..<outH {
            let iyOrigin = oy * p.strideH - p.padTop
            for ox in 0..<outW {
                let ixOrigin = ox * p.strideW - p.padLeft
                let out = output + ((b * outH + oy) * outW + ox) * outC
                for oc in 0..<outC {
                    var acc: Int32 = 0
                    for ky in 0..<kH {
                        let iy = iyOrigin + ky * p.dilationH
                        if iy < 0 || iy >= inH { continue }
                        for kx in 0..<kW {
                            let ix = ixOrigin + kx * p.dilationW
                            if ix < 0 || ix >= inW { continue }
                            let x = input + ((b * inH + iy) * inW + ix) * inC
                            let w = filter + ((oc * kH + ky) * kW + kx) * inC
                            for ic in 0..<inC {
                                // Each term ≤ 255·127; at most maxAccumulationDepth terms in
                                // total, so |acc| < 2^30 (see maxAccumulationDepth).
                                acc &+= (Int32(x[ic]) &- zx) &* Int32(w[ic])
                            }
                        }
                    }
                    out[oc] = finishAccumulator(acc, bias: bias?[oc] ?? 0, multiplier: multipliers[oc],
                                                shift: shifts[oc], outputZeroPoint: p.outputZeroPoint,
                                                activationMin: p.activationMin, activationMax: p.activationMax)
                }
            }
        }
    }
}
