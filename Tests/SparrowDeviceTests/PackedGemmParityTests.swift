import Foundation
import SparrowConverter
import SparrowFormat
import SparrowRuntime
import SparrowTestSupport
import SparrowToolchain
import Testing

/// The packed operators on the device: the digits CNN converted with packed weights for each
/// board's layout (two 3×3 convs → PackedConvIm2col, a depthwise 3×3 → PackedDepthwise3x3, a 1×1
/// conv and the FC → PackedGemm) runs that board's microkernels under qemu (sdot GEMM on the Pi 5,
/// neon-mlal GEMM on the A53/A72 and armv7, the NEON depthwise kernel everywhere) and must write
/// exactly the output file the host writes for the reference (unpacked) model.
@Suite struct PackedGemmParityTests {
    @Test(arguments: DeviceBuildTests.boardNames)
    func packedModelMatchesTheReferenceOnDevice(boardName: String) throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let build = try cache.build(boardName)
        let digits = DigitsModel.shared
        let reference = try digits.hostResult()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = ConversionOptions(calibrationPath: digits.fixtures.appendingPathComponent("digits_calib.npy").path)
        options.packedWeights = .forBoard(targetCPU: board.targetCPU)
        let packed = try convert(onnxPath: digits.fixtures.appendingPathComponent("digits_cnn.onnx").path, options: options)
        #expect(packed.summary.opCounts["PackedGemm", default: 0] == 2)
        #expect(packed.summary.opCounts["PackedConvIm2col", default: 0] == 2)
        #expect(packed.summary.opCounts["PackedDepthwise3x3", default: 0] == 1)
        #expect(packed.summary.opCounts["Conv2D"] == nil && packed.summary.opCounts["DepthwiseConv2D"] == nil)
        let model = directory.appendingPathComponent("packed.sparrow"), y = directory.appendingPathComponent("y.npy")
        try Data(packed.bytes).write(to: model)
        let run = try Emulator(builder: cache.builder).run(
            board: board, arguments: ["run", model.path, "--input", try digits.inputPath(), "--output", y.path],
            binary: build.binaryPath)
        #expect(run.exitCode == 0, "stderr: \(String(decoding: run.stderr, as: UTF8.self))")
        #expect(try [UInt8](Data(contentsOf: y)) == reference.outputFile, "board \(boardName): packed output differs")
    }
}
