// Plain int8·int8 → int32 loops shared by the dense kernels. They are written so LLVM's loop
// vectorizer sees a bare sign-extended multiply-accumulate: with `-target-cpu cortex-a76` (Pi 5)
// it emits `sdot`, on the A72/A53 `smull`/`smlal`. A zero point subtracted inside the loop
// ((x − zx)·w) defeats that pattern, so callers use Σ(x − zx)·w = Σx·w − zx·Σw instead.
//
// Overflow: each function sums at most maxAccumulationDepth terms. |x·w| ≤ 128·127 and
// |w| ≤ 127, so every partial sum stays below 33_155·16_256 < 2^30 in magnitude; the wrapping
// `&+`/`&*` never actually wrap. (Callers combine the results with wrapping arithmetic too,
// which is exact modulo 2^32, so any combination whose true value fits in int32 is exact.)

/// Four int32 accumulators, one per output channel of a block of four.
struct Accumulators4 {
    var lane0: Int32
    var lane1: Int32
    var lane2: Int32
    var lane3: Int32

    static let zero = Accumulators4(lane0: 0, lane1: 0, lane2: 0, lane3: 0)

    /// Lane-wise self + other (each < 2^30 in magnitude by the callers' bounds; see above).
    @inline(__always)
    mutating func add(_ other: Accumulators4) {
        lane0 &+= other.lane0
        lane1 &+= other.lane1
        lane2 &+= other.lane2
        lane3 &+= other.lane3
    }

    /// self − zeroPoint·weightSums, lane-wise: Σx·w − zx·Σw = Σ(x − zx)·w, exact because the
    /// true value is bounded by maxAccumulationDepth·255·127 < 2^30 (wrapping is exact mod 2^32).
    @inline(__always)
    func subtractingZeroPoint(_ zeroPoint: Int32, times weightSums: Accumulators4) -> Accumulators4 {
        Accumulators4(lane0: lane0 &- zeroPoint &* weightSums.lane0, lane1: lane1 &- zeroPoint &* weightSums.lane1,
                      lane2: lane2 &- zeroPoint &* weightSums.lane2, lane3: lane3 &- zeroPoint &* weightSums.lane3)
    }

    @inline(__always)
    subscript(lane: Int) -> Int32 {
        switch lane {
        case 0: return lane0
        case 1: return lane1
        case 2: return lane2
        default: return lane3
        }
    }
}

/// Σ x[i]·w[i] for i < count.
@inline(__always)
func dotS8(_ x: UnsafePointer<Int8>, _ w: UnsafePointer<Int8>, count: Int) -> Int32 {
    var acc: Int32 = 0
    for i in 0..<count {
        // ≤ maxAccumulationDepth terms of |.| ≤ 16_256: |acc| < 2^30 (file comment).
        acc &+= Int32(x[i]) &* Int32(w[i])
    }
    return acc
}

/// Σ w[i] for i < count.
@inline(__always)
func sumS8(_ w: UnsafePointer<Int8>, count: Int) -> Int32 {
    var acc: Int32 = 0
    for i in 0..<count {
        // ≤ maxAccumulationDepth terms of |.| ≤ 128: far below 2^31.
        acc &+= Int32(w[i])
    }
    return acc
}

/// The dot products of one input run `x` with four weight rows: each x[i] is loaded once and
/// feeds four multiply-accumulates (four `sdot`s per 16 bytes on the Pi 5).
@inline(__always)
func dotS8x4(_ x: UnsafePointer<Int8>, _ w0: UnsafePointer<Int8>, _ w1: UnsafePointer<Int8>,
             _ w2: UnsafePointer<Int8>, _ w3: UnsafePointer<Int8>, count: Int) -> Accumulators4 {
    var a0: Int32 = 0, a1: Int32 = 0, a2: Int32 = 0, a3: Int32 = 0
    for i in 0..<count {
        let v = Int32(x[i])
        // ≤ maxAccumulationDepth terms of |.| ≤ 16_256 per lane: |a| < 2^30 (file comment).
        a0 &+= v &* Int32(w0[i])
        a1 &+= v &* Int32(w1[i])
        a2 &+= v &* Int32(w2[i])
        a3 &+= v &* Int32(w3[i])
    }
    return Accumulators4(lane0: a0, lane1: a1, lane2: a2, lane3: a3)
}

/// Σ of each of four weight rows.
@inline(__always)
func sumS8x4(_ w0: UnsafePointer<Int8>, _ w1: UnsafePointer<Int8>, _ w2: UnsafePointer<Int8>,
             _ w3: UnsafePointer<Int8>, count: Int) -> Accumulators4 {
    Accumulators4(lane0: sumS8(w0, count: count), lane1: sumS8(w1, count: count),
                  lane2: sumS8(w2, count: count), lane3: sumS8(w3, count: count))
}
