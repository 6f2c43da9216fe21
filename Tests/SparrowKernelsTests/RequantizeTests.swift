import Testing
@testable import SparrowKernels
import SparrowTestSupport

// Expected values are derived by hand from the definitions in Docs/quantization.md:
// SRDHM(a, b) = floor((a·b + 2^30) / 2^31) (saturating min·min), RDBPOT rounds half away from 0.

@Suite struct SaturatingRoundingDoublingHighMulTests {
    @Test func saturatesOnlyMinTimesMin() {
        // (−2^31)·(−2^31)/2^31 = 2^31, not representable → Int32.max.
        #expect(saturatingRoundingDoublingHighMul(Int32.min, Int32.min) == Int32.max)
        // (−2^31)·(2^31−1)/2^31 = −(2^31−1) exactly.
        #expect(saturatingRoundingDoublingHighMul(Int32.min, Int32.max) == -2_147_483_647)
        // (−2^31)·2^30/2^31 = −2^30 exactly.
        #expect(saturatingRoundingDoublingHighMul(Int32.min, 1 << 30) == -(1 << 30))
    }

    @Test func exactAndNearMaxProducts() {
        // 2^30·2^30/2^31 = 2^29 exactly (0.5 · 0.5 = 0.25 in Q31).
        #expect(saturatingRoundingDoublingHighMul(1 << 30, 1 << 30) == 1 << 29)
        // (2^31−1)²/2^31 = 2^31 − 2 + 2^−31 → 2^31 − 2.
        #expect(saturatingRoundingDoublingHighMul(Int32.max, Int32.max) == 2_147_483_646)
        // 5 · 0.75 = 3.75 → 4  (b = 3·2^29 is 0.75).
        #expect(saturatingRoundingDoublingHighMul(5, 3 << 29) == 4)
        // −5 · 0.75 = −3.75 → −4.
        #expect(saturatingRoundingDoublingHighMul(-5, 3 << 29) == -4)
    }

    @Test func tiesRoundTowardPositiveInfinity() {
        // 1 · 0.5 = 0.5: (2^30 + 2^30)/2^31 = 1.
        #expect(saturatingRoundingDoublingHighMul(1, 1 << 30) == 1)
        // −1 · 0.5 = −0.5: nudge 1 − 2^30, (−2^30 + 1 − 2^30)/2^31 = −1 + 2^−31 truncates to 0.
        #expect(saturatingRoundingDoublingHighMul(-1, 1 << 30) == 0)
        // −3 · 0.5 = −1.5: (−3·2^30 + 1 − 2^30)/2^31 = −2 + 2^−31 truncates to −1.
        #expect(saturatingRoundingDoublingHighMul(-3, 1 << 30) == -1)
        // 3 · 0.5 = 1.5: (3·2^30 + 2^30)/2^31 = 2.
        #expect(saturatingRoundingDoublingHighMul(3, 1 << 30) == 2)
    }

    @Test func matchesInt64FormulaOnRandomValues() {
        // Independent check against the gemmlowp formula written with Int64 on the host.
        var rng = SplitMix64(seed: 1)
        for _ in 0..<20_000 {
            let a = Int32(truncatingIfNeeded: rng.next()), b = Int32(truncatingIfNeeded: rng.next())
            if a == Int32.min && b == Int32.min { continue }
            let ab = Int64(a) * Int64(b)
            let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
            #expect(saturatingRoundingDoublingHighMul(a, b) == Int32((ab + nudge) / (1 << 31)))
        }
    }
}

@Suite struct RoundingDivideByPOTTests {
    @Test func tiesRoundAwayFromZero() {
        #expect(roundingDivideByPOT(5, 1) == 3)     // 2.5 → 3
        #expect(roundingDivideByPOT(-5, 1) == -3)   // −2.5 → −3
        #expect(roundingDivideByPOT(6, 2) == 2)     // 1.5 → 2
        #expect(roundingDivideByPOT(-6, 2) == -2)   // −1.5 → −2
        #expect(roundingDivideByPOT(-2, 2) == -1)   // −0.5 → −1
        #expect(roundingDivideByPOT(2, 2) == 1)     // 0.5 → 1
    }

    @Test func nonTies() {
        #expect(roundingDivideByPOT(7, 2) == 2)     // 1.75 → 2
        #expect(roundingDivideByPOT(-7, 2) == -2)   // −1.75 → −2
        #expect(roundingDivideByPOT(5, 2) == 1)     // 1.25 → 1
        #expect(roundingDivideByPOT(-5, 2) == -1)   // −1.25 → −1
        #expect(roundingDivideByPOT(1234, 0) == 1234)  // exponent 0 is the identity
    }

    @Test func exponent31And32() {
        #expect(roundingDivideByPOT(Int32.max, 31) == 1)     // (2^31 − 1)/2^31 ≈ 0.99999 → 1
        #expect(roundingDivideByPOT(Int32.min, 31) == -1)    // −2^31/2^31 = −1 exactly
        #expect(roundingDivideByPOT(1 << 30, 31) == 1)       // 0.5 → 1
        #expect(roundingDivideByPOT(-(1 << 30), 31) == -1)   // −0.5 → −1
        #expect(roundingDivideByPOT((1 << 30) - 1, 31) == 0) // just under 0.5 → 0
        #expect(roundingDivideByPOT(Int32.min, 32) == -1)    // −0.5 → −1
        #expect(roundingDivideByPOT(Int32.max, 32) == 0)     // just under 0.5 → 0
        #expect(roundingDivideByPOT(-1, 40) == 0)
    }
}

