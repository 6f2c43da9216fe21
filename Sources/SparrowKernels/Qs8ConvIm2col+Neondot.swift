// qs8-conv-3x3c3-4x16c4-neondot: the first layer of a CNN (3×3 kernel, 3 input channels, any
// stride and padding, dilation 1) on a dot-product CPU (Pi 5), reading the PackedConvIm2col
// weights of the 4x16c4 GEMM (K = 27 padded to 28: seven 4-byte steps). Instead of copying im2col
// rows to memory and running the GEMM on them, each output pixel's 27 window bytes are built in two
// registers: three 16-byte row loads and two `tbl` (bytes 0–15 and 16–27 of the im2col row), and
// each step's 4 bytes go to `sdot` as a lane of that register (the indexed form, no broadcast
// load). 4 pixels × 16 channels per tile, 16 accumulators; the requantization of Requantize+Neon
// (its 3-instruction form when every shift of the layer is negative). Pixels whose window crosses
// the border (or whose last 16-byte row load would pass the end of the input) take
// `gatherBorderPixel` into the caller's scratch, as the im2col path does. Same outputs as im2col +
// any GEMM on the same packed record (the battery checks it against conv2DS8 at tolerance 0).

#if arch(arm64) && SPARROW_DOTPROD
import _Builtin_intrinsics.arm.neon

let qs8ConvC3NeondotIsCompiled = true

/// The two registers of one pixel's im2col row (bytes 0–15, 16–27; the rest is never read by a
/// nonzero weight: k = 27 is a zero-padded weight, lanes 3 of `high` are not used).
private struct PixelRow {
    var low: int8x16_t, high: int8x16_t
}

@inline(__always)
private func lane(_ v: int8x16_t, _ i: Int) -> int8x16_t {
    unsafeBitCast(SIMD4<Int32>(repeating: unsafeBitCast(v, to: SIMD4<Int32>.self)[i]), to: int8x16_t.self)
}

/// `tbl` indices: im2col byte j < 16 is row j / 9's byte j % 9, i.e. table byte 16·(j / 9) + j % 9.
@inline(__always)
private func rowIndex(_ part: Int) -> uint8x16_t {
    // part 0: j = 0…15 → 0…8, 16…22; part 1: j = 16…27 → 23, 24, 32…40, then 0xFF (→ 0).
    let words: SIMD2<UInt64> = part == 0 ? SIMD2(0x0706050403020100, 0x1615141312111008)
        : SIMD2(0x2524232221201817, 0xFFFF_FFFF_FF28_2726)
    return unsafeBitCast(words, to: uint8x16_t.self)
}

/// Whether `qs8ConvIm2col` hands this conv to the kernel below.
@inline(__always)
func qs8ConvC3NeondotApplies(_ config: Qs8GemmConfig, _ p: ConvParams, inputChannels: Int, kernelH: Int, kernelW: Int) -> Bool {
    config.kernel == .neondot4x16c4 && inputChannels == 3 && kernelH == 3 && kernelW == 3
        && p.dilationH == 1 && p.dilationW == 1
}

func qs8ConvC3Neondot(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, packed: UnsafeRawPointer,
                      output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>) {
    let tile = Qs8GemmTile(mr: 4, nr: 16, kr: 4)
    let groupBytes = tile.groupBytes(k: 27)
    var negative = true
    var g = 0
    while g < tile.groups(n: outputShape.c) {
        let lanes = Swift.min(16, outputShape.c &- g &* 16)
        let constants = packed + (g &* groupBytes &+ 64 &+ 448)
        if !requantShiftsAllNegative(constants, lanes: lanes, nr: 16) { negative = false }
        g &+= 1
    }
    if negative {
        qs8ConvC3NeondotNegativeShift(p, input: input, inputShape: inputShape, packed: packed, output: output,
                                      outputShape: outputShape, scratch: scratch)
    } else {
        qs8ConvC3NeondotGeneral(p, input: input, inputShape: inputShape, packed: packed, output: output,
                                outputShape: outputShape, scratch: scratch)
    }
}

