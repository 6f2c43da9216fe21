// The gemmlowp/TFLite requantization of SparrowKernels' Requantize.swift on AVX2 vectors of eight
// int32 lanes, bit-exact for shifts in [−31, 30] (the verifier's range) and every multiplier.
// This module is compiled with -mavx2 (Package.swift); nothing in it may run before the CPUID
// check in SparrowKernels (`CPUFeatures.thisBuild`). Public and inlinable for SparrowKernelsX86VNNI,
// whose GEMM inlines them under its own (AVX2 + AVX-VNNI) flags.
#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Lanes 1, 3, 5, 7 copied down into lanes 0, 2, 4, 6 (`vmovshdup`/`vpshufd`), for `vpmuldq`, which
/// reads the even lanes. Not `_mm256_srli_epi64(x, 32)`: LLVM folds that shift into the multiply's
/// sign extension and no longer recognises `vpmuldq` (it emitted a three-`vpmuludq` 64-bit
/// multiply instead).
@inlinable @inline(__always)
public func oddLanes(_ x: __m256i) -> __m256i {
    _mm256_castps_si256(_mm256_movehdup_ps(_mm256_castsi256_ps(x)))
}

/// MBQM(acc, multiplier, pre + post) per lane, where pre = max(shift, 0), post = min(shift, 0).
@inlinable @inline(__always)
public func requantizeAVX2(_ acc: __m256i, multiplier: __m256i, preShift: __m256i, postShift: __m256i) -> __m256i {
    let zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1)
    // Saturating left shift: the shift overflowed exactly when shifting back does not restore acc.
    let shifted = _mm256_sllv_epi32(acc, preShift)
    let overflow = _mm256_xor_si256(_mm256_cmpeq_epi32(_mm256_srav_epi32(shifted, preShift), acc), _mm256_set1_epi32(-1))
    let saturated = _mm256_xor_si256(_mm256_srai_epi32(acc, 31), _mm256_set1_epi32(Int32.max))   // acc < 0 → Int32.min
    let x = _mm256_blendv_epi8(shifted, saturated, overflow)
    // SRDHM = floor((x·m + 2^30) / 2^31): 64-bit products of the even lanes, then of the odd ones;
    // the quotient's 32 bits are bits 31…62 of the sum (the low dword after >> 31 for even lanes,
    // the high dword after << 1 for odd lanes).
    let nudge = _mm256_set1_epi64x(1 << 30)
    let even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, multiplier), nudge), 31)
    let odd = _mm256_slli_epi64(_mm256_add_epi64(_mm256_mul_epi32(oddLanes(x), oddLanes(multiplier)), nudge), 1)
    var high = _mm256_blendv_epi8(even, odd, _mm256_set1_epi64x(Int64(bitPattern: 0xFFFF_FFFF_0000_0000)))
    // The one overflow, Int32.min · Int32.min, saturates to Int32.max (min ^ −1 = max).
    let minimum = _mm256_set1_epi32(Int32.min)
    high = _mm256_xor_si256(high, _mm256_and_si256(_mm256_cmpeq_epi32(x, minimum), _mm256_cmpeq_epi32(multiplier, minimum)))
    // RDBPOT by e = −post: (x >> e) + (remainder > (mask >> 1) + [x < 0]), ties away from zero.
    let exponent = _mm256_sub_epi32(zero, postShift)
    let mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, exponent), one)
    let remainder = _mm256_and_si256(high, mask)
    let threshold = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_cmpgt_epi32(zero, high))
    return _mm256_sub_epi32(_mm256_srav_epi32(high, exponent), _mm256_cmpgt_epi32(remainder, threshold))
}

