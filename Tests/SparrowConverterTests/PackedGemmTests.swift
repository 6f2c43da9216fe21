// PackedGemm (format 1.3): FC and 1×1 conv weights packed at convert time for a board's GEMM
// microkernel. The oracle is the reference path of the same model: the packed file must give the
// same int8 outputs (compared dequantized: the same scale maps equal codes to equal floats, and
// different codes to different floats) on every sample and every layout.
import Foundation
import SparrowFormat
import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

@Suite struct PackedGemmTests {
    static func convert(_ model: String, packing: PackedGemmLayout?) throws -> [UInt8] {
        var options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
        options.packedWeights = packing
        return try SparrowConverter.convert(onnxPath: IRFixtures.digits(model), options: options).bytes
    }

    @Test(arguments: ["digits_cnn.onnx", "digits_mlp.onnx", "digits_mbv3.onnx", "digits_cnn_qdq.onnx"],
          [PackedGemmLayout.nr16kr4, .nr8kr16])
    func packedOutputsEqualTheReferencePath(model: String, layout: PackedGemmLayout) throws {
        let plain = try Self.convert(model, packing: nil), packed = try Self.convert(model, packing: layout)
        #expect(plain[HeaderField.versionMinor] < 3)
        #expect(packed[HeaderField.versionMinor] == 3)
        #expect(packed.count <= plain.count + plain.count / 20, "file size \(packed.count) vs \(plain.count)")
        let reference = try HostModel(bytes: plain), fast = try HostModel(bytes: packed)
        #expect(fast.model.operatorCount == reference.model.operatorCount)
        var packedOps = 0
        for k in 0..<fast.model.operatorCount where fast.model.op(k).opcode == .packedGemm { packedOps += 1 }
        #expect(packedOps >= 1)
        let x = try IRFixtures.floats(IRFixtures.digits("digits_calib.npy"))
        let n = min(x.shape[0], 64), perSample = x.data.count / x.shape[0]
        for i in 0..<n {
            let sample = Array(x.data[(i * perSample)..<((i + 1) * perSample)])
            #expect(fast.run([sample]) == reference.run([sample]), "\(model) sample \(i)")
        }
    }

    /// A layout this reader does not know, and a 1.3 opcode in a file claiming 1.2, are refused
    /// before anything runs, naming the field.
    @Test func unknownLayoutAndOlderVersionAreRejected() throws {
        let bytes = try Self.convert("digits_cnn.onnx", packing: .nr16kr4)
        // The FC's record: clamp, NR 16, KR 4, N 10, K 32 (digits_cnn's Gemm is 32 → 10).
        let words: [Int32] = [16, 4, 10, 32]
        let pattern = words.flatMap { w in withUnsafeBytes(of: w.littleEndian) { Array($0) } }
        let at = try #require((0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern })
        var badLayout = bytes
        badLayout[at + 4] = 8   // KR 8: no microkernel packs that
        let layoutError = try #require(HostModel.verificationError(Self.resealed(badLayout)))
        #expect(layoutError.reason == .badParameter)
        #expect("\(layoutError.field)".contains("packed layout"))
        var older = bytes
        older[HeaderField.versionMinor] = 2
        let versionError = try #require(HostModel.verificationError(Self.resealed(older)))
        #expect(versionError.reason == .badOpcode)
        // The first packed operator in the file: digits_cnn's first 3×3 conv (PackedConvIm2col).
        #expect(versionError.value == Int(OpCode.packedConvIm2col.rawValue))
        #expect(HostModel.verificationError(bytes) == nil)
    }

    static func resealed(_ b: [UInt8]) -> [UInt8] {
        var bytes = b
        let sum = bytes.withUnsafeBytes { modelChecksum($0) }
        withUnsafeBytes(of: sum.littleEndian) { for i in 0..<4 { bytes[HeaderField.checksum + i] = $0[i] } }
        return bytes
    }
}
