import Testing
@testable import SparrowKernels
import SparrowTestSupport

struct PoolCase: Sendable {
    var input: Shape4
    var filter: (Int, Int)
    var stride: (Int, Int)
    var pad: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0)
    var zeroPoint: Int32 = 0
    var output: Shape4 {
        Shape4(input.n, (input.h + pad.top + pad.bottom - filter.0) / stride.0 + 1,
               (input.w + pad.left + pad.right - filter.1) / stride.1 + 1, input.c)
    }
}

@Suite struct PoolingTests {
    static let cases: [PoolCase] = [
        PoolCase(input: Shape4(1, 4, 4, 3), filter: (2, 2), stride: (2, 2)),
        PoolCase(input: Shape4(1, 7, 7, 40), filter: (3, 3), stride: (2, 2), pad: (1, 1, 1, 1), zeroPoint: -128),
        PoolCase(input: Shape4(2, 5, 6, 5), filter: (3, 2), stride: (1, 2), pad: (1, 0, 1, 0), zeroPoint: 127),
        PoolCase(input: Shape4(1, 7, 7, 8), filter: (7, 7), stride: (1, 1)),
        PoolCase(input: Shape4(1, 6, 5, 3), filter: (3, 3), stride: (1, 1), pad: (1, 1, 1, 1), zeroPoint: 20),
    ]

    /// Runs both pools for `c` and compares with a reference over the valid taps.
    @Test(arguments: Array(cases.indices), [false, true])
    func matchesReference(_ i: Int, _ countIncludePad: Bool) {
        let c = Self.cases[i]
        var rng = SplitMix64(seed: 400 + UInt64(i))
        let x = rng.int8s(c.input.count)
        let out = c.output
        let actMin: Int32 = -100, actMax: Int32 = 100   // clamp bounds that bite
        let p = PoolParams(strideH: c.stride.0, strideW: c.stride.1, filterH: c.filter.0, filterW: c.filter.1,
                           padTop: c.pad.top, padLeft: c.pad.left, countIncludePad: countIncludePad,
                           activationMin: actMin, activationMax: actMax, zeroPoint: c.zeroPoint)
        var expectedMax = [Int32](), expectedAverage = [Int32]()
        for n in 0..<out.n { for oy in 0..<out.h { for ox in 0..<out.w { for ch in 0..<out.c {
            var maxValue = Int32.min, sum = 0.0, count = 0
            for ky in 0..<c.filter.0 { for kx in 0..<c.filter.1 {
                let iy = oy * c.stride.0 - c.pad.top + ky, ix = ox * c.stride.1 - c.pad.left + kx
                if iy < 0 || iy >= c.input.h || ix < 0 || ix >= c.input.w { continue }
                let v = Int32(x[index(c.input, n, iy, ix, ch)])
                maxValue = max(maxValue, v)
                sum += Double(v - c.zeroPoint)    // real value / scale
                count += 1
            } }
            let divisor = countIncludePad ? c.filter.0 * c.filter.1 : count   // padded taps are real 0
            expectedMax.append(min(max(maxValue, actMin), actMax))
            expectedAverage.append(quantizeReference(sum / Double(divisor), scale: 1, zeroPoint: c.zeroPoint,
                                                     min: actMin, max: actMax))
        } } } }
        var result = [Int8](repeating: 0, count: out.count)
        maxPoolS8(p, input: x, inputShape: c.input, output: &result, outputShape: out)
        expectClose(result, expectedMax, tolerance: 0, "max pool case \(i)")
        averagePoolS8(p, input: x, inputShape: c.input, output: &result, outputShape: out)
        // The kernel rounds the raw-value average (TFLite), the reference the real one: a tie can
        // differ by one step when the zero point is nonzero.
        expectClose(result, expectedAverage, tolerance: 1, "average pool case \(i) includePad \(countIncludePad)")
    }

    @Test func handDerivedAverageRounding() {
        // Windows of 2: (1 + 2)/2 = 1.5 → 2; (−1 + −2)/2 = −1.5 → −2; (1 + 0)/2 = 0.5 → 1; (−1 + 0)/2 → −1.
        let x: [Int8] = [1, 2, -1, -2, 1, 0, -1, 0]
        var out = [Int8](repeating: 0, count: 4)
        let p = PoolParams(strideH: 1, strideW: 2, filterH: 1, filterW: 2, padTop: 0, padLeft: 0, countIncludePad: false)
        averagePoolS8(p, input: x, inputShape: Shape4(1, 1, 8, 1), output: &out, outputShape: Shape4(1, 1, 4, 1))
        #expect(out == [2, -2, 1, -1])
    }
}
