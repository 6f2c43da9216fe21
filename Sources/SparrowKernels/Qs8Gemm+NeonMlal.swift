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

/// The first 16 bytes: the pair sums themselves (`saddlp`), so the accumulators need no zeroing.
@inline(__always)
private func first16(_ x: int8x16_t, _ w: int8x16_t) -> int32x4_t {
    vpaddlq_s16(vmlal_s8(vmull_s8(vget_low_s8(x), vget_low_s8(w)), vget_high_s8(x), vget_high_s8(w)))
}

/// `first16` on the first step of K, `mac16` on the others (`first` is a constant at every call).
@inline(__always)
private func mac16(_ acc: inout int32x4_t, _ x: int8x16_t, _ w: int8x16_t, first: Bool) {
    if first { acc = first16(x, w) } else { mac16(&acc, x, w) }
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

/// The first `n` bytes at `p` (none for n ≤ 0, 4 for n ≥ 4) as the low bytes of a word, zero
/// above: at most two loads. (32-bit words: 64-bit integer conversions allocate on armv7.)
@inline(__always)
private func loadPartial4(_ p: UnsafeRawPointer, _ n: Int) -> UInt32 {
    if n >= 4 { return p.loadUnaligned(as: UInt32.self) }
    if n <= 0 { return 0 }
    var v: UInt32 = 0
    var o = 0
    if n & 2 != 0 { v = UInt32(p.loadUnaligned(as: UInt16.self)); o = 2 }
    if n & 1 != 0 { v |= UInt32(p.load(fromByteOffset: o, as: UInt8.self)) &<< UInt32(8 &* o) }
    return v
}

/// 16 bytes of row `x` from `offset`, zero-filled past `k` (no read beyond the row). On aarch64
/// with k ≥ 16 the last partial step is the 16 bytes ending at k moved down by `tbl` (index ≥ 16
/// reads 0): 2 instructions per row and 3 shared ones, where the word loads below cost ≈ 20 per
/// row (MobileNetV2's K = 24 layers). Otherwise the partial case is built from word loads: a byte
/// loop here compiled to a store/reload per byte.
@inline(__always)
private func load16(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> int8x16_t {
    let p = UnsafeRawPointer(x) + offset
    if offset &+ 16 <= k { return p.loadUnaligned(as: int8x16_t.self) }
    let r = k &- offset
#if arch(arm64)
    if k >= 16 {
        let last = (UnsafeRawPointer(x) + (k &- 16)).loadUnaligned(as: int8x16_t.self)
        let lanes: uint8x16_t = SIMD16<UInt8>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        return vqtbl1q_s8(last, vaddq_u8(lanes, vdupq_n_u8(UInt8(truncatingIfNeeded: 16 &- r))))
    }
#endif
    return unsafeBitCast(SIMD4<UInt32>(loadPartial4(p, r), loadPartial4(p + 4, r &- 4),
                                       loadPartial4(p + 8, r &- 8), loadPartial4(p + 12, r &- 12)), to: int8x16_t.self)
}

/// One 16-byte step of both rows against the 8 channels' weights at `w`.
@inline(__always)
private func mac2x8(_ v0: int8x16_t, _ v1: int8x16_t, _ w: UnsafeRawPointer, first: Bool = false,
                    _ a00: inout int32x4_t, _ a01: inout int32x4_t, _ a02: inout int32x4_t, _ a03: inout int32x4_t,
                    _ a04: inout int32x4_t, _ a05: inout int32x4_t, _ a06: inout int32x4_t, _ a07: inout int32x4_t,
                    _ a10: inout int32x4_t, _ a11: inout int32x4_t, _ a12: inout int32x4_t, _ a13: inout int32x4_t,
                    _ a14: inout int32x4_t, _ a15: inout int32x4_t, _ a16: inout int32x4_t, _ a17: inout int32x4_t) {
    var wv = w.loadUnaligned(as: int8x16_t.self)
    mac16(&a00, v0, wv, first: first); mac16(&a10, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
    mac16(&a01, v0, wv, first: first); mac16(&a11, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self)
    mac16(&a02, v0, wv, first: first); mac16(&a12, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
    mac16(&a03, v0, wv, first: first); mac16(&a13, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self)
    mac16(&a04, v0, wv, first: first); mac16(&a14, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 80, as: int8x16_t.self)
    mac16(&a05, v0, wv, first: first); mac16(&a15, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 96, as: int8x16_t.self)
    mac16(&a06, v0, wv, first: first); mac16(&a16, v1, wv, first: first)
    wv = w.loadUnaligned(fromByteOffset: 112, as: int8x16_t.self)
    mac16(&a07, v0, wv, first: first); mac16(&a17, v1, wv, first: first)
}

/// `mac2x8` in another order, for the in-order kernel: the eight weight vectors first, then row 0
/// against all of them, then row 1. With the rows interleaved per weight vector (`mac2x8`), LLVM's
/// Cortex-A53 schedule hoisted all 16 products of a step ahead of their `sadalp` and spilled
/// accumulators in the loop (+6 loads/stores and 15 moves per step); in this order the same
/// schedule keeps 6 products in flight and spills nothing.
@inline(__always)
private func mac2x8WeightsFirst(_ v0: int8x16_t, _ v1: int8x16_t, _ w: UnsafeRawPointer, first: Bool = false,
                                _ a00: inout int32x4_t, _ a01: inout int32x4_t, _ a02: inout int32x4_t, _ a03: inout int32x4_t,
                                _ a04: inout int32x4_t, _ a05: inout int32x4_t, _ a06: inout int32x4_t, _ a07: inout int32x4_t,
                                _ a10: inout int32x4_t, _ a11: inout int32x4_t, _ a12: inout int32x4_t, _ a13: inout int32x4_t,
                                _ a14: inout int32x4_t, _ a15: inout int32x4_t, _ a16: inout int32x4_t, _ a17: inout int32x4_t) {
    let w0 = w.loadUnaligned(as: int8x16_t.self), w1 = w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
    let w2 = w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self), w3 = w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
    let w4 = w.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self), w5 = w.loadUnaligned(fromByteOffset: 80, as: int8x16_t.self)
    let w6 = w.loadUnaligned(fromByteOffset: 96, as: int8x16_t.self), w7 = w.loadUnaligned(fromByteOffset: 112, as: int8x16_t.self)
    mac16(&a00, v0, w0, first: first); mac16(&a01, v0, w1, first: first)
    mac16(&a02, v0, w2, first: first); mac16(&a03, v0, w3, first: first)
    mac16(&a04, v0, w4, first: first); mac16(&a05, v0, w5, first: first)
    mac16(&a06, v0, w6, first: first); mac16(&a07, v0, w7, first: first)
    mac16(&a10, v1, w0, first: first); mac16(&a11, v1, w1, first: first)
    mac16(&a12, v1, w2, first: first); mac16(&a13, v1, w3, first: first)
    mac16(&a14, v1, w4, first: first); mac16(&a15, v1, w5, first: first)
    mac16(&a16, v1, w6, first: first); mac16(&a17, v1, w7, first: first)
}

/// One 16-byte step of one row against the 8 channels' weights at `w`.
@inline(__always)
private func mac1x8(_ v: int8x16_t, _ w: UnsafeRawPointer,
                    _ a0: inout int32x4_t, _ a1: inout int32x4_t, _ a2: inout int32x4_t, _ a3: inout int32x4_t,
                    _ a4: inout int32x4_t, _ a5: inout int32x4_t, _ a6: inout int32x4_t, _ a7: inout int32x4_t) {
    mac16(&a0, v, w.loadUnaligned(as: int8x16_t.self))
    mac16(&a1, v, w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
    mac16(&a2, v, w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self))
    mac16(&a3, v, w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self))
    mac16(&a4, v, w.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self))
    mac16(&a5, v, w.loadUnaligned(fromByteOffset: 80, as: int8x16_t.self))
    mac16(&a6, v, w.loadUnaligned(fromByteOffset: 96, as: int8x16_t.self))
    mac16(&a7, v, w.loadUnaligned(fromByteOffset: 112, as: int8x16_t.self))
}

