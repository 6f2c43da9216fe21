import Foundation
import SparrowNPY
import Testing

/// `.tflite` models through the commands a user types (issue 13): `sparrow run --compare` with
/// LiteRT's reference outputs checks every graph output, and the model-boundary options of
/// `sparrow convert` mean something on a .tflite model.
@Suite struct TFLiteCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/tflite").standardizedFileURL
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// pooling.int8 has five outputs: one --compare per output (LiteRT BUILTIN_REF goldens, made
    /// by make_tflite_fixtures.py), or a directory of <output name>.npy; one file alone is refused.
    @Test func compareChecksEveryOutput() throws {
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("pooling.sparrow").path
        let convert = try runTool([sparrow, "convert", Self.fixture("models/pooling.int8.tflite"), "-o", model])
        #expect(convert.exitCode == 0, "\(convert.stderr)")
        let input = ["--input", Self.fixture("golden/pooling.int8.in0.npy")]
        let references = (0..<5).map { Self.fixture("golden/pooling.int8.out\($0).npy") }
        let run = try runTool([sparrow, "run", model] + input + references.flatMap { ["--compare", $0] })
        #expect(run.exitCode == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("compare output") }
        #expect(lines.count == 5, "\(run.stdout)")
        #expect(lines.allSatisfy { $0.contains("bytes equal (100.00 %), largest code difference 0") }, "\(run.stdout)")
        // The directory form: the same files under the names --output-dir gives the outputs.
        let refs = directory.appendingPathComponent("refs")
        try FileManager.default.createDirectory(at: refs, withIntermediateDirectories: true)
        for (k, path) in references.enumerated() {
            try FileManager.default.copyItem(atPath: path, toPath: refs.appendingPathComponent(k == 0 ? "Identity.npy" : "Identity_\(k).npy").path)
        }
        let viaDirectory = try runTool([sparrow, "run", model] + input + ["--compare", refs.path])
        #expect(viaDirectory.exitCode == 0, "\(viaDirectory.stderr)")
        #expect(viaDirectory.stdout.components(separatedBy: "(100.00 %)").count == 6, "\(viaDirectory.stdout)")
        let one = try runTool([sparrow, "run", model] + input + ["--compare", references[0]])
        #expect(one.exitCode != 0 && one.stderr.contains("the model has 5 outputs and 1 reference file was given"), "\(one.stderr)")
    }

    /// int8 edges on an int8 model and either layout are accepted; float32 on an int8 input is
    /// refused with the reason; a float .tflite with --input-type int8 takes the codes.
    @Test func boundaryOptionsOnTFLiteModels() throws {
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("m.sparrow").path
        let same = try runTool([sparrow, "convert", Self.fixture("models/conv.int8.tflite"), "-o", out, "--input-type", "int8",
                                "--output-type", "int8", "--input-layout", "nhwc", "--output-layout", "onnx"])
        #expect(same.exitCode == 0, "\(same.stderr)")
        let refused = try runTool([sparrow, "convert", Self.fixture("models/conv.int8.tflite"), "-o", out, "--output-type", "float32"])
        #expect(refused.exitCode != 0 && refused.stderr.contains("--output-type float32: output 'Identity' is INT8 in the model"),
                "\(refused.stderr)")
        let float = try runTool([sparrow, "convert", Self.fixture("models/conv.float.tflite"), "-o", out, "--calibration",
                                 Self.fixture("golden/conv.calib.npy"), "--input-type", "int8", "--input-layout", "nhwc"])
        #expect(float.exitCode == 0, "\(float.stderr)")
        let inspect = try runTool([sparrow, "inspect", out])
        #expect(inspect.stdout.contains("'input_0' int8 [1,12,12,3]") && !inspect.stdout.contains("Quantize '"), "\(inspect.stdout)")
    }
}
