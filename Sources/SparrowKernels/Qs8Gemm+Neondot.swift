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

/// One row's accumulators: four (16 channels), or the first two when the group has ≤ 8 channels
/// (`width` 2: the layout's [16][4] blocks hold channels 0–7 in their first 32 bytes).
struct NeondotRow16 {
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
    mutating func step(_ v: int8x16_t, _ w0: int8x16_t, _ w1: int8x16_t, _ w2: int8x16_t, _ w3: int8x16_t, width: Int = 4) {
        c0 = vdotq_s32(c0, w0, v); c1 = vdotq_s32(c1, w1, v)
        if width > 2 { c2 = vdotq_s32(c2, w2, v); c3 = vdotq_s32(c3, w3, v) }
    }
    /// Requantized, with the output zero point and clamps: 16 bytes.
    @inline(__always)
    func finish(_ q: NeondotRequant16, rightShiftOnly: Bool, _ zp: int16x8_t, _ lo: int8x16_t, _ hi: int8x16_t) -> int8x16_t {
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
    /// Requantized with the output zero point, saturated to int8 (no activation clamp): 16 bytes.
    @inline(__always)
    func finish(_ q: NeondotRequant16, rightShiftOnly: Bool, _ zp: int16x8_t) -> int8x16_t {
        if rightShiftOnly {
            return narrowToS8(requantizeNeonRightShift(c0, multiplier: q.m0, postShift: q.post0),
                              requantizeNeonRightShift(c1, multiplier: q.m1, postShift: q.post1),
                              requantizeNeonRightShift(c2, multiplier: q.m2, postShift: q.post2),
                              requantizeNeonRightShift(c3, multiplier: q.m3, postShift: q.post3), zeroPoint: zp)
        }
        return narrowToS8(requantizeNeon(c0, multiplier: q.m0, preShift: q.pre0, postShift: q.post0),
                          requantizeNeon(c1, multiplier: q.m1, preShift: q.pre1, postShift: q.post1),
                          requantizeNeon(c2, multiplier: q.m2, preShift: q.pre2, postShift: q.post2),
                          requantizeNeon(c3, multiplier: q.m3, preShift: q.pre3, postShift: q.post3), zeroPoint: zp)
    }
    /// The first 8 channels (`width` 2), 8 bytes, saturated to int8 (no activation clamp).
    @inline(__always)
    func finish8(_ q: NeondotRequant16, rightShiftOnly: Bool, _ zp: int16x8_t) -> int8x8_t {
        if rightShiftOnly {
            return narrowToS8(requantizeNeonRightShift(c0, multiplier: q.m0, postShift: q.post0),
                              requantizeNeonRightShift(c1, multiplier: q.m1, postShift: q.post1), zeroPoint: zp)
        }
        return narrowToS8(requantizeNeon(c0, multiplier: q.m0, preShift: q.pre0, postShift: q.post0),
                          requantizeNeon(c1, multiplier: q.m1, preShift: q.pre1, postShift: q.post1), zeroPoint: zp)
    }
}

/// The 16 channels' requantization constants (the left shifts are loaded only when needed).
struct NeondotRequant16 {
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

/// One 4-row tile (the per-tile form, as the other GEMM kernels): `qs8Gemm` runs the whole GEMM
/// through `qs8Gemm4x16c4NeondotWalk` instead and names this only in a branch this build folds away.
public func qs8Gemm4x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    groupRows(4, false, mr, nc, k, input, inputStride, packed, output, outputStride, params, anyShape: true)
}

/// One row × 16 channels (GEMV: a fully connected layer with one batch, and single-row remainders).
public func qs8Gemm1x16c4Neondot(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                 _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                 _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    var r = NeondotRow16(packed)
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
    let y = r.finish(NeondotRequant16(w, rightShiftOnly: rightShiftOnly), rightShiftOnly: rightShiftOnly,
                     vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint)),
                     vdupq_n_s8(params.activationMin), vdupq_n_s8(params.activationMax))
    if nc == 16 {
        UnsafeMutableRawPointer(output).storeBytes(of: y, as: int8x16_t.self)
    } else {
        storePartial(y, count: nc, to: output)
    }
}

