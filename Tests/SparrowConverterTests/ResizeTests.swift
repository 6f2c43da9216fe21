// Resize/Upsample end to end: ONNX models made by Tests/Fixtures/resize/make_resize.py, converted
// with their calibration data and run in int8, against onnxruntime's float outputs on 8 seeded inputs.
import Foundation
import SparrowFormat
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct ResizeModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("resize").appendingPathComponent(name).path
    }

    static let alone = ["resize_nearest_asym", "resize_nearest_half", "resize_linear_half", "resize_linear_align",
                        "resize_linear_pytorch", "resize_linear_asym", "upsample_nearest", "upsample_linear"]

    /// Bounds, as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %).
    /// The op alone: the input's rounding (½ step) plus, for bilinear, the 10-bit weights and the
    /// final rounding (½ step): within 1 step (nearest is exact on the quantized input: ½ step).
    /// In the FPN-style network, about twice the measured accumulated error.
    @Test(arguments: alone.map { ($0, $0.contains("nearest") ? 0.0022 : 0.0042, 0.0015) } + [("resize_fpn", 0.02, 0.006)])
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts["Resize", default: 0] == 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// The float executor (import, coordinate conventions) against onnxruntime.
    @Test(arguments: alone + ["resize_fpn"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5, "\(model): max error \(maxError)")
    }

    @Test func unsupportedModesNameTheNode() throws {
        for (attribute, value) in [("mode", "cubic"), ("coordinate_transformation_mode", "tf_crop_and_resize")] {
            let node = ONNXNode(name: "up", opType: "Resize", inputs: ["x", "", "scales"], outputs: ["y"],
                                attributes: [attribute: .string(Array(value.utf8))])
            let m = model([node], input: [1, 2, 3, 3], initializers: [floatTensor("scales", [4], [1, 1, 2, 2])])
            let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
            #expect(error?.description.contains("up") == true)
            #expect(error?.description.contains(value) == true)
        }
        // Resizing the channel axis is not an image resize.
        let node = ONNXNode(name: "up", opType: "Resize", inputs: ["x", "", "scales"], outputs: ["y"])
        let m = model([node], input: [1, 2, 3, 3], initializers: [floatTensor("scales", [4], [1, 2, 2, 2])])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description.contains("only H and W may change") == true)
    }

    /// Resize is format 1.3: a file using it says so, and a file claiming 1.2 is rejected.
    @Test func fileVersionIsThree() throws {
        var bytes = try convert(onnxPath: Self.path("resize_linear_half.onnx"),
                                options: ConversionOptions(calibrationPath: Self.path("resize_linear_half_calib.npy"))).bytes
        #expect(bytes[HeaderField.versionMinor] == 3)
        bytes[HeaderField.versionMinor] = 2
        let sum = bytes.withUnsafeBytes { modelChecksum($0) }
        withUnsafeBytes(of: sum.littleEndian) { for i in 0..<4 { bytes[HeaderField.checksum + i] = $0[i] } }
        let file = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { file.deallocate() }
        bytes.withUnsafeBytes { file.copyMemory(from: $0) }
        let error = #expect(throws: ModelError.self) { try VerifiedModel.verify(UnsafeRawBufferPointer(file)) }
        #expect(error?.reason == .badOpcode)
        #expect(error?.value == Int(OpCode.resize.rawValue))
    }
}