/// Per-channel constants of eight lanes at `constants` (multiplier, pre, post blocks NR apart),
/// with what `apply` derives from them worked out once: the rounding shift's exponent, mask and
/// half mask, the odd lanes' multipliers, and whether the short path is exact for all eight lanes.
public struct RequantConstants8 {
    public var multiplier: __m256i
    public var pre: __m256i
    public var post: __m256i
    @usableFromInline var oddMultiplier: __m256i
    @usableFromInline var exponent: __m256i
    @usableFromInline var mask: __m256i
    @usableFromInline var halfMask: __m256i
    /// No lane shifts left (pre = 0) and no multiplier is Int32.min: then the saturating
    /// pre-shift is the identity and SRDHM cannot overflow, and `apply` skips both (the usual
    /// case: real multipliers lie in [2^30, 2^31) and most shifts are right shifts).
    @usableFromInline var short: Bool
    @inlinable @inline(__always)
    public init(_ constants: UnsafeRawPointer, lane: Int, nr: Int) {
        self.init(multiplier: constants.loadUnaligned(fromByteOffset: lane &* 4, as: __m256i.self),
                  pre: constants.loadUnaligned(fromByteOffset: (nr &+ lane) &* 4, as: __m256i.self),
                  post: constants.loadUnaligned(fromByteOffset: (2 &* nr &+ lane) &* 4, as: __m256i.self))
    }
    @inlinable @inline(__always)
    public init(multiplier: __m256i, pre: __m256i, post: __m256i) {
        self.multiplier = multiplier
        self.pre = pre
        self.post = post
        let zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1)
        oddMultiplier = oddLanes(multiplier)
        exponent = _mm256_sub_epi32(zero, post)
        mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, exponent), one)
        halfMask = _mm256_srli_epi32(mask, 1)
        noMinimumMultiplier = _mm256_movemask_epi8(_mm256_cmpeq_epi32(multiplier, _mm256_set1_epi32(Int32.min))) == 0
        short = _mm256_movemask_epi8(_mm256_cmpeq_epi32(pre, zero)) == -1 && noMinimumMultiplier
    }
    /// No lane's multiplier is Int32.min.
    @usableFromInline var noMinimumMultiplier: Bool

    @inlinable @inline(__always)
    public func apply(_ acc: __m256i) -> __m256i {
        guard short else { return requantizeAVX2(acc, multiplier: multiplier, preShift: pre, postShift: post) }
        return scaledAndRounded(acc)
    }

    /// `apply` for accumulators the caller knows the left shift cannot overflow (|acc|·2^pre < 2^31
    /// in every lane): the saturating shift is then a plain one, and x = Int32.min cannot occur.
    @inlinable @inline(__always)
    public func applyWithoutShiftOverflow(_ acc: __m256i) -> __m256i {
        guard noMinimumMultiplier else { return requantizeAVX2(acc, multiplier: multiplier, preShift: pre, postShift: post) }
        return scaledAndRounded(_mm256_sllv_epi32(acc, pre))
    }

    /// SRDHM and the rounding right shift of `requantizeAVX2`, for x that needs no saturating
    /// pre-shift and no multiplier Int32.min.
    @inlinable @inline(__always)
    func scaledAndRounded(_ acc: __m256i) -> __m256i {
        let nudge = _mm256_set1_epi64x(1 << 30)
        let even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(acc, multiplier), nudge), 31)
        let odd = _mm256_slli_epi64(_mm256_add_epi64(_mm256_mul_epi32(oddLanes(acc), oddMultiplier), nudge), 1)
        let high = _mm256_blendv_epi8(even, odd, _mm256_set1_epi64x(Int64(bitPattern: 0xFFFF_FFFF_0000_0000)))
        let zero = _mm256_setzero_si256()
        let threshold = _mm256_sub_epi32(halfMask, _mm256_cmpgt_epi32(zero, high))
        return _mm256_sub_epi32(_mm256_srav_epi32(high, exponent), _mm256_cmpgt_epi32(_mm256_and_si256(high, mask), threshold))
    }
}

/// Output zero point and activation bounds, broadcast once per call.
public struct OutputStage {
    public var zeroPoint: __m128i
    public var lower: __m128i
    public var upper: __m128i
    @inlinable @inline(__always)
    public init(zeroPoint: Int32, min: Int8, max: Int8) {
        self.zeroPoint = _mm_set1_epi16(Int16(truncatingIfNeeded: zeroPoint))
        lower = _mm_set1_epi8(min)
        upper = _mm_set1_epi8(max)
    }

    /// Sixteen requantized lanes (channels 0–7 in `a`, 8–15 in `b`) → int8, the same value as
    /// `clampToS8` per lane: saturating to int16, adding zp (saturating) and saturating to int8
    /// only moves values that are outside [−128, 127] after + zp anyway; the bounds are int8.
    @inlinable @inline(__always)
    public func narrow(_ a: __m256i, _ b: __m256i) -> __m128i {
        let low = _mm_adds_epi16(_mm_packs_epi32(a.lowHalf, a.highHalf), zeroPoint)
        let high = _mm_adds_epi16(_mm_packs_epi32(b.lowHalf, b.highHalf), zeroPoint)
        return _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(low, high), lower), upper)
    }

    /// Eight lanes → int8 in the low 8 bytes.
    @inlinable @inline(__always)
    public func narrow(_ a: __m256i) -> __m128i {
        let low = _mm_adds_epi16(_mm_packs_epi32(a.lowHalf, a.highHalf), zeroPoint)
        return _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(low, low), lower), upper)
    }
}

/// Stores the first `count` bytes of `v`.
@inlinable @inline(__always)
public func storeBytes(_ v: __m128i, count: Int, to output: UnsafeMutablePointer<Int8>) {
    if count == 16 { UnsafeMutableRawPointer(output).storeBytes(of: v, as: __m128i.self); return }
    let bytes = unsafeBitCast(v, to: SIMD16<Int8>.self)
    for i in 0..<count { output[i] = bytes[i] }
}
#endif

#if arch(x86_64)
/// The `count` < 16 bytes at `p` in the low bytes of a vector, the rest zero, with no read past
/// p + count (the row may end the buffer): 8-, 4- and overlapping 4-byte loads, not a byte loop
/// into a SIMD16 (which compiles to a store and reload per byte).
@inlinable @inline(__always)
public func loadPartial16(_ p: UnsafePointer<Int8>, _ count: Int) -> __m128i {
    let raw = UnsafeRawPointer(p)
    @inline(__always)
    func partial8(_ offset: Int, _ n: Int) -> UInt64 {
        if n >= 4 {
            let low = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            let last = raw.loadUnaligned(fromByteOffset: offset &+ n &- 4, as: UInt32.self)   // bytes n − 4 ..< n
            return UInt64(low) | UInt64(last >> UInt32(8 &* (8 &- n))) << 32
        }
        var bits: UInt64 = 0
        var i = 0
        while i < n { bits |= UInt64(raw.load(fromByteOffset: offset &+ i, as: UInt8.self)) << UInt64(8 &* i); i &+= 1 }
        return bits
    }
    if count >= 8 {
        let low = raw.loadUnaligned(as: UInt64.self)
        return _mm_set_epi64x(Int64(bitPattern: partial8(8, count &- 8)), Int64(bitPattern: low))
    }
    return _mm_set_epi64x(0, Int64(bitPattern: partial8(0, count)))
}
#endif
