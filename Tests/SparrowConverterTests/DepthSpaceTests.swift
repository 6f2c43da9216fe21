// DepthToSpace (DCR, CRD) and SpaceToDepth end to end: lowered to Reshape and Transpose; models
// made by Tests/Fixtures/depthspace/make_depthspace.py, run in int8 against onnxruntime.
import Foundation
import SparrowFormat
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct DepthSpaceModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("depthspace").appendingPathComponent(name).path
    }

    /// Bounds, as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %),
    /// about twice the measured error: the rearrangement copies codes, so the error is that of the
    /// convolutions around it.
    @Test(arguments: [("pixel_shuffle", 0.02, 0.006), ("depth_dcr", 0.02, 0.006), ("space_to_depth", 0.02, 0.006)])
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts["Transpose", default: 0] >= 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// The float executor (import, NHWC axis mapping) against onnxruntime.
    @Test(arguments: ["pixel_shuffle", "depth_dcr", "space_to_depth"])
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
