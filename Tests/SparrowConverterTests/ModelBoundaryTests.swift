// int8 and/or NHWC graph inputs and outputs on request (`sparrow convert --input-type int8
// --input-layout nhwc --output-type int8 …`, issue 11 item 3). The oracle is the default
// float-I/O conversion of the same model and calibration (checked against onnxruntime elsewhere):
// the boundary only removes Quantize / Transpose / Dequantize, so fed the same samples (float,
// transposed to NHWC where asked) the outputs must be identical, byte for byte.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

@Suite struct ModelBoundaryTests {
    static func digitsModel(_ boundary: ModelBoundary) throws -> HostModel {
        var options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
        options.boundary = boundary
        return try HostModel(bytes: SparrowConverter.convert(onnxPath: IRFixtures.digits("digits_cnn.onnx"), options: options).bytes)
    }

    static func opcodes(_ m: HostModel) -> [OpCode] { (0..<m.model.operatorCount).map { m.model.op($0).opcode! } }

    static func name(_ m: HostModel, _ t: Int) -> String { String(decoding: m.model.tensorName(t), as: UTF8.self) }

    /// [N, C, H, W] floats → [N, H, W, C].
    static func toNHWC(_ x: [Float], n: Int, c: Int, h: Int, w: Int) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for i in 0..<n { for ch in 0..<c { for r in 0..<h { for col in 0..<w {
            y[((i * h + r) * w + col) * c + ch] = x[((i * c + ch) * h + r) * w + col]
        } } } }
        return y
    }

    @Test func int8NHWCInputAndInt8OutputDropTheBoundaryOperators() throws {
        var boundary = ModelBoundary()
        boundary.inputType = ["": .int8]
        boundary.inputLayout = ["": .nhwc]
        boundary.outputType = ["": .int8]
        let plain = try Self.digitsModel(ModelBoundary()), fast = try Self.digitsModel(boundary)
        let plainOps = Self.opcodes(plain), fastOps = Self.opcodes(fast)
        #expect(plainOps.prefix(2) == [.quantize, .transpose] && plainOps.last == .dequantize)
        #expect(!fastOps.contains(.quantize) && !fastOps.contains(.transpose) && !fastOps.contains(.dequantize))
        #expect(fastOps.count == plainOps.count - 3)
        // The input is the int8 NHWC tensor the default file's Transpose writes, same scale and zero point.
        let x = fast.model.tensor(fast.model.graphInput(0)), y = fast.model.tensor(fast.model.graphOutput(0))
        let transposed = plain.model.tensor(plain.model.output(plain.model.op(1), 0))
        #expect(x.dtype == .int8 && x.rank == 4 && (x.dims.1, x.dims.2, x.dims.3) == (8, 8, 1))
        #expect(Self.name(fast, fast.model.graphInput(0)) == Self.name(plain, plain.model.graphInput(0)))
        #expect(x.scale == transposed.scale && x.zeroPoint == transposed.zeroPoint)
        let dequantized = plain.model.tensor(plain.model.input(plain.model.op(plainOps.count - 1), 0))
        #expect(y.dtype == .int8 && y.scale == dequantized.scale && y.zeroPoint == dequantized.zeroPoint)

        let samples = try IRFixtures.floats(IRFixtures.digits("digits_test_x.npy"))
        let n = 40, perSample = 64
        let nchw = Array(samples.data[0..<(n * perSample)])
        let nhwc = Self.toNHWC(nchw, n: n, c: 1, h: 8, w: 8)
        // Float samples: the batch path quantizes them on the host and dequantizes the int8 output.
        let reference = try plain.runBatch(inputFile: try #require(NPYArray(floats: nchw, shape: [n, 1, 8, 8]).encoded()))
        let run = try fast.runBatch(inputFile: try #require(NPYArray(floats: nhwc, shape: [n, 8, 8, 1]).encoded()))
        #expect(run.outputFile == reference.outputFile)
        // int8 codes quantized here (ties to even, the QuantizeLinear rule): the same output codes.
        for i in 0..<n {
            let codes = nhwc[(i * perSample)..<((i + 1) * perSample)].map { v -> Int8 in
                Int8(max(-128, min(127, (v / x.scale).rounded(.toNearestOrEven) + Float(x.zeroPoint))))
            }
            fast.setInput(0, codes)
            _ = fast.invoke()
            let got = fast.output(0, as: Int8.self).map { Float(Int32($0) - y.zeroPoint) * y.scale }
            #expect(got == Array(reference.outputs[(i * 10)..<((i + 1) * 10)]), "sample \(i)")
        }
    }

    @Test func int8InputInTheONNXLayoutKeepsOnlyTheTranspose() throws {
        var boundary = ModelBoundary()
        boundary.inputType = ["": .int8]
        let m = try Self.digitsModel(boundary)
        let ops = Self.opcodes(m)
        #expect(ops.first == .transpose && !ops.contains(.quantize) && ops.last == .dequantize)
        let x = m.model.tensor(m.model.graphInput(0))
        #expect(x.dtype == .int8 && (x.dims.1, x.dims.2, x.dims.3) == (1, 8, 8))
        // Float NHWC input: Quantize only, no Transpose.
        boundary = ModelBoundary()
        boundary.inputLayout = ["": .nhwc]
        let floatNHWC = Self.opcodes(try Self.digitsModel(boundary))
        #expect(floatNHWC.first == .quantize && !floatNHWC.contains(.transpose))
    }

    /// Per input and per output by name on the two-input, two-output fusion model.
    @Test func perPortChoicesOnTheFusionModel() throws {
        let calibration = ["imu": MultiIOFixtures.path("fusion_calib_imu.npy"), "image": MultiIOFixtures.path("fusion_calib_image.npy")]
        var options = ConversionOptions(calibration: .npyFilesByInput(calibration))
        let plain = try HostModel(bytes: SparrowConverter.convert(onnxPath: MultiIOFixtures.path("fusion.onnx"), options: options).bytes)
        options.boundary.inputType = ["image": .int8]
        options.boundary.inputLayout = ["image": .nhwc]
        options.boundary.outputType = ["image:kind": .int8]
        let mixed = try HostModel(bytes: SparrowConverter.convert(onnxPath: MultiIOFixtures.path("fusion.onnx"), options: options).bytes)
        let image = mixed.model.tensor(mixed.model.graphInput(0)), imu = mixed.model.tensor(mixed.model.graphInput(1))
        #expect(image.dtype == .int8 && (image.dims.1, image.dims.2, image.dims.3) == (16, 16, 1))
        #expect(imu.dtype == .float32)
        #expect(mixed.model.tensor(mixed.model.graphOutput(0)).dtype == .float32)
        #expect(mixed.model.tensor(mixed.model.graphOutput(1)).dtype == .int8)
        let images = try IRFixtures.floats(MultiIOFixtures.path("fusion_test_image.npy"))
        let imus = try IRFixtures.floats(MultiIOFixtures.path("fusion_test_imu.npy"))
        let n = images.shape[0]
        let imageNHWC = Self.toNHWC(images.data, n: n, c: 1, h: 16, w: 16)
        let reference = try plain.runBatch(inputFiles: [try #require(NPYArray(floats: images.data, shape: images.shape).encoded()),
                                                        try #require(NPYArray(floats: imus.data, shape: imus.shape).encoded())],
                                           allOutputs: true)
        let run = try mixed.runBatch(inputFiles: [try #require(NPYArray(floats: imageNHWC, shape: [n, 16, 16, 1]).encoded()),
                                                  try #require(NPYArray(floats: imus.data, shape: imus.shape).encoded())],
                                     allOutputs: true)
        #expect(run.allOutputFiles == reference.allOutputFiles)
    }

    @Test func badChoicesAreNamedErrors() throws {
        func message(_ boundary: ModelBoundary, exits: [String] = []) -> String {
            var options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
            options.boundary = boundary
            let e = #expect(throws: ConversionError.self) {
                try SparrowConverter.convert(onnxPath: IRFixtures.digits("digits_cnn.onnx"), options: options)
            }
            return e?.description ?? ""
        }
        var unknown = ModelBoundary()
        unknown.inputType = ["images": .int8]
        let noSuchInput = message(unknown)
        #expect(noSuchInput.contains("no input 'images'") && noSuchInput.contains("'input'"), "\(noSuchInput)")
        var flat = ModelBoundary()
        flat.outputLayout = ["logits": .nhwc]
        let notPermuted = message(flat)
        #expect(notPermuted.contains("--output-layout logits=nhwc") && notPermuted.contains("4-D NCHW"), "\(notPermuted)")
        // Unnamed nhwc leaves a 2-D output alone.
        var all = ModelBoundary()
        all.outputLayout = ["": .nhwc]
        #expect(Self.opcodes(try Self.digitsModel(all)).last == .dequantize)
    }
}
