import Foundation
import SparrowConverter
import Testing

/// The built `sparrow` executable: every subcommand's `--help` works, and bad subcommands, bad
/// options and missing arguments fail with a clear message and a non-zero status.
@Suite struct CLIUsageTests {
    static let commands = ["convert", "inspect", "run", "bench", "report", "build-device", "emulate",
                           "bench-sparse", "bench-kernels", "bench-exits", "soak", "operators", "demo"]

    @Test func everySubcommandHasHelp() throws {
        let sparrow = try sparrowExecutable()
        let overview = try runTool([sparrow, "--help"])
        #expect(overview.exitCode == 0 && overview.stderr.isEmpty)
        for command in Self.commands {
            #expect(overview.stdout.contains("\n  \(command) "), "`sparrow --help` lists \(command)")
            let help = try runTool([sparrow, command, "--help"])
            #expect(help.exitCode == 0, "\(command) --help: exit \(help.exitCode), \(help.stderr)")
            #expect(help.stdout.hasPrefix("usage: sparrow \(command)"), "\(command) --help: \(help.stdout)")
            #expect(help.stderr.isEmpty, "\(command) --help: \(help.stderr)")
        }
        // And the README documents every command the tool has.
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md"), encoding: .utf8)
        for command in Self.commands where command != "demo" {
            #expect(readme.contains("sparrow \(command)"), "README mentions `sparrow \(command)`")
        }
    }

    @Test func badUsageFailsWithAMessage() throws {
        let sparrow = try sparrowExecutable()
        let unknown = try runTool([sparrow, "frobnicate"])
        #expect(unknown.exitCode == 2)
        #expect(unknown.stderr.hasPrefix("sparrow: unknown command 'frobnicate'"))
        #expect(unknown.stdout.isEmpty)
        for command in Self.commands {
            let r = try runTool([sparrow, command, "--no-such-option"])
            #expect(r.exitCode == 2, "\(command): exit \(r.exitCode)")
            #expect(r.stderr.hasPrefix("sparrow \(command): unknown option --no-such-option"), "\(command): \(r.stderr)")
        }
        // A missing value, a missing required argument, and a stray argument.
        let noValue = try runTool([sparrow, "build-device", "--board"])
        #expect(noValue.exitCode == 2 && noValue.stderr.contains("option --board needs a value"), "\(noValue.stderr)")
        let noInput = try runTool([sparrow, "run", "model.sparrow"])
        #expect(noInput.exitCode == 2 && noInput.stderr.contains("missing --input X.npy"), "\(noInput.stderr)")
        let stray = try runTool([sparrow, "emulate", "stray", "--", "info", "m.sparrow"])
        #expect(stray.exitCode == 2 && stray.stderr.contains("unexpected argument 'stray'"), "\(stray.stderr)")
        // A failure that is not about usage exits 1.
        let missing = try runTool([sparrow, "inspect", "/no/such/model.sparrow"])
        #expect(missing.exitCode == 1 && missing.stderr.contains("cannot read model '/no/such/model.sparrow'"), "\(missing.stderr)")
    }

    /// `sparrow soak`: a short soak of a real model reports identical outputs in every run and
    /// flat memory (the interpreter never allocates); the million-run figure is in Docs/robustness.md.
    @Test func soakReportsIdenticalOutputsAndFlatMemory() throws {
        let sparrow = try sparrowExecutable()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/digits")
        let options = ConversionOptions(calibrationPath: fixtures.appendingPathComponent("digits_calib.npy").path)
        let bytes = try convert(onnxPath: fixtures.appendingPathComponent("digits_mlp.onnx").path, options: options).bytes
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(getpid()).sparrow")
        try Data(bytes).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let soak = try runTool([sparrow, "soak", path.path, "--iterations", "5000"])
        #expect(soak.exitCode == 0, "\(soak.stdout)\(soak.stderr)")
        #expect(soak.stdout.contains("runs:       5000 in"))
        #expect(soak.stdout.contains("outputs:    identical in every run"))
        #expect(soak.stdout.contains("bytes at start (after 50 warm-up runs;"))
    }
}
