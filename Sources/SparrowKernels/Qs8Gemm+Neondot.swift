// qs8-gemm-4x16c4-neondot: 4 pixels × 16 output channels per tile, 4 input bytes per `sdot`
// (ARMv8.2 dot product, Cortex-A76 / Pi 5). Sixteen int32x4 accumulators stay in registers; per
// 4 bytes of K the loop does 4 broadcasts (`ld1r`), 4 weight loads and 16 `sdot` = 256 MACs.
// Packed layout NR = 16, KR = 4: weights [⌈K/4⌉][16][4] (Qs8Gemm+Packing.swift).
// `sdot` only exists when the build targets a dot-product CPU (the pi5 board passes
// -D SPARROW_DOTPROD with -target-cpu cortex-a76); elsewhere LLVM cannot select it at all.

#if arch(arm64) && SPARROW_DOTPROD
import _Builtin_intrinsics.arm.neon

let qs8Gemm4x16c4NeondotIsCompiled = true

/// The 4 bytes of row `x` at `offset`, zero-filled past `k` (no read beyond the row).
@inline(__always)
private func broadcast4(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> int8x16_t {
    let raw = UnsafeRawPointer(x)
    if offset &+ 4 <= k {
        return unsafeBitCast(SIMD4<Int32>(repeating: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)),
                             to: int8x16_t.self)
    }
    var word: UInt32 = 0
    var i = offset
    while i < k { word |= UInt32(UInt8(bitPattern: x[i])) &<< UInt32(8 &* (i &- offset)); i &+= 1 }
    return unsafeBitCast(SIMD4<UInt32>(repeating: word), to: int8x16_t.self)
}

/// One row × 16 channels (GEMV: a fully connected layer with one batch, and single-row remainders).
public func qs8Gemm1x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams) {
    var a0 = packed.loadUnaligned(as: int32x4_t.self)
    var a1 = packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
    var a2 = packed.loadUnaligned(fromByteOffset: 32, as: int32x4_t.self)
    var a3 = packed.loadUnaligned(fromByteOffset: 48, as: int32x4_t.self)
    var w = packed + 64
    var i = 0
    while i &+ 4 <= k {
        let v = unsafeBitCast(SIMD4<Int32>(repeating: UnsafeRawPointer(input).loadUnaligned(fromByteOffset: i, as: Int32.self)),
                              to: int8x16_t.self)
        a0 = vdotq_s32(a0, v, w.loadUnaligned(as: int8x16_t.self))
        a1 = vdotq_s32(a1, v, w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
        a2 = vdotq_s32(a2, v, w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self))
        a3 = vdotq_s32(a3, v, w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self))
        w += 64
        i &+= 4
    }
    if i < k {   // 1–3 bytes left (weights zero-padded)
        let v = broadcast4(input, i, k)
        a0 = vdotq_s32(a0, v, w.loadUnaligned(as: int8x16_t.self))
        a1 = vdotq_s32(a1, v, w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
        a2 = vdotq_s32(a2, v, w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self))
        a3 = vdotq_s32(a3, v, w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self))
        w += 64
    }
    let q0 = RequantConstants4(w, lane: 0, nr: 16), q1 = RequantConstants4(w, lane: 4, nr: 16)
    let q2 = RequantConstants4(w, lane: 8, nr: 16), q3 = RequantConstants4(w, lane: 12, nr: 16)
    let y = narrowToS8(q0.apply(a0), q1.apply(a1), q2.apply(a2), q3.apply(a3),
                       zeroPoint: vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint)),
                       min: vdupq_n_s8(params.activationMin), max: vdupq_n_s8(params.activationMax))
    if nc == 16 {
        UnsafeMutableRawPointer(output).storeBytes(of: y, as: int8x16_t.self)
    } else {
        storePartial(y, count: nc, to: output)
    }
}

