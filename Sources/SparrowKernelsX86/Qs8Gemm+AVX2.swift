// AVX2 GEMM microkernels on the packed layouts the converter writes for the boards (SparrowKernels'
// Qs8Gemm+Packing.swift: per group of NR channels bias′ [NR] int32, weights [⌈K/KR⌉][NR][KR] int8,
// multiplier/preShift/postShift [NR] int32 each), so the host runs any board's file fast and
// bit-identically to the portable twins:
//   qs8-gemm-2x16c4-avx2  (NR 16, KR 4: the Pi 5 layout)
//   qs8-gemm-1x8c16-avx2  (NR 8, KR 16: the A53/A72 and armv7 layout)
// AVX2 has no signed 8-bit dot product, so bytes are widened to int16 (`vpmovsxbw`) and
// `vpmaddwd` sums pairs of products into int32 lanes, exactly: |2·x·w| ≤ 2·128·128 < 2^31. The
// int32 accumulators wrap like the twins' `&+`, and bias′ + Σx·w is exact (packing header).
// Whole-GEMM entry points (the tile walk is here too): a call from SparrowKernels, which is not
// compiled for AVX2, cannot be inlined, so it is made once per operator, not per tile.
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Runs output[m][n] = requant(bias′[n] + Σ_k input[m][k]·W[n][k]) on weights packed with
/// NR = `nr`, KR = `kr`. Returns false (and writes nothing) for a layout without an AVX2 kernel.
/// Callers must have checked that the CPU has AVX2.
public func qs8GemmAVX2(nr: Int, kr: Int, m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                        packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                        outputZeroPoint: Int32, activationMin: Int8, activationMax: Int8) -> Bool {
    let c4 = nr == 16 && kr == 4, c16 = nr == 8 && kr == 16
    guard c4 || c16 else { return false }
    let stage = OutputStage(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    let paddedK = (k &+ kr &- 1) / kr &* kr
    let groupBytes = nr &* 4 &+ paddedK &* nr &+ 3 &* nr &* 4
    let mr = c4 ? 2 : 1
    var group = packed
    var n0 = 0
    // Channel groups outer (a group's weights stay in cache), row tiles inner.
    while n0 < n {
        let nc = Swift.min(nr, n &- n0)
        var m0 = 0
        while m0 < m {
            let rows = Swift.min(mr, m &- m0)
            let x = input + m0 &* inputStride, y = output + (m0 &* outputStride &+ n0)
            if c4 {
                tile2x16c4(rows, nc, k, x, inputStride, group, y, outputStride, stage)
            } else {
                tile1x8c16(nc, k, x, group, y, stage)
            }
            m0 &+= mr
        }
        group += groupBytes
        n0 &+= nr
    }
    return true
}

/// The 4 bytes of row `x` at `offset` (zero-filled past `k`: no read beyond the row), widened to
/// int16 and repeated over the 16 lanes: [x0 x1 x2 x3] × 4.
@inline(__always)
private func broadcast4(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> __m256i {
    var word: Int32
    if offset &+ 4 <= k {
        word = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: Int32.self)
    } else {
        var bits: UInt32 = 0
        var i = offset
        while i < k { bits |= UInt32(UInt8(bitPattern: x[i])) &<< UInt32(8 &* (i &- offset)); i &+= 1 }
        word = Int32(bitPattern: bits)
    }
    return _mm256_cvtepi8_epi16(_mm_set1_epi32(word))
}

/// 16 weight bytes at `w` + `offset` widened to int16.
@inline(__always)
private func widen(_ w: UnsafeRawPointer, _ offset: Int) -> __m256i {
    _mm256_cvtepi8_epi16(w.loadUnaligned(fromByteOffset: offset, as: __m128i.self))
}

@inline(__always)
private func mac(_ acc: inout __m256i, _ x: __m256i, _ w: __m256i) {
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, w))
}

