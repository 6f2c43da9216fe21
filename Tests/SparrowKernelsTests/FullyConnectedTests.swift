import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct FullyConnectedTests {
    @Test(arguments: [(1, 1, 1, Int32(0)), (1, 17, 5, Int32(-128)), (3, 64, 10, Int32(127)), (2, 300, 33, Int32(9))])
    func matchesFloatReference(_ batches: Int, _ inputDepth: Int, _ outputDepth: Int, _ zx: Int32) {
        var rng = SplitMix64(seed: UInt64(inputDepth * 31 + outputDepth))
        let x = rng.int8s(batches * inputDepth)
        let w = rng.int8s(outputDepth * inputDepth, -127...127)
        let bias = (0..<outputDepth).map { _ in Int32(rng.int(-5000...5000)) }
        let inScale = rng.double(0.01, 0.1)
        let wScales = (0..<outputDepth).map { _ in rng.double(0.001, 0.02) }
        var reals = [Double]()
        for b in 0..<batches {
            for o in 0..<outputDepth {
                var sum = Double(bias[o]) * inScale * wScales[o]
                for i in 0..<inputDepth {
                    sum += Double(Int32(x[b * inputDepth + i]) - zx) * inScale * Double(w[o * inputDepth + i]) * wScales[o]
                }
                reals.append(sum)
            }
        }
        let (outScale, outZp) = outputQuantization(for: reals)
        for relu in [false, true] {
            let actMin: Int32 = relu ? outZp : -128
            let expected = reals.map { quantizeReference($0, scale: outScale, zeroPoint: outZp, min: actMin) }
            let q = wScales.map { quantizeMultiplier(inScale * $0 / outScale) }
            var out = [Int8](repeating: 0, count: batches * outputDepth)
            fullyConnectedS8(FullyConnectedParams(inputZeroPoint: zx, outputZeroPoint: outZp, activationMin: actMin),
                             input: x, batches: batches, inputDepth: inputDepth, weights: w, bias: bias,
                             outputDepth: outputDepth, multipliers: q.map(\.multiplier), shifts: q.map(\.shift),
                             output: &out)
            expectClose(out, expected, "fc b\(batches) in\(inputDepth) out\(outputDepth) zx\(zx) relu \(relu)")
        }
    }
}

/// LiteRT's FULLY_CONNECTED rounds once: x·m·2^(shift−31) to nearest, ties toward +∞.
/// Hand-derived: with m = 2^30, shift 0 the real multiplier is 1/2.
@Suite struct SingleRoundingTests {
    @Test func oneRoundingTiesUpward() {
        let half: Int32 = 1 << 30
        #expect(multiplyByQuantizedMultiplierSingleRounding(3, half, 0) == 2)     // 1.5 → 2
        #expect(multiplyByQuantizedMultiplierSingleRounding(-3, half, 0) == -1)   // −1.5 → −1
        // 5/4 = 1.25: one rounding gives 1; gemmlowp rounds 5/2 to 3 first, then 3/2 to 2.
        #expect(multiplyByQuantizedMultiplierSingleRounding(5, half, -1) == 1)
        #expect(multiplyByQuantizedMultiplier(5, half, -1) == 2)
        #expect(multiplyByQuantizedMultiplierSingleRounding(-5, half, -1) == -1)  // −1.25 → −1
        #expect(multiplyByQuantizedMultiplierSingleRounding(7, half, 2) == 14)    // 7·2 = 14 exactly
        #expect(multiplyByQuantizedMultiplierSingleRounding(Int32.max, Int32.max, 30) == Int32.max)  // saturates
    }

    /// The 32-bit-halves implementation against the 64-bit formula, on seeded random operands
    /// over the whole shift range.
    @Test func matchesTheInt64Formula() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        for i in 0..<200_000 {
            let x = Int32(truncatingIfNeeded: next())
            let m = Int32(truncatingIfNeeded: next())
            let shift = Int32(i % 62) - 31
            let total = Int64(31 - shift)
            let exact = (Int64(x) * Int64(m) + (Int64(1) << (total - 1))) >> total
            let want = Int32(min(max(exact, Int64(Int32.min)), Int64(Int32.max)))
            let got = multiplyByQuantizedMultiplierSingleRounding(x, m, shift)
            if got != want {
                Issue.record("x \(x) m \(m) shift \(shift): \(got), want \(want)")
                return
            }
        }
    }

    @Test func fullyConnectedUsesTheFlag() {
        // One input code 1 (zero point 0), weights 5 and −5, multiplier 1/4: outputs ±1.25.
        let input: [Int8] = [1], weights: [Int8] = [5, -5]
        let multipliers: [Int32] = [1 << 30, 1 << 30], shifts: [Int32] = [-1, -1]
        func run(single: Bool) -> [Int8] {
            var out = [Int8](repeating: 0, count: 2)
            fullyConnectedS8(FullyConnectedParams(inputZeroPoint: 0, outputZeroPoint: 0, singleRounding: single),
                             input: input, batches: 1, inputDepth: 1, weights: weights, bias: nil, outputDepth: 2,
                             multipliers: multipliers, shifts: shifts, output: &out)
            return out
        }
        #expect(run(single: true) == [1, -1])
        #expect(run(single: false) == [2, -1])   // gemmlowp: 5/2 → 3, 3/2 → 2
    }
}
