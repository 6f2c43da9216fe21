// Packed weights of the int8 GEMM microkernels (1×1 convolution, fully connected), produced once
// (at convert time, later phase) by a pure function from [outC][K] int8 weights.
//
// Layout, for a tile of NR output channels and KR input bytes per step (`Qs8GemmTile`): the
// output channels go in groups of NR (the last group zero-padded), each group one contiguous
// record that a microkernel reads front to back:
//
//   bias′        [NR] int32   bias − zx·Σw over the real K inputs (0 for padded channels)
//   weights      [⌈K/KR⌉][NR][KR] int8, zero-padded in K and in N
//   multiplier   [NR] int32   per-channel requantization multiplier (0 for padded channels)
//   preShift     [NR] int32   max(shift, 0): saturating left shift before the multiply
//   postShift    [NR] int32   min(shift, 0): rounding right shift after it, as a negative count
//
// Folding −zx·Σw into the bias removes the Σw pass and the per-output correction: every pixel of
// a 1×1 convolution and every row of a fully connected layer uses all K taps.
// Exactness: the true accumulator bias + Σ(x − zx)·w fits in int32 (Requantize.swift's proof);
// bias′ + Σx·w is the same number computed in wrapping int32 arithmetic, exact modulo 2^32, so
// it comes out identical. |bias′| ≤ 2^30 + K·128·127 < 2^31 itself, so bias′ fits too.

/// Tile shape of a GEMM microkernel: MR pixels × NR output channels, KR input bytes per step.
public struct Qs8GemmTile: Equatable, Sendable {
    public var mr: Int
    public var nr: Int
    public var kr: Int
    public init(mr: Int, nr: Int, kr: Int) { self.mr = mr; self.nr = nr; self.kr = kr }

    /// K rounded up to a whole number of KR steps.
    public func paddedK(_ k: Int) -> Int { (k + kr - 1) / kr * kr }
    /// Bytes of one NR-channel group record.
    public func groupBytes(k: Int) -> Int { nr * 4 + paddedK(k) * nr + 3 * nr * 4 }
    /// Number of NR-channel groups for n output channels.
    public func groups(n: Int) -> Int { (n + nr - 1) / nr }
    /// Bytes of the whole packed buffer.
    public func packedBytes(n: Int, k: Int) -> Int { groups(n: n) * groupBytes(k: k) }
}

/// Why weights cannot go to the GEMM microkernels (the caller keeps the reference kernel).
public enum Qs8PackRejection: Equatable, Sendable {
    /// A weight of −128: two products of a c16 step must fit in int16, which needs |w| ≤ 127.
    case weightMinus128(channel: Int, input: Int)
    /// Shift outside [−31, 30], the range the vector requantization reproduces exactly.
    case shiftOutOfRange(channel: Int, shift: Int32)
    /// K above maxAccumulationDepth.
    case tooDeep(k: Int)
}

/// Packs `weights` ([n][k] int8, row-major) with bias, zero point and requantization constants
/// into `packed` (tile.packedBytes(n:k:) bytes) in the layout above. Returns nil on success, or
/// why the layer must keep the reference kernel (the buffer is then unspecified).
public func packQs8GemmWeights(tile: Qs8GemmTile, n: Int, k: Int, weights: UnsafePointer<Int8>,
                               bias: UnsafePointer<Int32>?, inputZeroPoint: Int32,
                               multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                               into packed: UnsafeMutableRawPointer) -> Qs8PackRejection? {
    if k > maxAccumulationDepth { return .tooDeep(k: k) }
    let nr = tile.nr, kr = tile.kr, kSteps = tile.paddedK(k) / kr
    var group = packed
    for g in 0..<tile.groups(n: n) {
        let weightBytes = group + nr * 4
        let constants = weightBytes + kSteps * nr * kr
        for lane in 0..<nr {
            let channel = g * nr + lane
            let real = channel < n
            var weightSum: Int32 = 0
            for step in 0..<kSteps {
                for b in 0..<kr {
                    let i = step * kr + b
                    var w: Int8 = 0
                    if real && i < k {
                        w = weights[channel * k + i]
                        if w == -128 { return .weightMinus128(channel: channel, input: i) }
                    }
                    // ≤ maxAccumulationDepth terms of |w| ≤ 127: far below 2^31.
                    weightSum &+= Int32(w)
                    weightBytes.storeBytes(of: w, toByteOffset: (step * nr + lane) * kr + b, as: Int8.self)
                }
            }
            var biasPrime: Int32 = 0, multiplier: Int32 = 0, pre: Int32 = 0, post: Int32 = 0
            if real {
                let shift = shifts[channel]
                if shift < -31 || shift > 30 { return .shiftOutOfRange(channel: channel, shift: shift) }
                // |bias| ≤ 2^30 (verifier), |zx·Σw| ≤ 128·127·K < 2^30: the difference fits (header).
                biasPrime = (bias?[channel] ?? 0) &- inputZeroPoint &* weightSum
                multiplier = multipliers[channel]
                pre = Swift.max(shift, 0)
                post = Swift.min(shift, 0)
            }
            group.storeBytes(of: biasPrime, toByteOffset: lane * 4, as: Int32.self)
            constants.storeBytes(of: multiplier, toByteOffset: lane * 4, as: Int32.self)
            constants.storeBytes(of: pre, toByteOffset: (nr + lane) * 4, as: Int32.self)
            constants.storeBytes(of: post, toByteOffset: (2 * nr + lane) * 4, as: Int32.self)
        }
        group += tile.groupBytes(k: k)
    }
    return nil
}
