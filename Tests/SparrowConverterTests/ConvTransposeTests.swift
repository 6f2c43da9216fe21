// ConvTranspose end to end: ONNX models made by Tests/Fixtures/convtranspose/make_convtranspose.py,
// converted with their calibration data and run in int8, against onnxruntime's float outputs.
import Foundation
import SparrowFormat
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct ConvTransposeModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("convtranspose").appendingPathComponent(name).path
    }

    /// Bounds, as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %),
    /// about twice the measured error (input, weight and output rounding accumulate as in Conv).
    @Test(arguments: [("deconv_s2_outpad", 0.012, 0.003), ("deconv_k4s2_relu", 0.022, 0.003), ("deconv_dw", 0.012, 0.003),
                      ("deconv_s3", 0.012, 0.003), ("deconv_net", 0.02, 0.006)])
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts.filter { $0.key.contains("TransposeConv2D") }.values.reduce(0, +) == 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// The float executor (import, filter layouts) against onnxruntime.
    @Test(arguments: ["deconv_s2_outpad", "deconv_k4s2_relu", "deconv_dw", "deconv_s3", "deconv_net"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5, "\(model): max error \(maxError)")
    }

    @Test func unsupportedAttributesNameTheNode() throws {
        let w = floatTensor("w", [2, 2, 3, 3], [Float](repeating: 0.1, count: 36))
        for (attribute, value, message) in [("output_shape", ONNXAttribute.ints([5, 5]), "output_shape"),
                                            ("group", .int(3), "group"), ("auto_pad", .string(Array("SAME_UPPER".utf8)), "SAME_UPPER")] {
            let node = ONNXNode(name: "deconv7", opType: "ConvTranspose", inputs: ["x", "w"], outputs: ["y"],
                                attributes: [attribute: value])
            let m = model([node], input: [1, 2, 3, 3], initializers: [w])
            let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
            #expect(error?.description.contains("deconv7") == true)
            #expect(error?.description.contains(message) == true)
        }
    }
}
