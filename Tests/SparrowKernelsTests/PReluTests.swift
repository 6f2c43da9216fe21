import Testing
import SparrowKernels

/// PRelu against the float definition, requantized: y = round(x_real / s_out) + z_out with
/// x_real = (x − zx)·s_in for x >= zx and alpha[c]·(x − zx)·s_in below. Fixed-point rounding
/// of the rescale may differ from exact rounding by at most one step; exact cases are hand-derived.
@Suite struct PReluTests {
    func run(_ p: PReluParams, _ x: [Int8], alpha: [Int8]) -> [Int8] {
        var y = [Int8](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            alpha.withUnsafeBufferPointer { ap in
                y.withUnsafeMutableBufferPointer { yp in
                    preluS8(p, input: xp.baseAddress!, count: x.count, alpha: ap.baseAddress!, alphaCount: alpha.count,
                            output: yp.baseAddress!)
                }
            }
        }
        return y
    }

    @Test func handDerivedUnitScales() {
        // s_in = s_out = 1, zero points 0, alpha codes on scale 1/4: alpha = (1, 0.5, -0.25).
        let p = PReluParams.prepare(inputScale: 1, inputZeroPoint: 0, alphaScale: 0.25, outputScale: 1, outputZeroPoint: 0)
        let x: [Int8] = [5, -8, -8, 0, -3, 12, -128, 127, -100]
        let alpha: [Int8] = [4, 2, -1]
        // channel 0: x, -8·1 = -8 (alpha 1), ... laid out c = i % 3.
        // i0 c0 5 → 5; i1 c1 -8·0.5 → -4; i2 c2 -8·-0.25 → 2; i3 c0 0 → 0; i4 c1 -3·0.5 = -1.5 → -2
        // (RoundingDivideByPOT rounds ties away from zero);
        // i5 c2 12 → 12; i6 c0 -128·1 → -128; i7 c1 127 → 127; i8 c2 -100·-0.25 → 25.
        #expect(run(p, x, alpha: alpha) == [5, -4, 2, 0, -2, 12, -128, 127, 25])
    }

    @Test func matchesFloatWithinOneStep() {
        var seed: UInt32 = 7
        func next() -> Int32 { seed = seed &* 1664525 &+ 1013904223; return Int32(seed >> 24) - 128 }
        for (sIn, zIn, sOut, zOut, sA) in [(0.05, -3, 0.04, 10, 0.01), (0.2, 100, 0.11, -128, 0.003), (0.01, 0, 0.5, 0, 0.02)]
            as [(Double, Int32, Double, Int32, Double)] {
            let p = PReluParams.prepare(inputScale: sIn, inputZeroPoint: zIn, alphaScale: sA, outputScale: sOut,
                                        outputZeroPoint: zOut)
            let alpha = (0..<5).map { _ in Int8(max(next(), -127)) }
            let x = (0..<200).map { _ in Int8(next()) }
            let y = run(p, x, alpha: alpha)
            for i in x.indices {
                let real = Double(Int32(x[i]) - zIn) * sIn
                let a = Double(alpha[i % 5]) * sA
                let expected = min(max((real >= 0 ? real : a * real) / sOut + Double(zOut), -128), 127)
                // Rounding to the nearest step (0.5) plus the fixed-point rescale's own error (< 0.5 step).
                #expect(abs(Double(y[i]) - expected) <= 1, "i \(i) x \(x[i]) alpha \(alpha[i % 5]) y \(y[i]) expected \(expected)")
            }
        }
    }
}
