/// Resize of H and W of an int8 NHWC tensor, nearest or bilinear, driven by a table of source
/// taps so that every coordinate convention (ONNX's half_pixel, asymmetric, align_corners,
/// pytorch_half_pixel; TFLite's align_corners / half_pixel_centers) is decided on the host.
///
/// `taps` holds one (lower, upper, weight) triple of int32 per output row, then one per output
/// column: the two input indices and the weight of `upper` in 1/1024 steps (0...1024). Input and
/// output share scale and zero point (the values are interpolated, not rescaled).
///
/// Bilinear is TFLite's ResizeBilinearInteger arithmetic: with wy, wx the row and column weights,
///     s = v00·(1024−wy)·(1024−wx) + v10·wy·(1024−wx) + v01·(1024−wy)·wx + v11·wy·wx
///     out = s / 2^20 rounded half away from zero
/// Accumulator proof: the four weight products are ≥ 0 and sum to exactly 2^20, and |v| ≤ 128,
/// so |s| ≤ 128·2^20 = 2^27 < 2^31; every partial sum is bounded the same way (int32 is exact).
/// The result lies between the smallest and largest of the four values, so it needs no clamp.
/// TFLite's own taps can have a weight outside [0, 1024] only where lower == upper; there any
/// weight gives the same sum, so a TFLite importer stores 0.
/// Nearest copies input[lower row][lower column] (weights are ignored).
public let resizeWeightOne: Int32 = 1024

public func resizeS8(input: UnsafePointer<Int8>, inputShape: Shape4, outputHeight: Int, outputWidth: Int,
                     taps: UnsafePointer<Int32>, bilinear: Bool, output: UnsafeMutablePointer<Int8>) {
    let c = inputShape.c, w = inputShape.w
    let rowStride = w * c, imageStride = inputShape.h * rowStride
    let columnTaps = taps + 3 * outputHeight
    var out = output
    for b in 0..<inputShape.n {
        let image = input + b * imageStride
        for oy in 0..<outputHeight {
            let y0 = Int(taps[3 * oy]), y1 = Int(taps[3 * oy + 1]), wy = taps[3 * oy + 2]
            let row0 = image + y0 * rowStride, row1 = image + y1 * rowStride
            for ox in 0..<outputWidth {
                let x0 = Int(columnTaps[3 * ox]), x1 = Int(columnTaps[3 * ox + 1]), wx = columnTaps[3 * ox + 2]
                if !bilinear {
                    out.update(from: row0 + x0 * c, count: c)
                    out += c
                    continue
                }
                // Products of two weights ≤ 2^20; see the proof above.
                let w00 = (resizeWeightOne &- wy) &* (resizeWeightOne &- wx), w10 = wy &* (resizeWeightOne &- wx)
                let w01 = (resizeWeightOne &- wy) &* wx, w11 = wy &* wx
                let p00 = row0 + x0 * c, p01 = row0 + x1 * c, p10 = row1 + x0 * c, p11 = row1 + x1 * c
                for ch in 0..<c {
                    let s = Int32(p00[ch]) &* w00 &+ Int32(p10[ch]) &* w10 &+ Int32(p01[ch]) &* w01 &+ Int32(p11[ch]) &* w11
                    out[ch] = Int8(truncatingIfNeeded: roundHalfAwayFromZeroDivide(s, shift: 20))
                }
                out += c
            }
        }
    }
}

/// x / 2^shift rounded to nearest, ties away from zero (C's (x ± 2^(shift−1)) / 2^shift);
/// |x| < 2^30 so the nudge cannot overflow.
@inline(__always)
func roundHalfAwayFromZeroDivide(_ x: Int32, shift: Int32) -> Int32 {
    let half = Int32(1) << (shift - 1)
    return x >= 0 ? (x &+ half) >> shift : -((half &- x) >> shift)
}