/// Σx·w of one row with the 4 channels whose c16 weights start at `w` (8-channel groups: a
/// step of 16 bytes is 128 bytes apart), one int32 per channel.
@inline(__always)
private func dot1x4c16(_ x: UnsafePointer<Int8>, _ k: Int, _ w: UnsafeRawPointer) -> int32x4_t {
    let zero = vdupq_n_s32(0)
    var a0 = zero, a1 = zero, a2 = zero, a3 = zero
    var p = w
    var i = 0
    while i &+ 16 <= k {
        let v = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        mac16(&a0, v, p.loadUnaligned(as: int8x16_t.self))
        mac16(&a1, v, p.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
        mac16(&a2, v, p.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self))
        mac16(&a3, v, p.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self))
        p += 128
        i &+= 16
    }
    if i < k {
        let v = load16(x, i, k)
        mac16(&a0, v, p.loadUnaligned(as: int8x16_t.self))
        mac16(&a1, v, p.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
        mac16(&a2, v, p.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self))
        mac16(&a3, v, p.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self))
    }
    return pairwise(pairwise(a0, a1), pairwise(a2, a3))
}

/// One row × 8 channels: GEMV (a fully connected layer with one batch, single-row remainders),
/// and the armv7 kernel (8 accumulators: 16 would not fit its 16 q registers).
public func qs8Gemm1x8c16NeonMlal(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                  _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
#if arch(arm)
    // Two passes of 4 channels: 4 accumulators + 4 weights + 4 products fit armv7's 16 q
    // registers; one pass of 8 made LLVM spill in the loop.
    let kSteps = (k &+ 15) / 16
    let cLow = vaddq_s32(dot1x4c16(input, k, packed + 32), packed.loadUnaligned(as: int32x4_t.self))
    let cHigh = vaddq_s32(dot1x4c16(input, k, packed + 96), packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self))
    let w = packed + 32 + kSteps &* 128
