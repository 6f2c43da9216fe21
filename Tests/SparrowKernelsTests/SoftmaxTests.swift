import Foundation
import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct SoftmaxTests {
    // Rows above 4095 exercise the widened (carry, low) sum that TFLite's Q(12) sum cannot hold.
    @Test(arguments: [1, 2, 5, 10, 33, 100, 1000, 4095, 4096, 6625, 65536], [0.02, 0.0625, 0.1, 0.25])
    func matchesFloatReference(_ depth: Int, _ inputScale: Double) {
        var rng = SplitMix64(seed: UInt64(depth) * 13 + UInt64(inputScale * 1000))
        let outer = 3
        for beta in [1.0, 0.5] {
            let zx = Int32(rng.int(-128...127))
            // Row 0 random, row 1 narrow range (many near-max), row 2 one dominant value.
            var x = rng.int8s(depth)
            x += rng.int8s(depth, 90...100)
            var dominant = rng.int8s(depth, -128...(-60)); dominant[depth / 2] = 127
            x += dominant
            var expected = [Int32]()
            for r in 0..<outer {
                let row = x[(r * depth)..<((r + 1) * depth)].map { Double(Int32($0) - zx) * inputScale * beta }
                let maxValue = row.max()!
                let exps = row.map { Foundation.exp($0 - maxValue) }
                let total = exps.reduce(0, +)
                expected += exps.map { quantizeReference($0 / total, scale: 1.0 / 256, zeroPoint: -128) }
            }
            let p = SoftmaxParams.prepare(inputScale: inputScale, beta: beta)
            var out = [Int8](repeating: 0, count: x.count)
            softmaxS8(p, input: x, outer: outer, depth: depth, output: &out)
            expectClose(out, expected, "softmax depth \(depth) scale \(inputScale) beta \(beta)")
        }
    }

    @Test func handDerivedUniformRow() {
        // Four equal inputs: each probability 1/4 → 64/256 → 64 − 128 = −64. One input: 1 → 127 (clamped 128).
        let p = SoftmaxParams.prepare(inputScale: 0.1, beta: 1)
        var out = [Int8](repeating: 0, count: 5)
        softmaxS8(p, input: [7, 7, 7, 7], outer: 1, depth: 4, output: &out)
        softmaxS8(p, input: [-50], outer: 1, depth: 1, output: out.withUnsafeMutableBufferPointer { $0.baseAddress! + 4 })
        #expect(out == [-64, -64, -64, -64, 127])
    }

    /// Input scales so large that β·s·2^26 passes 2^30 (mutate_convert.py: a softmax calibrated
    /// on samples of 1e4+ made the converter write shift 31, which the verifier rejects). The
    /// multiplier is capped to a shift of 30 and the row is still the float softmax: every
    /// non-maximal input is e^−(≥ 16) ≈ 0, the maxima share the probability.
    @Test(arguments: [16.0, 100.0, 1e6, 1e30])
    func hugeInputScaleKeepsTheShiftInRangeAndTheResult(_ inputScale: Double) {
        let p = SoftmaxParams.prepare(inputScale: inputScale, beta: 1)
        #expect(p.inputShift <= 30)
        #expect(p.inputMultiplier >= 1 << 30)
        var out = [Int8](repeating: 0, count: 4)
        softmaxS8(p, input: [5, 3, 5, -1], outer: 1, depth: 4, output: &out)
        // Two maxima at 1/2 each: 128/256 → code 0; the others 0 → −128.
        #expect(out == [0, -128, 0, -128])
        softmaxS8(p, input: [-7, -8, -128, 127], outer: 1, depth: 4, output: &out)
        #expect(out == [-128, -128, -128, 127])
    }

    @Test func fixedPointConstantsMatchTheirDefinitions() {
        // Each constant is round(value · 2^31) (Q0) or round(value · 2^29) (Q2).
        func q(_ v: Double, _ fractionalBits: Int) -> Int32 { Int32((v * pow2(fractionalBits)).rounded()) }
        #expect(expMinusOneEighthQ0 == q(Foundation.exp(-0.125), 31))
        #expect(oneThirdQ0 == q(1.0 / 3, 31))
        let c = expMinusPowerOfTwoQ0
        #expect([c.0, c.1, c.2, c.3, c.4, c.5, c.6] == [-0.25, -0.5, -1, -2, -4, -8, -16].map { q(Foundation.exp($0), 31) })
    }

    @Test func fixedPointExpAndReciprocal() {
        // e^a over Q(5) inputs in [−31, 0] vs Foundation.exp, within 2^−20 absolute.
        var a = 0.0
        while a > -31 {
            let raw = Int32((a * pow2(26)).rounded())
            let got = Double(expOnNegativeValuesQ5(raw)) / pow2(31)
            #expect(abs(got - Foundation.exp(Double(raw) / pow2(26))) < pow2(-20), "exp(\(a))")
            a -= 0.0371
        }
        // 1/(1 + x) for x in [0, 1).
        for i in 0..<100 {
            let x = Double(i) / 100
            let got = Double(reciprocalOfOnePlusQ0(Int32(x * pow2(31)))) / pow2(31)
            #expect(abs(got - 1 / (1 + x)) < pow2(-24), "1/(1+\(x))")
        }
    }
}
