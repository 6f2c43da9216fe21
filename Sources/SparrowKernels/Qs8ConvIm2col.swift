// Convolution as im2col + the GEMM microkernels, for the first layer (few input channels: a
// 3×3×3 kernel row is 9 bytes, too short for the dot-product loops of conv2DS8) and any conv
// whose MR im2col rows fit the scratch the caller plans. MR output pixels at a time are gathered
// into `scratch` as rows of K = kh·kw·inC bytes (taps outside the input get the input zero
// point, so the packed bias′ = bias − zx·Σw is exact everywhere), then one `qs8Gemm` call
// computes them against all output channels. The weights are the OHWI filter packed by
// `packQs8GemmWeights` with n = outC, k = kh·kw·inC.

/// Scratch bytes `qs8ConvIm2col` needs: MR rows of K bytes.
public func qs8ConvIm2colScratchBytes(_ config: Qs8GemmConfig, kernelH: Int, kernelW: Int, inputChannels: Int) -> Int {
    config.tile.mr * kernelH * kernelW * inputChannels
}

public func qs8ConvIm2col(_ config: Qs8GemmConfig, _ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4,
                          kernelH: Int, kernelW: Int, packed: UnsafeRawPointer,
                          output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let k = kernelH * kernelW * inC
    let run = kernelW * inC                                   // one kernel row when dilationW = 1
    let zx = Int8(truncatingIfNeeded: p.inputZeroPoint)
    let params = Qs8GemmParams(outputZeroPoint: p.outputZeroPoint, activationMin: Int8(truncatingIfNeeded: p.activationMin),
                               activationMax: Int8(truncatingIfNeeded: p.activationMax))
    let pixels = outputShape.n * outH * outW
    var pixel = 0
    while pixel < pixels {
        let rows = Swift.min(config.tile.mr, pixels &- pixel)
        for r in 0..<rows {
            let index = pixel &+ r
            let b = index / (outH * outW), oy = (index / outW) % outH, ox = index % outW
            let iyOrigin = oy &* p.strideH &- p.padTop, ixOrigin = ox &* p.strideW &- p.padLeft
            let columnsInside = ixOrigin >= 0 && ixOrigin &+ (kernelW &- 1) &* p.dilationW < inW
            var row = scratch + r &* k
            for ky in 0..<kernelH {
                let iy = iyOrigin &+ ky &* p.dilationH
                if iy < 0 || iy >= inH {
                    fillBytes(row, zx, run)
                } else if columnsInside && p.dilationW == 1 {
                    copyBytes(row, input + ((b &* inH &+ iy) &* inW &+ ixOrigin) &* inC, run)
                } else {
                    for kx in 0..<kernelW {
                        let ix = ixOrigin &+ kx &* p.dilationW
                        let tap = row + kx &* inC
                        if ix < 0 || ix >= inW {
                            fillBytes(tap, zx, inC)
                        } else {
                            copyBytes(tap, input + ((b &* inH &+ iy) &* inW &+ ix) &* inC, inC)
                        }
                    }
                }
                row += run
            }
        }
        qs8Gemm(config, m: rows, n: outC, k: k, input: scratch, inputStride: k, packed: packed,
                output: output + pixel &* outC, outputStride: outC, params: params)
        pixel &+= rows
    }
}

/// Short copies inline (8 bytes at a time): a first-layer kernel row is 9 bytes, where a memmove
/// call would cost more than the copy.
@inline(__always)
private func copyBytes(_ dst: UnsafeMutablePointer<Int8>, _ src: UnsafePointer<Int8>, _ count: Int) {
    var i = 0
    while i &+ 8 <= count {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self), as: UInt64.self)
        i &+= 8
    }
    while i < count { dst[i] = src[i]; i &+= 1 }
}

@inline(__always)
private func fillBytes(_ dst: UnsafeMutablePointer<Int8>, _ value: Int8, _ count: Int) {
    var i = 0
    while i < count { dst[i] = value; i &+= 1 }
}
