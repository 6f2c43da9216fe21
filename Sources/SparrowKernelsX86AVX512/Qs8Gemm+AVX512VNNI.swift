// AVX-512 VNNI GEMM microkernel on the NR 16 KR 4 packed layout (SparrowKernels' Qs8Gemm+Packing.swift:
// per group of 16 channels bias′ [16] int32, weights [⌈K/4⌉][16][4] int8, multiplier/preShift/
// postShift [16] int32 each), the layout of `--board host` and pi5 files:
//   qs8-gemm-4x16c4-avx512vnni
// The AVX-VNNI kernel (SparrowKernelsX86VNNI) on 512-bit registers: one 64-byte weight load is a
// whole group (16 channels × 4 bytes of K), so a row's 16 channels are one accumulator, and a tile
// is 4 rows × 2 groups (8 accumulators of the 32 zmm registers). Same arithmetic: the input flipped
// to unsigned (x ^ 0x80 = x + 128) for `vpdpbusd`, the start value bias′ − 128·Σw with Σw from
// the packed weights, wrapping int32 sums — bit-identical to the twins. Requantization works on
// 16 lanes at once (the short path below; groups with left shifts or a multiplier of Int32.min
// take the AVX2 form of SparrowKernelsX86 on each half), and the narrowing clamps in int32 and
// stores with a byte mask (no byte loop for a partial group).
// This module is compiled with -mavx512f/bw/dq/vl/vnni (Package.swift): a module of its own so no
// EVEX code reaches a CPU without AVX-512, and nothing in it may run before the CPUID check in
// SparrowKernels (`CPUFeatures.thisBuild.avx512Vnni`).
#if arch(x86_64)
import _Builtin_intrinsics.intel
import SparrowKernelsX86

