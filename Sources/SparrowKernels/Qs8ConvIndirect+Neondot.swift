// qs8-igemm-4x16c4-neondot: a dense conv (dilation 1) whose kernel row kw·inC is a whole number
// of 4-byte steps, on a dot-product CPU (Pi 5), without the im2col copy. The PackedConvIm2col
// record is the filter [outC][kh][kw][inC] packed as a 4x16c4 GEMM over K = kh·kw·inC, so an
// output pixel's K bytes are its kh kernel rows: in NHWC each is kw·inC contiguous input bytes,
// one input row (rowBytes) below the previous. The tile of 4 pixels keeps one pointer per pixel
// and walks the kh rows from it; the GEMM's own accumulate/requantize code (NeondotTile4) runs on
// each row in turn (its K steps never straddle two rows: kw·inC % 4 = 0). Pixels whose window
// crosses the border are gathered into the caller's scratch as the im2col path does
// (`gatherBorderPixel`, zero point in the outside taps), their rows kw·inC apart instead.
// Same outputs as im2col + any GEMM on the same record (the im2col battery checks it against
// conv2DS8 at tolerance 0). The requantization form is decided once for the layer.

#if arch(arm64) && SPARROW_DOTPROD
import _Builtin_intrinsics.arm.neon

/// Whether `qs8ConvIm2col` hands this conv to the kernel below.
@inline(__always)
func qs8ConvIndirectNeondotApplies(_ config: Qs8GemmConfig, _ p: ConvParams, inputChannels: Int, kernelW: Int) -> Bool {
    config.kernel == .neondot4x16c4 && p.dilationH == 1 && p.dilationW == 1 && (kernelW &* inputChannels) & 3 == 0
}

/// Scratch: the 4x16c4 GEMM's MR = 4 rows of K bytes (`qs8ConvIm2colScratchBytes`; K needs no padding here).
func qs8ConvIndirectNeondot(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, kernelH: Int, kernelW: Int,
                            packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputShape: Shape4,
                            scratch: UnsafeMutablePointer<Int8>) {
    let tile = Qs8GemmTile(mr: 4, nr: 16, kr: 4)
    let k = kernelH &* kernelW &* inputShape.c
    let groupBytes = tile.groupBytes(k: k), constantsOffset = 64 &+ k &* 16
    var rightShiftOnly = true
    var g = 0
    while g < tile.groups(n: outputShape.c) {
        if !qs8GemmRightShiftOnly(packed + (g &* groupBytes &+ constantsOffset), nr: 16) { rightShiftOnly = false }
        g &+= 1
    }
    if outputShape.c & 15 != 0 {
        convIndirectPartialGroup(p, input, inputShape, kernelH, kernelW, packed, output, outputShape, scratch)
    } else if rightShiftOnly {
        convIndirectRightShift(p, input, inputShape, kernelH, kernelW, packed, output, outputShape, scratch)
    } else {
        convIndirectGeneral(p, input, inputShape, kernelH, kernelW, packed, output, outputShape, scratch)
    }
}

/// outC not a multiple of 16: partial stores (an out-of-line call in the loop), general requantization.
@inline(never)
private func convIndirectPartialGroup(_ p: ConvParams, _ input: UnsafePointer<Int8>, _ inputShape: Shape4, _ kernelH: Int,
                                      _ kernelW: Int, _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                      _ outputShape: Shape4, _ scratch: UnsafeMutablePointer<Int8>) {
    convIndirect(false, p, input, inputShape, kernelH, kernelW, packed, output, outputShape, scratch, partial: true)
}

@inline(never)
private func convIndirectRightShift(_ p: ConvParams, _ input: UnsafePointer<Int8>, _ inputShape: Shape4, _ kernelH: Int,
                                    _ kernelW: Int, _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                    _ outputShape: Shape4, _ scratch: UnsafeMutablePointer<Int8>) {
    convIndirect(true, p, input, inputShape, kernelH, kernelW, packed, output, outputShape, scratch)
}

@inline(never)
private func convIndirectGeneral(_ p: ConvParams, _ input: UnsafePointer<Int8>, _ inputShape: Shape4, _ kernelH: Int,
                                 _ kernelW: Int, _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputShape: Shape4, _ scratch: UnsafeMutablePointer<Int8>) {
    convIndirect(false, p, input, inputShape, kernelH, kernelW, packed, output, outputShape, scratch)
}

