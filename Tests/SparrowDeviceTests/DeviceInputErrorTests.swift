import Foundation
import SparrowNPY
import SparrowTestSupport
import SparrowToolchain
import Testing

@Suite struct DeviceInputErrorTests {
    /// `sparrow-device run` and `bench` under qemu (one board, one test to keep the time small)
    /// reject bad files with one specific line on stderr and exit status 1, never a crash and
    /// never after running: a corrupt model, int64 input, int32 or uint8 samples for an int8-input
    /// model (it takes float32 or its own int8 codes), zero samples, a labels count that does not
    /// match, and output paths that cannot be created.
    @Test func badFilesFailCleanlyOnDevice() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let emulator = Emulator(builder: cache.builder)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let model = try DigitsModel.shared.modelPath(), input = try DigitsModel.shared.inputPath()

        // Corrupt: the real model with one byte inside its operator table flipped (the checksum catches it).
        var corrupt = try [UInt8](Data(contentsOf: URL(fileURLWithPath: model)))
        corrupt[corrupt.count / 2] ^= 0x40
        try Data(corrupt).write(to: URL(fileURLWithPath: path("corrupt.sparrow")))
        try NPYArray(int64s: [Int64](repeating: 1, count: 96 * 64), shape: [96, 1, 8, 8]).write(path: path("int64.npy"))
        try NPYArray(floats: [], shape: [0, 1, 8, 8]).write(path: path("empty.npy"))
        try NPYArray(int64s: [Int64](repeating: 3, count: 95), shape: [95]).write(path: path("labels95.npy"))
        let missingDirectory = path("no-such-directory")
        // An int8-input model (an int8 TFLite model's) and its own int8 samples as int32 and uint8.
        let int8Model = TestFixtures.root.appendingPathComponent("parity/arg_max_int8.sparrow").path
        let codes = try NPYArray.read(path: TestFixtures.root.appendingPathComponent("parity/arg_max_int8.in0.npy").path)
        try NPYArray(int32s: codes.data.map { Int32(Int8(bitPattern: $0)) }, shape: codes.shape).write(path: path("int32.npy"))
        try NPYArray(uint8s: codes.data, shape: codes.shape).write(path: path("uint8.npy"))
        let codesMessage = "input .npy must be float32 (quantized on load) or the model input's own dtype (its int8/uint8 codes as they are)"

        let cases: [(args: [String], message: String)] = [
            (["run", path("corrupt.sparrow"), "--input", input], "corrupt.sparrow: invalid model: "),
            (["bench", path("corrupt.sparrow"), "--input", input], "corrupt.sparrow: invalid model: "),
            (["run", model, "--input", path("int64.npy")], "int64.npy: input .npy must be float32 (write it with x.astype(np.float32)) (found dtype <i8)"),
            (["bench", model, "--input", path("int64.npy")], "int64.npy: input .npy must be float32 (write it with x.astype(np.float32)) (found dtype <i8)"),
            (["run", model, "--input", path("empty.npy")], "empty.npy: input .npy has no samples (first dimension 0)"),
            (["bench", model, "--input", path("empty.npy")], "empty.npy: input .npy has no samples (first dimension 0)"),
            (["bench", model, "--input", input, "--labels", path("labels95.npy")], "labels95.npy: 95 labels for 96 samples"),
            (["run", int8Model, "--input", path("int32.npy")], "int32.npy: \(codesMessage) (model input dtype |i1, found dtype <i4)"),
            (["run", int8Model, "--input", path("uint8.npy")], "uint8.npy: \(codesMessage) (model input dtype |i1, found dtype |u1)"),
            (["run", model, "--input", input, "--output", missingDirectory + "/y.npy"], "no-such-directory/y.npy: cannot create or write file (errno 2)"),
            (["run", model, "--input", input, "--exit-index", missingDirectory + "/e.npy"], "no-such-directory/e.npy: cannot create or write file (errno 2)"),
            (["bench", model, "--input", input, "--json", missingDirectory + "/run.json"], "no-such-directory/run.json: cannot create or write file (errno 2)"),
            (["bench", model, "--input", input, "--csv", missingDirectory + "/run.csv"], "no-such-directory/run.csv: cannot create or write file (errno 2)"),
        ]
        for c in cases {
            let r = try emulator.run(board: board, arguments: c.args + (c.args[0] == "bench" ? ["--quiet"] : []), binary: build.binaryPath)
            let stderr = String(decoding: r.stderr, as: UTF8.self)
            #expect(r.exitCode == 1, "\(c.args): exit \(r.exitCode), stderr \(stderr)")
            #expect(stderr.hasPrefix("sparrow-device: ") && stderr.contains(c.message), "\(c.args): \(stderr)")
            #expect(stderr.split(separator: "\n").count == 1, "one line: \(stderr)")
            #expect(r.stdout.isEmpty, "\(c.args) failed before running: \(String(decoding: r.stdout, as: UTF8.self))")
        }
        #expect(!FileManager.default.fileExists(atPath: missingDirectory))

        // The host commands say the same about the same inputs.
        let sparrow = try sparrowExecutable()
        for (args, message) in cases.prefix(7) {
            let r = try runTool([sparrow] + args + (args[0] == "bench" ? ["--quiet"] : []))
            #expect(r.exitCode == 1 && r.stderr.contains(message), "host \(args): \(r.stderr)")
        }
        // The host's `run` of one plain file of codes writes the model's own output dtype (for
        // byte comparisons with LiteRT) and words the dtype error its own way.
        for (file, found) in [("int32.npy", "<i4"), ("uint8.npy", "|u1")] {
            let r = try runTool([sparrow, "run", int8Model, "--input", path(file)])
            #expect(r.exitCode == 1 && r.stderr.contains("\(file): the model's input is int8; write the samples with x.astype(np.int8) (found dtype \(found))"),
                    "host \(file): \(r.stderr)")
            let named = try runTool([sparrow, "run", int8Model, "--input", "input_0=" + path(file), "--output-dir", directory.path])
            #expect(named.exitCode == 1 && named.stderr.contains("\(file): \(codesMessage) (model input dtype |i1, found dtype \(found))"),
                    "host NAME=\(file): \(named.stderr)")
        }
    }
}
