// Branch-free requantization of a run of consecutive output channels. Same results as
// `finishAccumulator` (bias, then `multiplyByQuantizedMultiplier`, then `clampToS8`) bit for bit,
// but written with only arithmetic, compares and selects, so LLVM's loop vectorizer can take a
// block of channels at once instead of running the branchy scalar primitives per output.
// Docs/quantization.md has the rounding rules; the derivations are in the comments below.

/// Int32 → Int64 sign extension without `Int64(_:)`, which on armv7 Embedded Swift goes through
/// allocating generic code (little-endian targets: low word first).
@inline(__always)
func widenToInt64(_ v: Int32) -> Int64 {
    unsafeBitCast((UInt32(bitPattern: v), v &>> 31), to: Int64.self)
}

/// `multiplyByQuantizedMultiplier(x, multiplier, shift)` without branches.
@inline(__always)
func multiplyByQuantizedMultiplierBranchFree(_ x: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
    // Saturating x · 2^max(shift, 0). A shift ≥ 31 saturates every x except 0 and −1, and for
    // those two x << 31 is already the saturated value (0, Int32.min), so capping at 31 is exact.
    let left = Swift.min(Swift.max(shift, 0), 31)
    let upper = Int32.max &>> left, lower = Int32.min &>> left
    let shifted = x > upper ? Int32.max : (x < lower ? Int32.min : x &<< left)

    // SRDHM = floor((a·b + 2^30) / 2^31) (Docs/quantization.md). The 64-bit arithmetic shift is
    // that floor; |a·b| ≤ 2^62 so the sum cannot wrap. The quotient fits in int32 except for
    // Int32.min · Int32.min (2^31), which saturates to Int32.max.
    let product = widenToInt64(shifted) &* widenToInt64(multiplier)
    let quotient = Int32(truncatingIfNeeded: (product &+ (1 &<< 30)) &>> 31)
    let high = (shifted == Int32.min && multiplier == Int32.min) ? Int32.max : quotient

    // RDBPOT by e = max(−shift, 0): gemmlowp's mask/threshold form, which is already branch-free
    // for e in 0...31 (e = 0: mask 0, remainder 0, never above the threshold, result x).
    // e = 31: 1 << 31 wraps to Int32.min and − 1 wraps to Int32.max, the wanted mask.
    let right = Swift.max(0 &- shift, 0)   // shift = Int32.min wraps to Int32.min → 0, as in MBQM
    let e = Swift.min(right, 31)
    let mask = (Int32(1) &<< e) &- 1
    let remainder = high & mask
    // (high >> 31) is −1 for negative high: threshold = (mask >> 1) + 1 then; mask >> 1 < 2^30.
    let threshold = (mask &>> 1) &- (high &>> 31)
    // high >> e ∈ [−2^30, 2^30 − 1] for e ≥ 1 (and nothing is added for e = 0): cannot overflow.
    let rounded = (high &>> e) &+ (remainder > threshold ? 1 : 0)
    // e ≥ 32: |high| ≤ 2^31 ≤ 2^(e−1), at most a tie, which only Int32.min / 2^32 reaches (→ −1).
    let tie: Int32 = (right == 32 && high == Int32.min) ? -1 : 0
    return right > 31 ? tie : rounded
}

/// Requantizes `count` consecutive output channels in one pass: output[j] =
/// clamp(MBQM(acc[j] + bias[j], multipliers[j], shifts[j]) + outputZeroPoint, min, max).
/// `acc` is scratch (the bias may be added in place). Bit-identical to `finishAccumulator`.
///
/// Per ISA (measured, Docs/performance.md "Requantization"): on AArch64 the branch-free loop
/// vectorizes (smull/rshrn, sshl) and wins. On the x86-64 dev host (baseline SSE2 build: no
/// per-lane variable shifts, no signed 32→64-bit lane multiply) the same loop ran 2.1× slower
/// than the branchy scalar code in depthwise, so other targets keep `finishAccumulator`. (armv7 NEON: not measured yet, so it keeps the scalar code.)
@inline(__always)
func requantizeBlockS8(_ acc: UnsafeMutablePointer<Int32>, count: Int, bias: UnsafePointer<Int32>?,
                       multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                       outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32,
                       output: UnsafeMutablePointer<Int8>) {
#if arch(arm64)
    requantizeBlockBranchFreeS8(acc, count: count, bias: bias, multipliers: multipliers, shifts: shifts,
                                outputZeroPoint: outputZeroPoint, activationMin: activationMin,
                                activationMax: activationMax, output: output)
#else
    for j in 0..<count {
        output[j] = finishAccumulator(acc[j], bias: bias?[j] ?? 0, multiplier: multipliers[j], shift: shifts[j],
                                      outputZeroPoint: outputZeroPoint, activationMin: activationMin,
                                      activationMax: activationMax)
    }
#endif
}