public func qs8Gemm4x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams) {
    // Rows past mr repeat the last real row (computed, stored over the same bytes with the same value).
    let x0 = input
    let x1 = mr > 1 ? x0 + inputStride : x0
    let x2 = mr > 2 ? x1 + inputStride : x1
    let x3 = mr > 3 ? x2 + inputStride : x2
    let b0 = packed.loadUnaligned(as: int32x4_t.self)
    let b1 = packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
    let b2 = packed.loadUnaligned(fromByteOffset: 32, as: int32x4_t.self)
    let b3 = packed.loadUnaligned(fromByteOffset: 48, as: int32x4_t.self)
    // bias′ + Σx·w, exact in wrapping int32 (packing header); sdot wraps the same way.
    var a00 = b0, a01 = b1, a02 = b2, a03 = b3
    var a10 = b0, a11 = b1, a12 = b2, a13 = b3
    var a20 = b0, a21 = b1, a22 = b2, a23 = b3
    var a30 = b0, a31 = b1, a32 = b2, a33 = b3
    var w = packed + 64
    let kMain = k & ~3
    var i = 0
    while i < kMain {
        let v0 = unsafeBitCast(SIMD4<Int32>(repeating: UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: Int32.self)), to: int8x16_t.self)
        let v1 = unsafeBitCast(SIMD4<Int32>(repeating: UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: Int32.self)), to: int8x16_t.self)
        let v2 = unsafeBitCast(SIMD4<Int32>(repeating: UnsafeRawPointer(x2).loadUnaligned(fromByteOffset: i, as: Int32.self)), to: int8x16_t.self)
        let v3 = unsafeBitCast(SIMD4<Int32>(repeating: UnsafeRawPointer(x3).loadUnaligned(fromByteOffset: i, as: Int32.self)), to: int8x16_t.self)
        let w0 = w.loadUnaligned(as: int8x16_t.self)
        let w1 = w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
        let w2 = w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self)
        let w3 = w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
        a00 = vdotq_s32(a00, v0, w0); a01 = vdotq_s32(a01, v0, w1); a02 = vdotq_s32(a02, v0, w2); a03 = vdotq_s32(a03, v0, w3)
        a10 = vdotq_s32(a10, v1, w0); a11 = vdotq_s32(a11, v1, w1); a12 = vdotq_s32(a12, v1, w2); a13 = vdotq_s32(a13, v1, w3)
        a20 = vdotq_s32(a20, v2, w0); a21 = vdotq_s32(a21, v2, w1); a22 = vdotq_s32(a22, v2, w2); a23 = vdotq_s32(a23, v2, w3)
        a30 = vdotq_s32(a30, v3, w0); a31 = vdotq_s32(a31, v3, w1); a32 = vdotq_s32(a32, v3, w2); a33 = vdotq_s32(a33, v3, w3)
        w += 64
        i &+= 4
    }
    if kMain < k {   // 1–3 bytes left: weights are zero-padded, the input is read only up to k
        let v0 = broadcast4(x0, kMain, k), v1 = broadcast4(x1, kMain, k)
        let v2 = broadcast4(x2, kMain, k), v3 = broadcast4(x3, kMain, k)
        let w0 = w.loadUnaligned(as: int8x16_t.self)
        let w1 = w.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
        let w2 = w.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self)
        let w3 = w.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self)
        a00 = vdotq_s32(a00, v0, w0); a01 = vdotq_s32(a01, v0, w1); a02 = vdotq_s32(a02, v0, w2); a03 = vdotq_s32(a03, v0, w3)
        a10 = vdotq_s32(a10, v1, w0); a11 = vdotq_s32(a11, v1, w1); a12 = vdotq_s32(a12, v1, w2); a13 = vdotq_s32(a13, v1, w3)
        a20 = vdotq_s32(a20, v2, w0); a21 = vdotq_s32(a21, v2, w1); a22 = vdotq_s32(a22, v2, w2); a23 = vdotq_s32(a23, v2, w3)
        a30 = vdotq_s32(a30, v3, w0); a31 = vdotq_s32(a31, v3, w1); a32 = vdotq_s32(a32, v3, w2); a33 = vdotq_s32(a33, v3, w3)
        w += 64
    }
    // Fused requantization of the whole tile, four channels per vector.
    let q0 = RequantConstants4(w, lane: 0, nr: 16), q1 = RequantConstants4(w, lane: 4, nr: 16)
    let q2 = RequantConstants4(w, lane: 8, nr: 16), q3 = RequantConstants4(w, lane: 12, nr: 16)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint))
    let lo = vdupq_n_s8(params.activationMin), hi = vdupq_n_s8(params.activationMax)
    let y0 = narrowToS8(q0.apply(a00), q1.apply(a01), q2.apply(a02), q3.apply(a03), zeroPoint: zp, min: lo, max: hi)
    let y1 = narrowToS8(q0.apply(a10), q1.apply(a11), q2.apply(a12), q3.apply(a13), zeroPoint: zp, min: lo, max: hi)
    let y2 = narrowToS8(q0.apply(a20), q1.apply(a21), q2.apply(a22), q3.apply(a23), zeroPoint: zp, min: lo, max: hi)
    let y3 = narrowToS8(q0.apply(a30), q1.apply(a31), q2.apply(a32), q3.apply(a33), zeroPoint: zp, min: lo, max: hi)
    let o0 = output
    let o1 = mr > 1 ? o0 + outputStride : o0
    let o2 = mr > 2 ? o1 + outputStride : o1
    let o3 = mr > 3 ? o2 + outputStride : o2
    if nc == 16 {
        // Highest row first: a repeated row's pointer equals an earlier one, which then rewrites it.
        UnsafeMutableRawPointer(o3).storeBytes(of: y3, as: int8x16_t.self)
        UnsafeMutableRawPointer(o2).storeBytes(of: y2, as: int8x16_t.self)
        UnsafeMutableRawPointer(o1).storeBytes(of: y1, as: int8x16_t.self)
        UnsafeMutableRawPointer(o0).storeBytes(of: y0, as: int8x16_t.self)
    } else {
        storePartial(y3, count: nc, to: o3)
        storePartial(y2, count: nc, to: o2)
        storePartial(y1, count: nc, to: o1)
        storePartial(y0, count: nc, to: o0)
    }
}
#else
let qs8Gemm4x16c4NeondotIsCompiled = false

public func qs8Gemm1x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams) {
    qs8GemmScalar4x16c4(mr, nc, k, input, inputStride, packed, output, outputStride, params)
}

/// Not in this build (no dot-product target); `Qs8GemmConfig.select` never picks it here.
public func qs8Gemm4x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams) {
    qs8GemmScalar4x16c4(mr, nc, k, input, inputStride, packed, output, outputStride, params)
}
#endif
