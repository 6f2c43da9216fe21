import Foundation
import SparrowConverter
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import SparrowToolchain
import Testing

/// The digits CNN converted once per test run, with a 96-sample input file and the host's output.
final class DigitsModel: @unchecked Sendable {
    static let shared = DigitsModel()
    private let lock = NSLock()
    private var prepared: (directory: URL, arena: Int, host: HostBatchResult)?

    var fixtures: URL { TestFixtures.digitsDirectory }

    private func prepare() throws -> (directory: URL, arena: Int, host: HostBatchResult) {
        try lock.withLock {
            if let prepared { return prepared }
            let directory = try makeTemporaryDirectory()
            let result = try convert(onnxPath: fixtures.appendingPathComponent("digits_cnn.onnx").path,
                                     options: ConversionOptions(calibrationPath: fixtures.appendingPathComponent("digits_calib.npy").path))
            try Data(result.bytes).write(to: directory.appendingPathComponent("digits_cnn.sparrow"))
            // The first 96 test images keep qemu runs short.
            let x = try NPYArray.read(path: fixtures.appendingPathComponent("digits_test_x.npy").path)
            let subset = NPYArray(floats: Array(x.floats()!.prefix(96 * 64)), shape: [96, 1, 8, 8])
            let inputBytes = try #require(subset.encoded())
            try Data(inputBytes).write(to: directory.appendingPathComponent("x.npy"))
            // The host side: the same interpreter and batch code `sparrow run` uses.
            let model = try HostModel(bytes: result.bytes)
            let host = try model.runBatch(inputFile: inputBytes)
            prepared = (directory, model.model.arenaSize, host)
            return prepared!
        }
    }

    func modelPath() throws -> String { try prepare().directory.appendingPathComponent("digits_cnn.sparrow").path }
    func inputPath() throws -> String { try prepare().directory.appendingPathComponent("x.npy").path }
    var arenaSize: Int { (try? prepare().arena) ?? -1 }
    func hostResult() throws -> HostBatchResult { try prepare().host }
}

@Suite struct HostDeviceParityTests {
    /// Issue 4's acceptance test: on every board profile, under qemu with that board's CPU, the
    /// device's output and exit-index files are byte-identical to the host's.
    @Test(arguments: DeviceBuildTests.boardNames)
    func deviceOutputIsByteIdenticalToHost(boardName: String) throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let build = try cache.build(boardName)
        let digits = DigitsModel.shared
        let host = try digits.hostResult()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let y = directory.appendingPathComponent("y.npy"), e = directory.appendingPathComponent("e.npy")
        let run = try Emulator(builder: cache.builder).run(
            board: board,
            arguments: ["run", try digits.modelPath(), "--input", try digits.inputPath(), "--output", y.path, "--exit-index", e.path],
            binary: build.binaryPath)
        #expect(run.exitCode == 0, "stderr: \(String(decoding: run.stderr, as: UTF8.self))")
        let stdout = String(decoding: run.stdout, as: UTF8.self)
        #expect(stdout.contains("samples: 96"), "stdout: \(stdout)")
        let deviceOutput = try [UInt8](Data(contentsOf: y))
        #expect(deviceOutput.count == host.outputFile.count)
        #expect(deviceOutput == host.outputFile, "board \(boardName): output differs from the host")
        #expect(try [UInt8](Data(contentsOf: e)) == host.exitIndexFile)
        // And the host result is numpy-readable and sensible: 96 rows of 10 logits.
        let parsed = try NPYArray(bytes: deviceOutput)
        #expect(parsed.shape == [96, 10])
    }

    /// A wrong-size input is rejected on the device with a specific message, not a crash.
    @Test func wrongInputSizeIsRejectedOnDevice() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.npy")
        try Data(NPYArray(floats: [Float](repeating: 0, count: 2 * 49), shape: [2, 7, 7]).encoded()!).write(to: bad)
        let run = try Emulator(builder: cache.builder).run(
            board: board, arguments: ["run", try DigitsModel.shared.modelPath(), "--input", bad.path], binary: build.binaryPath)
        #expect(run.exitCode == 1)
        #expect(String(decoding: run.stderr, as: UTF8.self).contains("sample size does not match the model input"))
        #expect(String(decoding: run.stderr, as: UTF8.self).contains("(64, 49)"))
    }
}
