import Testing
@testable import SparrowKernels

// The fused quantize + NCHW → NHWC kernel of model inputs, at tolerance 0: the portable twin
// against hand-derived codes (ties both ways, saturation, NaN, ±inf, −0) and against the two
// operators it replaces (quantizeF32ToS8 then transposeS8) on every shape remainder; then the
// kernel this build selects (NEON on aarch64, AVX2 on x86 hosts) against the twin. The NEON kernel also runs the
// device battery under qemu (Tests/Fixtures/kernels/microkernel_driver.swift, qtBattery).

@Suite struct QuantizeTransposeTests {
    static func run(_ s: QuantizeTransposeShape, _ x: [Float], scale: Float, zp: Int32, away: Bool, cpu: CPUFeatures?) -> [Int8] {
        var y = [Int8](repeating: 0x55, count: x.count)
        if let cpu {
            quantizeTransposeF32ToS8(cpu, s, input: x, scale: scale, zeroPoint: zp, roundHalfAway: away, output: &y)
        } else {
            quantizeTransposeF32ToS8Scalar(s, input: x, scale: scale, zeroPoint: zp, roundHalfAway: away, output: &y)
        }
        return y
    }

    /// scale 0.5, zp −1 (x/0.5 = 2x), one image of 3 channels × 4 pixels.
    @Test func handDerivedCodesAndPlacement() {
        // channel 0: 1.25 → 2.5, 1.75 → 3.5, −1.25 → −2.5, −0.0
        // channel 1: 100 → 200 (saturates), −100, NaN (→ zp), 0.24 → 0.48
        // channel 2: +inf, −inf, 63.75 → 127.5, −63.75 → −127.5
        let x: [Float] = [1.25, 1.75, -1.25, -0.0, 100, -100, .nan, 0.24, .infinity, -.infinity, 63.75, -63.75]
        let s = QuantizeTransposeShape(batches: 1, channels: 3, pixels: 4)
        // Ties to even: 2.5 → 2, 3.5 → 4, −2.5 → −2, 127.5 → 128, −127.5 → −128; then − 1 and saturate.
        // NHWC: pixel p holds (c0, c1, c2).
        #expect(Self.run(s, x, scale: 0.5, zp: -1, away: false, cpu: nil)
                == [1, 127, 127, 3, -128, -128, -3, -1, 127, -1, -1, -128])
        // Ties away from zero: 2.5 → 3, 3.5 → 4, −2.5 → −3, 127.5 → 128, −127.5 → −128.
        #expect(Self.run(s, x, scale: 0.5, zp: -1, away: true, cpu: nil)
                == [2, 127, 127, 3, -128, -128, -4, -1, 127, -1, -1, -128])
    }

    /// Random data with many exact ties (scale 0.25: multiples of 0.125 are ties) over every
    /// channel count 1–5 and pixel remainder of the 16-pixel step, two batches.
    static func randomInput(_ count: Int, _ rng: inout MicrokernelRNG) -> [Float] {
        (0..<count).map { i -> Float in
            switch i % 7 {
            case 0: return Float(rng.int(-300...300)) * 0.125            // ties and saturation
            case 1: return Float(rng.int(-1_000_000...1_000_000)) / 37_000
            case 2: return [Float.nan, .infinity, -.infinity, -0.0, 1e30, -1e-30][rng.int(0...5)]
            default: return Float(rng.int(-40_000...40_000)) / 1000
            }
        }
    }

    @Test func twinEqualsQuantizeThenTranspose() {
        var rng = MicrokernelRNG(seed: 311)
        for channels in 1...5 {
            for pixels in [1, 2, 7, 15, 16, 17, 31, 32, 33, 49] {
                for (scale, zp, away) in [(Float(0.25), Int32(-1), false), (0.25, 127, true), (0.0078125, -128, false), (0.37, 5, true)] {
                    let s = QuantizeTransposeShape(batches: 2, channels: channels, pixels: pixels)
                    let x = Self.randomInput(2 * channels * pixels, &rng)
                    var q = [Int8](repeating: 0, count: x.count), want = q
                    quantizeF32ToS8(input: x, count: x.count, scale: scale, zeroPoint: zp, output: &q, roundHalfAway: away)
                    // NCHW [2, C, 1, P] viewed as Shape4(n, h, w, c) = (2, C, 1, P) → perm (0, 2, 3, 1) = [2, 1, P, C].
                    transposeS8(input: q, inputShape: Shape4(2, channels, 1, pixels), permutation: (0, 2, 3, 1), output: &want)
                    #expect(Self.run(s, x, scale: scale, zp: zp, away: away, cpu: nil) == want,
                            "C \(channels) P \(pixels) scale \(scale) zp \(zp) away \(away)")
                }
            }
        }
    }

    @Test func selectedKernelEqualsTwin() {
        var rng = MicrokernelRNG(seed: 312)
        for channels in [1, 2, 3, 4] {
            for pixels in [5, 7, 8, 9, 16, 33, 1024] {
                let s = QuantizeTransposeShape(batches: 1, channels: channels, pixels: pixels)
                let x = Self.randomInput(channels * pixels, &rng)
                for away in [false, true] {
                    #expect(Self.run(s, x, scale: 0.25, zp: 3, away: away, cpu: .thisBuild)
                            == Self.run(s, x, scale: 0.25, zp: 3, away: away, cpu: nil))
                }
            }
        }
    }
}
