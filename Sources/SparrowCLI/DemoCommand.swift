import Foundation
import SparrowConverter
import SparrowNPY
import SparrowToolchain

/// The main job end to end: convert the bundled digits CNN with its calibration data, run it
/// on the host, cross-build sparrow-device for a board and run the same file under qemu with
/// the board's CPU model; report accuracy, latency and whether the outputs are byte-identical.
enum DemoCommand {
    static let usage = """
    usage: sparrow demo [--board NAME]

    Converts Tests/Fixtures/digits/digits_cnn.onnx (calibrated on digits_calib.npy), runs it on
    the host and, cross-built for the board (default pi4b), under qemu-user with the board's CPU
    model. Files go to .build-demo/ in the repository (or, installed, the cache directory).
      --board NAME         the board to build for and emulate (Boards/NAME.json; default pi4b)
    """

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--board"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        let catalog = try BoardCatalog.locate()
        let board = try a.value("--board").map { n throws(ToolchainError) in try catalog.board(named: n) } ?? catalog.defaultBoard
        let root = catalog.root
        let fixtures = root.appendingPathComponent("Tests/Fixtures/digits")
        let work = RepositoryRoot.workDirectory(root: root, name: "build-demo")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
        func output(_ name: String) -> String { work.appendingPathComponent(name).path }

        print("== 1. convert digits_cnn.onnx to int8 (calibration: digits_calib.npy, 200 samples), packed for \(board.name)")
        // As `sparrow convert --board` does by default: weights packed for the board's microkernels.
        var options = ConversionOptions(calibrationPath: fixture("digits_calib.npy"))
        options.packedWeights = .forBoard(targetCPU: board.targetCPU)
        let result = try convert(onnxPath: fixture("digits_cnn.onnx"), options: options)
        let modelPath = output("digits_cnn.sparrow")
        try writeFileBytes(result.bytes, to: modelPath, what: "model")
        print(result.summary.description)

        print("\n== 2. run on the host (same interpreter and kernels as the device), 360 test images")
        _ = try RunCommand.main([modelPath, "--input", fixture("digits_test_x.npy"), "--labels", fixture("digits_test_y.npy"),
                                 "--output", output("host_y.npy"), "--compare", fixture("digits_cnn.onnx")])

        print("\n== 3. cross-build sparrow-device for \(board.name) (\(board.description))")
        let builder = DeviceBuilder(catalog: catalog)
        let build = try builder.build(board: board)
        print("\(build.binaryPath.path): \(build.size) bytes (Sparrow's own code \(build.sparrowCodeSize) bytes)")

        print("\n== 4. run it under qemu as the board would (\(Emulator(builder: builder).command(board: board, binary: build.binaryPath, arguments: []).prefix(3).joined(separator: " ")))")
        let emulated = try Emulator(builder: builder).run(
            board: board, arguments: ["run", modelPath, "--input", fixture("digits_test_x.npy"), "--output", output("device_y.npy")],
            binary: build.binaryPath)
        fflush(stdout)
        FileHandle.standardOutput.write(emulated.stdout)
        FileHandle.standardError.write(emulated.stderr)
        guard emulated.exitCode == 0 else { throw CLIError("sparrow-device exited with status \(emulated.exitCode)") }
        print("(latency above is under instruction-level emulation on this machine, not the board's)")

        let hostBytes = try readFileBytes(output("host_y.npy"), what: "host output")
        let deviceBytes = try readFileBytes(output("device_y.npy"), what: "device output")
        let device = try NPYArray(bytes: deviceBytes)
        let labels = try readLabels(fixture("digits_test_y.npy"), count: device.shape[0])
        let logits = device.floats() ?? []
        let width = logits.count / max(labels.count, 1)
        let correct = (0..<labels.count).filter { argmax(logits, row: $0, width: width) == labels[$0] }.count
        print(String(format: "device accuracy: %.2f %% (%d / %d)", 100 * Double(correct) / Double(labels.count), correct, labels.count))
        print("device output vs host output: \(hostBytes == deviceBytes ? "byte-identical" : "DIFFERENT") (\(deviceBytes.count) bytes)")
        return hostBytes == deviceBytes ? 0 : 1
    }
}