/// The whole GEMM on the 4x16c4 layout (what `qs8Gemm` runs for `.neondot4x16c4`): channel
/// groups outer; every 4-row tile of a group in one loop here, with the row pointers stepped, the
/// zero point and clamps set once, and a group of 8 channels (the last group when N % 16 = 8,
/// e.g. N = 24) on half the `sdot`s. Those loops make no calls (no register spills around them):
/// K not a multiple of 4 and partial groups other than 8 channels (rare) take `groupRowsAnyShape`.
/// The short requantization is checked per group when the group has more than one tile (the
/// indirect conv, which calls no GEMM per 4 rows, checks once per layer).
func qs8Gemm4x16c4NeondotWalk(m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                              packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                              params: Qs8GemmParams) {
    let tile = Qs8GemmTile(mr: 4, nr: 16, kr: 4)
    let groupBytes = tile.groupBytes(k: k), constantsOffset = 64 &+ tile.paddedK(k) &* 16
    var group = packed
    var n0 = 0
    while n0 < n {
        let nc = Swift.min(16, n &- n0)
        // The check costs about what the short requantization saves on one tile.
        let rightShiftOnly = m > 4 && qs8GemmRightShiftOnly(group + constantsOffset, nr: 16)
        let c = output + n0
        if k & 3 != 0 || (nc != 16 && nc != 8) {
            groupRowsAnyShape(m, nc, k, input, inputStride, group, c, outputStride, params)
        } else {
            switch (nc == 16, rightShiftOnly) {
            case (true, true): groupRows16RightShift(m, nc, k, input, inputStride, group, c, outputStride, params)
            case (true, false): groupRows16(m, nc, k, input, inputStride, group, c, outputStride, params)
            case (false, true): groupRows8RightShift(m, nc, k, input, inputStride, group, c, outputStride, params)
            case (false, false): groupRows8(m, nc, k, input, inputStride, group, c, outputStride, params)
            }
        }
        group += groupBytes
        n0 &+= 16
    }
}

// One function per (width, requantization form), each with `groupRows` inlined with constants:
// inlining all into one caller would pass the SIL inliner's caller-size limit.
@inline(never)
private func groupRows16RightShift(_ m: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                   _ group: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                                   _ params: Qs8GemmParams) {
    groupRows(4, true, m, nc, k, input, inputStride, group, output, outputStride, params)
}
/// Any K and any channel count (with the 1–3-byte K step and partial stores), general requantization.
@inline(never)
private func groupRowsAnyShape(_ m: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                               _ group: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                               _ params: Qs8GemmParams) {
    groupRows(4, false, m, nc, k, input, inputStride, group, output, outputStride, params, anyShape: true)
}
@inline(never)
private func groupRows16(_ m: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                         _ group: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                         _ params: Qs8GemmParams) {
    groupRows(4, false, m, nc, k, input, inputStride, group, output, outputStride, params)
}
@inline(never)
private func groupRows8RightShift(_ m: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                  _ group: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                                  _ params: Qs8GemmParams) {
    groupRows(2, true, m, nc, k, input, inputStride, group, output, outputStride, params)
}
@inline(never)
private func groupRows8(_ m: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                        _ group: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                        _ params: Qs8GemmParams) {
    groupRows(2, false, m, nc, k, input, inputStride, group, output, outputStride, params)
}

/// All m rows against one group; `width` (4 or 2 vectors of 4 channels), `rightShiftOnly` and
/// `anyShape` (false: nc = 4·width and K % 4 = 0) are constants at each call site, so each
/// combination is its own loop with no per-tile tests.
@inline(__always)
private func groupRows(_ width: Int, _ rightShiftOnly: Bool, _ m: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>,
                       _ inputStride: Int, _ group: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                       _ outputStride: Int, _ params: Qs8GemmParams, anyShape: Bool = false) {
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: params.outputZeroPoint))
    let lo = vdupq_n_s8(params.activationMin), hi = vdupq_n_s8(params.activationMax)
    let clamp = params.activationMin != -128 || params.activationMax != 127
    var a = input, c = output
    var rows = m
    while rows >= 4 {
        tile4(width, rightShiftOnly, nc, k, a, a + inputStride, a + 2 &* inputStride, a + 3 &* inputStride, group,
              c, c + outputStride, c + 2 &* outputStride, c + 3 &* outputStride, zp, lo, hi, clamp: clamp, anyShape: anyShape)
        a += 4 &* inputStride
        c += 4 &* outputStride
        rows &-= 4
    }
    if rows == 1 {
        qs8Gemm1x16c4Neondot(1, nc, k, a, inputStride, group, c, outputStride, params, rightShiftOnly)
    } else if rows > 1 {
        // Rows past the last repeat it (computed, stored over the same bytes with the same value).
        let x1 = a + inputStride, x2 = rows > 2 ? x1 + inputStride : x1
        let o1 = c + outputStride, o2 = rows > 2 ? o1 + outputStride : o1
        tile4(width, rightShiftOnly, nc, k, a, x1, x2, x2, group, c, o1, o2, o2, zp, lo, hi, clamp: clamp, anyShape: anyShape)
    }
}