@inline(never)
private func qs8ConvC3NeondotNegativeShift(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, packed: UnsafeRawPointer,
                                           output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>) {
    convC3(p, input: input, inputShape: inputShape, packed: packed, output: output, outputShape: outputShape, scratch: scratch,
           negativeShift: true)
}

@inline(never)
private func qs8ConvC3NeondotGeneral(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, packed: UnsafeRawPointer,
                                     output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>) {
    convC3(p, input: input, inputShape: inputShape, packed: packed, output: output, outputShape: outputShape, scratch: scratch,
           negativeShift: false)
}

@inline(__always)
private func convC3(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, packed: UnsafeRawPointer,
                    output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>,
                    negativeShift: Bool) {
    let geometry = Im2colGeometry(p, inputShape: inputShape, kernelH: 3, kernelW: 3)
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let groupBytes = 64 &+ 448 &+ 192   // Qs8GemmTile(mr: 4, nr: 16, kr: 4).groupBytes(k: 27)
    let interiorY = geometry.interior(out: outH, stride: p.strideH, pad: p.padTop, kernel: 3, size: geometry.inH)
    let interiorX = geometry.interior(out: outW, stride: p.strideW, pad: p.padLeft, kernel: 3, size: geometry.inW)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: p.outputZeroPoint))
    let lo = vdupq_n_s8(Int8(truncatingIfNeeded: p.activationMin)), hi = vdupq_n_s8(Int8(truncatingIfNeeded: p.activationMax))
    // The border rows are gathered into scratch bytes 0..<27; 27..<32 stay zero.
    UnsafeMutableRawPointer(scratch).storeBytes(of: int8x16_t(repeating: 0), toByteOffset: 16, as: int8x16_t.self)
    var walk = C3Windows(p, geometry: geometry, input: input, batches: inputShape.n, outH: outH, outW: outW,
                         interiorY: interiorY, interiorX: interiorX, scratch: scratch)
    let pixels = outputShape.n &* outH &* outW
    var pixel = 0
    while pixel < pixels {
        let rows = Swift.min(4, pixels &- pixel)
        let x0 = walk.next()
        let x1 = rows > 1 ? walk.next() : x0
        let x2 = rows > 2 ? walk.next() : x0
        let x3 = rows > 3 ? walk.next() : x0
        var group = packed
        var n0 = 0
        while n0 < outC {
            var acc = C3Tile(bias: group)
            let w = group + 64
            acc.step(w, 0, x0.low, x1.low, x2.low, x3.low, 0)
            acc.step(w, 1, x0.low, x1.low, x2.low, x3.low, 1)
            acc.step(w, 2, x0.low, x1.low, x2.low, x3.low, 2)
            acc.step(w, 3, x0.low, x1.low, x2.low, x3.low, 3)
            acc.step(w, 4, x0.high, x1.high, x2.high, x3.high, 0)
            acc.step(w, 5, x0.high, x1.high, x2.high, x3.high, 1)
            acc.step(w, 6, x0.high, x1.high, x2.high, x3.high, 2)
            let constants = group + (64 &+ 448)
            let q0 = RequantConstants4(constants, lane: 0, nr: 16), q1 = RequantConstants4(constants, lane: 4, nr: 16)
            let q2 = RequantConstants4(constants, lane: 8, nr: 16), q3 = RequantConstants4(constants, lane: 12, nr: 16)
            let nc = Swift.min(16, outC &- n0)
            var out = output + (pixel &* outC &+ n0)
            @inline(__always)
            func finish(_ a: (int32x4_t, int32x4_t, int32x4_t, int32x4_t)) -> int8x16_t {
                narrowToS8(q0.apply(a.0, rightShiftOnly: negativeShift), q1.apply(a.1, rightShiftOnly: negativeShift),
                           q2.apply(a.2, rightShiftOnly: negativeShift), q3.apply(a.3, rightShiftOnly: negativeShift),
                           zeroPoint: zp, min: lo, max: hi)
            }
            if rows == 4 && nc == 16 {   // the whole tile: straight-line stores
                let o = UnsafeMutableRawPointer(out)
                o.storeBytes(of: finish((acc.a00, acc.a01, acc.a02, acc.a03)), as: int8x16_t.self)
                o.storeBytes(of: finish((acc.a10, acc.a11, acc.a12, acc.a13)), toByteOffset: outC, as: int8x16_t.self)
                o.storeBytes(of: finish((acc.a20, acc.a21, acc.a22, acc.a23)), toByteOffset: 2 &* outC, as: int8x16_t.self)
                o.storeBytes(of: finish((acc.a30, acc.a31, acc.a32, acc.a33)), toByteOffset: 3 &* outC, as: int8x16_t.self)
                group += groupBytes
                n0 &+= 16
                continue
            }
            var i = 0
            while i < rows {
                let y = finish(acc.pixel(i))
                if nc == 16 { UnsafeMutableRawPointer(out).storeBytes(of: y, as: int8x16_t.self) } else { storePartial(y, count: nc, to: out) }
                out += outC
                i &+= 1
            }
            group += groupBytes
            n0 &+= 16
        }
        pixel &+= rows
    }
}