@Suite struct MultiplyByQuantizedMultiplierTests {
    @Test func halfMultiplier() {
        #expect(multiplyByQuantizedMultiplier(100, 1 << 30, 0) == 50)   // 100·0.5
        #expect(multiplyByQuantizedMultiplier(101, 1 << 30, 0) == 51)   // 50.5, SRDHM tie up
        #expect(multiplyByQuantizedMultiplier(-101, 1 << 30, 0) == -50) // −50.5, SRDHM tie toward +∞
    }

    @Test func doubleRounding() {
        // 5·0.25: SRDHM(5, 2^30) = 3 (2.5 up), then RDBPOT(3, 1) = 2 (1.5 away); exact 1.25.
        #expect(multiplyByQuantizedMultiplier(5, 1 << 30, -1) == 2)
        // −101·0.25: SRDHM = −50 (−50.5 up), RDBPOT(−50, 1) = −25.
        #expect(multiplyByQuantizedMultiplier(-101, 1 << 30, -1) == -25)
        // −3·0.25: SRDHM = −1 (−1.5 up), RDBPOT(−1, 1) = −1 (−0.5 away).
        #expect(multiplyByQuantizedMultiplier(-3, 1 << 30, -1) == -1)
    }

    @Test func shiftExtremes() {
        // shift −31: SRDHM(max, max) = 2^31 − 2, /2^31 ≈ 0.99999 → 1.
        #expect(multiplyByQuantizedMultiplier(Int32.max, Int32.max, -31) == 1)
        // SRDHM(2^30, 2^30) = 2^29, /2^31 = 0.25 → 0.
        #expect(multiplyByQuantizedMultiplier(1 << 30, 1 << 30, -31) == 0)
        // shift +30: 1·2^30 = 2^30; SRDHM(2^30, 2^30) = 2^29.
        #expect(multiplyByQuantizedMultiplier(1, 1 << 30, 30) == 1 << 29)
        // −1·2^30; SRDHM(−2^30, 2^30) = −2^29 exactly.
        #expect(multiplyByQuantizedMultiplier(-1, 1 << 30, 30) == -(1 << 29))
        // 2·2^30 overflows: saturates to 2^31 − 1; SRDHM(2^31 − 1, 2^30) = 2^30 − 0.5 → 2^30 (tie up).
        #expect(multiplyByQuantizedMultiplier(2, 1 << 30, 30) == 1 << 30)
        // −2·2^30 = −2^31 fits; SRDHM(−2^31, 2^30) = −2^30.
        #expect(multiplyByQuantizedMultiplier(-2, 1 << 30, 30) == -(1 << 30))
    }

    @Test func multiplierNearOne() {
        // m = 2^31 − 1 is 1 − 2^−31: 1000 − 1000·2^−31 → 1000, and symmetric.
        #expect(multiplyByQuantizedMultiplier(1000, Int32.max, 0) == 1000)
        #expect(multiplyByQuantizedMultiplier(-1000, Int32.max, 0) == -1000)
        #expect(multiplyByQuantizedMultiplier(Int32.max, Int32.max, 0) == 2_147_483_646)
        // INT32_MIN·INT32_MIN saturation reaches through.
        #expect(multiplyByQuantizedMultiplier(Int32.min, Int32.min, 0) == Int32.max)
        // Zero multiplier (from quantizeMultiplier(0)) gives 0.
        #expect(multiplyByQuantizedMultiplier(123_456, 0, 0) == 0)
    }

    @Test func approximatesRealMultiplication() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<5_000 {
            let real = rng.double(1e-5, 4)
            let (m, s) = quantizeMultiplier(real)
            let x = Int32(rng.int(-1_000_000...1_000_000))
            let exact = Double(x) * Double(m) * pow2(Int(s) - 31)
            #expect(abs(Double(multiplyByQuantizedMultiplier(x, m, s)) - exact) <= 1.0)
        }
    }
}

@Suite struct QuantizeMultiplierTests {
    @Test func powersOfTwo() {
        #expect(quantizeMultiplier(0.5) == (1 << 30, 0))    // 0.5 = 0.5·2^0
        #expect(quantizeMultiplier(0.25) == (1 << 30, -1))  // 0.5·2^−1
        #expect(quantizeMultiplier(1.0) == (1 << 30, 1))    // 0.5·2^1
        #expect(quantizeMultiplier(1024) == (1 << 30, 11))  // 0.5·2^11
        #expect(quantizeMultiplier(0) == (0, 0))
        #expect(quantizeMultiplier(-0.5) == (-(1 << 30), 0))
    }

    @Test func roundingAndCarry() {
        // 0.75 = 0.75·2^0 → 0.75·2^31 = 3·2^29.
        #expect(quantizeMultiplier(0.75) == (1_610_612_736, 0))
        // 1/3 = (2/3)·2^−1 → round(2/3·2^31) = round(1431655765.33) = 1431655765.
        #expect(quantizeMultiplier(1.0 / 3.0) == (1_431_655_765, -1))
        // 1 − 2^−33: mantissa·2^31 = 2^31 − 0.25 rounds to 2^31 → halved, shift + 1.
        #expect(quantizeMultiplier(1 - pow2(-33)) == (1 << 30, 1))
    }

    @Test func tinyValuesFlushToZero() {
        // 2^−32 = 0.5·2^−31: shift −31 is still representable.
        #expect(quantizeMultiplier(pow2(-32)) == (1 << 30, -31))
        // 2^−40 = 0.5·2^−39: shift < −31 → (0, 0).
        #expect(quantizeMultiplier(pow2(-40)) == (0, 0))
        #expect(quantizeMultiplier(.nan) == (0, 0))
    }
}