/// qs8-gemm-2x16c4-avx2: `mr` ≤ 2 rows × 16 channels. Per 4-byte step, channel block j (4
/// channels × 4 bytes = 16 weights) gives each channel two int32 partial sums; eight
/// accumulators, four widened weight vectors and two rows fit the 16 ymm registers.
@inline(__always)
private func tile2x16c4(_ mr: Int, _ nc: Int, _ k: Int, _ x0: UnsafePointer<Int8>, _ inputStride: Int,
                        _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                        _ stage: OutputStage) {
    let x1 = mr > 1 ? x0 + inputStride : x0   // a missing second row repeats the first
    let zero = _mm256_setzero_si256()
    var a00 = zero, a01 = zero, a02 = zero, a03 = zero
    var a10 = zero, a11 = zero, a12 = zero, a13 = zero
    var w = packed + 64
    @inline(__always)
    func step(_ v0: __m256i, _ v1: __m256i) {
        var wv = widen(w, 0)
        mac(&a00, v0, wv); mac(&a10, v1, wv)
        wv = widen(w, 16)
        mac(&a01, v0, wv); mac(&a11, v1, wv)
        wv = widen(w, 32)
        mac(&a02, v0, wv); mac(&a12, v1, wv)
        wv = widen(w, 48)
        mac(&a03, v0, wv); mac(&a13, v1, wv)
        w += 64
    }
    var i = 0
    // Whole 4-byte steps read the rows directly; the last partial step zero-fills.
    while i &+ 4 <= k {
        step(_mm256_cvtepi8_epi16(_mm_set1_epi32(UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: Int32.self))),
             _mm256_cvtepi8_epi16(_mm_set1_epi32(UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: Int32.self))))
        i &+= 4
    }
    if i < k { step(broadcast4(x0, i, k), broadcast4(x1, i, k)) }
    // hadd(channels 0–3, channels 4–7) holds [c0 c1 c4 c5 | c2 c3 c6 c7]; the permutation sorts it.
    let order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
    let bLow = packed.loadUnaligned(as: __m256i.self), bHigh = packed.loadUnaligned(fromByteOffset: 32, as: __m256i.self)
    let qLow = RequantConstants8(w, lane: 0, nr: 16), qHigh = RequantConstants8(w, lane: 8, nr: 16)
    @inline(__always)
    func finish(_ c0: __m256i, _ c1: __m256i, _ c2: __m256i, _ c3: __m256i) -> __m128i {
        let low = _mm256_add_epi32(_mm256_permutevar8x32_epi32(_mm256_hadd_epi32(c0, c1), order), bLow)
        let high = _mm256_add_epi32(_mm256_permutevar8x32_epi32(_mm256_hadd_epi32(c2, c3), order), bHigh)
        return stage.narrow(qLow.apply(low), qHigh.apply(high))
    }
    if mr > 1 { storeBytes(finish(a10, a11, a12, a13), count: nc, to: output + outputStride) }
    storeBytes(finish(a00, a01, a02, a03), count: nc, to: output)
}

/// 16 bytes of row `x` from `offset`, zero-filled past `k`, widened to int16.
@inline(__always)
private func load16(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> __m256i {
    if offset &+ 16 <= k { return widen(UnsafeRawPointer(x), offset) }
    return _mm256_cvtepi8_epi16(loadPartial16(x + offset, k &- offset))
}

/// qs8-gemm-1x8c16-avx2: one row × 8 channels, one accumulator per channel holding eight
/// partial sums; 16 bytes of K per step (one row load, eight weight loads).
@inline(__always)
private func tile1x8c16(_ nc: Int, _ k: Int, _ x: UnsafePointer<Int8>, _ packed: UnsafeRawPointer,
                        _ output: UnsafeMutablePointer<Int8>, _ stage: OutputStage) {
    let zero = _mm256_setzero_si256()
    var a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero
    var w = packed + 32
    @inline(__always)
    func step(_ v: __m256i) {
        mac(&a0, v, widen(w, 0)); mac(&a1, v, widen(w, 16))
        mac(&a2, v, widen(w, 32)); mac(&a3, v, widen(w, 48))
        mac(&a4, v, widen(w, 64)); mac(&a5, v, widen(w, 80))
        mac(&a6, v, widen(w, 96)); mac(&a7, v, widen(w, 112))
        w += 128
    }
    var i = 0
    while i &+ 16 <= k {
        step(widen(UnsafeRawPointer(x), i))
        i &+= 16
    }
    if i < k { step(load16(x, i, k)) }
    // hadd(hadd(a0, a1), hadd(a2, a3)) = [Σlow a0..a3 | Σhigh a0..a3]: adding the halves finishes.
    let h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3))
    let h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(a4, a5), _mm256_hadd_epi32(a6, a7))
    let sums = __m256i(lowHalf: _mm_add_epi32(h0123.lowHalf, h0123.highHalf),
                       highHalf: _mm_add_epi32(h4567.lowHalf, h4567.highHalf))
    let c = _mm256_add_epi32(sums, packed.loadUnaligned(as: __m256i.self))
    let y = stage.narrow(RequantConstants8(w, lane: 0, nr: 8).apply(c))
    if nc == 8 {
        UnsafeMutableRawPointer(output).storeBytes(of: _mm_cvtsi128_si64(y), as: Int64.self)
    } else {
        storeBytes(y, count: nc, to: output)
    }
}
#endif
