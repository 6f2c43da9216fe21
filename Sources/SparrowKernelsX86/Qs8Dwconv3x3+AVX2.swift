// qs8-dwconv-3x3-avx2: depthwise 3×3, stride 1 or 2, on SparrowKernels' packed depthwise layout
// (Qs8Dwconv3x3+Packing.swift: per group of 16 channels bias′ [16] int32 at 0, weights [9][16]
// int8 at 64, multiplier/preShift/postShift [16] int32 at 208/272/336). Bit-identical to
// `qs8Dwconv3x3Scalar`. 16 channels per step: input and weight bytes widened to int16,
// `vpmullw` (|x·w| ≤ 128·128 fits int16 exactly), widened to int32 into two accumulators; the
// nine widened weight vectors are loaded once per group. Border taps read the input zero point,
// which makes the folded bias′ exact (as in the NEON kernel).
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
    var c0 = 0
    var group = packed
    while c0 < channels {
        let lanes = Swift.min(16, channels &- c0)
        dwGroup(geometry, inputZeroPoint, stage, input: input + c0, group: group, output: output + c0, lanes: lanes)
        c0 &+= 16
        group += 64 + 9 * 16 + 3 * 64
    }
}

struct DwGeometry {
    var batches: Int, inH: Int, inW: Int, channels: Int, outH: Int, outW: Int, stride: Int, padTop: Int, padLeft: Int
}

/// `count` ≤ 16 bytes at `p` (the rest zero), widened to int16.
@inline(__always)
private func loadLanes(_ p: UnsafePointer<Int8>, _ count: Int) -> __m256i {
    if count == 16 { return _mm256_cvtepi8_epi16(UnsafeRawPointer(p).loadUnaligned(as: __m128i.self)) }
    var v = SIMD16<Int8>(repeating: 0)
    for i in 0..<count { v[i] = p[i] }
    return _mm256_cvtepi8_epi16(unsafeBitCast(v, to: __m128i.self))
}

private struct DwAccumulators {
    var low: __m256i, high: __m256i
    @inline(__always)
    mutating func add(_ x: __m256i, _ w: __m256i) {
        let product = _mm256_mullo_epi16(x, w)
        low = _mm256_add_epi32(low, _mm256_cvtepi16_epi32(product.lowHalf))
        high = _mm256_add_epi32(high, _mm256_cvtepi16_epi32(product.highHalf))
    }
}

/// One group of `lanes` channels over the whole image (`input`/`output` point at its first channel).
@inline(__always)
private func dwGroup(_ s: DwGeometry, _ inputZeroPoint: Int8, _ stage: OutputStage, input: UnsafePointer<Int8>,
                     group: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, lanes: Int) {
    let c = s.channels
    @inline(__always) func weight(_ tap: Int) -> __m256i {
        _mm256_cvtepi8_epi16(group.loadUnaligned(fromByteOffset: 64 &+ tap &* 16, as: __m128i.self))
    }
    let w0 = weight(0), w1 = weight(1), w2 = weight(2), w3 = weight(3), w4 = weight(4)
    let w5 = weight(5), w6 = weight(6), w7 = weight(7), w8 = weight(8)
    let bias = DwAccumulators(low: group.loadUnaligned(as: __m256i.self), high: group.loadUnaligned(fromByteOffset: 32, as: __m256i.self))
    let constants = group + 208
    let qLow = RequantConstants8(constants, lane: 0, nr: 16), qHigh = RequantConstants8(constants, lane: 8, nr: 16)
    let zx = _mm256_set1_epi16(Int16(inputZeroPoint))
    let rowStride = s.inW &* c, pixelStride = s.stride &* c

    @inline(__always)
    func finish(_ acc: DwAccumulators, _ out: UnsafeMutablePointer<Int8>) {
        storeBytes(stage.narrow(qLow.apply(acc.low), qHigh.apply(acc.high)), count: lanes, to: out)
    }

    for n in 0..<s.batches {
        let image = input + n &* s.inH &* rowStride
        for oy in 0..<s.outH {
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
    }
}
#endif
