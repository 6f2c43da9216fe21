// qs8-dwconv-3x3-avx2: depthwise 3×3, stride 1 or 2, on SparrowKernels' packed depthwise layout
// (Qs8Dwconv3x3+Packing.swift: per group of 16 channels bias′ [16] int32 at 0, weights [9][16]
// int8 at 64, multiplier/preShift/postShift [16] int32 at 208/272/336). Bit-identical to
// `qs8Dwconv3x3Scalar`. 16 channels per step: input and weight bytes widened to int16, and two
// `vpmaddwd` per tap against the weights split by channel parity (DwTap), into an even-channel
// and an odd-channel int32 accumulator; the split weights are made once per output row and
// group. Border taps read the input zero point, which makes the folded bias′ exact (as in the
// NEON kernel).
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Runs the depthwise 3×3 over NHWC `input` (batches × inH × inW × channels) into `output`
/// (batches × outH × outW × channels). Callers must have checked that the CPU has AVX2.
public func qs8Dwconv3x3AVX2(batches: Int, inH: Int, inW: Int, channels: Int, outH: Int, outW: Int, stride: Int,
                             padTop: Int, padLeft: Int, inputZeroPoint: Int8, outputZeroPoint: Int32,
                             activationMin: Int8, activationMax: Int8, input: UnsafePointer<Int8>,
                             packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    let geometry = DwGeometry(batches: batches, inH: inH, inW: inW, channels: channels, outH: outH, outW: outW,
                              stride: stride, padTop: padTop, padLeft: padLeft)
    let stage = OutputStage(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    // Output rows outer, channel groups inner: the three input rows of one output row stay in
    // cache while every group passes over them (a group pass over the whole image read each
    // cache line once per group from far away).
    for n in 0..<batches {
        for oy in 0..<outH {
            var c0 = 0
            var group = packed
            while c0 < channels {
                let lanes = Swift.min(16, channels &- c0)
                dwRow(geometry, inputZeroPoint, stage, n: n, oy: oy, input: input + c0, group: group, output: output + c0,
                      lanes: lanes)
                c0 &+= 16
                group += 64 + 9 * 16 + 3 * 64
            }
        }
    }
}

struct DwGeometry {
    var batches: Int, inH: Int, inW: Int, channels: Int, outH: Int, outW: Int, stride: Int, padTop: Int, padLeft: Int
}

/// `count` ≤ 16 bytes at `p` (the rest zero), widened to int16.
@inline(__always)
private func loadLanes(_ p: UnsafePointer<Int8>, _ count: Int) -> __m256i {
    if count == 16 { return _mm256_cvtepi8_epi16(UnsafeRawPointer(p).loadUnaligned(as: __m128i.self)) }
    return _mm256_cvtepi8_epi16(loadPartial16(p, count))
}

/// One tap's 16 weights widened to int16, split by channel parity: `even` keeps channels 0, 2, …
/// (odd int16 lanes zeroed), `odd` channels 1, 3, …. `vpmaddwd` of the widened input with `even`
/// is then x·w of the even channels in int32 lanes, exactly (the other product is 0), and with
/// `odd` that of the odd ones: two multiply-adds per tap and no int16 → int32 widening shuffles.
private struct DwTap {
    var even: __m256i, odd: __m256i
    @inline(__always)
    init(_ group: UnsafeRawPointer, _ tap: Int) {
        let w = _mm256_cvtepi8_epi16(group.loadUnaligned(fromByteOffset: 64 &+ tap &* 16, as: __m128i.self))
        even = _mm256_and_si256(w, _mm256_set1_epi32(0x0000_FFFF))
        odd = _mm256_and_si256(w, _mm256_set1_epi32(Int32(bitPattern: 0xFFFF_0000)))
    }
}

/// Even channels 0, 2, …, 14 and odd channels 1, 3, …, 15 of 16, one int32 lane each.
private struct DwAccumulators {
    var even: __m256i, odd: __m256i
    @inline(__always)
    mutating func add(_ x: __m256i, _ w: DwTap) {
        even = _mm256_add_epi32(even, _mm256_madd_epi16(x, w.even))
        odd = _mm256_add_epi32(odd, _mm256_madd_epi16(x, w.odd))
    }
}

/// 16 int32 values at `p` → (channels 0, 2, …, 14; channels 1, 3, …, 15).
@inline(__always)
private func deinterleave(_ p: UnsafeRawPointer) -> (even: __m256i, odd: __m256i) {
    let order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)
    let a = _mm256_permutevar8x32_epi32(p.loadUnaligned(as: __m256i.self), order)
    let b = _mm256_permutevar8x32_epi32(p.loadUnaligned(fromByteOffset: 32, as: __m256i.self), order)
    return (__m256i(lowHalf: a.lowHalf, highHalf: b.lowHalf), __m256i(lowHalf: a.highHalf, highHalf: b.highHalf))
}

