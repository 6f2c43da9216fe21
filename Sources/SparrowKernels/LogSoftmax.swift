// int8 log-softmax along the innermost axis, integer only: log p_i = d_i − ln Σ_j e^(d_j) with
// d = β·s·(x − max) ≤ 0. The sum of exps is softmax's (`softmaxRowSum`, exact up to 65,536
// terms); its logarithm comes from the exponent and a 65-point table of ln(1 + f).
//
// Output scale 16/256 and zero point 127, TFLite's fixed int8 LOG_SOFTMAX quantization: codes
// −128…127 cover [−255/16, 0] = [−15.94, 0] in steps of 1/16; anything below saturates to −128.
// The arithmetic is Sparrow's own (not LiteRT's bit for bit); its reference is the float log-softmax.

/// Zero point of every LogSoftmax output (scale logSoftmaxOutputScale).
public let logSoftmaxOutputZeroPoint: Int32 = 127
/// 16/256: log-probabilities down to −15.94 in steps of 1/16.
public let logSoftmaxOutputScale: Float = 16.0 / 256.0

/// round(ln(1 + k/64) · 2^30), k = 0 … 64.
let log1pTableQ30: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                    Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32) =
    (0, 16_647_494, 33_040_817, 49_187_615, 65_095_192,
     80_770_534, 96_220_323, 111_450_959, 126_468_572, 141_279_038,
     155_887_996, 170_300_854, 184_522_808, 198_558_849, 212_413_774,
     226_092_199, 239_598_564, 252_937_143, 266_112_055, 279_127_266,
     291_986_604, 304_693_756, 317_252_283, 329_665_621, 341_937_090,
     354_069_895, 366_067_135, 377_931_807, 389_666_807, 401_274_940,
     412_758_919, 424_121_372, 435_364_845, 446_491_803, 457_504_636,
     468_405_662, 479_197_128, 489_881_214, 500_460_037, 510_935_650,
     521_310_048, 531_585_167, 541_762_891, 551_845_048, 561_833_416,
     571_729_724, 581_535_654, 591_252_841, 600_882_877, 610_427_311,
     619_887_653, 629_265_371, 638_561_895, 647_778_619, 656_916_903,
     665_978_069, 674_963_409, 683_874_180, 692_711_611, 701_476_899,
     710_171_213, 718_795_691, 727_351_448, 735_839_570, 744_261_118)
/// round(ln 2 · 2^22).
let ln2Q22: Int32 = 2_907_270

/// ln(1 + f) · 2^22 for f = fQ31 / 2^31 ∈ [0, 1), by linear interpolation in the 65-point table
/// (entries taken to Q(22)): the error is below (1/64)²/8 + 2^−21 < 2^−14, far under the output
/// step of 1/16. Int32 only (armv7 Embedded builds avoid Int64 arithmetic).
@inline(__always)
func log1pQ22(_ fQ31: Int32) -> Int32 {
    let index = Int(fQ31 >> 25)                         // 0 … 63
    let fraction = (fQ31 & ((1 << 25) - 1)) >> 10       // position between entries, / 2^15
    return withUnsafeBytes(of: log1pTableQ30) { raw -> Int32 in
        let t = raw.bindMemory(to: Int32.self)
        let lower = t[index] >> 8, step = (t[index + 1] >> 8) - lower
        // step ≤ 65,030 < 2^16 and fraction < 2^15: the product is < 2^31.
        return lower + ((step * fraction) >> 15)
    }
}

/// Differences whose rescaled value is below −17 give log-probabilities below −17, under the
/// lowest output code (−15.94): they saturate, and their exps (< 2^−24 each) are left out of the
/// sum as softmax leaves its small terms out. This bound also keeps every rescaled difference
/// within ±17·2^26 (no saturation in the Q(5) rescale).
let logSoftmaxDiffFloor = 17.0

extension SoftmaxParams {
    /// Prepare-time for LogSoftmax: softmax's β·s multiplier, with diffMin at the differences
    /// that can still produce an output above the lowest code (at most 255).
    public static func prepareLogSoftmax(inputScale: Double, beta: Double) -> SoftmaxParams {
        var p = prepare(inputScale: inputScale, beta: beta)
        let radius = (logSoftmaxDiffFloor / (beta * inputScale)).rounded(.down)
        p.diffMin = -Int32(min(max(radius, 0), 255))
        return p
    }
}

/// int8 log-softmax over rows of `depth` values (`outer` rows), output scale 16/256, zero point
/// 127. Parameters from `SoftmaxParams.prepareLogSoftmax` (β·s in Q(5), diffMin). Precondition:
/// depth ≤ softmaxMaxDepth.
public func logSoftmaxS8(_ p: SoftmaxParams, input: UnsafePointer<Int8>, outer: Int, depth: Int,
                         output: UnsafeMutablePointer<Int8>) {
    for row in 0..<outer {
        let x = input + row * depth
        let out = output + row * depth
        // sum = 2^bitsOverUnit · (1 + f), f ∈ [0, 1), sum ≥ 1 (softmaxS8's normalization), so
        // ln sum = bitsOverUnit · ln 2 + ln(1 + f) ∈ [0, ln 65536 ≈ 11.1], in Q(22) units.
        let (maxInRow, bitsOverUnit, f) = softmaxRowNormalizedSum(p, x, depth: depth)
        let logSumQ22 = bitsOverUnit * ln2Q22 + log1pQ22(f)

        for i in 0..<depth {
            let difference = Int32(x[i]) &- maxInRow
            guard difference >= p.diffMin else {
                out[i] = -128          // below the lowest code
                continue
            }
            // d ∈ [−17, 0] in Q(5) (raw / 2^26), to units of 2^−22; d − ln sum > −29·2^22.
            let d = roundingDivideByPOT(multiplyByQuantizedMultiplier(difference, p.inputMultiplier, p.inputShift), 4)
            let logProbability = d - logSumQ22
            // · 16 (the output step) = / 2^18 in these units; round half up.
            let steps = (logProbability + (1 << 17)) >> 18
            out[i] = Int8(min(max(logSoftmaxOutputZeroPoint + steps, -128), 127))
        }
    }
}
