import Foundation
import SparrowConverter
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import SparrowToolchain
import Testing

/// The ViT fixture (LayerNorm, BatchMatMul of two activations, softmax, GELU table) on a 32-bit
/// and a 64-bit board under qemu: the device's outputs are byte-identical to the host's (the
/// LayerNorm's 64-bit statistics and integer square root included).
@Suite struct TransformerDeviceParityTests {
    @Test(arguments: ["pi4b-armv7", "pi5"])
    func vitOutputIsByteIdenticalToHost(boardName: String) throws {
        let folder = TestFixtures.root.appendingPathComponent("transformer")
        let result = try convert(onnxPath: folder.appendingPathComponent("vit_digits.onnx").path,
                                 options: ConversionOptions(calibrationPath: folder.appendingPathComponent("vit_digits_calib.npy").path))
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("vit.sparrow"), xPath = directory.appendingPathComponent("x.npy")
        try Data(result.bytes).write(to: modelPath)
        // 24 test images keep the qemu run short.
        let x = try NPYArray.read(path: folder.appendingPathComponent("vit_digits_x.npy").path)
        let input = try #require(NPYArray(floats: Array(x.floats()!.prefix(24 * 64)), shape: [24, 1, 8, 8]).encoded())
        try Data(input).write(to: xPath)
        let host = try HostModel(bytes: result.bytes).runBatch(inputFile: input)

        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let build = try cache.build(boardName)
        let y = directory.appendingPathComponent("y.npy")
        let run = try Emulator(builder: cache.builder).run(
            board: board, arguments: ["run", modelPath.path, "--input", xPath.path, "--output", y.path], binary: build.binaryPath)
        #expect(run.exitCode == 0, "stderr: \(String(decoding: run.stderr, as: UTF8.self))")
        #expect(try [UInt8](Data(contentsOf: y)) == host.outputFile, "board \(boardName): output differs from the host")
    }
}