/// The output pixels in order, each as its im2col row in two registers.
private struct C3Windows {
    let geometry: Im2colGeometry
    let strideH: Int, strideW: Int, padTop: Int, padLeft: Int, outH: Int, outW: Int
    let interiorY: (lower: Int, upper: Int), interiorX: (lower: Int, upper: Int)
    /// A window's 16-byte row loads stay inside the input when its last row starts here or before.
    let lastLoad: UnsafePointer<Int8>
    let index0: uint8x16_t, index1: uint8x16_t
    let scratch: UnsafeMutablePointer<Int8>
    var image: UnsafePointer<Int8>
    var oy = 0, ox = 0

    @inline(__always)
    init(_ p: ConvParams, geometry: Im2colGeometry, input: UnsafePointer<Int8>, batches: Int, outH: Int, outW: Int,
         interiorY: (lower: Int, upper: Int), interiorX: (lower: Int, upper: Int), scratch: UnsafeMutablePointer<Int8>) {
        self.geometry = geometry
        strideH = p.strideH; strideW = p.strideW; padTop = p.padTop; padLeft = p.padLeft
        self.outH = outH; self.outW = outW; self.interiorY = interiorY; self.interiorX = interiorX
        lastLoad = input + (batches &* geometry.imageBytes &- 16)
        index0 = rowIndex(0); index1 = rowIndex(1)
        self.scratch = scratch
        image = input
    }

    /// The current pixel's row, then step to the next pixel.
    @inline(__always)
    mutating func next() -> PixelRow {
        let iy = oy &* strideH &- padTop, ix = ox &* strideW &- padLeft
        let top = image + (iy &* geometry.inW &+ ix) &* 3
        let rowBytes = geometry.rowBytes
        var x: PixelRow
        if oy >= interiorY.lower && oy < interiorY.upper && ox >= interiorX.lower && ox < interiorX.upper
            && top + 2 &* rowBytes <= lastLoad {
            let raw = UnsafeRawPointer(top)
            let rows = int8x16x3_t(val: (raw.loadUnaligned(as: int8x16_t.self),
                                         raw.loadUnaligned(fromByteOffset: rowBytes, as: int8x16_t.self),
                                         raw.loadUnaligned(fromByteOffset: 2 &* rowBytes, as: int8x16_t.self)))
            x = PixelRow(low: vqtbl3q_s8(rows, index0), high: vqtbl3q_s8(rows, index1))
        } else {
            gatherBorderPixel(geometry, row: scratch, image: image, oy: oy, ox: ox)
            let raw = UnsafeRawPointer(scratch)
            x = PixelRow(low: raw.loadUnaligned(as: int8x16_t.self), high: raw.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
        }
        ox &+= 1
        if ox == outW {
            ox = 0; oy &+= 1
            if oy == outH { oy = 0; image += geometry.imageBytes }
        }
        return x
    }
}

/// 4 pixels × 16 channels of int32 accumulators (pixel-major, 4 channels per vector).
private struct C3Tile {
    var a00: int32x4_t, a01: int32x4_t, a02: int32x4_t, a03: int32x4_t
    var a10: int32x4_t, a11: int32x4_t, a12: int32x4_t, a13: int32x4_t
    var a20: int32x4_t, a21: int32x4_t, a22: int32x4_t, a23: int32x4_t
    var a30: int32x4_t, a31: int32x4_t, a32: int32x4_t, a33: int32x4_t

