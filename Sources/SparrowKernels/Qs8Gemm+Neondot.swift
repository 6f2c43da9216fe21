// qs8-gemm-4x16c4-neondot: 4 pixels × 16 output channels per tile, 4 input bytes per `sdot`
// (ARMv8.2 dot product, Cortex-A76 / Pi 5). Sixteen int32x4 accumulators stay in registers.
// Main loop, 16 bytes of K per pass: one 16-byte load per row and 16 weight vectors feed 64
// lane-indexed `sdot v.4s, w.16b, x.4b[lane]` (1024 MACs in ≈ 80 instructions); an 8-byte and a
// 4-byte step (`ld1r`) and a zero-filled last 1–3 bytes finish K. Packed layout NR = 16, KR = 4:
// weights [⌈K/4⌉][16][4] (Qs8Gemm+Packing.swift); the four 4-byte steps of a 16-byte pass are
// four consecutive [16][4] blocks, so the layout is the same for every step size.
// `sdot` only exists when the build targets a dot-product CPU (the pi5 board passes
// -D SPARROW_DOTPROD with -target-cpu cortex-a76); elsewhere LLVM cannot select it at all.

#if arch(arm64) && SPARROW_DOTPROD
import _Builtin_intrinsics.arm.neon

let qs8Gemm4x16c4NeondotIsCompiled = true

/// 32-bit lane `i` of `v` in every lane: LLVM folds it into the indexed form of `sdot`.
@inline(__always)
private func lane(_ v: int8x16_t, _ i: Int) -> int8x16_t {
    unsafeBitCast(SIMD4<Int32>(repeating: unsafeBitCast(v, to: SIMD4<Int32>.self)[i]), to: int8x16_t.self)
}

/// The 4 bytes of row `x` at `offset` in every lane (`ld1r`).
@inline(__always)
private func broadcast4(_ x: UnsafePointer<Int8>, _ offset: Int) -> int8x16_t {
    unsafeBitCast(SIMD4<Int32>(repeating: UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: Int32.self)),
                  to: int8x16_t.self)
}

/// The 1–3 bytes of row `x` from `offset` to `k`, zero-filled, in every lane (no read beyond the row).
@inline(__always)
private func broadcastTail(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> int8x16_t {
    // Straight-line, not a loop: LLVM vectorized the byte loop into far more code than 3 loads.
    var word = UInt32(UInt8(bitPattern: x[offset]))
    if offset &+ 1 < k { word |= UInt32(UInt8(bitPattern: x[offset &+ 1])) &<< 8 }
    if offset &+ 2 < k { word |= UInt32(UInt8(bitPattern: x[offset &+ 2])) &<< 16 }
    return unsafeBitCast(SIMD4<UInt32>(repeating: word), to: int8x16_t.self)
}

/// One row's four accumulators (16 channels).
private struct Row16 {
    var c0, c1, c2, c3: int32x4_t
    @inline(__always)
    init(_ packed: UnsafeRawPointer) {   // bias′
        c0 = packed.loadUnaligned(as: int32x4_t.self)
        c1 = packed.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
        c2 = packed.loadUnaligned(fromByteOffset: 32, as: int32x4_t.self)
        c3 = packed.loadUnaligned(fromByteOffset: 48, as: int32x4_t.self)
    }
    /// One 4-byte step: `v` holds the row's 4 bytes in every lane, `w` the step's [16][4] weights.
    @inline(__always)
    mutating func step(_ v: int8x16_t, _ w0: int8x16_t, _ w1: int8x16_t, _ w2: int8x16_t, _ w3: int8x16_t) {
        c0 = vdotq_s32(c0, w0, v); c1 = vdotq_s32(c1, w1, v); c2 = vdotq_s32(c2, w2, v); c3 = vdotq_s32(c3, w3, v)
    }
    /// Requantized, with the output zero point and clamps: 16 bytes.
    @inline(__always)
    func finish(_ q: RequantGroup16, rightShiftOnly: Bool, _ zp: int16x8_t, _ lo: int8x16_t, _ hi: int8x16_t) -> int8x16_t {
        if rightShiftOnly {
            return narrowToS8(requantizeNeonRightShift(c0, multiplier: q.m0, postShift: q.post0),
                              requantizeNeonRightShift(c1, multiplier: q.m1, postShift: q.post1),
                              requantizeNeonRightShift(c2, multiplier: q.m2, postShift: q.post2),
                              requantizeNeonRightShift(c3, multiplier: q.m3, postShift: q.post3),
                              zeroPoint: zp, min: lo, max: hi)
        }
        return narrowToS8(requantizeNeon(c0, multiplier: q.m0, preShift: q.pre0, postShift: q.post0),
                          requantizeNeon(c1, multiplier: q.m1, preShift: q.pre1, postShift: q.post1),
                          requantizeNeon(c2, multiplier: q.m2, preShift: q.pre2, postShift: q.post2),
                          requantizeNeon(c3, multiplier: q.m3, preShift: q.pre3, postShift: q.post3),
                          zeroPoint: zp, min: lo, max: hi)
    }
}

/// The 16 channels' requantization constants (the left shifts are loaded only when needed).
private struct RequantGroup16 {
    var m0, m1, m2, m3, pre0, pre1, pre2, pre3, post0, post1, post2, post3: int32x4_t
    @inline(__always)
    init(_ c: UnsafeRawPointer, rightShiftOnly: Bool) {
        m0 = c.loadUnaligned(as: int32x4_t.self); m1 = c.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self)
        m2 = c.loadUnaligned(fromByteOffset: 32, as: int32x4_t.self); m3 = c.loadUnaligned(fromByteOffset: 48, as: int32x4_t.self)
        post0 = c.loadUnaligned(fromByteOffset: 128, as: int32x4_t.self); post1 = c.loadUnaligned(fromByteOffset: 144, as: int32x4_t.self)
        post2 = c.loadUnaligned(fromByteOffset: 160, as: int32x4_t.self); post3 = c.loadUnaligned(fromByteOffset: 176, as: int32x4_t.self)
        if rightShiftOnly {
            pre0 = vdupq_n_s32(0); pre1 = pre0; pre2 = pre0; pre3 = pre0
        } else {
            pre0 = c.loadUnaligned(fromByteOffset: 64, as: int32x4_t.self); pre1 = c.loadUnaligned(fromByteOffset: 80, as: int32x4_t.self)
            pre2 = c.loadUnaligned(fromByteOffset: 96, as: int32x4_t.self); pre3 = c.loadUnaligned(fromByteOffset: 112, as: int32x4_t.self)
        }
    }
}

