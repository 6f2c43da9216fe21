// PRelu end to end: ONNX models made by Tests/Fixtures/prelu/make_prelu.py, converted with their
// calibration data and run in int8, against onnxruntime's float outputs on 16 seeded inputs.
import Foundation
import SparrowFormat
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct PReluModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("prelu").appendingPathComponent(name).path
    }

    /// Bounds, as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %):
    /// the op alone within 2 steps per element (input and output rounding, the alpha codes'
    /// rounding, the fixed-point rescale); behind a Gemm and in the conv network, about twice the
    /// measured error (max 1.2 % and 1.0 %, mean 0.24 % and 0.25 %) for the accumulated error.
    @Test(arguments: [("prelu_channels", 0.008, 0.003), ("prelu_fc", 0.02, 0.006), ("prelu_conv", 0.02, 0.006)])
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts["PRelu", default: 0] >= 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// The float executor (import, NHWC layout of the per-channel slope) against onnxruntime.
    @Test(arguments: ["prelu_channels", "prelu_fc", "prelu_conv"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5, "\(model): max error \(maxError)")
    }

    @Test func slopeVaryingAlongAnotherAxisIsRejected() throws {
        // x [1,2,3]: a slope [2,1] varies along axis 1, which is not the innermost IR axis.
        let m = model([ONNXNode(name: "p", opType: "PRelu", inputs: ["x", "slope"], outputs: ["y"])], input: [1, 2, 3],
                      initializers: [floatTensor("slope", [2, 1], [0.1, 0.2])])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description.contains("varies along an axis other than the channels") == true)
    }

    /// PRelu is format 1.2: the writer stamps 1.2 only on files that use it (others keep 1.1 and
    /// their bytes), and the verifier rejects a PRelu in a file that claims 1.1.
    @Test func fileVersionFollowsTheOpcodes() throws {
        var bytes = try convert(onnxPath: Self.path("prelu_fc.onnx"),
                                options: ConversionOptions(calibrationPath: Self.path("prelu_fc_calib.npy"))).bytes
        #expect(bytes[HeaderField.versionMinor] == 2)
        let plain = try convert(onnxPath: IRFixtures.digits("digits_mlp.onnx"),
                                options: ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))).bytes
        #expect(plain[HeaderField.versionMinor] == 1)
        bytes[HeaderField.versionMinor] = 1
        let sum = bytes.withUnsafeBytes { modelChecksum($0) }
        withUnsafeBytes(of: sum.littleEndian) { for i in 0..<4 { bytes[HeaderField.checksum + i] = $0[i] } }
        let file = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { file.deallocate() }
        bytes.withUnsafeBytes { file.copyMemory(from: $0) }
        let error = #expect(throws: ModelError.self) { try VerifiedModel.verify(UnsafeRawBufferPointer(file)) }
        #expect(error?.reason == .badOpcode)
        #expect(error?.value == Int(OpCode.prelu.rawValue))
    }
}
