import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct QuantizeDequantizeTests {
    @Test func quantizeRoundsHalfToEvenAndSaturates() {
        // scale 0.5, zp 1: x/0.5 = 2x. 1.25 → 2.5 → 2 (even) + 1 = 3; 1.75 → 3.5 → 4 + 1 = 5;
        // −1.25 → −2.5 → −2 + 1 = −1; 100 → 200 + 1 → 127; −100 → −128; NaN → zp; ±inf saturate.
        let x: [Float] = [1.25, 1.75, -1.25, 100, -100, .nan, .infinity, -.infinity, 0]
        var out = [Int8](repeating: 0, count: x.count)
        quantizeF32ToS8(input: x, count: x.count, scale: 0.5, zeroPoint: 1, output: &out)
        #expect(out == [3, 5, -1, 127, -128, 1, 127, -128, 1])
    }

    @Test func dequantize() {
        // (x − zp)·scale with zp −128, scale 0.25.
        let x: [Int8] = [-128, 0, 127]
        var out = [Float](repeating: 0, count: 3)
        dequantizeS8ToF32(input: x, count: 3, scale: 0.25, zeroPoint: -128, output: &out)
        #expect(out == [0, 32, 63.75])
    }

    @Test func roundTripIsIdentityOnGrid() {
        var rng = SplitMix64(seed: 900)
        let x = rng.int8s(500)
        var f = [Float](repeating: 0, count: x.count), back = [Int8](repeating: 0, count: x.count)
        dequantizeS8ToF32(input: x, count: x.count, scale: 0.037, zeroPoint: 127, output: &f)
        quantizeF32ToS8(input: f, count: f.count, scale: 0.037, zeroPoint: 127, output: &back)
        #expect(back == x)
    }
}

/// The LiteRT variants used by imported TFLite models (hand-derived values).
@Suite struct TFLiteEdgeConversionTests {
    @Test func quantizeTiesAwayFromZero() {
        let x: [Float] = [0.5, 1.5, -0.5, -2.5, 0.25]   // scale 1: exact ties except the last
        var even = [Int8](repeating: 0, count: 5), away = [Int8](repeating: 0, count: 5)
        quantizeF32ToS8(input: x, count: 5, scale: 1, zeroPoint: 0, output: &even)
        quantizeF32ToS8(input: x, count: 5, scale: 1, zeroPoint: 0, output: &away, roundHalfAway: true)
        #expect(even == [0, 2, 0, -2, 0])
        #expect(away == [1, 2, -1, -3, 0])
    }

    @Test func uint8AndInt8Requantize() {
        // uint8 (zp 128) → int8 (zp 0), same scale (multiplier 2^30, shift 1 = 1.0): u − 128.
        let u: [UInt8] = [0, 1, 127, 128, 255]
        let asS8 = u.map { Int8(bitPattern: $0) }
        var s = [Int8](repeating: 0, count: 5)
        let one = RequantizeParams(inputZeroPoint: 128, outputZeroPoint: 0, multiplier: 1 << 30, shift: 1, isIdentity: false)
        requantizeMixedS8U8(one, input: asS8, inputUnsigned: true, count: 5, output: &s, outputUnsigned: false)
        #expect(s == [-128, -127, -1, 0, 127])
        // Back: int8 (zp 0) → uint8 (zp 128), and half the scale (×2, saturating at 0 and 255).
        var back = [Int8](repeating: 0, count: 5)
        let twice = RequantizeParams(inputZeroPoint: 0, outputZeroPoint: 128, multiplier: 1 << 30, shift: 2, isIdentity: false)
        requantizeMixedS8U8(twice, input: s, inputUnsigned: false, count: 5, output: &back, outputUnsigned: true)
        #expect(back.map { UInt8(bitPattern: $0) } == [0, 0, 126, 128, 255])
    }
}
