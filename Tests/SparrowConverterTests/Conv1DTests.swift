// Conv1d, pooling and ConvTranspose on 3-D [N, C, L] tensors end to end (as their 2-D forms with
// H = 1): Tests/Fixtures/conv1d/make_conv1d.py, run in int8 against onnxruntime.
import Foundation
import SparrowFormat
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct Conv1DModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("conv1d").appendingPathComponent(name).path
    }

    /// Bounds, as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %),
    /// about twice the measured error of the five-layer network.
    @Test(arguments: [("kws1d", 0.04, 0.012)])
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts["Conv2D", default: 0] == 2 && result.summary.opCounts["TransposeConv2D", default: 0] == 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// The float executor (import, NHWC axis mapping) against onnxruntime.
    @Test(arguments: ["kws1d"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5, "\(model): max error \(maxError)")
    }

}
