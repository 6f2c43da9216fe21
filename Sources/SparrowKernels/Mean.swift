/// Prepare-time helper for `meanHWS8`.
public enum MeanHW {
    /// The multiplier folds the 1/count of the mean into the rescale: it encodes
    /// inputScale / (outputScale · count), so the kernel rounds once (TFLite's int8 Mean
    /// instead rescales by inputScale/outputScale and then divides by count, rounding twice).
    public static func prepare(inputScale: Double, outputScale: Double, count: Int) -> (multiplier: Int32, shift: Int32) {
        quantizeMultiplier(inputScale / (outputScale * Double(max(count, 1))))
    }
}

/// Mean over H and W (global average pool, ReduceMean over axes H, W): output `[n, 1, 1, c]`,
/// output = clamp(MBQM(Σ (x − zx), multiplier, shift) + zo, −128, 127) with multiplier/shift
/// from `MeanHW.prepare`. Precondition: h·w ≤ maxMeanElementCount.
/// On arm the sums run on NEON, 16 channels per vector (`meanHWS8Neon`, Mean+Neon.swift); the
/// portable loop below is its twin.
public func meanHWS8(input: UnsafePointer<Int8>, inputShape: Shape4, inputZeroPoint: Int32, outputZeroPoint: Int32,
                     multiplier: Int32, shift: Int32, output: UnsafeMutablePointer<Int8>) {
#if arch(arm64) || arch(arm)
    meanHWS8Neon(input: input, inputShape: inputShape, inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                 multiplier: multiplier, shift: shift, output: output)
#else
    meanHWS8Scalar(input: input, inputShape: inputShape, inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                   multiplier: multiplier, shift: shift, output: output)
#endif
}

/// The portable twin of `meanHWS8` (its oracle in the batteries), channel blocks of 32.
public func meanHWS8Scalar(input: UnsafePointer<Int8>, inputShape: Shape4, inputZeroPoint: Int32, outputZeroPoint: Int32,
                           multiplier: Int32, shift: Int32, output: UnsafeMutablePointer<Int8>) {
    let spatial = inputShape.h * inputShape.w
    let depth = inputShape.c
    withChannelAccumulators { sums in
        for b in 0..<inputShape.n {
            let image = input + b * spatial * depth
            let out = output + b * depth
            var blockStart = 0
            while blockStart < depth {
                let blockCount = min(channelBlock, depth - blockStart)
                for j in 0..<blockCount { sums[j] = 0 }
                for s in 0..<spatial {
                    let x = image + s * depth + blockStart
                    for j in 0..<blockCount {
                        // spatial ≤ maxMeanElementCount terms of |x − zx| ≤ 255: |sum| < 2^31.
                        sums[j] &+= Int32(x[j]) &- inputZeroPoint
                    }
                }
                for j in 0..<blockCount {
                    let scaled = multiplyByQuantizedMultiplier(sums[j], multiplier, shift)
                    out[blockStart + j] = clampToS8(scaled, zeroPoint: outputZeroPoint, min: -128, max: 127)
                }
                blockStart += blockCount
            }
        }
    }
}
