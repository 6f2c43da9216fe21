import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct MeanTests {
    @Test(arguments: [Shape4(1, 7, 7, 40), Shape4(2, 3, 5, 3), Shape4(1, 1, 1, 4), Shape4(1, 13, 11, 33)],
          [(Int32(-128), Int32(127)), (Int32(127), Int32(-128)), (Int32(4), Int32(-3))])
    func matchesFloatReference(_ shape: Shape4, _ zeroPoints: (Int32, Int32)) {
        let (zx, zo) = zeroPoints
        var rng = SplitMix64(seed: UInt64(shape.count) &+ UInt64(bitPattern: Int64(zx)))
        let x = rng.int8s(shape.count)
        let inScale = rng.double(0.01, 0.1)
        var reals = [Double]()
        for n in 0..<shape.n {
            for c in 0..<shape.c {
                var sum = 0.0
                for h in 0..<shape.h { for w in 0..<shape.w { sum += Double(Int32(x[index(shape, n, h, w, c)]) - zx) * inScale } }
                reals.append(sum / Double(shape.h * shape.w))
            }
        }
        // Output scale a bit finer than the input so both clamping and rounding are exercised.
        let outScale = inScale * 0.6
        let expected = reals.map { quantizeReference($0, scale: outScale, zeroPoint: zo) }
        let (m, s) = MeanHW.prepare(inputScale: inScale, outputScale: outScale, count: shape.h * shape.w)
        var out = [Int8](repeating: 0, count: shape.n * shape.c)
        meanHWS8(input: x, inputShape: shape, inputZeroPoint: zx, outputZeroPoint: zo, multiplier: m, shift: s, output: &out)
        expectClose(out, expected, "mean \(shape) zx \(zx) zo \(zo)")
    }

    @Test func handDerived() {
        // 2×2 window, zx 0, zo 0, same scale: values 1, 2, 3, 5 → mean 2.75 → 3.
        // (multiplier encodes 1/4: (2^30, −1)).
        let (m, s) = MeanHW.prepare(inputScale: 1, outputScale: 1, count: 4)
        #expect(m == 1 << 30 && s == -1)
        var out: [Int8] = [0]
        meanHWS8(input: [1, 2, 3, 5], inputShape: Shape4(1, 2, 2, 1), inputZeroPoint: 0, outputZeroPoint: 0,
                 multiplier: m, shift: s, output: &out)
        #expect(out == [3])
    }
}