    @inline(__always)
    init(bias: UnsafeRawPointer) {
        let b0 = bias.loadUnaligned(as: int32x4_t.self), b1 = bias.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
        let b2 = bias.loadUnaligned(fromByteOffset: 32, as: int32x4_t.self), b3 = bias.loadUnaligned(fromByteOffset: 48, as: int32x4_t.self)
        a00 = b0; a01 = b1; a02 = b2; a03 = b3
        a10 = b0; a11 = b1; a12 = b2; a13 = b3
        a20 = b0; a21 = b1; a22 = b2; a23 = b3
        a30 = b0; a31 = b1; a32 = b2; a33 = b3
    }

    /// K step `s` (bytes 4s..<4s + 4 of each row, lane `l` of the register holding them).
    @inline(__always)
    mutating func step(_ weights: UnsafeRawPointer, _ s: Int, _ x0: int8x16_t, _ x1: int8x16_t, _ x2: int8x16_t,
                       _ x3: int8x16_t, _ l: Int) {
        let w = weights + s &* 64
        let w0 = w.loadUnaligned(as: int8x16_t.self), w1 = w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
        let w2 = w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self), w3 = w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
        let v0 = lane(x0, l), v1 = lane(x1, l), v2 = lane(x2, l), v3 = lane(x3, l)
        a00 = vdotq_s32(a00, w0, v0); a01 = vdotq_s32(a01, w1, v0); a02 = vdotq_s32(a02, w2, v0); a03 = vdotq_s32(a03, w3, v0)
        a10 = vdotq_s32(a10, w0, v1); a11 = vdotq_s32(a11, w1, v1); a12 = vdotq_s32(a12, w2, v1); a13 = vdotq_s32(a13, w3, v1)
        a20 = vdotq_s32(a20, w0, v2); a21 = vdotq_s32(a21, w1, v2); a22 = vdotq_s32(a22, w2, v2); a23 = vdotq_s32(a23, w3, v2)
        a30 = vdotq_s32(a30, w0, v3); a31 = vdotq_s32(a31, w1, v3); a32 = vdotq_s32(a32, w2, v3); a33 = vdotq_s32(a33, w3, v3)
    }

    @inline(__always)
    func pixel(_ i: Int) -> (int32x4_t, int32x4_t, int32x4_t, int32x4_t) {
        i == 0 ? (a00, a01, a02, a03) : i == 1 ? (a10, a11, a12, a13) : i == 2 ? (a20, a21, a22, a23) : (a30, a31, a32, a33)
    }
}
#else
let qs8ConvC3NeondotIsCompiled = false

@inline(__always)
func qs8ConvC3NeondotApplies(_ config: Qs8GemmConfig, _ p: ConvParams, inputChannels: Int, kernelH: Int, kernelW: Int) -> Bool {
    false
}

/// Not in this build (no dot product): never called (`qs8ConvC3NeondotApplies` is false).
func qs8ConvC3Neondot(_ p: ConvParams, input: UnsafePointer<Int8>, inputShape: Shape4, packed: UnsafeRawPointer,
                      output: UnsafeMutablePointer<Int8>, outputShape: Shape4, scratch: UnsafeMutablePointer<Int8>) {}
#endif
