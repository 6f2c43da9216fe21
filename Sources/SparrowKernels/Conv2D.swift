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
///
/// Computed as Σx·w − zx·Σw over the taps inside the input (DotProduct.swift), one block of four
/// output channels at a time: Σw of the whole kernel is taken once per block and serves every
/// interior pixel, each input byte feeds four channels, and with dilationW = 1 an interior
/// pixel's kernel row is one contiguous kw·inC run of input and of filter. A 1×1 convolution is
/// thereby a plain GEMM over channels, with no im2col buffer.
public func conv2DS8(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                     filter: UnsafePointer<Int8>, filterShape: Shape4,
                     bias: UnsafePointer<Int32>?, multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                     output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let kH = filterShape.h, kW = filterShape.w
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let zx = p.inputZeroPoint
    let filterSize = kH * kW * inC
    let rowRun = kW * inC                                  // one kernel row, contiguous when dilationW = 1
    let spanH = (kH - 1) * p.dilationH, spanW = (kW - 1) * p.dilationW
    // Requantization is batched over 8 pixels × 4 channels so it vectorizes (Requantize+Block.swift).
    withPendingRequantization(output: output, stride: outC, outputZeroPoint: p.outputZeroPoint,
                              activationMin: p.activationMin, activationMax: p.activationMax) { pending in
    var oc = 0
    while oc < outC {
        let lanes = min(4, outC - oc)
        pending.startBlock(channel: oc, lanes: lanes, bias: bias, multipliers: multipliers, shifts: shifts)
        // A block past the last channel repeats the last filter; those lanes are computed, not stored.
        let w0 = filter + oc * filterSize
        let w1 = filter + (oc + min(1, lanes - 1)) * filterSize
        let w2 = filter + (oc + min(2, lanes - 1)) * filterSize
        let w3 = filter + (oc + min(3, lanes - 1)) * filterSize
        let kernelSums = sumS8x4(w0, w1, w2, w3, count: filterSize)
        for b in 0..<outputShape.n {
            for oy in 0..<outH {
                let iyOrigin = oy * p.strideH - p.padTop
                let rowInside = iyOrigin >= 0 && iyOrigin + spanH < inH
                for ox in 0..<outW {
                    let ixOrigin = ox * p.strideW - p.padLeft
                    var products = Accumulators4.zero
                    var weightSums = kernelSums
                    if rowInside && ixOrigin >= 0 && ixOrigin + spanW < inW {
                        // Every tap is inside the input.
                        for ky in 0..<kH {
                            let x = input + ((b * inH + iyOrigin + ky * p.dilationH) * inW + ixOrigin) * inC
                            let tap = ky * rowRun
                            if p.dilationW == 1 {
                                products.add(dotS8x4(x, w0 + tap, w1 + tap, w2 + tap, w3 + tap, count: rowRun))
                            } else {
                                for kx in 0..<kW {
                                    let xk = x + kx * p.dilationW * inC, t = tap + kx * inC
                                    products.add(dotS8x4(xk, w0 + t, w1 + t, w2 + t, w3 + t, count: inC))
                                }
                            }
                        }
                    } else {
                        // Border pixel: only the taps inside the input count, in Σx·w and in Σw.
                        weightSums = .zero
                        for ky in 0..<kH {
                            let iy = iyOrigin + ky * p.dilationH
                            if iy < 0 || iy >= inH { continue }
                            for kx in 0..<kW {
                                let ix = ixOrigin + kx * p.dilationW
                                if ix < 0 || ix >= inW { continue }
                                let x = input + ((b * inH + iy) * inW + ix) * inC
                                let t = (ky * kW + kx) * inC
                                products.add(dotS8x4(x, w0 + t, w1 + t, w2 + t, w3 + t, count: inC))
                                weightSums.add(sumS8x4(w0 + t, w1 + t, w2 + t, w3 + t, count: inC))
                            }
                        }
                    }
                    pending.append(products.subtractingZeroPoint(zx, times: weightSums),
                                   pixel: (b * outH + oy) * outW + ox)
                }
            }
        }
        pending.flush()
        oc += lanes
    }
    }
}
