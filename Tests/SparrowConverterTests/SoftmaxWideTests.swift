// Softmax over more classes than TFLite's Q(12) sum of exps holds (a CTC head over ≈ 6,600
// classes): the file verifies and the int8 probabilities agree with float softmax.
import Foundation
import SparrowNPY
import SparrowONNX
import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

@Suite struct SoftmaxWideTests {
    @Test func sixThousandClassesConvertVerifyAndAgreeWithFloat() throws {
        let classes = 6625
        let m = model([ONNXNode(name: "probs", opType: "Softmax", inputs: ["x"], outputs: ["y"], attributes: ["axis": .int(-1)])],
                      input: [1, classes])
        var rng = SplitMix64(seed: 66)
        // Logits in [−4, 4] with five classes at 8: the top five get ≈ 5 % each.
        func sample() -> [Float] {
            var x = rng.floats(classes, -4, 4)
            for k in 0..<5 { x[k * 1000 + 7] = 8 }
            return x
        }
        let calibration = (0..<8).flatMap { _ in sample() }
        let result = try convert(graph: Passes.optimize(try ONNXImporter.importModel(m)),
                                 options: ConversionOptions(calibration: .samples([NPYArray(floats: calibration, shape: [8, classes])])))
        let runner = try HostModel(bytes: result.bytes)
        var maxError: Float = 0
        for _ in 0..<4 {
            let x = sample()
            let q = runner.run([x])[0]
            let top = x.max()!
            let exps = x.map { Foundation.exp(Double($0 - top)) }
            let total = exps.reduce(0, +)
            for (a, e) in zip(q, exps) { maxError = max(maxError, abs(a - Float(e / total))) }
            #expect(abs(q[7] - Float(exps[7] / total)) <= 1.0 / 256, "top class \(q[7]) vs \(exps[7] / total)")
        }
        // Output step 1/256: rounding (½ step) plus the input's quantization and the fixed-point exp.
        print("softmax over \(classes) classes: max |int8 − float| \(maxError) (one step \(1.0 / 256))")
        #expect(maxError <= 1.0 / 256)
    }
}
