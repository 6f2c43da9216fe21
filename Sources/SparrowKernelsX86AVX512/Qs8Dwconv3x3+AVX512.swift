// qs8-dwconv-3x3-avx512vnni: depthwise 3×3, stride 1 or 2, on SparrowKernels' packed depthwise
// layout (Qs8Dwconv3x3+Packing.swift: per group of 16 channels bias′ [16] int32 at 0, weights
// [9][16] int8 at 64, multiplier/preShift/postShift [16] int32 at 208/272/336). Bit-identical to
// `qs8Dwconv3x3Scalar`. The AVX2 kernel's scheme (SparrowKernelsX86) on 32 channels — two packed
// groups — per step: 32 input bytes widened to int16 in one zmm, and per tap two `vpdpwssd`
// (multiply int16 pairs and add to the int32 accumulator in one instruction) against the weights
// split by channel parity, into an even-channel and an odd-channel accumulator. The 18 split
// weight vectors, both biases and the requantization constants are made once per block of 32
// channels and stay in registers (32 zmm). Loads are masked to the block's channels (a partial
// block never reads past its last channel); border taps read the input zero point.
// Compiled with -mavx512f/bw/dq/vl/vnni (Package.swift); callers must have checked CPUID.
#if arch(x86_64)
import _Builtin_intrinsics.intel
import SparrowKernelsX86

