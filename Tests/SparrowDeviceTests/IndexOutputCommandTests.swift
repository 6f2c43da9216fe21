import Foundation
import SparrowNPY
import SparrowToolchain
import Testing

/// ONNX ArgMax/ArgMin results are int64 graph outputs: `sparrow run --output-dir` writes them as
/// `<i8` .npy files next to the float outputs, and `sparrow-device` writes the same bytes, host
/// build and under qemu (pi4b, aarch64, and pi3b-plus-armv7, a 32-bit target).
@Suite struct IndexOutputCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/indices").standardizedFileURL
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    @Test func argMaxOutputsAreInt64FilesOnHostAndDevice() throws {
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("argmax_seg.sparrow").path
        let convert = try runTool([sparrow, "convert", Self.fixture("argmax_seg.onnx"), "-o", model,
                                   "--calibration", Self.fixture("argmax_seg_calib.npy")])
        #expect(convert.exitCode == 0, "\(convert.stderr)")
        let input = ["--input", Self.fixture("argmax_seg_x.npy")]
        let hostDir = directory.appendingPathComponent("host").path
        let run = try runTool([sparrow, "run", model] + input + ["--output-dir", hostDir])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let files = ["classes.npy", "logits.npy", "rows.npy"]
        #expect(try FileManager.default.contentsOfDirectory(atPath: hostDir).sorted() == files)
        let classes = try NPYArray.read(path: hostDir + "/classes.npy"), rows = try NPYArray.read(path: hostDir + "/rows.npy")
        #expect(classes.dtype == .int64 && classes.shape == [16, 1, 6, 6])
        #expect(rows.dtype == .int64 && rows.shape == [16, 5, 6])
        #expect(classes.int64s()!.allSatisfy { (0...4).contains($0) } && rows.int64s()!.allSatisfy { (0...5).contains($0) })

        let deviceDir = directory.appendingPathComponent("device").path
        try FileManager.default.createDirectory(atPath: deviceDir, withIntermediateDirectories: true)
        let devicePath = URL(fileURLWithPath: sparrow).deletingLastPathComponent().appendingPathComponent("sparrow-device").path
        let device = try runTool([devicePath, "run", model] + input + ["--output-dir", deviceDir])
        #expect(device.exitCode == 0, "\(device.stderr)")
        var directories = [("host sparrow-device", deviceDir)]
        let cache = DeviceBuildCache.shared
        for board in ["pi4b", "pi3b-plus-armv7"] {
            let dir = directory.appendingPathComponent(board).path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let qemu = try Emulator(builder: cache.builder).run(board: try cache.catalog.board(named: board),
                                                                arguments: ["run", model] + input + ["--output-dir", dir],
                                                                binary: try cache.build(board).binaryPath)
            #expect(qemu.exitCode == 0, "\(board): \(String(decoding: qemu.stderr, as: UTF8.self))")
            directories.append(("qemu \(board)", dir))
        }
        for file in files {
            let host = try Data(contentsOf: URL(fileURLWithPath: hostDir + "/" + file))
            for (what, dir) in directories {
                #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file)) == host, "\(what) \(file)")
            }
        }
    }
}
