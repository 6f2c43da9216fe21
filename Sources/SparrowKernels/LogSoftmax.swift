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
/// round(ln 2 · 2^30).
let ln2Q30: Int64 = 744_261_118

/// ln(1 + f) · 2^30 for f = fQ31 / 2^31 ∈ [0, 1), by linear interpolation in the 65-point table:
/// the error is below (1/64)²/8 < 2^−15, far under the output step of 1/16.
@inline(__always)
func log1pQ30(_ fQ31: Int32) -> Int64 {
    let index = Int(fQ31 >> 25)                         // 0 … 63
    let fraction = Int64(fQ31 & ((1 << 25) - 1))       // position between entries, / 2^25
    return withUnsafeBytes(of: log1pTableQ30) { raw -> Int64 in
        let t = raw.bindMemory(to: Int32.self)
        let lower = Int64(t[index]), upper = Int64(t[index + 1])
        // (upper − lower) < 2^25 and fraction < 2^25: the product is < 2^50.
        return lower + (((upper - lower) * fraction) >> 25)
    }
}

/// int8 log-softmax over rows of `depth` values (`outer` rows), output scale 16/256, zero point
/// 127. Same parameters as softmax (β·s in Q(5), diffMin). Precondition: depth ≤ softmaxMaxDepth.
public func logSoftmaxS8(_ p: SoftmaxParams, input: UnsafePointer<Int8>, outer: Int, depth: Int,
                         output: UnsafeMutablePointer<Int8>) {
    for row in 0..<outer {
        let x = input + row * depth
        let out = output + row * depth
        var maxValue = Int8.min
        for i in 0..<depth { maxValue = max(maxValue, x[i]) }
        let maxInRow = Int32(maxValue)

        // sum = 2^bitsOverUnit · (1 + f), f ∈ [0, 1), sum ≥ 1 (softmaxS8's normalization), so
        // ln sum = bitsOverUnit · ln 2 + ln(1 + f) ∈ [0, ln 65536 ≈ 11.1], in Q(30) within Int64.
        let (sumOfExps, sumIntegerBits) = softmaxRowSum(p, x, depth: depth, maxInRow: maxInRow)
        let headroomPlusOne = Int32(UInt32(bitPattern: sumOfExps).leadingZeroBitCount)
        let bitsOverUnit = Int64(sumIntegerBits - headroomPlusOne)
        let f = Int32(bitPattern: (UInt32(bitPattern: sumOfExps) &<< UInt32(headroomPlusOne)) &- (UInt32(1) << 31))
        let logSumQ30 = bitsOverUnit * ln2Q30 + log1pQ30(f)

        for i in 0..<depth {
            let difference = Int32(x[i]) &- maxInRow
            guard difference >= p.diffMin else {
                out[i] = -128          // d < −31: far below the lowest code (−15.94)
                continue
            }
            // d in Q(5) (raw / 2^26, ≥ −32); d − ln sum in units of 2^−30: |value| < 2^36.
            let rescaled = Int64(multiplyByQuantizedMultiplier(difference, p.inputMultiplier, p.inputShift))
            let logProbabilityQ30 = (rescaled << 4) - logSumQ30
            // · 16 (the output step) → units of 2^−26; round half up.
            let steps = (logProbabilityQ30 + (1 << 25)) >> 26
            let code = Int64(logSoftmaxOutputZeroPoint) + steps
            out[i] = Int8(min(max(code, -128), 127))
        }
    }
}