#else
    let zero = vdupq_n_s32(0)
    var a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero
    var w = packed + 32
    var i = 0
    while i &+ 16 <= k {
        mac1x8(UnsafeRawPointer(input).loadUnaligned(fromByteOffset: i, as: int8x16_t.self), w,
               &a0, &a1, &a2, &a3, &a4, &a5, &a6, &a7)
        w += 128
        i &+= 16
    }
    if i < k {
        mac1x8(load16(input, i, k), w, &a0, &a1, &a2, &a3, &a4, &a5, &a6, &a7)
        w += 128
    }
    let cLow = vaddq_s32(pairwise(pairwise(a0, a1), pairwise(a2, a3)), packed.loadUnaligned(as: int32x4_t.self))
    let cHigh = vaddq_s32(pairwise(pairwise(a4, a5), pairwise(a6, a7)), packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self))
#endif
    let qLow = RequantConstants4(w, lane: 0, nr: 8), qHigh = RequantConstants4(w, lane: 4, nr: 8)
    let y = narrowToS8(qLow.apply(cLow, rightShiftOnly: rightShiftOnly), qHigh.apply(cHigh, rightShiftOnly: rightShiftOnly), zeroPoint: vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint)),
                       min: vdup_n_s8(params.activationMin), max: vdup_n_s8(params.activationMax))
    if nc == 8 {
        UnsafeMutableRawPointer(output).storeBytes(of: y, as: int8x8_t.self)
    } else {
        for j in 0..<nc { output[j] = y[j] }
    }
}

