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
    if qs8ConvC3NeondotApplies(config, p, inputChannels: inputShape.c, kernelH: kernelH, kernelW: kernelW) {
        // The 3-channel 3×3 first layer on a dot-product CPU: windows built in registers, no im2col
        // copy (Qs8ConvIm2col+Neondot.swift; same packed record, same outputs).
        qs8ConvC3Neondot(p, input: input, inputShape: inputShape, packed: packed, output: output, outputShape: outputShape,
                         scratch: scratch)
        return
    }
    if qs8ConvIndirectNeondotApplies(config, p, inputChannels: inputShape.c, kernelW: kernelW) {
        // Kernel rows a whole number of 4-byte steps on a dot-product CPU: the GEMM reads the input
        // rows in place, no im2col copy (Qs8ConvIndirect+Neondot.swift; same packed record).
        qs8ConvIndirectNeondot(p, input: input, inputShape: inputShape, kernelH: kernelH, kernelW: kernelW, packed: packed,
                               output: output, outputShape: outputShape, scratch: scratch)
        return
    }
    let g = Im2colGeometry(p, inputShape: inputShape, kernelH: kernelH, kernelW: kernelW)
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    // Rows are padded to whole KR steps with zeros and the GEMM runs over the padded K: the packed
    // record for K and for paddedK(K) is the same (weights zero-padded to paddedK, bias′ from the
    // real K), and the microkernels skip their byte-wise tail step.
    let k = kernelH &* g.run
    let kPadded = config.tile.paddedK(k), mr = config.tile.mr
    let params = Qs8GemmParams(outputZeroPoint: p.outputZeroPoint, activationMin: Int8(truncatingIfNeeded: p.activationMin),
                               activationMax: Int8(truncatingIfNeeded: p.activationMax))
    let pixels = outputShape.n &* outH &* outW
    // The padding bytes of each row: written once, the gather never touches them.
    for r in 0..<mr { fillBytes(scratch + (r &* kPadded &+ k), 0, kPadded &- k) }
    // Output pixels whose whole receptive field is inside the input (dilation 1): oy in
    // interiorY, ox in interiorX. They copy kh runs of kw·inC contiguous bytes; the others
    // (border pixels, dilated kernels) take `gatherBorderPixel`.
    let dense = p.dilationH == 1 && p.dilationW == 1
    let interiorY = dense ? g.interior(out: outH, stride: p.strideH, pad: p.padTop, kernel: kernelH, size: g.inH) : (lower: 0, upper: 0)
    let interiorX = dense ? g.interior(out: outW, stride: p.strideW, pad: p.padLeft, kernel: kernelW, size: g.inW) : (lower: 0, upper: 0)
    var pixel = 0
    var b = 0, oy = 0, ox = 0                                  // coordinates of `pixel`, stepped, not divided
    var image = input
    while pixel < pixels {
        let rows = Swift.min(mr, pixels &- pixel)
        var row = scratch
        for _ in 0..<rows {
            if oy >= interiorY.lower && oy < interiorY.upper && ox >= interiorX.lower && ox < interiorX.upper {
                var src = image + ((oy &* p.strideH &- p.padTop) &* g.inW &+ (ox &* p.strideW &- p.padLeft)) &* g.inC
                var dst = row
                var ky = 0
                while ky < kernelH {
                    copyBytes(dst, src, g.run)
                    dst += g.run
                    src += g.rowBytes
                    ky &+= 1
                }
            } else {
                gatherBorderPixel(g, row: row, image: image, oy: oy, ox: ox)
            }
            row += kPadded
            ox &+= 1
            if ox == outW {
                ox = 0; oy &+= 1
                if oy == outH { oy = 0; b &+= 1; image += g.imageBytes }
            }
        }
        qs8Gemm(config, m: rows, n: outC, k: kPadded, input: scratch, inputStride: kPadded, packed: packed,
                output: output + pixel &* outC, outputStride: outC, params: params)
        pixel &+= rows
    }
}

/// The input geometry of one conv, computed once per call.
struct Im2colGeometry {
    let inH: Int, inW: Int, inC: Int
    let kernelH: Int, kernelW: Int
    let strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, padTop: Int, padLeft: Int
    let run: Int                                               // one kernel row when dilationW = 1: kw·inC bytes
    let rowBytes: Int                                          // one input row: inW·inC bytes
    let imageBytes: Int
    let zx: Int8

    init(_ p: ConvParams, inputShape: Shape4, kernelH: Int, kernelW: Int) {
        inH = inputShape.h; inW = inputShape.w; inC = inputShape.c
        self.kernelH = kernelH; self.kernelW = kernelW
        strideH = p.strideH; strideW = p.strideW; dilationH = p.dilationH; dilationW = p.dilationW
        padTop = p.padTop; padLeft = p.padLeft
        run = kernelW &* inC
        rowBytes = inW &* inC
        imageBytes = inH &* rowBytes
        zx = Int8(truncatingIfNeeded: p.inputZeroPoint)
    }

    /// The output coordinates o in lower..<upper (along one axis, dilation 1) whose input window
    /// o·stride − pad ..< o·stride − pad + kernel lies inside 0..<size.
    func interior(out: Int, stride: Int, pad: Int, kernel: Int, size: Int) -> (lower: Int, upper: Int) {
        let lower = (pad &+ stride &- 1) / stride              // first o with o·stride ≥ pad
        let last = size &- kernel &+ pad                       // o·stride ≤ last
        let upper = last < 0 ? 0 : Swift.min(out, last / stride &+ 1)
        return (Swift.min(lower, upper), upper)
    }
}

/// One im2col row for a pixel whose window crosses the input's border (or a dilated kernel):
/// taps outside the input get the zero point. Kept out of line so the interior loop stays small.
@inline(never)
func gatherBorderPixel(_ g: Im2colGeometry, row: UnsafeMutablePointer<Int8>, image: UnsafePointer<Int8>, oy: Int, ox: Int) {
    let iyOrigin = oy &* g.strideH &- g.padTop, ixOrigin = ox &* g.strideW &- g.padLeft
    let columnsInside = ixOrigin >= 0 && ixOrigin &+ (g.kernelW &- 1) &* g.dilationW < g.inW
    var row = row
    for ky in 0..<g.kernelH {
        let iy = iyOrigin &+ ky &* g.dilationH
        if iy < 0 || iy >= g.inH {
            fillBytes(row, g.zx, g.run)
        } else if columnsInside && g.dilationW == 1 {
            copyBytes(row, image + (iy &* g.inW &+ ixOrigin) &* g.inC, g.run)
        } else {
            for kx in 0..<g.kernelW {
                let ix = ixOrigin &+ kx &* g.dilationW
                let tap = row + kx &* g.inC
                if ix < 0 || ix >= g.inW {
                    fillBytes(tap, g.zx, g.inC)
                } else {
                    copyBytes(tap, image + (iy &* g.inW &+ ix) &* g.inC, g.inC)
                }
            }
        }
        row += g.run
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
