import Foundation
import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct LookupTests {
    @Test func identityTableWithSameQuantization() {
        // f(x) = x with equal scale and zero point: table[i] = i − 128, so lookup copies.
        var table = [Int8](repeating: 0, count: 256)
        fillLookupTable(&table, inputScale: 0.1, inputZeroPoint: 3, outputScale: 0.1, outputZeroPoint: 3) { $0 }
        #expect(table == (0..<256).map { Int8($0 - 128) })
    }

    @Test(arguments: ["sigmoid", "tanh", "hardSwish", "hardSigmoid"])
    func activationsMatchFloat(_ name: String) {
        let f: (Double) -> Double
        var outScale = 1.0 / 256, outZp: Int32 = -128
        switch name {
        case "sigmoid": f = { 1 / (1 + Foundation.exp(-$0)) }
        case "tanh": f = { Foundation.tanh($0) }; outScale = 1.0 / 128; outZp = 0
        case "hardSwish": f = { $0 * min(max($0 + 3, 0), 6) / 6 }; outScale = 0.05; outZp = -100
        default: f = { min(max($0 / 6 + 0.5, 0), 1) }
        }
        let inScale = 0.06, inZp: Int32 = -5
        var table = [Int8](repeating: 0, count: 256)
        fillLookupTable(&table, inputScale: inScale, inputZeroPoint: inZp, outputScale: outScale, outputZeroPoint: outZp, f)
        var rng = SplitMix64(seed: 700)
        let x = rng.int8s(1000)
        var out = [Int8](repeating: 0, count: x.count)
        lookupS8(table: table, input: x, count: x.count, output: &out)
        let expected = x.map { quantizeReference(f(Double(Int32($0) - inZp) * inScale), scale: outScale, zeroPoint: outZp) }
        expectClose(out, expected, "\(name)")
    }
}
