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
