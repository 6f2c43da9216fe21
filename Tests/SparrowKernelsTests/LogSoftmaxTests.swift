import Foundation
import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct LogSoftmaxTests {
    /// Against the float log-softmax of the same int8 codes, quantized at 16/256, zero point 127:
    /// within one output step (the exp terms and the ln table are ~2^−15 off; rounding may land
    /// on either side). Rows up to 65,536 use the widened sum of exps.
    @Test(arguments: [1, 2, 5, 10, 100, 1000, 4096, 6625, 65536], [0.02, 0.0625, 0.25])
    func matchesFloatReference(_ depth: Int, _ inputScale: Double) {
        var rng = SplitMix64(seed: UInt64(depth) * 7 + UInt64(inputScale * 1000))
        let zx = Int32(rng.int(-128...127))
        var x = rng.int8s(depth)
        x += rng.int8s(depth, 90...100)
        var dominant = rng.int8s(depth, -128...(-60)); dominant[depth / 2] = 127
        x += dominant
        var expected = [Int32]()
        for r in 0..<3 {
            let row = x[(r * depth)..<((r + 1) * depth)].map { Double(Int32($0) - zx) * inputScale }
            let m = row.max()!
            let logSum = Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            expected += row.map { quantizeReference($0 - m - logSum, scale: 16.0 / 256, zeroPoint: 127) }
        }
        var out = [Int8](repeating: 0, count: x.count)
        logSoftmaxS8(SoftmaxParams.prepareLogSoftmax(inputScale: inputScale, beta: 1), input: x, outer: 3, depth: depth, output: &out)
        expectClose(out, expected, "log-softmax depth \(depth) scale \(inputScale)")
    }

    @Test func handDerivedRows() {
        // Four equal inputs: ln(1/4) = −1.386 → −22.18 steps → 127 − 22 = 105. One input: ln 1 = 0 → 127.
        // Two inputs 1.0 apart (scale 0.125, 8 codes): ln(1/(1 + e^−1)) = −0.3133 → −5.01 → 122, and
        // −1.3133 → −21.01 → 106.
        let p = SoftmaxParams.prepareLogSoftmax(inputScale: 0.125, beta: 1)
        var out = [Int8](repeating: 0, count: 7)
        logSoftmaxS8(p, input: [7, 7, 7, 7], outer: 1, depth: 4, output: &out)
        logSoftmaxS8(p, input: [-50], outer: 1, depth: 1, output: out.withUnsafeMutableBufferPointer { $0.baseAddress! + 4 })
        logSoftmaxS8(p, input: [20, 12], outer: 1, depth: 2, output: out.withUnsafeMutableBufferPointer { $0.baseAddress! + 5 })
        #expect(out == [105, 105, 105, 105, 127, 122, 106])
    }

    @Test func lnTableMatchesItsDefinition() {
        withUnsafeBytes(of: log1pTableQ30) { raw in
            let t = raw.bindMemory(to: Int32.self)
            #expect(t.count == 65)
            for k in 0...64 { #expect(t[k] == Int32((Foundation.log1p(Double(k) / 64) * pow2(30)).rounded()), "entry \(k)") }
        }
        #expect(ln2Q22 == Int32((Foundation.log(2.0) * pow2(22)).rounded()))
        // Interpolated values within 2^−14 of ln(1 + f).
        for i in 0..<1000 {
            let f = Double(i) / 1000
            let got = Double(log1pQ22(Int32(f * pow2(31)))) / pow2(22)
            #expect(abs(got - Foundation.log1p(f)) < pow2(-14), "ln(1 + \(f))")
        }
    }
}
