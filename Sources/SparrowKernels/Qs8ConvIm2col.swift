// Convolution as im2col + the GEMM microkernels, for the first layer (few input channels: a
// 3×3×3 kernel row is 9 bytes, too short for the dot-product loops of conv2DS8) and any conv
// whose MR im2col rows fit the scratch the caller plans. MR output pixels at a time are gathered
// into `scratch` as rows of K = kh·kw·inC bytes (taps outside the input get the input zero
// point, so the packed bias′ = bias − zx·Σw is exact everywhere), then one `qs8Gemm` call
// computes them against all output channels. The weights are the OHWI filter packed by
// `packQs8GemmWeights` with n = outC, k = kh·kw·inC.

/// Scratch bytes `qs8ConvIm2col` needs: MR rows of K bytes rounded up to the KR step.
public func qs8ConvIm2colScratchBytes(_ config: Qs8GemmConfig, kernelH: Int, kernelW: Int, inputChannels: Int) -> Int {
    config.tile.mr * config.tile.paddedK(kernelH * kernelW * inputChannels)
}

public func qs8ConvIm2col(_ config: Qs8GemmConfig, _ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                          kernelH: Int, kernelW: Int, packed: UnsafeRawPointer,
                          output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let k = kernelH * kernelW * inC
    // Rows are padded to whole KR steps with zeros and the GEMM runs over the padded K: the packed
    // record for K and for paddedK(K) is the same (weights zero-padded to paddedK, bias′ from the
    // real K), and the microkernels skip their byte-wise tail step.
    let kPadded = config.tile.paddedK(k)
    let run = kernelW * inC                                   // one kernel row when dilationW = 1
    let zx = Int8(truncatingIfNeeded: p.inputZeroPoint)
    let params = Qs8GemmParams(outputZeroPoint: p.outputZeroPoint, activationMin: Int8(truncatingIfNeeded: p.activationMin),
                               activationMax: Int8(truncatingIfNeeded: p.activationMax))
    let pixels = outputShape.n * outH * outW
    // The padding bytes of each row: written once, the gather never touches them.
    for r in 0..<config.tile.mr { fillBytes(scratch + (r &* kPadded &+ k), 0, kPadded &- k) }
    var pixel = 0
    var b = 0, oy = 0, ox = 0                                  // coordinates of `pixel`, stepped, not divided
    while pixel < pixels {
        let rows = Swift.min(config.tile.mr, pixels &- pixel)
        for r in 0..<rows {
            let iyOrigin = oy &* p.strideH &- p.padTop, ixOrigin = ox &* p.strideW &- p.padLeft
            let columnsInside = ixOrigin >= 0 && ixOrigin &+ (kernelW &- 1) &* p.dilationW < inW
            let image = input + b &* inH &* inW &* inC
            var row = scratch + r &* kPadded
            for ky in 0..<kernelH {
                let iy = iyOrigin &+ ky &* p.dilationH
                if iy < 0 || iy >= inH {
                    fillBytes(row, zx, run)
                } else if columnsInside && p.dilationW == 1 {
                    copyBytes(row, image + (iy &* inW &+ ixOrigin) &* inC, run)
                } else {
                    for kx in 0..<kernelW {
                        let ix = ixOrigin &+ kx &* p.dilationW
                        let tap = row + kx &* inC
                        if ix < 0 || ix >= inW {
                            fillBytes(tap, zx, inC)
                        } else {
                            copyBytes(tap, image + (iy &* inW &+ ix) &* inC, inC)
                        }
                    }
                }
                row += run
            }
            ox &+= 1
            if ox == outW { ox = 0; oy &+= 1; if oy == outH { oy = 0; b &+= 1 } }
        }
        qs8Gemm(config, m: rows, n: outC, k: kPadded, input: scratch, inputStride: kPadded, packed: packed,
                output: output + pixel &* outC, outputStride: outC, params: params)
        pixel &+= rows
    }
}

/// Short copies without loops LLVM would turn into memmove/memset calls or alias-checked vector
/// loops (a first-layer kernel row is 9 bytes): overlapping unaligned 16/8/4-byte moves.
@inline(__always)
private func copyBytes(_ dst: UnsafeMutablePointer<Int8>, _ src: UnsafePointer<Int8>, _ count: Int) {
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    if count >= 16 {
        var i = 0
        while i &+ 16 <= count {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self), toByteOffset: i, as: SIMD16<Int8>.self)
            i &+= 16
        }
        let last = count &- 16
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: last, as: SIMD16<Int8>.self), toByteOffset: last, as: SIMD16<Int8>.self)
    } else if count >= 8 {
        d.storeBytes(of: s.loadUnaligned(as: UInt64.self), as: UInt64.self)
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self), toByteOffset: count &- 8, as: UInt64.self)
    } else if count >= 4 {
        d.storeBytes(of: s.loadUnaligned(as: UInt32.self), as: UInt32.self)
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self), toByteOffset: count &- 4, as: UInt32.self)
    } else {
        if count > 0 { dst[0] = src[0] }
        if count > 1 { dst[1] = src[1] }
        if count > 2 { dst[2] = src[2] }
    }
}

/// `count` copies of `value`, the same way.
@inline(__always)
private func fillBytes(_ dst: UnsafeMutablePointer<Int8>, _ value: Int8, _ count: Int) {
    let d = UnsafeMutableRawPointer(dst)
    if count >= 16 {
        let v = SIMD16<Int8>(repeating: value)
        var i = 0
        while i &+ 16 <= count { d.storeBytes(of: v, toByteOffset: i, as: SIMD16<Int8>.self); i &+= 16 }
        d.storeBytes(of: v, toByteOffset: count &- 16, as: SIMD16<Int8>.self)
    } else if count >= 8 {
        let v = SIMD8<Int8>(repeating: value)
        d.storeBytes(of: v, as: SIMD8<Int8>.self)
        d.storeBytes(of: v, toByteOffset: count &- 8, as: SIMD8<Int8>.self)
    } else {
        var i = 0
        while i < count { dst[i] = value; i &+= 1 }
    }
}