/// Runs output[m][n] = requant(bias′[n] + Σ_k input[m][k]·W[n][k]) on NR 16 KR 4 packed weights.
/// Callers must have checked that the CPU has AVX-512 F/BW/DQ/VL and VNNI.
public func qs8Gemm4x16c4AVX512VNNI(m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                                    packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                                    outputZeroPoint: Int32, activationMin: Int8, activationMax: Int8) {
    let stage = OutputStage16(zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    let steps = (k &+ 3) / 4
    let groupBytes = 64 &+ steps &* 64 &+ 3 &* 64
    var group = packed
    var n0 = 0
    // Pairs of channel groups outer (their weights stay in cache), row tiles inner.
    while n0 < n {
        let pair = n &- n0 > 16
        let second = pair ? group + groupBytes : group
        let q0 = GroupConstants(group, steps: steps), q1 = GroupConstants(second, steps: steps)
        let nc0 = Swift.min(16, n &- n0), nc1 = pair ? Swift.min(16, n &- n0 &- 16) : 0
        var m0 = 0
        while m0 < m {
            let rows = Swift.min(4, m &- m0)
            let y = output + (m0 &* outputStride &+ n0)
            if pair {
                tile4x32(rows, k, input + m0 &* inputStride, inputStride, group + 64, second + 64, q0, q1, stage,
                         nc0, nc1, y, outputStride)
            } else {
                tile4x16(rows, k, input + m0 &* inputStride, inputStride, group + 64, q0, stage, nc0, y, outputStride)
            }
            m0 &+= 4
        }
        group += pair ? 2 &* groupBytes : groupBytes
        n0 &+= 32
    }
}

/// One group's start values (bias′ − 128·Σw) and requantization constants, worked out once per call.
struct GroupConstants {
    var start: __m512i
    var requant: Requant16

    @inline(__always)
    init(_ group: UnsafeRawPointer, steps: Int) {
        let ones = _mm512_set1_epi8(1)
        var sum = _mm512_setzero_si512()
        var w = group + 64
        for _ in 0..<steps {
            sum = _mm512_dpbusd_epi32(sum, ones, w.loadUnaligned(as: __m512i.self))
            w += 64
        }
        start = _mm512_sub_epi32(group.loadUnaligned(as: __m512i.self), _mm512_slli_epi32(sum, 7))
        let constants = group + (64 &+ steps &* 64)
        requant = Requant16(multiplier: constants.loadUnaligned(as: __m512i.self),
                            pre: constants.loadUnaligned(fromByteOffset: 64, as: __m512i.self),
                            post: constants.loadUnaligned(fromByteOffset: 128, as: __m512i.self))
    }

    @inline(__always)
    func apply(_ acc: __m512i) -> __m512i { requant.apply(acc) }
}

/// The requantization of 16 int32 lanes (per-lane multiplier, pre = max(shift, 0), post =
/// min(shift, 0)), bit-exact with `requantizeAVX2` / `multiplyByQuantizedMultiplier`, with what
/// `apply` derives from the constants worked out once (the general path: `requantizeAVX2` per half).
struct Requant16 {
    var multiplier: __m512i, oddMultiplier: __m512i, exponent: __m512i, mask: __m512i, halfMask: __m512i
    /// Every lane takes the short path: no left shift, no multiplier Int32.min.
    var short: Bool
    /// No lane's multiplier is Int32.min.
    var noMinimum: Bool
    /// `short`, and every lane shifts right by e ≥ 1 (or has multiplier 0, a padded channel):
    /// the rounding shift then takes the shorter form of `roundedRightShift`.
    var rightShiftOnly: Bool
    /// e − 1 per lane.
    var exponentMinusOne: __m512i
    /// The shifts as given, for the general path (its constants are made when it runs: the
    /// im2col convolution calls the GEMM every 4 pixels, and most groups never need them).
    var pre: __m512i, post: __m512i

    @inline(__always)
    init(multiplier: __m512i, pre: __m512i, post: __m512i) {
        self.multiplier = multiplier
        oddMultiplier = oddLanes16(multiplier)
        exponent = _mm512_sub_epi32(_mm512_setzero_si512(), post)
        mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), exponent), _mm512_set1_epi32(1))
        halfMask = _mm512_srli_epi32(mask, 1)
        // pre == 0 in every lane: no bit set; multiplier == Int32.min: x ^ min == 0.
        let noLeftShift = _mm512_test_epi32_mask(pre, pre) == 0
        let minimum = _mm512_set1_epi32(Int32.min)
        let noMinimum = _mm512_test_epi32_mask(_mm512_xor_si512(multiplier, minimum), _mm512_set1_epi32(-1)) == 0xFFFF
        self.noMinimum = noMinimum
        short = noLeftShift && noMinimum
        let shiftsRight = _mm512_test_epi32_mask(post, _mm512_set1_epi32(Int32.min))     // post < 0
        let padded = ~_mm512_test_epi32_mask(multiplier, multiplier)                      // multiplier 0
        rightShiftOnly = short && shiftsRight | padded == 0xFFFF
        exponentMinusOne = _mm512_sub_epi32(exponent, _mm512_set1_epi32(1))
        self.pre = pre
        self.post = post
    }

    /// MBQM of 16 accumulators, bit-exact.
    @inline(__always)
    func apply(_ acc: __m512i) -> __m512i {
        if rightShiftOnly { return roundedRightShift(srdhm(acc)) }
        guard short else { return general(acc) }
        return scaledAndRounded(acc)
    }

    /// `apply` for accumulators whose left shift the caller knows cannot overflow (|acc|·2^pre <
    /// 2^31 in every lane): the saturating shift is then a plain one.
    @inline(__always)
    func applyWithoutShiftOverflow(_ acc: __m512i) -> __m512i {
        guard noMinimum else { return general(acc) }
        return scaledAndRounded(_mm512_sllv_epi32(acc, pre))
    }

    /// Every case: `requantizeAVX2` on each half.
    @inline(__always)
    func general(_ acc: __m512i) -> __m512i {
        let low = requantizeAVX2(acc.lowHalf, multiplier: multiplier.lowHalf, preShift: pre.lowHalf, postShift: post.lowHalf)
        let high = requantizeAVX2(acc.highHalf, multiplier: multiplier.highHalf, preShift: pre.highHalf,
                                  postShift: post.highHalf)
        return __m512i(lowHalf: low, highHalf: high)
    }

    /// SRDHM = floor((x·m + 2^30) / 2^31) as in requantizeAVX2, for no multiplier Int32.min: even
    /// lanes' 64-bit products shifted down by 31, odd lanes' shifted up by 1 (their quotient lands
    /// in the high dword).
    @inline(__always)
    func srdhm(_ acc: __m512i) -> __m512i {
        let nudge = _mm512_set1_epi64(1 << 30)
        let even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(acc, multiplier), nudge), 31)
        let odd = _mm512_slli_epi64(_mm512_add_epi64(_mm512_mul_epi32(oddLanes16(acc), oddMultiplier), nudge), 1)
        return _mm512_mask_blend_epi32(0xAAAA, even, odd)
    }

    /// RDBPOT(h, e) for e ≥ 1 (lanes with h = 0 give 0 for any e): ties away from zero is
    /// floor((h − [h < 0] + 2^(e−1)) / 2^e) = ((t >> (e − 1)) + 1) >> 1 with t = h − [h < 0]. No
    /// step wraps: SRDHM with multipliers ≠ Int32.min lies in [−2^31 + 1, 2^31 − 2].
    @inline(__always)
    func roundedRightShift(_ h: __m512i) -> __m512i {
        let t = _mm512_add_epi32(h, _mm512_srai_epi32(h, 31))
        return _mm512_srai_epi32(_mm512_add_epi32(_mm512_srav_epi32(t, exponentMinusOne), _mm512_set1_epi32(1)), 1)
    }

    /// SRDHM and RDBPOT for x that needs no left shift, no multiplier Int32.min.
    @inline(__always)
    func scaledAndRounded(_ acc: __m512i) -> __m512i {
        let high = srdhm(acc)
        // RDBPOT: (x >> e) + (remainder > halfMask + [x < 0]). Both sides lie in [0, 2^31), so the
        // comparison is the sign bit of threshold − remainder.
        let threshold = _mm512_add_epi32(halfMask, _mm512_srli_epi32(high, 31))
        let above = _mm512_srli_epi32(_mm512_sub_epi32(threshold, _mm512_and_si512(high, mask)), 31)
        return _mm512_add_epi32(_mm512_srav_epi32(high, exponent), above)
    }
}

