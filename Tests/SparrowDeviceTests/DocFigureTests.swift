// Docs/results.md quotes figures that `sparrow convert` and `sparrow run` print for the digits
// models (its "Accuracy: int8 versus float" table). They went stale once (digits_mbv3's file
// size and MACs moved with the Pad fold and the sparse default); this test runs the commands the
// doc names and compares every figure of those rows with their output.
import Foundation
import SparrowTestSupport
import Testing

@Suite struct DocFigureTests {
    static let resultsDoc = TestFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/results.md")

    /// The cells of the accuracy table's row for `model`: model, float top-1, int8 top-1,
    /// agreement, parameters, file, arena (lower bound), MACs.
    static func row(_ model: String) throws -> [String] {
        let text = try String(contentsOf: resultsDoc, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("| \(model) (") }, "no row for \(model)")
        return line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The text after `label` on its line of `output` ("file size:  19504 bytes" → "19504 bytes").
    static func field(_ label: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(label) }.map { $0.dropFirst(label.count).trimmingCharacters(in: .whitespaces) }
    }

    /// Digits only: "10,592 B" → "10592", "98.89 % (356 / 360)" → "98.89356360".
    static func digits(_ text: String?) -> String { (text ?? "").filter { $0.isNumber || $0 == "." } }

    @Test(arguments: ["digits_cnn", "digits_mlp", "digits_mbv3"])
    func accuracyTableRowMatchesTheCommandsOutput(model: String) throws {
        let cells = try Self.row(model)
        try #require(cells.count == 8, "\(cells)")
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(model + ".sparrow").path
        // The table's command: sparrow convert M.onnx -o M.sparrow --calibration digits_calib.npy
        let convert = try runTool([sparrow, "convert", TestFixtures.digits(model + ".onnx"), "-o", file,
                                   "--calibration", TestFixtures.digits("digits_calib.npy")])
        try #require(convert.exitCode == 0, "\(convert.stderr)")
        let out = convert.stdout
        #expect(Self.digits(cells[4]) == Self.digits(Self.field("parameters:", in: out)), "parameters: doc \(cells[4]); \(out)")
        #expect(Self.digits(cells[5]) == Self.digits(Self.field("file size:", in: out)), "file: doc \(cells[5]); \(out)")
        // "arena:      4096 bytes (lower bound 4096, 1.00x)" against "4,096 B (4,096)"
        let arena = Self.field("arena:", in: out) ?? ""
        let arenaNumbers = arena.split(separator: " ").filter { Int($0.filter(\.isNumber)) != nil && !$0.contains("x") }
            .map { String($0.filter(\.isNumber)) }
        #expect(cells[6].split(separator: " ").map { String($0.filter(\.isNumber)) }.filter { !$0.isEmpty } == arenaNumbers,
                "arena: doc \(cells[6]), convert \(arena)")
        #expect(Self.digits(cells[7]) == Self.digits(Self.field("MACs:", in: out)), "MACs: doc \(cells[7]); \(out)")
        // sparrow run M.sparrow --input digits_test_x.npy --labels digits_test_y.npy → "accuracy: 98.89 % (356 / 360)"
        let run = try runTool([sparrow, "run", file, "--input", TestFixtures.digits("digits_test_x.npy"),
                               "--labels", TestFixtures.digits("digits_test_y.npy")])
        try #require(run.exitCode == 0, "\(run.stderr)")
        let accuracy = Self.field("accuracy:", in: run.stdout)?.split(separator: " ").first.map(String.init)
        #expect(Self.digits(cells[2]) == accuracy, "int8 top-1: doc \(cells[2]), run \(accuracy ?? "?")")
    }
}
