import Testing
@testable import SparrowKernels

/// Float-reference quantization: round half away from zero, add zero point, clamp.
func quantizeReference(_ real: Double, scale: Double, zeroPoint: Int32, min lo: Int32 = -128, max hi: Int32 = 127) -> Int32 {
    let q = (real / scale).rounded(.toNearestOrAwayFromZero) + Double(zeroPoint)
    return Int32(Swift.min(Swift.max(q, Double(lo)), Double(hi)))
}

/// Asserts |actual − expected| ≤ tolerance everywhere; reports the first few offenders.
func expectClose(_ actual: [Int8], _ expected: [Int32], tolerance: Int32 = 1, _ context: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(context): count", sourceLocation: sourceLocation)
    var failures = 0
    for i in 0..<min(actual.count, expected.count) where abs(Int32(actual[i]) - expected[i]) > tolerance {
        failures += 1
        if failures <= 5 {
            Issue.record("\(context): index \(i) got \(actual[i]) expected \(expected[i])", sourceLocation: sourceLocation)
        }
    }
    #expect(failures == 0, "\(context): \(failures) elements off by more than \(tolerance)", sourceLocation: sourceLocation)
}

/// Output scale and zero point that spread `reals` over the int8 range (at least a tiny range).
func outputQuantization(for reals: [Double]) -> (scale: Double, zeroPoint: Int32) {
    let lo = min(reals.min() ?? 0, 0), hi = max(reals.max() ?? 0, 0)
    let scale = max((hi - lo) / 255, 1e-6)
    let zp = Int32(max(min((-128 - lo / scale).rounded(), 127), -128))
    return (scale, zp)
}

/// Flat NHWC index.
func index(_ s: Shape4, _ n: Int, _ h: Int, _ w: Int, _ c: Int) -> Int { ((n * s.h + h) * s.w + w) * s.c + c }
