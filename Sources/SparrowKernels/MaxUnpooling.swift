// MediaPipe's MaxPoolingWithArgmax2D / MaxUnpooling2D pair on int8 codes (its segmentation
// models' encoder–decoder): the pooling records where in each window its maximum was, and the
// unpooling writes values back to those places. Positions are window-relative (ky·filterW + kx
// from the padded window's top-left), not image indices, as MediaPipe stores them (there as
// floats, ky·filterW + kx + 0.1). Portable loops: these layers are rare and memory-bound.

/// For each output cell and channel, the position of the first largest code of its window in
/// row-major order (MediaPipe's `cur > max` scan). Windows with no real cell write 0.
/// Preconditions: filterH·filterW ≤ 256 (positions fit a byte).
public func maxPoolArgmaxS8(_ p: PoolParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                            output: UnsafeMutablePointer<UInt8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, depth = inputShape.c
    let outH = outputShape.h, outW = outputShape.w
    for b in 0..<outputShape.n {
        for oy in 0..<outH {
            let ys = windowRange(output: oy, stride: p.strideH, pad: p.padTop, filter: p.filterH, inputSize: inH)
            let originY = oy * p.strideH - p.padTop
            for ox in 0..<outW {
                let xs = windowRange(output: ox, stride: p.strideW, pad: p.padLeft, filter: p.filterW, inputSize: inW)
                let originX = ox * p.strideW - p.padLeft
                let out = output + ((b * outH + oy) * outW + ox) * depth
                for c in 0..<depth {
                    var best = Int8.min, position = 0, found = false
                    if ys.start < ys.end && xs.start < xs.end {
                        for iy in ys.start..<ys.end {
                            for ix in xs.start..<xs.end {
                                let v = input[((b * inH + iy) * inW + ix) * depth + c]
                                if !found || v > best {
                                    best = v
                                    position = (iy - originY) * p.filterW + (ix - originX)
                                    found = true
                                }
                            }
                        }
                    }
                    out[c] = UInt8(truncatingIfNeeded: position)
                }
            }
        }
    }
}

/// MaxUnpool geometry: a position p of input cell (y, x) goes to output row
/// y·strideH − padTop + p / filterW and column x·strideW − padLeft + p mod filterW.
public struct UnpoolParams: Equatable {
    public var strideH: Int, strideW: Int, filterW: Int
    public var padTop: Int, padLeft: Int

    public init(strideH: Int, strideW: Int, filterW: Int, padTop: Int, padLeft: Int) {
        self.strideH = strideH; self.strideW = strideW; self.filterW = filterW
        self.padTop = padTop; self.padLeft = padLeft
    }
}

/// Fills the output with `zeroCode` (real 0), then writes every input code at the place its
/// position names, skipping places outside the output (MediaPipe's bounds check); later input
/// cells overwrite earlier ones, in batch, row, column, channel order as MediaPipe's loop.
/// Input and output share scale and zero point. Preconditions: filterW ≥ 1.
public func maxUnpoolS8(_ p: UnpoolParams, input: UnsafePointer<Int8>, positions: UnsafePointer<UInt8>, inputShape: Shape4,
                        zeroCode: Int8, output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, depth = inputShape.c
    let outH = outputShape.h, outW = outputShape.w
    output.update(repeating: zeroCode, count: outputShape.n * outH * outW * depth)
    for b in 0..<inputShape.n {
        for iy in 0..<inH {
            for ix in 0..<inW {
                let base = ((b * inH + iy) * inW + ix) * depth
                for c in 0..<depth {
                    let position = Int(positions[base + c])
                    let oy = iy * p.strideH - p.padTop + position / p.filterW
                    let ox = ix * p.strideW - p.padLeft + position % p.filterW
                    guard oy >= 0, oy < outH, ox >= 0, ox < outW else { continue }
                    output[((b * outH + oy) * outW + ox) * depth + c] = input[base + c]
                }
            }
        }
    }
}
