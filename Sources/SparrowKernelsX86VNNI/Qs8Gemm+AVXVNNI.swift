// AVX-VNNI GEMM microkernel on the NR 16 KR 4 packed layout (SparrowKernels' Qs8Gemm+Packing.swift:
// per group of 16 channels bias′ [16] int32, weights [⌈K/4⌉][16][4] int8, multiplier/preShift/
// postShift [16] int32 each), the layout of `--board host` and pi5 files:
//   qs8-gemm-4x16c4-avxvnni
// `vpdpbusd` adds four u8×s8 products into each int32 lane, and the c4 layout is exactly its
// operand shape: one 32-byte weight load is 8 channels × 4 bytes of K. The input is signed, so it
// is flipped to unsigned (x ^ 0x80 = x + 128) and the extra 128·Σw is taken off the start value:
// acc = bias′ − 128·Σw + Σ(x + 128)·w = bias′ + Σx·w, in wrapping int32 like the twins, so the
// result is bit-identical. Σw per channel comes from the packed weights themselves (one
// `vpdpbusd` against bytes of 1 per step, once per channel group, not per row tile), so the
// layout needs no extra field. `vpdpbusd` does not saturate; every partial sum is exact (|x·w| sums
// stay below 2^31, Qs8Gemm+Packing.swift's header).
// This module is compiled with -mavx2 -mavxvnni (Package.swift) and must not run before the CPUID
// check in SparrowKernels (`CPUFeatures.thisBuild.avxVnni`).
#if arch(x86_64)
import _Builtin_intrinsics.intel
import SparrowKernelsX86