@inline(__always)
private func convIndirect(_ rightShiftOnly: Bool, _ p: ConvParams, _ input: UnsafePointer<Int8>, _ inputShape: Shape4,
                          _ kernelH: Int, _ kernelW: Int, _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                          _ outputShape: Shape4, _ scratch: UnsafeMutablePointer<Int8>, partial: Bool = false) {
    let geometry = Im2colGeometry(p, inputShape: inputShape, kernelH: kernelH, kernelW: kernelW)
    let run = geometry.run, k = kernelH &* run
    let outC = outputShape.c
    let groupBytes = Qs8GemmTile(mr: 4, nr: 16, kr: 4).groupBytes(k: k)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: p.outputZeroPoint))
    let lo = vdupq_n_s8(Int8(truncatingIfNeeded: p.activationMin)), hi = vdupq_n_s8(Int8(truncatingIfNeeded: p.activationMax))
    let clamp = p.activationMin != -128 || p.activationMax != 127
    var walk = IndirectPixels(p, geometry: geometry, input: input, outH: outputShape.h, outW: outputShape.w, scratch: scratch, k: k)
    let pixels = outputShape.n &* outputShape.h &* outputShape.w
    var pixel = 0
    while pixel < pixels {
        // Rows past the last pixel repeat it (computed, stored over the same bytes with the same value).
        let rows = Swift.min(4, pixels &- pixel)
        let x0 = walk.next(0)
        let x1 = rows > 1 ? walk.next(1) : x0
        let x2 = rows > 2 ? walk.next(2) : x1
        let x3 = rows > 3 ? walk.next(3) : x2
        let o0 = output + pixel &* outC
        let o1 = rows > 1 ? o0 + outC : o0
        let o2 = rows > 2 ? o1 + outC : o1
        let o3 = rows > 3 ? o2 + outC : o2
        var group = packed
        var n0 = 0
        while n0 < outC {
            var t = NeondotTile4(group)
            var w = group + 64
            var ky = 0
            while ky < kernelH {
                t.accumulate(4, run, x0.row(ky), x1.row(ky), x2.row(ky), x3.row(ky), &w, byteTail: false)
                ky &+= 1
            }
            t.store(4, rightShiftOnly, Swift.min(16, outC &- n0), NeondotRequant16(w, rightShiftOnly: rightShiftOnly),
                    o0 + n0, o1 + n0, o2 + n0, o3 + n0, zp, lo, hi, clamp: clamp, partial: partial)
            group += groupBytes
            n0 &+= 16
        }
        pixel &+= rows
    }
}

/// Where one output pixel's kernel rows are: `first`, then `stride` bytes apart.
private struct PixelRows {
    var first: UnsafePointer<Int8>
    var stride: Int
    @inline(__always)
    func row(_ ky: Int) -> UnsafePointer<Int8> { first + ky &* stride }
}

/// The output pixels in order: interior ones point into the input, border ones are gathered.
private struct IndirectPixels {
    let geometry: Im2colGeometry
    let strideH: Int, strideW: Int, padTop: Int, padLeft: Int, outH: Int, outW: Int
    let interiorY: (lower: Int, upper: Int), interiorX: (lower: Int, upper: Int)
    let scratch: UnsafeMutablePointer<Int8>, k: Int
    var image: UnsafePointer<Int8>
    var oy = 0, ox = 0

    @inline(__always)
    init(_ p: ConvParams, geometry: Im2colGeometry, input: UnsafePointer<Int8>, outH: Int, outW: Int,
         scratch: UnsafeMutablePointer<Int8>, k: Int) {
        self.geometry = geometry
        strideH = p.strideH; strideW = p.strideW; padTop = p.padTop; padLeft = p.padLeft
        self.outH = outH; self.outW = outW
        interiorY = geometry.interior(out: outH, stride: p.strideH, pad: p.padTop, kernel: geometry.kernelH, size: geometry.inH)
        interiorX = geometry.interior(out: outW, stride: p.strideW, pad: p.padLeft, kernel: geometry.kernelW, size: geometry.inW)
        self.scratch = scratch; self.k = k
        image = input
    }

    /// The current pixel (gathered into scratch row `slot` if it is a border pixel), then step.
    /// Out of line: once per pixel, and it keeps the tile loop small enough for the inliner.
    @inline(never)
    mutating func next(_ slot: Int) -> PixelRows {
        let rows: PixelRows
        if oy >= interiorY.lower && oy < interiorY.upper && ox >= interiorX.lower && ox < interiorX.upper {
            let top = image + ((oy &* strideH &- padTop) &* geometry.inW &+ (ox &* strideW &- padLeft)) &* geometry.inC
            rows = PixelRows(first: top, stride: geometry.rowBytes)
        } else {
            let row = scratch + slot &* k
            gatherBorderPixel(geometry, row: row, image: image, oy: oy, ox: ox)
            rows = PixelRows(first: row, stride: geometry.run)
        }
        ox &+= 1
        if ox == outW {
            ox = 0; oy &+= 1
            if oy == outH { oy = 0; image += geometry.imageBytes }
        }
        return rows
    }
}
#else
@inline(__always)
func qs8ConvIndirectNeondotApplies(_ config: Qs8GemmConfig, _ p: ConvParams, inputChannels: Int, kernelW: Int) -> Bool {
    false
}

/// Not in this build (no dot product): never called (`qs8ConvIndirectNeondotApplies` is false).
func qs8ConvIndirectNeondot(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, kernelH: Int, kernelW: Int,
                            packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputShape: Shape4,
                            scratch: UnsafeMutablePointer<Int8>) {}
#endif
