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
