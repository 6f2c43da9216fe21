// Slice, Gather and Split of run-time tensors end to end: ONNX models made by
// Tests/Fixtures/slice/make_slice.py, run in int8 against onnxruntime's float outputs.
import Foundation
import SparrowFormat
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct SliceModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("slice").appendingPathComponent(name).path
    }

    /// Bounds, as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %),
    /// about twice the measured error: Slice/Gather/Split copy codes, so the error is that of the
    /// ops around them (conv, Mul, Gemm, Add).
    @Test(arguments: [("slice_net", 0.05, 0.006), ("gather_cls", 0.02, 0.006), ("split_seq", 0.025, 0.004),
                      ("expand_tile", 0.01, 0.003), ("pad_modes", 0.011, 0.003)])
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts["Slice", default: 0] + result.summary.opCounts["Gather", default: 0] >= 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// The float executor (import, NHWC axis mapping) against onnxruntime.
    @Test(arguments: ["slice_net", "gather_cls", "split_seq", "expand_tile", "pad_modes"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5, "\(model): max error \(maxError)")
    }

    @Test func emptySliceOfActivationIsRejected() throws {
        let node = ONNXNode(name: "cut", opType: "Slice", inputs: ["x", "s", "e"], outputs: ["y"])
        let m = model([node], input: [1, 4], initializers: [
            ONNXTensor(name: "s", dataType: .int64, dims: [1], data: .int64Data([9])),
            ONNXTensor(name: "e", dataType: .int64, dims: [1], data: .int64Data([12]))])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description.contains("cut") == true)
        #expect(error?.description.contains("empty") == true)
    }
}
