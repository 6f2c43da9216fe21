import Foundation
import SparrowNPY
import Testing

/// int8 NHWC model input and int8 output through the commands a user types (issue 11 item 3):
/// `sparrow convert --input-type int8 --input-layout nhwc --output-type int8`, `sparrow inspect`
/// showing the ports' scale and zero point, and `sparrow run` / host `sparrow-device run` fed the
/// same float samples (in NHWC) writing the same output bytes as the default float-I/O conversion
/// fed NCHW samples. Bad values are usage errors naming the option.
@Suite struct ModelBoundaryCommandTests {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/digits").standardizedFileURL
    static func fixture(_ name: String) -> String { digits.appendingPathComponent(name).path }

    @Test func int8NHWCModelGivesTheDefaultModelsOutputBytes() throws {
        let sparrow = try sparrowExecutable()
        let device = URL(fileURLWithPath: sparrow).deletingLastPathComponent().appendingPathComponent("sparrow-device").path
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let convert = ["convert", Self.fixture("digits_cnn.onnx"), "--calibration", Self.fixture("digits_calib.npy")]
        #expect(try runTool([sparrow] + convert + ["-o", path("plain.sparrow")]).exitCode == 0)
        let int8 = try runTool([sparrow] + convert + ["-o", path("int8.sparrow"), "--input-type", "int8", "--input-layout", "nhwc",
                                                      "--output-type", "int8"])
        #expect(int8.exitCode == 0, "\(int8.stderr)")
        #expect(!int8.stdout.contains("Quantize") && !int8.stdout.contains("Transpose"), "\(int8.stdout)")
        let inspect = try runTool([sparrow, "inspect", path("int8.sparrow")])
        #expect(inspect.stdout.contains("'input' int8 [1,8,8,1] scale ") && inspect.stdout.contains("'logits' int8 [1,10] scale "),
                "\(inspect.stdout)")

        // 50 samples, NCHW for the default model, NHWC for the int8 one (transposed here).
        let x = try NPYArray.read(path: Self.fixture("digits_test_x.npy")).floats()!
        let nchw = Array(x[0..<(50 * 64)])
        try NPYArray(floats: nchw, shape: [50, 1, 8, 8]).write(path: path("nchw.npy"))
        try NPYArray(floats: nchw, shape: [50, 8, 8, 1]).write(path: path("nhwc.npy"))   // C = 1: same order
        #expect(try runTool([sparrow, "run", path("plain.sparrow"), "--input", path("nchw.npy"), "--output", path("plain.npy")]).exitCode == 0)
        for (tool, out) in [(sparrow, "int8.npy"), (device, "device.npy")] {
            let run = try runTool([tool, "run", path("int8.sparrow"), "--input", path("nhwc.npy"), "--output", path(out)])
            #expect(run.exitCode == 0, "\(tool): \(run.stderr)")
            #expect(FileManager.default.contents(atPath: path(out)) == FileManager.default.contents(atPath: path("plain.npy")), "\(tool)")
        }
        // NCHW samples for the NHWC model: refused before running, naming both shapes.
        let wrong = try runTool([sparrow, "run", path("int8.sparrow"), "--input", path("nchw.npy")])
        #expect(wrong.exitCode == 1 && wrong.stderr.contains("expected [N,8,8,1], found [50,1,8,8]"), "\(wrong.stderr)")

        let bad = try runTool([sparrow] + convert + ["-o", path("bad.sparrow"), "--input-type", "uint4"])
        #expect(bad.exitCode == 2 && bad.stderr.contains("--input-type 'uint4'") && bad.stderr.contains("float32 or int8"), "\(bad.stderr)")
        let unknown = try runTool([sparrow] + convert + ["-o", path("bad.sparrow"), "--input-layout", "images=nhwc"])
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("no input 'images'"), "\(unknown.stderr)")
    }
}
