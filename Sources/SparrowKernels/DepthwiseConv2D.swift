/// Channels accumulated together per pass (depthwise conv, average pool, mean): each tap then
/// feeds a contiguous run of channels, a plain loop the compiler vectorizes, with the int32
/// accumulators on the stack instead of heap scratch.
let channelBlock = 32
typealias ChannelAccumulators = (
    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)

/// Runs `body` with `channelBlock` int32 accumulators on the stack.
@inline(__always)
func withChannelAccumulators(_ body: (UnsafeMutablePointer<Int32>) -> Void) {
    var storage: ChannelAccumulators = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &storage) { raw in
        body(raw.baseAddress!.assumingMemoryBound(to: Int32.self))
    }
}

/// int8 depthwise convolution, NHWC input, filter `[1, kh, kw, inC·depthMultiplier]`;
/// output channel oc = ic·depthMultiplier + m reads input channel ic = oc / depthMultiplier.
/// Same parameters and preconditions as `conv2DS8`, with accumulation depth kh·kw.
///
/// Channels go in blocks of `channelBlock` (outermost, so the block's Σw over the whole kernel is
/// taken once). Interior pixels with depth multiplier 1 accumulate plain products x·w, three
/// taps of a kernel row per pass over the block, and subtract zx·Σw at the end; border pixels
/// and depth multipliers > 1 accumulate (x − zx)·w over the taps inside the input.
public func depthwiseConv2DS8(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                              filter: UnsafePointer<Int8>, filterShape: Shape4,
                              bias: UnsafePointer<Int32>?, multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                              output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let kH = filterShape.h, kW = filterShape.w
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let multiplier = p.depthMultiplier
    let zx = p.inputZeroPoint
    let spanH = (kH - 1) * p.dilationH, spanW = (kW - 1) * p.dilationW
    let tapStride = p.dilationW * inC                      // input distance between horizontal taps
    withChannelAccumulators { acc in
    withChannelAccumulators { kernelSums in
        var blockStart = 0
        while blockStart < outC {
            let blockCount = min(channelBlock, outC - blockStart)
            if multiplier == 1 {
                for j in 0..<blockCount { kernelSums[j] = 0 }
                for tap in 0..<(kH * kW) {
                    let w = filter + tap * outC + blockStart
                    // kh·kw ≤ maxAccumulationDepth terms of |w| ≤ 127.
                    for j in 0..<blockCount { kernelSums[j] &+= Int32(w[j]) }
                }
            }
            for b in 0..<outputShape.n {
                for oy in 0..<outH {
                    let iyOrigin = oy * p.strideH - p.padTop
                    let rowInside = iyOrigin >= 0 && iyOrigin + spanH < inH
                    for ox in 0..<outW {
                        let ixOrigin = ox * p.strideW - p.padLeft
                        let out = output + ((b * outH + oy) * outW + ox) * outC
                        for j in 0..<blockCount { acc[j] = 0 }
                        if multiplier == 1 && rowInside && ixOrigin >= 0 && ixOrigin + spanW < inW {
                            for ky in 0..<kH {
                                let xRow = input + ((b * inH + iyOrigin + ky * p.dilationH) * inW + ixOrigin) * inC
                                    + blockStart
                                let wRow = filter + ky * kW * outC + blockStart
                                var kx = 0
                                while kx + 3 <= kW {
                                    let x0 = xRow + kx * tapStride, x1 = x0 + tapStride, x2 = x1 + tapStride
                                    let w0 = wRow + kx * outC, w1 = w0 + outC, w2 = w1 + outC
                                    for j in 0..<blockCount {
                                        // kh·kw ≤ maxAccumulationDepth terms of |x·w| ≤ 16_256: < 2^30.
                                        acc[j] &+= Int32(x0[j]) &* Int32(w0[j]) &+ Int32(x1[j]) &* Int32(w1[j])
                                            &+ Int32(x2[j]) &* Int32(w2[j])
                                    }
                                    kx += 3
                                }
                                while kx < kW {
                                    let x0 = xRow + kx * tapStride, w0 = wRow + kx * outC
                                    for j in 0..<blockCount {
                                        // Same bound as above.
                                        acc[j] &+= Int32(x0[j]) &* Int32(w0[j])
                                    }
                                    kx += 1
                                }
                            }
                            for j in 0..<blockCount {
                                // Σx·w − zx·Σw = Σ(x − zx)·w, |.| ≤ kh·kw·255·127 < 2^30: exact.
                                acc[j] = acc[j] &- zx &* kernelSums[j]
                            }
                        } else {
                            for ky in 0..<kH {
                                let iy = iyOrigin + ky * p.dilationH
                                if iy < 0 || iy >= inH { continue }
                                for kx in 0..<kW {
                                    let ix = ixOrigin + kx * p.dilationW
                                    if ix < 0 || ix >= inW { continue }
                                    let x = input + ((b * inH + iy) * inW + ix) * inC
                                    let w = filter + (ky * kW + kx) * outC + blockStart
                                    if multiplier == 1 {
                                        let xBlock = x + blockStart
                                        for j in 0..<blockCount {
                                            // ≤ kh·kw ≤ maxAccumulationDepth terms of |.| ≤ 255·127.
                                            acc[j] &+= (Int32(xBlock[j]) &- zx) &* Int32(w[j])
                                        }
                                    } else {
                                        for j in 0..<blockCount {
                                            // Same bound as above.
                                            acc[j] &+= (Int32(x[(blockStart + j) / multiplier]) &- zx) &* Int32(w[j])
                                        }
                                    }
                                }
                            }
                        }
                        // The whole block at once, branch-free, so it vectorizes (Requantize+Block.swift).
                        requantizeBlockS8(acc, count: blockCount, bias: bias.map { $0 + blockStart },
                                          multipliers: multipliers + blockStart, shifts: shifts + blockStart,
                                          outputZeroPoint: p.outputZeroPoint, activationMin: p.activationMin,
                                          activationMax: p.activationMax, output: out + blockStart)
                    }
                }
            }
            blockStart += blockCount
        }
    }
    }
}