/// One 4-row tile: rows x0…x3 (K bytes each) against the group record, stored to o0…o3.
/// Transparent, as `accumulate`: inlined at both call sites of every `groupRows` instance.
@_transparent
private func tile4(_ width: Int, _ rightShiftOnly: Bool, _ nc: Int, _ k: Int,
                   _ x0: UnsafePointer<Int8>, _ x1: UnsafePointer<Int8>, _ x2: UnsafePointer<Int8>, _ x3: UnsafePointer<Int8>,
                   _ packed: UnsafeRawPointer,
                   _ o0: UnsafeMutablePointer<Int8>, _ o1: UnsafeMutablePointer<Int8>, _ o2: UnsafeMutablePointer<Int8>,
                   _ o3: UnsafeMutablePointer<Int8>, _ zp: int16x8_t, _ lo: int8x16_t, _ hi: int8x16_t, clamp: Bool,
                   anyShape: Bool) {
    // bias′ + Σx·w, exact in wrapping int32 (packing header); sdot wraps the same way.
    var t = NeondotTile4(packed)
    var w = packed + 64
    t.accumulate(width, k, x0, x1, x2, x3, &w, byteTail: anyShape)
    t.store(width, rightShiftOnly, nc, NeondotRequant16(w, rightShiftOnly: rightShiftOnly), o0, o1, o2, o3, zp, lo, hi,
            clamp: clamp, partial: anyShape)
}

/// The 16 accumulators of a 4-row × 16-channel tile (the first 8 of them when `width` is 2).
struct NeondotTile4 {
    var r0, r1, r2, r3: NeondotRow16

    @inline(__always)
    init(_ bias: UnsafeRawPointer) {
        r0 = NeondotRow16(bias)
        r1 = r0; r2 = r0; r3 = r0
    }

    /// One 16-byte pass over K at byte `i`: one 16-byte load per row, then four lane-indexed `sdot`
    /// steps against the 256 weight bytes at `w`.
    @_transparent
    mutating func pass16(_ width: Int, _ x0: UnsafePointer<Int8>, _ x1: UnsafePointer<Int8>,
                         _ x2: UnsafePointer<Int8>, _ x3: UnsafePointer<Int8>, _ i: Int, _ w: UnsafeRawPointer) {
        let v0 = UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        let v1 = UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        let v2 = UnsafeRawPointer(x2).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        let v3 = UnsafeRawPointer(x3).loadUnaligned(fromByteOffset: i, as: int8x16_t.self)
        var (w0, w1, w2, w3) = weights4(w, 0)
        r0.step(lane(v0, 0), w0, w1, w2, w3, width: width); r1.step(lane(v1, 0), w0, w1, w2, w3, width: width)
        r2.step(lane(v2, 0), w0, w1, w2, w3, width: width); r3.step(lane(v3, 0), w0, w1, w2, w3, width: width)
        (w0, w1, w2, w3) = weights4(w, 64)
        r0.step(lane(v0, 1), w0, w1, w2, w3, width: width); r1.step(lane(v1, 1), w0, w1, w2, w3, width: width)
        r2.step(lane(v2, 1), w0, w1, w2, w3, width: width); r3.step(lane(v3, 1), w0, w1, w2, w3, width: width)
        (w0, w1, w2, w3) = weights4(w, 128)
        r0.step(lane(v0, 2), w0, w1, w2, w3, width: width); r1.step(lane(v1, 2), w0, w1, w2, w3, width: width)
        r2.step(lane(v2, 2), w0, w1, w2, w3, width: width); r3.step(lane(v3, 2), w0, w1, w2, w3, width: width)
        (w0, w1, w2, w3) = weights4(w, 192)
        r0.step(lane(v0, 3), w0, w1, w2, w3, width: width); r1.step(lane(v1, 3), w0, w1, w2, w3, width: width)
        r2.step(lane(v2, 3), w0, w1, w2, w3, width: width); r3.step(lane(v3, 3), w0, w1, w2, w3, width: width)
    }