/// The branch-free form of `requantizeBlockS8` (same contract), for targets where it vectorizes.
@inline(__always)
func requantizeBlockBranchFreeS8(_ acc: UnsafeMutablePointer<Int32>, count: Int, bias: UnsafePointer<Int32>?,
                                 multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                                 outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32,
                                 output: UnsafeMutablePointer<Int8>) {
    if let bias {
        // |acc| < 2^30 (maxAccumulationDepth) and |bias| ≤ 2^30 (maxBiasMagnitude): sum < 2^31.
        for j in 0..<count { acc[j] &+= bias[j] }
    }
    for j in 0..<count {
        let scaled = multiplyByQuantizedMultiplierBranchFree(acc[j], multipliers[j], shifts[j])
        output[j] = clampToS8(scaled, zeroPoint: outputZeroPoint, min: activationMin, max: activationMax)
    }
}

/// Conv produces four channels per pixel (`Accumulators4`), too few for the vectorizer. This
/// gathers the four-channel accumulators of up to 8 consecutive pixels of one channel block, with
/// the block's constants repeated per pixel, and requantizes all 32 in one `requantizeBlockS8`
/// call, then scatters the bytes. The scratch lives on the caller's stack.
struct PendingRequantization {
    /// Pixels gathered before a flush: 8 pixels × 4 lanes = 32 values (`channelBlock`).
    static let pixels = 8
    let acc: UnsafeMutablePointer<Int32>
    let bias: UnsafeMutablePointer<Int32>
    let multipliers: UnsafeMutablePointer<Int32>
    let shifts: UnsafeMutablePointer<Int32>
    let bytes: UnsafeMutablePointer<Int8>
    let output: UnsafeMutablePointer<Int8>
    /// Output distance between consecutive pixels (the channel count).
    let stride: Int
    let outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32
    var channel = 0, lanes = 4
    var firstPixel = 0, count = 0

    /// Starts channel block [channel, channel + lanes). Lanes past the last channel repeat its
    /// constants: they are requantized (the kernel computes them too) but never stored.
    @inline(__always)
    mutating func startBlock(channel: Int, lanes: Int, bias channelBias: UnsafePointer<Int32>?,
                             multipliers channelMultipliers: UnsafePointer<Int32>,
                             shifts channelShifts: UnsafePointer<Int32>) {
        self.channel = channel
        self.lanes = lanes
        for k in 0..<(Self.pixels * 4) {
            let c = channel + Swift.min(k & 3, lanes - 1)
            bias[k] = channelBias?[c] ?? 0
            multipliers[k] = channelMultipliers[c]
            shifts[k] = channelShifts[c]
        }
    }

    /// Queues the accumulators of `pixel`; pixels arrive consecutively within a block.
    @inline(__always)
    mutating func append(_ a: Accumulators4, pixel: Int) {
        if count == 0 { firstPixel = pixel }
        let slot = acc + count * 4
        slot[0] = a.lane0; slot[1] = a.lane1; slot[2] = a.lane2; slot[3] = a.lane3
        count += 1
        if count == Self.pixels { flush() }
    }

    /// Requantizes the queued pixels and stores their `lanes` channels.
    @inline(__always)
    mutating func flush() {
        if count == 0 { return }
        requantizeBlockS8(acc, count: count * 4, bias: bias, multipliers: multipliers, shifts: shifts,
                          outputZeroPoint: outputZeroPoint, activationMin: activationMin,
                          activationMax: activationMax, output: bytes)
        var out = output + firstPixel * stride + channel
        if lanes == 4 {
            for k in 0..<count {
                UnsafeMutableRawPointer(out).storeBytes(
                    of: UnsafeRawPointer(bytes + k * 4).loadUnaligned(as: UInt32.self), as: UInt32.self)
                out += stride
            }
        } else {
            for k in 0..<count {
                for lane in 0..<lanes { out[lane] = bytes[k * 4 + lane] }
                out += stride
            }
        }
        count = 0
    }
}

/// Runs `body` with a `PendingRequantization` whose scratch is on the stack.
@inline(__always)
func withPendingRequantization(output: UnsafeMutablePointer<Int8>, stride: Int, outputZeroPoint: Int32,
                               activationMin: Int32, activationMax: Int32,
                               _ body: (inout PendingRequantization) -> Void) {
    withChannelAccumulators { acc in
    withChannelAccumulators { bias in
    withChannelAccumulators { multipliers in
    withChannelAccumulators { shifts in
    withChannelAccumulators { byteStorage in
        // 128 bytes of stack, the first 32 used for the int8 results.
        let bytes = UnsafeMutableRawPointer(byteStorage).bindMemory(to: Int8.self, capacity: 4 * channelBlock)
        var pending = PendingRequantization(acc: acc, bias: bias, multipliers: multipliers, shifts: shifts,
                                            bytes: bytes, output: output, stride: stride,
                                            outputZeroPoint: outputZeroPoint, activationMin: activationMin,
                                            activationMax: activationMax)
        body(&pending)
    }
    }
    }
    }
    }
}