/// Lanes 1, 3, …, 15 copied down into 0, 2, …, 14 (`vmovshdup`), for `vpmuldq`.
@inline(__always)
func oddLanes16(_ x: __m512i) -> __m512i {
    _mm512_castps_si512(_mm512_movehdup_ps(_mm512_castsi512_ps(x)))
}

/// Output zero point and activation bounds, as int32 bounds before the zero point is added.
struct OutputStage16 {
    var zeroPoint: __m512i, lower: __m512i, upper: __m512i
    @inline(__always)
    init(zeroPoint: Int32, min: Int8, max: Int8) {
        // The 16-bit zero point the AVX2 narrowing adds (the verifier keeps it in int8).
        let zp = Int32(Int16(truncatingIfNeeded: zeroPoint))
        self.zeroPoint = _mm512_set1_epi32(zp)
        lower = _mm512_set1_epi32(Int32(min) &- zp)
        upper = _mm512_set1_epi32(Int32(max) &- zp)
    }

    /// 16 requantized lanes → int8, the same value as `clampToS8(v + zp)` with the activation bounds:
    /// clamping v to [min − zp, max − zp] first keeps v + zp exact, and the result is then in int8.
    @inline(__always)
    func store(_ v: __m512i, count: Int, to output: UnsafeMutablePointer<Int8>) {
        let clamped = _mm512_min_epi32(_mm512_max_epi32(v, lower), upper)
        let bytes = _mm512_cvtepi32_epi8(_mm512_add_epi32(clamped, zeroPoint))
        if count == 16 {
            UnsafeMutableRawPointer(output).storeBytes(of: bytes, as: __m128i.self)
        } else {
            _mm_mask_storeu_epi8(output, __mmask16(truncatingIfNeeded: (1 &<< count) &- 1), bytes)
        }
    }
}

/// Bytes offset…offset+3 of row x (all inside K), made unsigned (x ^ 0x80) and broadcast to the 16
/// lanes: the whole steps' form of `broadcastUnsigned`.
@inline(__always)
private func broadcastUnsignedWhole(_ x: UnsafePointer<Int8>, _ offset: Int) -> __m512i {
    _mm512_xor_si512(_mm512_set1_epi32(UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: Int32.self)),
                     _mm512_set1_epi8(-128))
}

/// The 4 bytes of row `x` at `offset` ^ 0x80, repeated over the 16 lanes; bytes past `k` are not
/// read (they meet zero weights, whatever their value).
@inline(__always)
private func broadcastUnsigned(_ x: UnsafePointer<Int8>, _ offset: Int, _ k: Int) -> __m512i {
    var bits: UInt32
    if offset &+ 4 <= k {
        bits = UnsafeRawPointer(x).loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    } else {
        bits = 0
        var i = offset
        while i < k { bits |= UInt32(UInt8(bitPattern: x[i])) &<< UInt32(8 &* (i &- offset)); i &+= 1 }
    }
    return _mm512_set1_epi32(Int32(bitPattern: bits ^ 0x8080_8080))
}