#if arch(arm)
/// armv7 never selects the 2-row kernels (16 accumulators do not fit its 16 q registers; the table
/// takes the 1-row kernel): out of line there, so they do not weigh on the tile walk it shares.
@inline(never)
#endif
public func qs8Gemm2x8c16NeonMlal(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                  _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    let x0 = input
    let x1 = mr > 1 ? x0 + inputStride : x0   // a missing second row repeats the first
    let zero = vdupq_n_s32(0)
    var a00 = zero, a01 = zero, a02 = zero, a03 = zero, a04 = zero, a05 = zero, a06 = zero, a07 = zero
    var a10 = zero, a11 = zero, a12 = zero, a13 = zero, a14 = zero, a15 = zero, a16 = zero, a17 = zero
    var w = packed + 32
    var i = 0
    if k > 0 {   // the first step sets the accumulators (no zeroing pass)
        mac2x8(load16(x0, 0, k), load16(x1, 0, k), w, first: true,
               &a00, &a01, &a02, &a03, &a04, &a05, &a06, &a07, &a10, &a11, &a12, &a13, &a14, &a15, &a16, &a17)
        w += 128
        i = 16
    }
    // Whole 16-byte steps read the rows directly; the last partial step goes through load16.
    while i &+ 16 <= k {
        mac2x8(UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: int8x16_t.self),
               UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: int8x16_t.self), w,
               &a00, &a01, &a02, &a03, &a04, &a05, &a06, &a07, &a10, &a11, &a12, &a13, &a14, &a15, &a16, &a17)
        w += 128
        i &+= 16
    }
    if i < k {
        mac2x8(load16(x0, i, k), load16(x1, i, k), w,
               &a00, &a01, &a02, &a03, &a04, &a05, &a06, &a07, &a10, &a11, &a12, &a13, &a14, &a15, &a16, &a17)
        w += 128
    }
    finish2x8(mr, nc, packed, w, output, outputStride, params, rightShiftOnly,
              a00, a01, a02, a03, a04, a05, a06, a07, a10, a11, a12, a13, a14, a15, a16, a17)
}
/// The 2×8 `mlal` tiles' epilogue: pairwise-reduce the 16 accumulators to one int32 per channel and
/// row, add bias′ (exact in wrapping int32: packing header), requantize with the constants at `w`
/// (just past the weights) and store `nc` channels of `mr` rows. Transparent: inlined into each
/// kernel so the accumulators stay in registers.
@_transparent
func finish2x8(_ mr: Int, _ nc: Int, _ packed: UnsafeRawPointer, _ w: UnsafeRawPointer,
               _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool,
               _ a00: int32x4_t, _ a01: int32x4_t, _ a02: int32x4_t, _ a03: int32x4_t,
               _ a04: int32x4_t, _ a05: int32x4_t, _ a06: int32x4_t, _ a07: int32x4_t,
               _ a10: int32x4_t, _ a11: int32x4_t, _ a12: int32x4_t, _ a13: int32x4_t,
               _ a14: int32x4_t, _ a15: int32x4_t, _ a16: int32x4_t, _ a17: int32x4_t) {
    let bLow = packed.loadUnaligned(as: int32x4_t.self)
    let bHigh = packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
    let c0Low = vaddq_s32(pairwise(pairwise(a00, a01), pairwise(a02, a03)), bLow)
    let c0High = vaddq_s32(pairwise(pairwise(a04, a05), pairwise(a06, a07)), bHigh)
    let c1Low = vaddq_s32(pairwise(pairwise(a10, a11), pairwise(a12, a13)), bLow)
    let c1High = vaddq_s32(pairwise(pairwise(a14, a15), pairwise(a16, a17)), bHigh)
    let qLow = RequantConstants4(w, lane: 0, nr: 8), qHigh = RequantConstants4(w, lane: 4, nr: 8)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint))
    let lo = vdup_n_s8(params.activationMin), hi = vdup_n_s8(params.activationMax)
    let y0 = narrowToS8(qLow.apply(c0Low, rightShiftOnly: rightShiftOnly), qHigh.apply(c0High, rightShiftOnly: rightShiftOnly), zeroPoint: zp, min: lo, max: hi)
    let y1 = narrowToS8(qLow.apply(c1Low, rightShiftOnly: rightShiftOnly), qHigh.apply(c1High, rightShiftOnly: rightShiftOnly), zeroPoint: zp, min: lo, max: hi)
    let o1 = mr > 1 ? output + outputStride : output
    if nc == 8 {
        UnsafeMutableRawPointer(o1).storeBytes(of: y1, as: int8x8_t.self)
        UnsafeMutableRawPointer(output).storeBytes(of: y0, as: int8x8_t.self)
    } else {
        for j in 0..<nc { o1[j] = y1[j] }
        for j in 0..<nc { output[j] = y0[j] }
    }
}
/// qs8-gemm-2x8c16-neon-mlal-inorder: the same tile, layout and one pass over K for in-order cores
/// (Cortex-A53: `CPUFeatures.inOrder`), with the step in `mac2x8WeightsFirst` order (no spills in
/// LLVM's A53 schedule) and the whole steps read through bumped row pointers (post-indexed loads,
/// a count-down loop: 58 instructions per 16 bytes of K, as the A72's 59). The A53 boards also
/// build with `-unroll-runtime=false` (Boards/pi3b-plus.json): LLVM runtime-unrolls inner loops for
/// in-order cores, and once the tile walk inlines this kernel the unrolled loop's remainder
/// rotated the 16 accumulators through ≈ 35 moves and spills per tile (Docs/microkernels.md).
public func qs8Gemm2x8c16NeonMlalInOrder(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                         _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                         _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    let x0 = input
    let x1 = mr > 1 ? x0 + inputStride : x0   // a missing second row repeats the first
    let zero = vdupq_n_s32(0)
    var a00 = zero, a01 = zero, a02 = zero, a03 = zero, a04 = zero, a05 = zero, a06 = zero, a07 = zero
    var a10 = zero, a11 = zero, a12 = zero, a13 = zero, a14 = zero, a15 = zero, a16 = zero, a17 = zero
    var w = packed + 32
    var i = 0
    if k > 0 {   // the first step sets the accumulators (no zeroing pass)
        mac2x8WeightsFirst(load16(x0, 0, k), load16(x1, 0, k), w, first: true,
                           &a00, &a01, &a02, &a03, &a04, &a05, &a06, &a07, &a10, &a11, &a12, &a13, &a14, &a15, &a16, &a17)
        w += 128
        i = 16
    }
    var steps = (k &- i) >> 4
    if steps > 0 {
        var p0 = UnsafeRawPointer(x0) + i, p1 = UnsafeRawPointer(x1) + i
        repeat {
            mac2x8WeightsFirst(p0.loadUnaligned(as: int8x16_t.self), p1.loadUnaligned(as: int8x16_t.self), w,
                               &a00, &a01, &a02, &a03, &a04, &a05, &a06, &a07, &a10, &a11, &a12, &a13, &a14, &a15, &a16, &a17)
            p0 += 16; p1 += 16
            w += 128
            steps &-= 1
        } while steps != 0
        i = k & ~15
    }
    if i < k {
        mac2x8WeightsFirst(load16(x0, i, k), load16(x1, i, k), w,
                           &a00, &a01, &a02, &a03, &a04, &a05, &a06, &a07, &a10, &a11, &a12, &a13, &a14, &a15, &a16, &a17)
        w += 128
    }
    finish2x8(mr, nc, packed, w, output, outputStride, params, rightShiftOnly,
              a00, a01, a02, a03, a04, a05, a06, a07, a10, a11, a12, a13, a14, a15, a16, a17)
}
#else
let qs8Gemm2x8c16NeonMlalIsCompiled = false

public func qs8Gemm1x8c16NeonMlal(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                  _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalar2x8c16(mr, nc, k, input, inputStride, packed, output, outputStride, params, rightShiftOnly)
}

/// Not in this build (no NEON target); `Qs8GemmConfig.select` never picks it here.
public func qs8Gemm2x8c16NeonMlal(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                  _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalar2x8c16(mr, nc, k, input, inputStride, packed, output, outputStride, params, rightShiftOnly)
}

public func qs8Gemm2x8c16NeonMlalInOrder(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                         _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                         _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalar2x8c16(mr, nc, k, input, inputStride, packed, output, outputStride, params, rightShiftOnly)
}
#endif