    /// Σx·w over `k` bytes of rows x0…x3 from the weights at `w` (advanced past them): 16 bytes per
    /// pass, then an 8-byte, a 4-byte and a zero-filled 1–3-byte step. Transparent: the tile loops
    /// around it are past the size where the optimizer still honours @inline(__always).
    /// `byteTail` false: the caller knows K % 4 = 0 (no out-of-line call in the loop).
    @_transparent
    mutating func accumulate(_ width: Int, _ k: Int, _ x0: UnsafePointer<Int8>, _ x1: UnsafePointer<Int8>,
                             _ x2: UnsafePointer<Int8>, _ x3: UnsafePointer<Int8>, _ w: inout UnsafeRawPointer,
                             byteTail: Bool) {
        if k == 16 {   // the MobileNets' K = 16 expansions: one pass, no loop or tail tests
            pass16(width, x0, x1, x2, x3, 0, w)
            w += 256
            return
        }
        var i = 0
        while i &+ 16 <= k {
            pass16(width, x0, x1, x2, x3, i, w)
            w += 256
            i &+= 16
        }
        if k & 8 != 0 {   // 8 bytes: two steps from one 8-byte load per row
            let v0 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x0).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
            let v1 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x1).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
            let v2 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x2).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
            let v3 = unsafeBitCast(SIMD2<Int64>(UnsafeRawPointer(x3).loadUnaligned(fromByteOffset: i, as: Int64.self), 0), to: int8x16_t.self)
            var (w0, w1, w2, w3) = weights4(w, 0)
            r0.step(lane(v0, 0), w0, w1, w2, w3, width: width); r1.step(lane(v1, 0), w0, w1, w2, w3, width: width)
            r2.step(lane(v2, 0), w0, w1, w2, w3, width: width); r3.step(lane(v3, 0), w0, w1, w2, w3, width: width)
            (w0, w1, w2, w3) = weights4(w, 64)
            r0.step(lane(v0, 1), w0, w1, w2, w3, width: width); r1.step(lane(v1, 1), w0, w1, w2, w3, width: width)
            r2.step(lane(v2, 1), w0, w1, w2, w3, width: width); r3.step(lane(v3, 1), w0, w1, w2, w3, width: width)
            w += 128
            i &+= 8
        }
        if k & 4 != 0 {
            let (w0, w1, w2, w3) = weights4(w, 0)
            r0.step(broadcast4(x0, i), w0, w1, w2, w3, width: width); r1.step(broadcast4(x1, i), w0, w1, w2, w3, width: width)
            r2.step(broadcast4(x2, i), w0, w1, w2, w3, width: width); r3.step(broadcast4(x3, i), w0, w1, w2, w3, width: width)
            w += 64
            i &+= 4
        }
        if byteTail && k & 3 != 0 {   // 1–3 bytes left (K not a multiple of 4: rare), out of line
            tailStep(&self, x0, x1, x2, x3, i, k, w)
            w += 64
        }
    }

    /// Fused requantization of the whole tile, four channels per vector; `clamp` false when the
    /// activation bounds are −128 and 127 (the int8 narrowing already saturates there). Highest
    /// row first: a repeated row's pointer equals an earlier one, which then rewrites it.
    /// `partial` false: the caller knows nc = 4·width (no out-of-line call).
    @inline(__always)
    func store(_ width: Int, _ rightShiftOnly: Bool, _ nc: Int, _ q: NeondotRequant16,
               _ o0: UnsafeMutablePointer<Int8>, _ o1: UnsafeMutablePointer<Int8>, _ o2: UnsafeMutablePointer<Int8>,
               _ o3: UnsafeMutablePointer<Int8>, _ zp: int16x8_t, _ lo: int8x16_t, _ hi: int8x16_t, clamp: Bool,
               partial: Bool) {
        if width > 2 {
            var y0 = r0.finish(q, rightShiftOnly: rightShiftOnly, zp)
            var y1 = r1.finish(q, rightShiftOnly: rightShiftOnly, zp)
            var y2 = r2.finish(q, rightShiftOnly: rightShiftOnly, zp)
            var y3 = r3.finish(q, rightShiftOnly: rightShiftOnly, zp)
            if clamp {
                y0 = vminq_s8(vmaxq_s8(y0, lo), hi); y1 = vminq_s8(vmaxq_s8(y1, lo), hi)
                y2 = vminq_s8(vmaxq_s8(y2, lo), hi); y3 = vminq_s8(vmaxq_s8(y3, lo), hi)
            }
            if !partial || nc == 16 {
                UnsafeMutableRawPointer(o3).storeBytes(of: y3, as: int8x16_t.self)
                UnsafeMutableRawPointer(o2).storeBytes(of: y2, as: int8x16_t.self)
                UnsafeMutableRawPointer(o1).storeBytes(of: y1, as: int8x16_t.self)
                UnsafeMutableRawPointer(o0).storeBytes(of: y0, as: int8x16_t.self)
            } else {
                storePartialRows(y0, y1, y2, y3, nc, o0, o1, o2, o3)
            }
        } else {
            var y0 = r0.finish8(q, rightShiftOnly: rightShiftOnly, zp)
            var y1 = r1.finish8(q, rightShiftOnly: rightShiftOnly, zp)
            var y2 = r2.finish8(q, rightShiftOnly: rightShiftOnly, zp)
            var y3 = r3.finish8(q, rightShiftOnly: rightShiftOnly, zp)
            if clamp {
                let lo8 = vget_low_s8(lo), hi8 = vget_low_s8(hi)
                y0 = vmin_s8(vmax_s8(y0, lo8), hi8); y1 = vmin_s8(vmax_s8(y1, lo8), hi8)
                y2 = vmin_s8(vmax_s8(y2, lo8), hi8); y3 = vmin_s8(vmax_s8(y3, lo8), hi8)
            }
            if !partial || nc == 8 {
                UnsafeMutableRawPointer(o3).storeBytes(of: y3, as: int8x8_t.self)
                UnsafeMutableRawPointer(o2).storeBytes(of: y2, as: int8x8_t.self)
                UnsafeMutableRawPointer(o1).storeBytes(of: y1, as: int8x8_t.self)
                UnsafeMutableRawPointer(o0).storeBytes(of: y0, as: int8x8_t.self)
            } else {
                storePartialRows(vcombine_s8(y0, y0), vcombine_s8(y1, y1), vcombine_s8(y2, y2), vcombine_s8(y3, y3), nc,
                                 o0, o1, o2, o3)
            }
        }
    }
}