/// One group of `lanes` channels over output row `oy` of image `n` (`input`/`output` point at the
/// group's first channel).
@inline(__always)
private func dwRow(_ s: DwGeometry, _ inputZeroPoint: Int8, _ stage: OutputStage, n: Int, oy: Int,
                   input: UnsafePointer<Int8>, group: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, lanes: Int) {
    let c = s.channels
    let w0 = DwTap(group, 0), w1 = DwTap(group, 1), w2 = DwTap(group, 2), w3 = DwTap(group, 3), w4 = DwTap(group, 4)
    let w5 = DwTap(group, 5), w6 = DwTap(group, 6), w7 = DwTap(group, 7), w8 = DwTap(group, 8)
    let b = deinterleave(group)
    let bias = DwAccumulators(even: b.even, odd: b.odd)
    let m = deinterleave(group + 208), pre = deinterleave(group + 272), post = deinterleave(group + 336)
    let qEven = RequantConstants8(multiplier: m.even, pre: pre.even, post: post.even)
    let qOdd = RequantConstants8(multiplier: m.odd, pre: pre.odd, post: post.odd)
    let zx = _mm256_set1_epi16(Int16(inputZeroPoint))
    let rowStride = s.inW &* c, pixelStride = s.stride &* c

    @inline(__always)
    func finish(_ acc: DwAccumulators, _ out: UnsafeMutablePointer<Int8>) {
        let even = qEven.apply(acc.even), odd = qOdd.apply(acc.odd)
        // Back to channel order: unpack gives [0–3 | 8–11] and [4–7 | 12–15].
        let low = _mm256_unpacklo_epi32(even, odd), high = _mm256_unpackhi_epi32(even, odd)
        storeBytes(stage.narrow(__m256i(lowHalf: low.lowHalf, highHalf: high.lowHalf),
                                __m256i(lowHalf: low.highHalf, highHalf: high.highHalf)), count: lanes, to: out)
    }

    let image = input + n &* s.inH &* rowStride
    let iy0 = oy &* s.stride &- s.padTop
    let rowInside = iy0 >= 0 && iy0 &+ 2 < s.inH
    var out = output + ((n &* s.outH &+ oy) &* s.outW) &* c
    // Output columns whose three taps are all inside: [oxBegin, oxEnd).
    var oxBegin = (s.padLeft &+ s.stride &- 1) / s.stride
    var oxEnd = s.inW &- 3 &+ s.padLeft >= 0 ? (s.inW &- 3 &+ s.padLeft) / s.stride &+ 1 : 0
    oxEnd = Swift.min(oxEnd, s.outW); oxBegin = Swift.min(oxBegin, oxEnd)
    if !rowInside { oxBegin = s.outW; oxEnd = s.outW }
    var ox = 0
    while ox < s.outW {
        if ox == oxBegin && oxBegin < oxEnd {
            // Interior run: nine loads at fixed offsets from the pixel's top-left tap.
            var x = image + (iy0 &* s.inW &+ ox &* s.stride &- s.padLeft) &* c
            if lanes == 16 {
                // Whole groups: plain 16-byte loads, no count test per tap (the partial load's
                // branches kept LLVM from inlining it and put every accumulator on the stack).
                @inline(__always)
                func load16(_ p: UnsafePointer<Int8>) -> __m256i {
                    _mm256_cvtepi8_epi16(UnsafeRawPointer(p).loadUnaligned(as: __m128i.self))
                }
                while ox < oxEnd {
                    var acc = bias
                    let r1 = x + rowStride, r2 = r1 + rowStride
                    acc.add(load16(x), w0); acc.add(load16(x + c), w1); acc.add(load16(x + 2 &* c), w2)
                    acc.add(load16(r1), w3); acc.add(load16(r1 + c), w4); acc.add(load16(r1 + 2 &* c), w5)
                    acc.add(load16(r2), w6); acc.add(load16(r2 + c), w7); acc.add(load16(r2 + 2 &* c), w8)
                    finish(acc, out)
                    x += pixelStride
                    out += c
                    ox &+= 1
                }
                continue
            }
            while ox < oxEnd {
                var acc = bias
                let r1 = x + rowStride, r2 = r1 + rowStride
                acc.add(loadLanes(x, lanes), w0); acc.add(loadLanes(x + c, lanes), w1)
                acc.add(loadLanes(x + 2 &* c, lanes), w2); acc.add(loadLanes(r1, lanes), w3)
                acc.add(loadLanes(r1 + c, lanes), w4); acc.add(loadLanes(r1 + 2 &* c, lanes), w5)
                acc.add(loadLanes(r2, lanes), w6); acc.add(loadLanes(r2 + c, lanes), w7)
                acc.add(loadLanes(r2 + 2 &* c, lanes), w8)
                finish(acc, out)
                x += pixelStride
                out += c
                ox &+= 1
            }
            continue
        }
        // Border pixel: taps outside the input read zx.
        let ix0 = ox &* s.stride &- s.padLeft
        @inline(__always)
        func tap(_ ky: Int, _ kx: Int) -> __m256i {
            let iy = iy0 &+ ky, ix = ix0 &+ kx
            if iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW { return zx }
            return loadLanes(image + (iy &* s.inW &+ ix) &* c, lanes)
        }
        var acc = bias
        acc.add(tap(0, 0), w0); acc.add(tap(0, 1), w1); acc.add(tap(0, 2), w2)
        acc.add(tap(1, 0), w3); acc.add(tap(1, 1), w4); acc.add(tap(1, 2), w5)
        acc.add(tap(2, 0), w6); acc.add(tap(2, 1), w7); acc.add(tap(2, 2), w8)
        finish(acc, out)
        out += c
        ox &+= 1
    }
}
#endif
