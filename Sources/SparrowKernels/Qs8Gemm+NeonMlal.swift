// qs8-gemm-2x8c16-neon-mlal: 2 pixels × 8 output channels per tile, 16 input bytes per step, for
// NEON without dot product (Cortex-A53/A72 in aarch64, and armv7). Per pixel-channel pair and 16
// bytes: `smull` (low 8 products) + `smlal` (high 8, into the same int16 lanes) + `sadalp` (pairs
// into the pair's int32x4 accumulator). A horizontal pairwise add at the end gives one int32 per
// channel. Packed layout NR = 8, KR = 16: weights [⌈K/16⌉][8][16] (Qs8Gemm+Packing.swift).
//
// int16 bound: each int16 lane sums two products x·w with |x| ≤ 128 and |w| ≤ 127 (the packer
// rejects −128 weights), so |lane| ≤ 2·16_256 = 32_512 < 2^15. The int32 sums follow the
// packing header's bound.

#if arch(arm64) || arch(arm)
import _Builtin_intrinsics.arm.neon

let qs8Gemm2x8c16NeonMlalIsCompiled = true

/// acc += Σ over 16 bytes of x·w, as four int32 partial sums.
@inline(__always)
private func mac16(_ acc: inout int32x4_t, _ x: int8x16_t, _ w: int8x16_t) {
    let products = vmlal_s8(vmull_s8(vget_low_s8(x), vget_low_s8(w)), vget_high_s8(x), vget_high_s8(w))
    acc = vpadalq_s16(acc, products)
}

/// [a0+a1, a2+a3, b0+b1, b2+b3].
@inline(__always)
private func pairwise(_ a: int32x4_t, _ b: int32x4_t) -> int32x4_t {
#if arch(arm64)
    return vpaddq_s32(a, b)
#else
    return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)), vpadd_s32(vget_low_s32(b), vget_high_s32(b)))
#endif
}

/// 16 bytes of row `x` from `offset`, zero-filled past `k` (no read beyond the row).
@inline(__always)
private func load16(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> int8x16_t {
    if offset &+ 16 <= k { return UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: int8x16_t.self) }
    var v = int8x16_t(repeating: 0)
    var i = offset
    while i < k { v[i &- offset] = x[i]; i &+= 1 }
    return v
}

public func qs8Gemm2x8c16NeonMlal(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                  _ outputStride: Int, _ params: Qs8GemmParams) {
    let x0 = input
    let x1 = mr > 1 ? x0 + inputStride : x0   // a missing second row repeats the first
    let zero = vdupq_n_s32(0)
    var a00 = zero, a01 = zero, a02 = zero, a03 = zero, a04 = zero, a05 = zero, a06 = zero, a07 = zero
    var a10 = zero, a11 = zero, a12 = zero, a13 = zero, a14 = zero, a15 = zero, a16 = zero, a17 = zero
    var w = packed + 32
    var i = 0
    while i < k {
        let v0 = load16(x0, i, k), v1 = load16(x1, i, k)
        var wv = w.loadUnaligned(as: int8x16_t.self)
        mac16(&a00, v0, wv); mac16(&a10, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
        mac16(&a01, v0, wv); mac16(&a11, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self)
        mac16(&a02, v0, wv); mac16(&a12, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
        mac16(&a03, v0, wv); mac16(&a13, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self)
        mac16(&a04, v0, wv); mac16(&a14, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 80, as: int8x16_t.self)
        mac16(&a05, v0, wv); mac16(&a15, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 96, as: int8x16_t.self)
        mac16(&a06, v0, wv); mac16(&a16, v1, wv)
        wv = w.loadUnaligned(fromByteOffset: 112, as: int8x16_t.self)
        mac16(&a07, v0, wv); mac16(&a17, v1, wv)
        w += 128
        i &+= 16
    }
    // One int32 per channel, plus bias′ (exact in wrapping int32: packing header).
    let bLow = packed.loadUnaligned(as: int32x4_t.self)
    let bHigh = packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
    let c0Low = vaddq_s32(pairwise(pairwise(a00, a01), pairwise(a02, a03)), bLow)
    let c0High = vaddq_s32(pairwise(pairwise(a04, a05), pairwise(a06, a07)), bHigh)
    let c1Low = vaddq_s32(pairwise(pairwise(a10, a11), pairwise(a12, a13)), bLow)
    let c1High = vaddq_s32(pairwise(pairwise(a14, a15), pairwise(a16, a17)), bHigh)
    let qLow = RequantConstants4(w, lane: 0, nr: 8), qHigh = RequantConstants4(w, lane: 4, nr: 8)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint))
    let lo = vdup_n_s8(params.activationMin), hi = vdup_n_s8(params.activationMax)
    let y0 = narrowToS8(qLow.apply(c0Low), qHigh.apply(c0High), zeroPoint: zp, min: lo, max: hi)
    let y1 = narrowToS8(qLow.apply(c1Low), qHigh.apply(c1High), zeroPoint: zp, min: lo, max: hi)
    let o1 = mr > 1 ? output + outputStride : output
    if nc == 8 {
        UnsafeMutableRawPointer(o1).storeBytes(of: y1, as: int8x8_t.self)
        UnsafeMutableRawPointer(output).storeBytes(of: y0, as: int8x8_t.self)
    } else {
        for j in 0..<nc { o1[j] = y1[j] }
        for j in 0..<nc { output[j] = y0[j] }
    }
}
#else
let qs8Gemm2x8c16NeonMlalIsCompiled = false

/// Not in this build (no NEON target); `Qs8GemmConfig.select` never picks it here.
public func qs8Gemm2x8c16NeonMlal(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                  _ outputStride: Int, _ params: Qs8GemmParams) {
    qs8GemmScalar2x8c16(mr, nc, k, input, inputStride, packed, output, outputStride, params)
}
#endif