/// The last 1–3 bytes of K: weights are zero-padded, the input is read only up to k. Out of line
/// (its byte loads branch per byte), so the tile loops stay small enough for the inliner.
@inline(never)
private func tailStep(_ t: inout NeondotTile4, _ x0: UnsafePointer<Int8>, _ x1: UnsafePointer<Int8>,
                      _ x2: UnsafePointer<Int8>, _ x3: UnsafePointer<Int8>, _ i: Int, _ k: Int, _ w: UnsafeRawPointer) {
    let (w0, w1, w2, w3) = weights4(w, 0)
    t.r0.step(broadcastTail(x0, i, k), w0, w1, w2, w3); t.r1.step(broadcastTail(x1, i, k), w0, w1, w2, w3)
    t.r2.step(broadcastTail(x2, i, k), w0, w1, w2, w3); t.r3.step(broadcastTail(x3, i, k), w0, w1, w2, w3)
}

/// The first `count` bytes of each row, highest row first (a partial channel group). Out of line:
/// its byte loops would otherwise make the tile loops too large for the inliner.
@inline(never)
private func storePartialRows(_ y0: int8x16_t, _ y1: int8x16_t, _ y2: int8x16_t, _ y3: int8x16_t, _ count: Int,
                              _ o0: UnsafeMutablePointer<Int8>, _ o1: UnsafeMutablePointer<Int8>,
                              _ o2: UnsafeMutablePointer<Int8>, _ o3: UnsafeMutablePointer<Int8>) {
    storePartial(y3, count: count, to: o3)
    storePartial(y2, count: count, to: o2)
    storePartial(y1, count: count, to: o1)
    storePartial(y0, count: count, to: o0)
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

/// Not in this build; `qs8Gemm` does not call it here (`qs8Gemm4x16c4NeondotIsCompiled` is false).
func qs8Gemm4x16c4NeondotWalk(m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                              packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                              params: Qs8GemmParams) {}
#endif