/// `mr` ≤ 4 rows × 2 groups (missing rows repeat the last one and are not stored).
@inline(__always)
private func tile4x32(_ mr: Int, _ k: Int, _ x0: UnsafePointer<Int8>, _ inputStride: Int,
                      _ weights0: UnsafeRawPointer, _ weights1: UnsafeRawPointer,
                      _ q0: GroupConstants, _ q1: GroupConstants, _ stage: OutputStage16, _ nc0: Int, _ nc1: Int,
                      _ y0: UnsafeMutablePointer<Int8>, _ outputStride: Int) {
    let x1 = mr > 1 ? x0 + inputStride : x0
    let x2 = mr > 2 ? x1 + inputStride : x1
    let x3 = mr > 3 ? x2 + inputStride : x2
    var a00 = q0.start, a01 = q1.start, a10 = q0.start, a11 = q1.start
    var a20 = q0.start, a21 = q1.start, a30 = q0.start, a31 = q1.start
    var w0 = weights0, w1 = weights1
    @inline(__always)
    func step(_ v0: __m512i, _ v1: __m512i, _ v2: __m512i, _ v3: __m512i) {
        let g0 = w0.loadUnaligned(as: __m512i.self), g1 = w1.loadUnaligned(as: __m512i.self)
        a00 = _mm512_dpbusd_epi32(a00, v0, g0); a01 = _mm512_dpbusd_epi32(a01, v0, g1)
        a10 = _mm512_dpbusd_epi32(a10, v1, g0); a11 = _mm512_dpbusd_epi32(a11, v1, g1)
        a20 = _mm512_dpbusd_epi32(a20, v2, g0); a21 = _mm512_dpbusd_epi32(a21, v2, g1)
        a30 = _mm512_dpbusd_epi32(a30, v3, g0); a31 = _mm512_dpbusd_epi32(a31, v3, g1)
        w0 += 64
        w1 += 64
    }
    var i = 0
    while i &+ 4 <= k {
        step(broadcastUnsignedWhole(x0, i), broadcastUnsignedWhole(x1, i), broadcastUnsignedWhole(x2, i), broadcastUnsignedWhole(x3, i))
        i &+= 4
    }
    if i < k { step(broadcastUnsigned(x0, i, k), broadcastUnsigned(x1, i, k), broadcastUnsigned(x2, i, k), broadcastUnsigned(x3, i, k)) }
    stage.store(q0.apply(a00), count: nc0, to: y0); stage.store(q1.apply(a01), count: nc1, to: y0 + 16)
    if mr > 1 {
        let y = y0 + outputStride
        stage.store(q0.apply(a10), count: nc0, to: y); stage.store(q1.apply(a11), count: nc1, to: y + 16)
    }
    if mr > 2 {
        let y = y0 + 2 &* outputStride
        stage.store(q0.apply(a20), count: nc0, to: y); stage.store(q1.apply(a21), count: nc1, to: y + 16)
    }
    if mr > 3 {
        let y = y0 + 3 &* outputStride
        stage.store(q0.apply(a30), count: nc0, to: y); stage.store(q1.apply(a31), count: nc1, to: y + 16)
    }
}

/// `mr` ≤ 4 rows × 1 group: the last group when the layer's group count is odd.
@inline(__always)
private func tile4x16(_ mr: Int, _ k: Int, _ x0: UnsafePointer<Int8>, _ inputStride: Int, _ weights: UnsafeRawPointer,
                      _ q: GroupConstants, _ stage: OutputStage16, _ nc: Int,
                      _ y0: UnsafeMutablePointer<Int8>, _ outputStride: Int) {
    let x1 = mr > 1 ? x0 + inputStride : x0
    let x2 = mr > 2 ? x1 + inputStride : x1
    let x3 = mr > 3 ? x2 + inputStride : x2
    var a0 = q.start, a1 = q.start, a2 = q.start, a3 = q.start
    var w = weights
    @inline(__always)
    func step(_ v0: __m512i, _ v1: __m512i, _ v2: __m512i, _ v3: __m512i) {
        let g = w.loadUnaligned(as: __m512i.self)
        a0 = _mm512_dpbusd_epi32(a0, v0, g); a1 = _mm512_dpbusd_epi32(a1, v1, g)
        a2 = _mm512_dpbusd_epi32(a2, v2, g); a3 = _mm512_dpbusd_epi32(a3, v3, g)
        w += 64
    }
    var i = 0
    while i &+ 4 <= k {
        step(broadcastUnsignedWhole(x0, i), broadcastUnsignedWhole(x1, i), broadcastUnsignedWhole(x2, i), broadcastUnsignedWhole(x3, i))
        i &+= 4
    }
    if i < k { step(broadcastUnsigned(x0, i, k), broadcastUnsigned(x1, i, k), broadcastUnsigned(x2, i, k), broadcastUnsigned(x3, i, k)) }
    stage.store(q.apply(a0), count: nc, to: y0)
    if mr > 1 { stage.store(q.apply(a1), count: nc, to: y0 + outputStride) }
    if mr > 2 { stage.store(q.apply(a2), count: nc, to: y0 + 2 &* outputStride) }
    if mr > 3 { stage.store(q.apply(a3), count: nc, to: y0 + 3 &* outputStride) }
}
#endif