/// Runs the depthwise 3×3 over NHWC `input` (batches × inH × inW × channels) into `output`
/// (batches × outH × outW × channels). Callers must have checked AVX-512 F/BW/DQ/VL and VNNI.
public func qs8Dwconv3x3AVX512(batches: Int, inH: Int, inW: Int, channels: Int, outH: Int, outW: Int, stride: Int,
                               padTop: Int, padLeft: Int, inputZeroPoint: Int8, outputZeroPoint: Int32,
                               activationMin: Int8, activationMax: Int8, input: UnsafePointer<Int8>,
                               packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    let stage = OutputStage16(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    let zx = _mm512_set1_epi16(Int16(inputZeroPoint))
    // Output columns whose three taps are all inside: [oxBegin, oxEnd).
    var oxEnd = inW &- 3 &+ padLeft >= 0 ? (inW &- 3 &+ padLeft) / stride &+ 1 : 0
    oxEnd = Swift.min(oxEnd, outW)
    let oxBegin = Swift.min((padLeft &+ stride &- 1) / stride, oxEnd)
    let rowStride = inW &* channels, pixelStride = stride &* channels
    var c0 = 0
    // Blocks of 32 channels outer: their weights stay in registers over the whole image.
    while c0 < channels {
        let lanes = Swift.min(32, channels &- c0)
        let block = DwBlock(packed + (c0 / 16) &* dwGroupBytes, lanes: lanes)
        for n in 0..<batches {
            let image = input + n &* inH &* rowStride + c0
            var out = output + n &* outH &* outW &* channels + c0
            for oy in 0..<outH {
                let iy0 = oy &* stride &- padTop
                let rowInside = iy0 >= 0 && iy0 &+ 2 < inH
                var ox = 0
                while ox < outW {
                    if rowInside && ox == oxBegin && oxBegin < oxEnd {
                        // Interior run: nine loads at fixed offsets from the pixel's top-left tap.
                        var x = image + (iy0 &* inW &+ ox &* stride &- padLeft) &* channels
                        while ox < oxEnd {
                            let r1 = x + rowStride, r2 = r1 + rowStride, c = channels
                            block.pixel(block.load(x), block.load(x + c), block.load(x + 2 &* c),
                                        block.load(r1), block.load(r1 + c), block.load(r1 + 2 &* c),
                                        block.load(r2), block.load(r2 + c), block.load(r2 + 2 &* c), stage, out)
                            x += pixelStride
                            out += channels
                            ox &+= 1
                        }
                        continue
                    }
                    // Border pixel: taps outside the input read zx.
                    let ix0 = ox &* stride &- padLeft
                    @inline(__always)
                    func tap(_ ky: Int, _ kx: Int) -> __m512i {
                        let iy = iy0 &+ ky, ix = ix0 &+ kx
                        if iy < 0 || iy >= inH || ix < 0 || ix >= inW { return zx }
                        return block.load(image + (iy &* inW &+ ix) &* channels)
                    }
                    block.pixel(tap(0, 0), tap(0, 1), tap(0, 2), tap(1, 0), tap(1, 1), tap(1, 2),
                                tap(2, 0), tap(2, 1), tap(2, 2), stage, out)
                    out += channels
                    ox &+= 1
                }
            }
        }
        c0 &+= 32
    }
}

/// 16 int32 lanes in order (`_mm512_setr_epi32` is a macro Swift cannot import).
@inline(__always)
func lanes16(_ v0: Int32, _ v1: Int32, _ v2: Int32, _ v3: Int32, _ v4: Int32, _ v5: Int32, _ v6: Int32, _ v7: Int32,
             _ v8: Int32, _ v9: Int32, _ v10: Int32, _ v11: Int32, _ v12: Int32, _ v13: Int32, _ v14: Int32,
             _ v15: Int32) -> __m512i {
    unsafeBitCast(SIMD16<Int32>(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15), to: __m512i.self)
}

/// Bytes of one packed group of 16 channels: bias′, 9 × 16 weights, three constant blocks.
let dwGroupBytes = 64 + 9 * 16 + 3 * 64

/// One block of up to 32 channels (two packed groups): the widened, parity-split weights, the
/// biases and requantization constants in the accumulators' lane order (even channels 0, 2, …, 30;
/// odd channels 1, 3, …, 31), and the load and store masks.
struct DwBlock {
    var even: (__m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i)
    var odd: (__m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i)
    var biasEven: __m512i, biasOdd: __m512i
    var requantEven: Requant16, requantOdd: Requant16
    var loadMask: __mmask32
    var lanes: Int

    @inline(__always)
    init(_ first: UnsafeRawPointer, lanes: Int) {
        self.lanes = lanes
        loadMask = lanes == 32 ? __mmask32.max : (__mmask32(1) &<< __mmask32(lanes)) &- 1
        let second: UnsafeRawPointer? = lanes > 16 ? first + dwGroupBytes : nil
        let evenMask = _mm512_set1_epi32(0x0000_FFFF), oddMask = _mm512_set1_epi32(Int32(bitPattern: 0xFFFF_0000))
        @inline(__always)
        func weights(_ tap: Int) -> (__m512i, __m512i) {
            let a = first.loadUnaligned(fromByteOffset: 64 &+ tap &* 16, as: __m128i.self)
            let b = second?.loadUnaligned(fromByteOffset: 64 &+ tap &* 16, as: __m128i.self) ?? _mm_setzero_si128()
            let w = _mm512_cvtepi8_epi16(__m256i(lowHalf: a, highHalf: b))
            return (_mm512_and_si512(w, evenMask), _mm512_and_si512(w, oddMask))
        }
        let t0 = weights(0), t1 = weights(1), t2 = weights(2), t3 = weights(3), t4 = weights(4)
        let t5 = weights(5), t6 = weights(6), t7 = weights(7), t8 = weights(8)
        even = (t0.0, t1.0, t2.0, t3.0, t4.0, t5.0, t6.0, t7.0, t8.0)
        odd = (t0.1, t1.1, t2.1, t3.1, t4.1, t5.1, t6.1, t7.1, t8.1)
        // 32 int32 values at `offset` of both groups, split into even and odd channels.
        let evenIndex = lanes16(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
        let oddIndex = lanes16(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)
        @inline(__always)
        func split(_ offset: Int) -> (even: __m512i, odd: __m512i) {
            let a = first.loadUnaligned(fromByteOffset: offset, as: __m512i.self)
            let b = second?.loadUnaligned(fromByteOffset: offset, as: __m512i.self) ?? _mm512_setzero_si512()
            return (_mm512_permutex2var_epi32(a, evenIndex, b), _mm512_permutex2var_epi32(a, oddIndex, b))
        }
        let bias = split(0), m = split(208), pre = split(272), post = split(336)
        biasEven = bias.even
        biasOdd = bias.odd
        requantEven = Requant16(multiplier: m.even, pre: pre.even, post: post.even)
        requantOdd = Requant16(multiplier: m.odd, pre: pre.odd, post: post.odd)
    }

    /// The block's bytes of one input pixel, widened to int16 (masked: no read past `lanes`).
    @inline(__always)
    func load(_ p: UnsafePointer<Int8>) -> __m512i {
        _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(loadMask, p))
    }

    /// One output pixel of the block from its nine taps (row-major), stored at `out`.
    @inline(__always)
    func pixel(_ x0: __m512i, _ x1: __m512i, _ x2: __m512i, _ x3: __m512i, _ x4: __m512i, _ x5: __m512i,
               _ x6: __m512i, _ x7: __m512i, _ x8: __m512i, _ stage: OutputStage16, _ out: UnsafeMutablePointer<Int8>) {
        var e = biasEven, o = biasOdd
        e = _mm512_dpwssd_epi32(e, x0, even.0); o = _mm512_dpwssd_epi32(o, x0, odd.0)
        e = _mm512_dpwssd_epi32(e, x1, even.1); o = _mm512_dpwssd_epi32(o, x1, odd.1)
        e = _mm512_dpwssd_epi32(e, x2, even.2); o = _mm512_dpwssd_epi32(o, x2, odd.2)
        e = _mm512_dpwssd_epi32(e, x3, even.3); o = _mm512_dpwssd_epi32(o, x3, odd.3)
        e = _mm512_dpwssd_epi32(e, x4, even.4); o = _mm512_dpwssd_epi32(o, x4, odd.4)
        e = _mm512_dpwssd_epi32(e, x5, even.5); o = _mm512_dpwssd_epi32(o, x5, odd.5)
        e = _mm512_dpwssd_epi32(e, x6, even.6); o = _mm512_dpwssd_epi32(o, x6, odd.6)
        e = _mm512_dpwssd_epi32(e, x7, even.7); o = _mm512_dpwssd_epi32(o, x7, odd.7)
        e = _mm512_dpwssd_epi32(e, x8, even.8); o = _mm512_dpwssd_epi32(o, x8, odd.8)
        let re = requantEven.apply(e), ro = requantOdd.apply(o)
        // Back to channel order: channel 2j is re[j], 2j + 1 is ro[j] (index 16 + j).
        let low = _mm512_permutex2var_epi32(re, lanes16(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), ro)
        stage.store(low, count: Swift.min(16, lanes), to: out)
        if lanes > 16 {
            let high = _mm512_permutex2var_epi32(re, lanes16(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), ro)
            stage.store(high, count: lanes &- 16, to: out + 16)
        }
    }
}
#endif