@inline(__always)
private func weights4(_ w: UnsafeRawPointer, _ offset: Int) -> (int8x16_t, int8x16_t, int8x16_t, int8x16_t) {
    (w.loadUnaligned(fromByteOffset: offset, as: int8x16_t.self), w.loadUnaligned(fromByteOffset: offset &+ 16, as: int8x16_t.self),
     w.loadUnaligned(fromByteOffset: offset &+ 32, as: int8x16_t.self), w.loadUnaligned(fromByteOffset: offset &+ 48, as: int8x16_t.self))
}

/// One row × 16 channels (GEMV: a fully connected layer with one batch, and single-row remainders).
public func qs8Gemm1x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    var r = Row16(packed)
    var w = packed + 64
    let x = UnsafeRawPointer(input)
    var i = 0
    while i &+ 16 <= k {
        let v = x.loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        var (w0, w1, w2, w3) = weights4(w, 0)
        r.step(lane(v, 0), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 64); r.step(lane(v, 1), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 128); r.step(lane(v, 2), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 192); r.step(lane(v, 3), w0, w1, w2, w3)
        w += 256
        i &+= 16
    }
    while i &+ 4 <= k {
        let (w0, w1, w2, w3) = weights4(w, 0)
        r.step(broadcast4(input, i), w0, w1, w2, w3)
        w += 64
        i &+= 4
    }
    if i < k {   // 1–3 bytes left (weights zero-padded)
        let (w0, w1, w2, w3) = weights4(w, 0)
        r.step(broadcastTail(input, i, k), w0, w1, w2, w3)
        w += 64
    }
    let y = r.finish(RequantGroup16(w, rightShiftOnly: rightShiftOnly), rightShiftOnly: rightShiftOnly,
                     vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint)),
                     vdupq_n_s8(params.activationMin), vdupq_n_s8(params.activationMax))
    if nc == 16 {
        UnsafeMutableRawPointer(output).storeBytes(of: y, as: int8x16_t.self)
    } else {
        storePartial(y, count: nc, to: output)
    }
}

