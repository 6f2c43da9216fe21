// MobileNetV2 / MobileNetV3-small / EfficientNet-class models as users export them (PyTorch
// TorchScript opset 13 and dynamo opset 18, tf2onnx-style, paddle2onnx-style), made by
// Tests/Fixtures/realistic/make_realistic.py, against onnxruntime's outputs on 32 inputs
// (<model>_ref.npy). Figures are recorded in Docs/results.md ("Realistic models").
import Foundation
import SparrowNPY
import SparrowRuntime
import Testing
@testable import SparrowConverter

enum RealisticFixtures {
    static let directory = IRFixtures.root.appendingPathComponent("realistic")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static let models = ["mbv2_pt13", "mbv2_pt18", "mbv3s_pt13", "mbv3s_pt18", "effnet_pt13", "effnet_pt18",
                         "tf_mbv2", "tf_mbv3s", "tf_effnet", "pd_mbv3s"]

    /// tf2onnx-style models keep the Keras NHWC input.
    static func inputs(_ model: String) -> String { model.hasPrefix("tf_") ? "test_x_nhwc.npy" : "test_x.npy" }
    static func calibration(_ model: String) -> String { model.hasPrefix("tf_") ? "calib_nhwc.npy" : "calib.npy" }
    static let classes = 10
}

@Suite(.serialized) struct RealisticModelTests {
    /// The float executor (import + passes) against onnxruntime: max |error| ≤ 1e-3 of the largest
    /// |output| (logits for the PyTorch exports, probabilities for the tf/paddle ones).
    @Test(arguments: RealisticFixtures.models)
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: RealisticFixtures.path("\(model).onnx")))
        let x = try IRFixtures.floats(RealisticFixtures.path(RealisticFixtures.inputs(model)))
        let ref = try IRFixtures.floats(RealisticFixtures.path("\(model)_ref.npy"))
        let n = 8
        let perSample = x.data.count / x.shape[0]
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: Array(x.data[..<(n * perSample)]), batch: n)[0]
        let want = Array(ref.data[..<(n * RealisticFixtures.classes)])
        #expect(out.count == want.count)
        let maxError = zip(out, want).map { abs($0 - $1) }.max() ?? .infinity
        let scale = want.map { abs($0) }.max() ?? 1
        print("\(model): float executor vs onnxruntime max |error| \(maxError), relative \(maxError / scale)")
        #expect(maxError <= 1e-3 * scale, "\(model): max error \(maxError) vs output scale \(scale)")
    }

    /// The int8 model (calibrated on calib.npy, 16 samples, min/max ranges) on all 32 inputs: top-1
    /// agrees with onnxruntime's float top-1 on ≥ 90 % of them; the mean |int8 − onnxruntime| is
    /// ≤ 1 % of the reference outputs' range and the worst element ≤ 15 % of it (the worst element
    /// is always on an input whose top two classes are close: there a small logit error moves
    /// softmax probabilities most).
    @Test(arguments: RealisticFixtures.models)
    func int8AgreesWithOnnxruntime(model: String) throws {
        let result = try convert(onnxPath: RealisticFixtures.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: RealisticFixtures.path(RealisticFixtures.calibration(model))))
        let x = try IRFixtures.floats(RealisticFixtures.path(RealisticFixtures.inputs(model)))
        let ref = try IRFixtures.floats(RealisticFixtures.path("\(model)_ref.npy"))
        let n = x.shape[0], k = RealisticFixtures.classes
        let perSample = x.data.count / n
        let runner = try HostModel(bytes: result.bytes)
        defer { withExtendedLifetime(runner) {} }
        var agree = 0
        var maxError: Float = 0, sumError: Float = 0
        for i in 0..<n {
            let q = runner.run([Array(x.data[(i * perSample)..<((i + 1) * perSample)])])[0]
            let want = ref.data[(i * k)..<((i + 1) * k)]
            if argmax(q[...]) == argmax(want) { agree += 1 }
            for (a, b) in zip(q, want) {
                maxError = max(maxError, abs(a - b))
                sumError += abs(a - b)
            }
        }
        let range = (ref.data.max() ?? 0) - (ref.data.min() ?? 0)
        let meanError = sumError / Float(n * k)
        print("\(model): int8 top-1 agreement \(agree)/\(n), |int8 − onnxruntime| mean \(meanError) "
              + "(\(meanError / range * 100) % of the output range \(range)), max \(maxError) "
              + "(\(maxError / range * 100) %); \(result.summary.operatorCount) ops, "
              + "arena \(result.summary.arenaBytes) (lower bound \(result.summary.arenaLowerBound))")
        #expect(agree * 10 >= n * 9, "\(model): top-1 agreement \(agree)/\(n)")
        #expect(meanError <= 0.01 * range, "\(model): mean error \(meanError), output range \(range)")
        #expect(maxError <= 0.15 * range, "\(model): max error \(maxError), output range \(range)")
        #expect(result.summary.arenaBytes >= result.summary.arenaLowerBound)
    }
}
