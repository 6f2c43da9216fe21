/// Max / average pooling parameters. Input and output share scale and zero point (TFLite
/// rule), so pooling works on the raw int8 values.
public struct PoolParams: Equatable {
    public var strideH: Int
    public var strideW: Int
    public var filterH: Int
    public var filterW: Int
    public var padTop: Int
    public var padLeft: Int
    /// Average pool: divide by the full filterH·filterW window, counting padded taps as the
    /// value zeroPoint (real 0, ONNX count_include_pad = 1). false divides by the valid taps.
    public var countIncludePad: Bool
    public var activationMin: Int32
    public var activationMax: Int32
    /// Zero point of input and output; only read when `countIncludePad` is true.
    public var zeroPoint: Int32

    public init(strideH: Int, strideW: Int, filterH: Int, filterW: Int, padTop: Int, padLeft: Int,
                countIncludePad: Bool, activationMin: Int32 = -128, activationMax: Int32 = 127, zeroPoint: Int32 = 0) {
        self.strideH = strideH
        self.strideW = strideW
        self.filterH = filterH
        self.filterW = filterW
        self.padTop = padTop
        self.padLeft = padLeft
        self.countIncludePad = countIncludePad
        self.activationMin = activationMin
        self.activationMax = activationMax
        self.zeroPoint = zeroPoint
    }
}

/// Valid tap range [start, end) of one window along an axis.
@inline(__always)
func windowRange(output index: Int, stride: Int, pad: Int, filter: Int, inputSize: Int) -> (start: Int, end: Int) {
    let origin = index * stride - pad
    return (max(origin, 0), min(origin + filter, inputSize))
}

/// int8 max pool; a window with no valid tap (possible only with excessive padding) yields
/// activationMin.
public func maxPoolS8(_ p: PoolParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                      output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, depth = inputShape.c
    let outH = outputShape.h, outW = outputShape.w
    for b in 0..<outputShape.n {
        for oy in 0..<outH {
            let ys = windowRange(output: oy, stride: p.strideH, pad: p.padTop, filter: p.filterH, inputSize: inH)
            for ox in 0..<outW {
                let xs = windowRange(output: ox, stride: p.strideW, pad: p.padLeft, filter: p.filterW, inputSize: inW)
                let out = output + ((b * outH + oy) * outW + ox) * depth
                for c in 0..<depth { out[c] = Int8.min }
                if ys.start < ys.end && xs.start < xs.end {
                    for iy in ys.start..<ys.end {
                        for ix in xs.start..<xs.end {
                            let x = input + ((b * inH + iy) * inW + ix) * depth
                            for c in 0..<depth { out[c] = max(out[c], x[c]) }
                        }
                    }
                }
                let lower = Int8(truncatingIfNeeded: p.activationMin), upper = Int8(truncatingIfNeeded: p.activationMax)
                for c in 0..<depth { out[c] = min(max(out[c], lower), upper) }
            }
        }
    }
}

/// int8 average pool: sum of the window divided by its count, rounded half away from zero
/// (TFLite's `(sum ± count/2) / count`), then clamped. Preconditions: filterH·filterW ≤ 2^23
/// so |sum| ≤ 128·count fits int32. With `countIncludePad`, windows must lie inside the
/// padded input (no ceil-mode overhang), which is what ONNX count_include_pad describes.
public func averagePoolS8(_ p: PoolParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                          output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, depth = inputShape.c
    let outH = outputShape.h, outW = outputShape.w
    withChannelAccumulators { sums in
        for b in 0..<outputShape.n {
            for oy in 0..<outH {
                let ys = windowRange(output: oy, stride: p.strideH, pad: p.padTop, filter: p.filterH, inputSize: inH)
                for ox in 0..<outW {
                    let xs = windowRange(output: ox, stride: p.strideW, pad: p.padLeft, filter: p.filterW, inputSize: inW)
                    let validCount = max(ys.end - ys.start, 0) * max(xs.end - xs.start, 0)
                    let count = Int32(p.countIncludePad ? p.filterH * p.filterW : validCount)
                    // Padded taps each hold the zero point.
                    let padSum = p.countIncludePad ? (count &- Int32(validCount)) &* p.zeroPoint : 0
                    let out = output + ((b * outH + oy) * outW + ox) * depth
                    var blockStart = 0
                    while blockStart < depth {
                        let blockCount = min(channelBlock, depth - blockStart)
                        for j in 0..<blockCount { sums[j] = padSum }
                        if validCount > 0 {
                            for iy in ys.start..<ys.end {
                                for ix in xs.start..<xs.end {
                                    let x = input + ((b * inH + iy) * inW + ix) * depth + blockStart
                                    for j in 0..<blockCount {
                                        // At most filterH·filterW ≤ 2^23 terms of |x| ≤ 128: fits.
                                        sums[j] &+= Int32(x[j])
                                    }
                                }
                            }
                        }
                        for j in 0..<blockCount {
                            let sum = sums[j]
                            let average: Int32
                            if count == 0 {
                                average = p.zeroPoint
                            } else {
                                let half = count / 2
                                average = sum > 0 ? (sum + half) / count : (sum - half) / count
                            }
                            out[blockStart + j] = Int8(truncatingIfNeeded: min(max(average, p.activationMin), p.activationMax))
                        }
                        blockStart += blockCount
                    }
                }
            }
        }
    }
}