public func qs8Gemm4x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    // Rows past mr repeat the last real row (computed, stored over the same bytes with the same value).
    let x0 = input
    let x1 = mr > 1 ? x0 + inputStride : x0
    let x2 = mr > 2 ? x1 + inputStride : x1
    let x3 = mr > 3 ? x2 + inputStride : x2
    // bias′ + Σx·w, exact in wrapping int32 (packing header); sdot wraps the same way.
    var r0 = Row16(packed)
    var r1 = r0, r2 = r0, r3 = r0
    var w = packed + 64
    var i = 0
    while i &+ 16 <= k {
        let v0 = UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        let v1 = UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        let v2 = UnsafeRawPointer(x2).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        let v3 = UnsafeRawPointer(x3).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        var (w0, w1, w2, w3) = weights4(w, 0)
        r0.step(lane(v0, 0), w0, w1, w2, w3); r1.step(lane(v1, 0), w0, w1, w2, w3)
        r2.step(lane(v2, 0), w0, w1, w2, w3); r3.step(lane(v3, 0), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 64)
        r0.step(lane(v0, 1), w0, w1, w2, w3); r1.step(lane(v1, 1), w0, w1, w2, w3)
        r2.step(lane(v2, 1), w0, w1, w2, w3); r3.step(lane(v3, 1), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 128)
        r0.step(lane(v0, 2), w0, w1, w2, w3); r1.step(lane(v1, 2), w0, w1, w2, w3)
        r2.step(lane(v2, 2), w0, w1, w2, w3); r3.step(lane(v3, 2), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 192)
        r0.step(lane(v0, 3), w0, w1, w2, w3); r1.step(lane(v1, 3), w0, w1, w2, w3)
        r2.step(lane(v2, 3), w0, w1, w2, w3); r3.step(lane(v3, 3), w0, w1, w2, w3)
        w += 256
        i &+= 16
    }
    if i &+ 8 <= k {   // 8 bytes: two steps from one 8-byte load per row
        let v0 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
        let v1 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
        let v2 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x2).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
        let v3 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x3).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
        var (w0, w1, w2, w3) = weights4(w, 0)
        r0.step(lane(v0, 0), w0, w1, w2, w3); r1.step(lane(v1, 0), w0, w1, w2, w3)
        r2.step(lane(v2, 0), w0, w1, w2, w3); r3.step(lane(v3, 0), w0, w1, w2, w3)
        (w0, w1, w2, w3) = weights4(w, 64)
        r0.step(lane(v0, 1), w0, w1, w2, w3); r1.step(lane(v1, 1), w0, w1, w2, w3)
        r2.step(lane(v2, 1), w0, w1, w2, w3); r3.step(lane(v3, 1), w0, w1, w2, w3)
        w += 128
        i &+= 8
    }
    if i &+ 4 <= k {
        let (w0, w1, w2, w3) = weights4(w, 0)
        r0.step(broadcast4(x0, i), w0, w1, w2, w3); r1.step(broadcast4(x1, i), w0, w1, w2, w3)
        r2.step(broadcast4(x2, i), w0, w1, w2, w3); r3.step(broadcast4(x3, i), w0, w1, w2, w3)
        w += 64
        i &+= 4
    }
    if i < k {   // 1–3 bytes left: weights are zero-padded, the input is read only up to k
        let (w0, w1, w2, w3) = weights4(w, 0)
        r0.step(broadcastTail(x0, i, k), w0, w1, w2, w3); r1.step(broadcastTail(x1, i, k), w0, w1, w2, w3)
        r2.step(broadcastTail(x2, i, k), w0, w1, w2, w3); r3.step(broadcastTail(x3, i, k), w0, w1, w2, w3)
        w += 64
    }
    // Fused requantization of the whole tile, four channels per vector.
    let q = RequantGroup16(w, rightShiftOnly: rightShiftOnly)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint))
    let lo = vdupq_n_s8(params.activationMin), hi = vdupq_n_s8(params.activationMax)
    let y0 = r0.finish(q, rightShiftOnly: rightShiftOnly, zp, lo, hi)
    let y1 = r1.finish(q, rightShiftOnly: rightShiftOnly, zp, lo, hi)
    let y2 = r2.finish(q, rightShiftOnly: rightShiftOnly, zp, lo, hi)
    let y3 = r3.finish(q, rightShiftOnly: rightShiftOnly, zp, lo, hi)
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
                                 _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalar4x16c4(mr, nc, k, input, inputStride, packed, output, outputStride, params, rightShiftOnly)
}

/// Not in this build (no dot-product target); `Qs8GemmConfig.select` never picks it here.
public func qs8Gemm4x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalar4x16c4(mr, nc, k, input, inputStride, packed, output, outputStride, params, rightShiftOnly)
}
#endif
