import Foundation
import SparrowNPY
import SparrowToolchain
import Testing

/// Several inputs and outputs through the commands a user types (issue 12 item 2): `sparrow
/// convert --calibration NAME=FILE`, `sparrow run --input NAME=FILE --output-dir`, and the same
/// run on `sparrow-device`, host build and under qemu (pi4b), writing byte-identical
/// `<output name>.npy` files. Plus `convert --input-shape` on an export with symbolic H and W.
@Suite struct MultiIOCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/multiio").standardizedFileURL
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The host build of sparrow-device sits next to sparrow.
    func hostDevice() throws -> String {
        let path = URL(fileURLWithPath: try sparrowExecutable()).deletingLastPathComponent().appendingPathComponent("sparrow-device").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "no host sparrow-device at \(path)")
        return path
    }

    @Test func fusionModelRunsWithNamedInputsAndWritesEveryOutput() throws {
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("fusion.sparrow").path
        let convert = try runTool([sparrow, "convert", Self.fixture("fusion.onnx"), "-o", model,
                                   "--calibration", "imu=" + Self.fixture("fusion_calib_imu.npy"),
                                   "--calibration", "image=" + Self.fixture("fusion_calib_image.npy")])
        #expect(convert.exitCode == 0, "\(convert.stderr)")
        let inputs = ["--input", "image=" + Self.fixture("fusion_test_image.npy"), "--input", "imu=" + Self.fixture("fusion_test_imu.npy")]
        let hostDir = directory.appendingPathComponent("host").path
        let run = try runTool([sparrow, "run", model] + inputs + ["--output-dir", hostDir, "--labels", Self.fixture("fusion_test_y.npy")])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout.contains("wrote 2 outputs to \(hostDir)") && run.stdout.contains("accuracy: "), "\(run.stdout)")
        let files = ["fused_logits.npy", "image_kind.npy"]
        #expect(try FileManager.default.contentsOfDirectory(atPath: hostDir).sorted() == files)
        let logits = try NPYArray.read(path: hostDir + "/fused_logits.npy"), kind = try NPYArray.read(path: hostDir + "/image_kind.npy")
        #expect(logits.shape == [400, 4] && kind.shape == [400, 2])
        // Against onnxruntime's float outputs: the int8 arg-max agrees on at least 97 % of samples.
        let reference = try NPYArray.read(path: Self.fixture("fusion_ref_logits.npy")).floats()!
        let int8 = logits.floats()!
        func top1(_ v: [Float], _ i: Int) -> Int { (0..<4).max { v[i * 4 + $0] < v[i * 4 + $1] }! }
        #expect((0..<400).filter { top1(int8, $0) == top1(reference, $0) }.count >= 388)

        // bench feeds both inputs too: its accuracy is that of the run's output file.
        let labels = try NPYArray.read(path: Self.fixture("fusion_test_y.npy")).int64s()!
        let correct = (0..<400).filter { Int64(top1(int8, $0)) == labels[$0] }.count
        for tool in [sparrow, try hostDevice()] {
            let bench = try runTool([tool, "bench", model] + inputs + ["--labels", Self.fixture("fusion_test_y.npy"), "--iterations", "1",
                                                                    "--warmup", "0", "--quiet", "--power", "none"])
            #expect(bench.exitCode == 0 && bench.stdout.contains("accuracy: \(correct) / 400"), "\(tool): \(bench.stdout) \(bench.stderr)")
        }

        // sparrow-device, host build and under qemu: the same bytes (its directory must exist).
        let deviceDir = directory.appendingPathComponent("device").path
        try FileManager.default.createDirectory(atPath: deviceDir, withIntermediateDirectories: true)
        let device = try runTool([try hostDevice(), "run", model] + inputs + ["--output-dir", deviceDir])
        #expect(device.exitCode == 0, "\(device.stderr)")
        let cache = DeviceBuildCache.shared
        let qemuDir = directory.appendingPathComponent("qemu").path
        try FileManager.default.createDirectory(atPath: qemuDir, withIntermediateDirectories: true)
        let qemu = try Emulator(builder: cache.builder).run(board: try cache.catalog.board(named: "pi4b"),
                                                            arguments: ["run", model] + inputs + ["--output-dir", qemuDir],
                                                            binary: try cache.build("pi4b").binaryPath)
        #expect(qemu.exitCode == 0, "\(String(decoding: qemu.stderr, as: UTF8.self))")
        for file in files {
            let host = try Data(contentsOf: URL(fileURLWithPath: hostDir + "/" + file))
            #expect(try Data(contentsOf: URL(fileURLWithPath: deviceDir + "/" + file)) == host, "host sparrow-device \(file)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: qemuDir + "/" + file)) == host, "qemu pi4b \(file)")
        }

        // `info` on the board lists the names to use.
        let info = try Emulator(builder: cache.builder).run(board: try cache.catalog.board(named: "pi4b"), arguments: ["info", model],
                                                            binary: try cache.build("pi4b").binaryPath)
        let infoText = String(decoding: info.stdout, as: UTF8.self)
        #expect(infoText.contains("input 'image' [1,1,16,16]\ninput 'imu' [1,3,32]\noutput 'fused/logits' [1,4]\noutput 'image:kind' [1,2]\n"),
                "\(infoText)")

        // Naming mistakes get one specific line on both sides, before anything runs.
        let image = "image=" + Self.fixture("fusion_test_image.npy")
        let hostMissing = try runTool([sparrow, "run", model, "--input", image])
        #expect(hostMissing.exitCode == 1 && hostMissing.stderr.contains("no file for input 'imu' (the model's inputs: 'image', 'imu'); give --input NAME=FILE for each"), "\(hostMissing.stderr)")
        let deviceMissing = try runTool([try hostDevice(), "run", model, "--input", image])
        #expect(deviceMissing.exitCode == 1 && deviceMissing.stderr == "sparrow-device: no --input for model input 'imu' (1 given for 2 inputs); give --input NAME=FILE for each: 'image' 'imu'\n",
                "\(deviceMissing.stderr)")
        let unknown = try runTool([try hostDevice(), "run", model, "--input", image, "--input", "gyro=x.npy"])
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("--input gyro=x.npy: no model input of that name"), "\(unknown.stderr)")
        let calibration = try runTool([sparrow, "convert", Self.fixture("fusion.onnx"), "-o", model, "--calibration", Self.fixture("fusion_calib_image.npy")])
        #expect(calibration.exitCode == 1 && calibration.stderr.contains("the model has 2 inputs ('image', 'imu'): give --calibration NAME=FILE for each"),
                "\(calibration.stderr)")
    }

    @Test func symbolicDimensionsNeedAnInputShape() throws {
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("dynamic.sparrow").path
        let args = [sparrow, "convert", Self.fixture("dynamic_cnn.onnx"), "-o", model, "--calibration", Self.fixture("dynamic_x_40x24.npy")]
        let unset = try runTool(args)
        #expect(unset.exitCode == 1 && unset.stderr.contains("input 'images': dimension 2 is symbolic ('height')")
                && unset.stderr.contains("--input-shape images=1,3,height,width"), "\(unset.stderr)")
        let fixed = try runTool(args + ["--input-shape", "images=1,3,40,24"])
        #expect(fixed.exitCode == 0, "\(fixed.stderr)")
        let bad = try runTool(args + ["--input-shape", "images=1,3,forty,24"])
        #expect(bad.exitCode == 1 && bad.stderr.contains("every dimension a whole number >= 1"), "\(bad.stderr)")
        // --compare imports the ONNX model at the converted model's input shapes.
        let run = try runTool([sparrow, "run", model, "--input", Self.fixture("dynamic_x_40x24.npy"), "--compare", Self.fixture("dynamic_cnn.onnx")])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout.contains("output 'logits'") && run.stdout.contains("output 'heatmap'"), "\(run.stdout)")
    }
}