/// Runs output[m][n] = requant(bias′[n] + Σ_k input[m][k]·W[n][k]) on NR 16 KR 4 packed weights,
/// 4 rows × 16 channels per tile (8 accumulators, 2 weight vectors, 1 broadcast row: 11 of the 16
/// ymm registers). Callers must have checked that the CPU has AVX2 and AVX-VNNI.
public func qs8Gemm4x16c4AVXVNNI(m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                                 packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                                 outputZeroPoint: Int32, activationMin: Int8, activationMax: Int8) {
    let stage = OutputStage(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    let steps = (k &+ 3) / 4
    let groupBytes = 64 &+ steps &* 64 &+ 3 &* 64
    var group = packed
    var n0 = 0
    // Channel groups outer (a group's weights stay in cache), row tiles inner.
    while n0 < n {
        let nc = Swift.min(16, n &- n0)
        let start = startValues(group, steps: steps)
        let constants = group + (64 &+ steps &* 64)
        let qLow = RequantConstants8(constants, lane: 0, nr: 16), qHigh = RequantConstants8(constants, lane: 8, nr: 16)
        var m0 = 0
        while m0 < m {
            let rows = Swift.min(4, m &- m0)
            tile4x16(rows, nc, k, input + m0 &* inputStride, inputStride, group + 64, start, qLow, qHigh, stage,
                     output + (m0 &* outputStride &+ n0), outputStride)
            m0 &+= 4
        }
        group += groupBytes
        n0 &+= 16
    }
}

/// bias′ − 128·Σw for channels 0–7 and 8–15 of one group.
@inline(__always)
private func startValues(_ group: UnsafeRawPointer, steps: Int) -> (low: __m256i, high: __m256i) {
    let ones = _mm256_set1_epi8(1)
    var sumLow = _mm256_setzero_si256(), sumHigh = _mm256_setzero_si256()
    var w = group + 64
    for _ in 0..<steps {
        sumLow = _mm256_dpbusd_avx_epi32(sumLow, ones, w.loadUnaligned(as: __m256i.self))
        sumHigh = _mm256_dpbusd_avx_epi32(sumHigh, ones, w.loadUnaligned(fromByteOffset: 32, as: __m256i.self))
        w += 64
    }
    let low = _mm256_sub_epi32(group.loadUnaligned(as: __m256i.self), _mm256_slli_epi32(sumLow, 7))
    let high = _mm256_sub_epi32(group.loadUnaligned(fromByteOffset: 32, as: __m256i.self), _mm256_slli_epi32(sumHigh, 7))
    return (low, high)
}

/// The 4 bytes of row `x` at `offset` + 128 each (x ^ 0x80), repeated over the 8 lanes; bytes past
/// `k` are not read (they meet zero weights, whatever their value).
@inline(__always)
private func broadcastUnsigned(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> __m256i {
    var bits: UInt32
    if offset &+ 4 <= k {
        bits = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    } else {
        bits = 0
        var i = offset
        while i < k { bits |= UInt32(UInt8(bitPattern: x[i])) &<< UInt32(8 &* (i &- offset)); i &+= 1 }
    }
    return _mm256_set1_epi32(Int32(bitPattern: bits ^ 0x8080_8080))
}

/// qs8-gemm-4x16c4-avxvnni: `mr` ≤ 4 rows (missing rows repeat the last one and are not stored).
@inline(__always)
private func tile4x16(_ mr: Int, _ nc: Int, _ k: Int, _ x0: UnsafePointer<Int8>, _ inputStride: Int,
                      _ weights: UnsafeRawPointer, _ start: (low: __m256i, high: __m256i),
                      _ qLow: RequantConstants8, _ qHigh: RequantConstants8, _ stage: OutputStage,
                      _ y0: UnsafeMutablePointer<Int8>, _ outputStride: Int) {
    let x1 = mr > 1 ? x0 + inputStride : x0
    let x2 = mr > 2 ? x1 + inputStride : x1
    let x3 = mr > 3 ? x2 + inputStride : x2
    var a00 = start.low, a01 = start.high, a10 = start.low, a11 = start.high
    var a20 = start.low, a21 = start.high, a30 = start.low, a31 = start.high
    var w = weights
    @inline(__always)
    func step(_ v0: __m256i, _ v1: __m256i, _ v2: __m256i, _ v3: __m256i) {
        let wLow = w.loadUnaligned(as: __m256i.self), wHigh = w.loadUnaligned(fromByteOffset: 32, as: __m256i.self)
        a00 = _mm256_dpbusd_avx_epi32(a00, v0, wLow); a01 = _mm256_dpbusd_avx_epi32(a01, v0, wHigh)
        a10 = _mm256_dpbusd_avx_epi32(a10, v1, wLow); a11 = _mm256_dpbusd_avx_epi32(a11, v1, wHigh)
        a20 = _mm256_dpbusd_avx_epi32(a20, v2, wLow); a21 = _mm256_dpbusd_avx_epi32(a21, v2, wHigh)
        a30 = _mm256_dpbusd_avx_epi32(a30, v3, wLow); a31 = _mm256_dpbusd_avx_epi32(a31, v3, wHigh)
        w += 64
    }
    let flip = _mm256_set1_epi8(-128)
    @inline(__always)
    func row(_ x: UnsafePointer<Int8>, _ i: Int) -> __m256i {
        _mm256_xor_si256(_mm256_set1_epi32(UnsafeRawPointer(x).loadUnaligned(fromByteOffset: i, as: Int32.self)), flip)
    }
    var i = 0
    if mr == 1 {   // a single row (FullyConnected, the last row of a layer): no repeated rows
        while i &+ 4 <= k {
            let v = row(x0, i)
            a00 = _mm256_dpbusd_avx_epi32(a00, v, w.loadUnaligned(as: __m256i.self))
            a01 = _mm256_dpbusd_avx_epi32(a01, v, w.loadUnaligned(fromByteOffset: 32, as: __m256i.self))
            w += 64
            i &+= 4
        }
        if i < k {
            let v = broadcastUnsigned(x0, i, k)
            a00 = _mm256_dpbusd_avx_epi32(a00, v, w.loadUnaligned(as: __m256i.self))
            a01 = _mm256_dpbusd_avx_epi32(a01, v, w.loadUnaligned(fromByteOffset: 32, as: __m256i.self))
        }
        storeBytes(stage.narrow(qLow.apply(a00), qHigh.apply(a01)), count: nc, to: y0)
        return
    }
    while i &+ 4 <= k {
        step(row(x0, i), row(x1, i), row(x2, i), row(x3, i))
        i &+= 4
    }
    if i < k { step(broadcastUnsigned(x0, i, k), broadcastUnsigned(x1, i, k), broadcastUnsigned(x2, i, k), broadcastUnsigned(x3, i, k)) }
    storeBytes(stage.narrow(qLow.apply(a00), qHigh.apply(a01)), count: nc, to: y0)
    if mr > 1 { storeBytes(stage.narrow(qLow.apply(a10), qHigh.apply(a11)), count: nc, to: y0 + outputStride) }
    if mr > 2 { storeBytes(stage.narrow(qLow.apply(a20), qHigh.apply(a21)), count: nc, to: y0 + 2 &* outputStride) }
    if mr > 3 { storeBytes(stage.narrow(qLow.apply(a30), qHigh.apply(a31)), count: nc, to: y0 + 3 &* outputStride) }
}
#endif

#if arch(x86_64)
/// qs8-gemm-2x8c16-avxvnni on the NR 8 KR 16 layout (the default `sparrow convert` file, packed
/// for pi4b; also the A53 and armv7 boards): per group of 8 channels bias′ [8] int32, weights
/// [⌈K/16⌉][8][16] int8, multiplier/preShift/postShift [8] int32 each. 2 rows × 8 channels per
/// tile (the im2col scratch of these files holds 2 rows): one 32-byte weight load is 2 channels
/// × 16 bytes of K, so each accumulator holds 4 partial sums of 2 channels, added up once per
/// tile. Same unsigned trick and start value as the c4 kernel. Callers must have checked AVX2
/// and AVX-VNNI.
public func qs8Gemm2x8c16AVXVNNI(m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                                 packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                                 outputZeroPoint: Int32, activationMin: Int8, activationMax: Int8) {
    let stage = OutputStage(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    let steps = (k &+ 15) / 16
    let groupBytes = 32 &+ steps &* 128 &+ 3 &* 32
    var group = packed
    var n0 = 0
    while n0 < n {
        let nc = Swift.min(8, n &- n0)
        let ones = _mm256_set1_epi8(1)
        var s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0
        var w = group + 32
        for _ in 0..<steps {
            s0 = _mm256_dpbusd_avx_epi32(s0, ones, w.loadUnaligned(as: __m256i.self))
            s1 = _mm256_dpbusd_avx_epi32(s1, ones, w.loadUnaligned(fromByteOffset: 32, as: __m256i.self))
            s2 = _mm256_dpbusd_avx_epi32(s2, ones, w.loadUnaligned(fromByteOffset: 64, as: __m256i.self))
            s3 = _mm256_dpbusd_avx_epi32(s3, ones, w.loadUnaligned(fromByteOffset: 96, as: __m256i.self))
            w += 128
        }
        let start = _mm256_sub_epi32(group.loadUnaligned(as: __m256i.self), _mm256_slli_epi32(reduce8(s0, s1, s2, s3), 7))
        let q = RequantConstants8(w, lane: 0, nr: 8)
        var m0 = 0
        while m0 < m {
            let rows = Swift.min(2, m &- m0)
            tile2x8c16(rows, nc, k, input + m0 &* inputStride, inputStride, group + 32, start, q, stage,
                       output + (m0 &* outputStride &+ n0), outputStride)
            m0 &+= 2
        }
        group += groupBytes
        n0 &+= 8
    }
}

/// Accumulators of channel pairs (0,1) (2,3) (4,5) (6,7), each [4 partial sums of the even
/// channel | 4 of the odd one] → the 8 channel sums in order. hadd twice gives [c0 c2 c4 c6 |
/// c1 c3 c5 c7]; the permutation interleaves the halves.
@inline(__always)
private func reduce8(_ a0: __m256i, _ a1: __m256i, _ a2: __m256i, _ a3: __m256i) -> __m256i {
    let h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3))
    return _mm256_permutevar8x32_epi32(h, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
}

/// 16 bytes of row `x` from `offset` + 128 each (x ^ 0x80) in both 128-bit halves; bytes past `k`
/// are not read.
@inline(__always)
private func broadcast16Unsigned(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> __m256i {
    let v = offset &+ 16 <= k ? UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: __m128i.self)
                              : loadPartial16(x + offset, k &- offset)
    let flipped = _mm_xor_si128(v, _mm_set1_epi8(-128))
    return __m256i(lowHalf: flipped, highHalf: flipped)
}

@inline(__always)
private func tile2x8c16(_ mr: Int, _ nc: Int, _ k: Int, _ x0: UnsafePointer<Int8>, _ inputStride: Int,
                        _ weights: UnsafeRawPointer, _ start: __m256i, _ q: RequantConstants8, _ stage: OutputStage,
                        _ y0: UnsafeMutablePointer<Int8>, _ outputStride: Int) {
    let x1 = mr > 1 ? x0 + inputStride : x0
    let zero = _mm256_setzero_si256()
    var a00 = zero, a01 = zero, a02 = zero, a03 = zero
    var a10 = zero, a11 = zero, a12 = zero, a13 = zero
    var w = weights
    var i = 0
    while i < k {
        let v0 = broadcast16Unsigned(x0, i, k), v1 = broadcast16Unsigned(x1, i, k)
        var wv = w.loadUnaligned(as: __m256i.self)
        a00 = _mm256_dpbusd_avx_epi32(a00, v0, wv); a10 = _mm256_dpbusd_avx_epi32(a10, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 32, as: __m256i.self)
        a01 = _mm256_dpbusd_avx_epi32(a01, v0, wv); a11 = _mm256_dpbusd_avx_epi32(a11, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 64, as: __m256i.self)
        a02 = _mm256_dpbusd_avx_epi32(a02, v0, wv); a12 = _mm256_dpbusd_avx_epi32(a12, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 96, as: __m256i.self)
        a03 = _mm256_dpbusd_avx_epi32(a03, v0, wv); a13 = _mm256_dpbusd_avx_epi32(a13, v1, wv)
        w += 128
        i &+= 16
    }
    @inline(__always)
    func store(_ acc: __m256i, _ out: UnsafeMutablePointer<Int8>) {
        let y = stage.narrow(q.apply(_mm256_add_epi32(acc, start)))
        if nc == 8 {
            UnsafeMutableRawPointer(out).storeBytes(of: _mm_cvtsi128_si64(y), as: Int64.self)
        } else {
            storeBytes(y, count: nc, to: out)
        }
    }
    store(reduce8(a00, a01, a02, a03), y0)
    if mr > 1 { store(reduce8(a10, a11, a12, a13), y0 + outputStride) }
}
#endif
