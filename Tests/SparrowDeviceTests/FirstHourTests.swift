import Foundation
import SparrowNPY
import SparrowToolchain
import Testing

/// What a new user meets in the first hour (issue 16), through the built executables: both tools
/// refuse what they do not understand by name (exit 2), bad input stops before the first
/// inference (exit 1), non-ONNX files given to `convert` are named, every `--help` explains every
/// option, and `bench` / `report` show what the user needs on screen.
@Suite struct FirstHourTests {
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL }

    /// The files of one test: the digits model, its 96-sample input, and whatever the test writes.
    struct Files {
        let directory: URL
        let model: String, input: String, labels: String
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        init() throws {
            directory = try makeTemporaryDirectory()
            model = try DigitsModel.shared.modelPath()
            input = try DigitsModel.shared.inputPath()
            let y = try NPYArray.read(path: DigitsModel.shared.fixtures.appendingPathComponent("digits_test_y.npy").path)
            labels = directory.appendingPathComponent("y96.npy").path
            try NPYArray(int64s: Array(try #require(y.int64s()).prefix(96)), shape: [96]).write(path: labels)
        }
    }

    // MARK: - sparrow-device and sparrow share one grammar

    /// Unknown options, host-only options, stray arguments and missing values: the device says
    /// what the host says (`PROGRAM COMMAND: ...`), exit 2, nothing run, nothing written.
    @Test func deviceRefusesWhatItDoesNotUnderstandLikeTheHost() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let emulator = Emulator(builder: cache.builder)
        let sparrow = try sparrowExecutable()
        let f = try Files()
        defer { try? FileManager.default.removeItem(at: f.directory) }
        let typo = f.path("out.npy")
        let cases: [(args: [String], message: String)] = [
            (["run", f.model, "--input", f.input, "--ouput", typo], "unknown option --ouput (see --help)"),
            (["bench", f.model, "--input", f.input, "--iteration", "5"], "unknown option --iteration (see --help)"),
            (["run", f.model, "--input", f.input, "stray.npy"], "unexpected argument 'stray.npy' (see --help)"),
            (["run", f.model, "--input"], "option --input needs a value"),
            (["run", f.model], "missing --input X.npy"),
            (["bench", "--input", f.input], "missing the model file MODEL.sparrow"),
        ]
        for c in cases {
            let device = try emulator.run(board: board, arguments: c.args, binary: build.binaryPath)
            let deviceError = String(decoding: device.stderr, as: UTF8.self)
            #expect(device.exitCode == 2, "device \(c.args): exit \(device.exitCode)")
            #expect(deviceError.hasPrefix("sparrow-device \(c.args[0]): \(c.message)"), "device \(c.args): \(deviceError)")
            #expect(device.stdout.isEmpty, "device \(c.args) ran: \(String(decoding: device.stdout, as: UTF8.self))")
            let host = try runTool([sparrow] + c.args)
            #expect(host.exitCode == 2, "host \(c.args): exit \(host.exitCode)")
            #expect(host.stderr.hasPrefix("sparrow \(c.args[0]): \(c.message)"), "host \(c.args): \(host.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: typo))

        // --compare needs the ONNX importer: the device refuses it by name; the host runs it.
        let compare = try emulator.run(board: board, arguments: ["run", f.model, "--input", f.input, "--compare", "m.onnx"],
                                       binary: build.binaryPath)
        let compareError = String(decoding: compare.stderr, as: UTF8.self)
        #expect(compare.exitCode == 2 && compareError.hasPrefix("sparrow-device run: --compare is host-only"), "\(compareError)")

        // --labels is understood on the device and gives the host's accuracy line.
        let deviceRun = try emulator.run(board: board, arguments: ["run", f.model, "--input", f.input, "--labels", f.labels],
                                         binary: build.binaryPath)
        let hostRun = try runTool([sparrow, "run", f.model, "--input", f.input, "--labels", f.labels])
        let accuracy = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("accuracy: ") }.map(String.init) }
        let deviceAccuracy = accuracy(String(decoding: deviceRun.stdout, as: UTF8.self))
        #expect(deviceRun.exitCode == 0 && hostRun.exitCode == 0)
        #expect(deviceAccuracy != nil && deviceAccuracy == accuracy(hostRun.stdout), "\(String(describing: deviceAccuracy)) vs \(hostRun.stdout)")

        // Every option `sparrow-device COMMAND --help` lists is one `sparrow COMMAND --help` lists.
        for command in ["run", "bench"] {
            let deviceHelp = try emulator.run(board: board, arguments: [command, "--help"], binary: build.binaryPath)
            let hostHelp = try runTool([sparrow, command, "--help"])
            let options = { (text: String) in Set(text.split(separator: "\n").filter { $0.hasPrefix("  --") }.map { $0.split(separator: " ")[0] }) }
            let deviceOptions = options(String(decoding: deviceHelp.stdout, as: UTF8.self))
            #expect(deviceHelp.exitCode == 0 && deviceOptions.count >= 5, "\(command): \(deviceOptions)")
            #expect(deviceOptions == options(hostHelp.stdout), "\(command): device \(deviceOptions) vs host \(options(hostHelp.stdout))")
        }
    }

    // MARK: - sparrow run / bench: input checked before the first inference

    @Test func runChecksShapeAndLabelsBeforeRunning() throws {
        let sparrow = try sparrowExecutable()
        let f = try Files()
        defer { try? FileManager.default.removeItem(at: f.directory) }
        let x = try NPYArray.read(path: f.input)
        // Same 64 values per sample, wrong layout.
        try NPYArray(floats: try #require(x.floats()), shape: [96, 64]).write(path: f.path("flat.npy"))
        try NPYArray(int32s: [Int32](repeating: 1, count: 96), shape: [96]).write(path: f.path("labels_i32.npy"))
        try NPYArray(int64s: [Int64](repeating: 1, count: 95), shape: [95]).write(path: f.path("labels_95.npy"))
        let cases: [(args: [String], message: String)] = [
            (["--input", f.path("flat.npy")], "flat.npy: input .npy shape does not match the model input (samples first, then the model's own dims) (expected [N,1,8,8], found [96,64])"),
            (["--input", f.input, "--labels", f.path("labels_i32.npy")], "labels_i32.npy: labels must be int64 (np.int64) (found dtype <i4)"),
            (["--input", f.input, "--labels", f.path("labels_95.npy")], "labels_95.npy: 95 labels for 96 samples"),
            (["--input", f.input, "--output", f.path("no-such-dir/y.npy")], "cannot write output"),
        ]
        for c in cases {
            for command in ["run", "bench"] where command == "run" || !c.args.contains("--output") {
                let r = try runTool([sparrow, command, f.model] + c.args + (command == "bench" ? ["--quiet"] : []))
                #expect(r.exitCode == 1, "\(command) \(c.args): exit \(r.exitCode) \(r.stderr)")
                #expect(r.stderr.contains(c.message), "\(command) \(c.args): \(r.stderr)")
                // Stopped before the first inference: nothing on stdout.
                #expect(r.stdout.isEmpty, "\(command) \(c.args) ran: \(r.stdout)")
            }
        }
        // Bad option values are usage errors, exit 2 (Docs/harness.md), naming the value.
        let iterations = try runTool([sparrow, "bench", f.model, "--input", f.input, "--iterations", "abc"])
        #expect(iterations.exitCode == 2 && iterations.stderr.contains("--iterations needs a non-negative integer, got 'abc'"), "\(iterations.stderr)")
        let power = try runTool([sparrow, "bench", f.model, "--input", f.input, "--power", "solar"])
        #expect(power.exitCode == 2 && power.stderr.contains("--power must be"), "\(power.stderr)")
    }

    // MARK: - convert names what it was given

    @Test func convertNamesFilesThatAreNotONNX() throws {
        let sparrow = try sparrowExecutable()
        let f = try Files()
        defer { try? FileManager.default.removeItem(at: f.directory) }
        try Data("name,value\n1,2\n".utf8).write(to: URL(fileURLWithPath: f.path("table.csv")))
        try Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]).write(to: URL(fileURLWithPath: f.path("model.pt")))
        let cases: [(file: String, message: String)] = [
            (f.model, "this is a Sparrow model (.sparrow), already converted"),
            (f.input, "this is a NumPy .npy array, not an ONNX model"),
            (f.path("model.pt"), "this is a zip archive"),
            (f.path("table.csv"), "this is not an ONNX model (it starts with 6e 61 6d 65 2c 76 61 6c \"name,val\")"),
        ]
        for c in cases {
            let r = try runTool([sparrow, "convert", c.file, "-o", f.path("out.sparrow")])
            #expect(r.exitCode == 1, "\(c.file): exit \(r.exitCode)")
            #expect(r.stderr.hasPrefix("sparrow convert: \(c.file): ") && r.stderr.contains(c.message), "\(c.file): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: f.path("out.sparrow")))
        }
        // A missing -o is named, not answered with the whole usage.
        let onnx = DigitsModel.shared.fixtures.appendingPathComponent("digits_cnn.onnx").path
        let noOutput = try runTool([sparrow, "convert", onnx])
        #expect(noOutput.exitCode == 2 && noOutput.stderr == "sparrow convert: missing -o OUT.sparrow, where to write the converted model (see --help)\n",
                "\(noOutput.stderr)")
        let noOutputDir = try runTool([sparrow, "report", "run.json"])
        #expect(noOutputDir.exitCode == 2 && noOutputDir.stderr.contains("missing -o DIR"), "\(noOutputDir.stderr)")
    }

    // MARK: - the command itself: --version, help COMMAND, no arguments, every option documented

    @Test func versionHelpAndNoArguments() throws {
        let sparrow = try sparrowExecutable()
        let version = try runTool([sparrow, "--version"])
        #expect(version.exitCode == 0 && version.stdout.hasPrefix("sparrow ") && version.stdout.contains("format"), "\(version.stdout)")
        for command in CLIUsageTests.commands {
            let help = try runTool([sparrow, "help", command])
            let direct = try runTool([sparrow, command, "--help"])
            #expect(help.exitCode == 0 && help.stdout == direct.stdout, "sparrow help \(command)")
        }
        let none = try runTool([sparrow])
        #expect(none.exitCode == 2 && none.stdout.isEmpty && none.stderr.contains("usage: sparrow COMMAND"), "\(none.exitCode) \(none.stderr)")
    }

    /// The options each command must explain, from README.md and Docs/ (not from the parser): each
    /// is explained on a line of its own in `--help` and accepted (not an unknown option).
    static let documentedOptions: [String: [String]] = [
        "convert": ["-o", "--calibration", "--range", "--prune", "--block", "--prune-layers", "--prune-scope", "--sparse", "--board",
                    "--validation", "--exit", "--exit-criterion", "--calibrate-exits", "--accuracy-budget", "--exit-guard", "--exit-test",
                    "--no-packed-weights"],
        "run": ["--input", "--output", "--exit-index", "--labels", "--full-depth", "--compare", "--dump-tensors"],
        "bench": ["--input", "--labels", "--warmup", "--iterations", "--duration", "--max-iterations", "--json", "--csv", "--power",
                  "--board", "--idle-watts", "--load-watts", "--power-source", "--sysfs-root", "--sample-ms", "--idle-seconds",
                  "--full-depth", "--sweep-exits", "--label", "--quiet"],
        "report": ["-o"],
        "build-device": ["--board", "-o", "--list"],
        "emulate": ["--board"],
        "bench-sparse": ["--fc", "--conv", "--sparsity", "--blocks", "--min-ms"],
        "bench-kernels": ["--repeats", "--only"],
        "bench-exits": ["--input", "--labels", "--repeats"],
        "demo": ["--board"],
    ]

    @Test func everyHelpExplainsEveryOption() throws {
        let sparrow = try sparrowExecutable()
        for (command, options) in Self.documentedOptions {
            let help = try runTool([sparrow, command, "--help"]).stdout
            let lines = help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for option in options {
                #expect(lines.contains { $0.hasPrefix(option + " ") || $0.hasPrefix(option + ",") }, "\(command) --help explains \(option)")
                let r = try runTool([sparrow, command, option])
                #expect(!r.stderr.contains("unknown option"), "\(command) accepts \(option): \(r.stderr)")
            }
        }
    }

    // MARK: - bench and report on screen

    @Test func benchShowsTheOperatorProfileAndFlagsForeignBoardFigures() throws {
        let sparrow = try sparrowExecutable()
        let f = try Files()
        defer { try? FileManager.default.removeItem(at: f.directory) }
        let r = try runTool([sparrow, "bench", f.model, "--input", f.input, "--iterations", "20", "--quiet", "--board", "pi4b"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("operator profile (profile pass over 96 samples; slowest ") })
        let rows = lines[(header + 1)...].prefix { $0.hasPrefix("  ") }
        #expect(rows.count == 10, "\(r.stdout)")  // the digits CNN has more than 10 operators
        let shares = rows.compactMap { Double($0.split(separator: "%")[0].trimmingCharacters(in: .whitespaces)) }
        #expect(shares.count == rows.count && shares == shares.sorted(by: >) && shares.reduce(0, +) <= 100.5, "\(shares)")
        let model = (try? String(contentsOfFile: "/proc/device-tree/model", encoding: .utf8)) ?? ""
        if !model.contains("Raspberry Pi") {
            #expect(r.stderr.contains("WARNING: this host") && r.stderr.contains("is not a pi4b"), "\(r.stderr)")
            #expect(r.stdout.contains("energy: NOT a pi4b figure"), "\(r.stdout)")
        }
    }

    /// One slow outlier among fast inferences: the log histogram keeps the fast ones apart from it
    /// (hand-derived bins), the record marks an emulated run, and the report shows both.
    @Test func reportUsesALogTimeAxisAndMarksEmulatedRuns() throws {
        let cache = DeviceBuildCache.shared
        _ = try cache.build("pi4b")
        let sparrow = try sparrowExecutable()
        let f = try Files()
        defer { try? FileManager.default.removeItem(at: f.directory) }
        let device = try runTool([sparrow, "emulate", "--board", "pi4b", "--", "bench", f.model, "--input", f.input,
                                  "--iterations", "20", "--quiet", "--json", f.path("dev.json")])
        #expect(device.exitCode == 0, "\(device.stderr)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.path("dev.json")))) as? [String: Any])
        let platform = try #require(record["platform"] as? [String: Any])
        #expect(platform["emulator"] as? String == "qemu-aarch64 -cpu cortex-a72")
        let latency = try #require(record["latency"] as? [String: Any])
        let log = try #require(latency["logHistogram"] as? [String: Any])
        #expect((log["counts"] as? [Int])?.reduce(0, +) == 20)
        #expect(log["lowerMs"] as? Double == latency["min"] as? Double && log["upperMs"] as? Double == latency["max"] as? Double)

        let report = try runTool([sparrow, "report", f.path("dev.json"), "-o", f.path("report")])
        #expect(report.exitCode == 0, "\(report.stderr)")
        let markdown = try String(contentsOfFile: f.path("report/report.md"), encoding: .utf8)
        #expect(markdown.contains("device, EMULATED: qemu-aarch64 -cpu cortex-a72"), "\(markdown)")
        #expect(markdown.contains("**emulated** under `qemu-aarch64 -cpu cortex-a72`"))
        let svgs = try FileManager.default.contentsOfDirectory(atPath: f.path("report")).filter { $0.hasSuffix("-latency.svg") }
        let svg = try String(contentsOfFile: f.path("report/" + (try #require(svgs.first))), encoding: .utf8)
        #expect(svg.contains("latency (ms), log scale"))
    }

    // MARK: - installed data and documentation

    /// An installed `sparrow` (PREFIX/bin/sparrow) finds PREFIX/share/sparrow from any directory,
    /// without SPARROW_ROOT; a copy that is not writable sends its build cache to ~/.cache.
    @Test func installedCopyFindsItsData() throws {
        let prefix = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let data = prefix.appendingPathComponent("share/sparrow")
        try FileManager.default.createDirectory(at: data.appendingPathComponent("Boards"), withIntermediateDirectories: true)
        try Data().write(to: data.appendingPathComponent(RepositoryRoot.installedMarker))
        let found = try RepositoryRoot.locate(environment: [:], currentDirectory: "/",
                                              executablePath: prefix.appendingPathComponent("bin/sparrow").path)
        #expect(found.standardizedFileURL.path == data.standardizedFileURL.path)
        // Without the marker it is not taken for Sparrow's data.
        try FileManager.default.removeItem(at: data.appendingPathComponent(RepositoryRoot.installedMarker))
        #expect(throws: ToolchainError.self) {
            try RepositoryRoot.locate(environment: [:], currentDirectory: "/", executablePath: prefix.appendingPathComponent("bin/sparrow").path)
        }
        let cache = RepositoryRoot.workDirectory(root: URL(fileURLWithPath: "/no/such/prefix/share/sparrow"), name: "build-device", environment: ["XDG_CACHE_HOME": "/c"])
        #expect(cache.path == "/c/sparrow/build-device")
        #expect(RepositoryRoot.workDirectory(root: prefix, name: "build-device").path == prefix.appendingPathComponent(".build-device").path)
    }

    /// Product docs and data stand on their own: nothing points into ../shared/.
    @Test func docsAndBoardsDoNotCiteFilesOutsideTheRepository() throws {
        let root = Self.repository
        var files = ["README.md", "LICENSE"]
        for directory in ["Docs", "Boards", "Toolchains"] {
            files += try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(directory).path).map { "\(directory)/\($0)" }
        }
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("shared/"), "\(file) cites shared/")
            #expect(!text.contains("BOARD-FACTS"), "\(file) cites BOARD-FACTS.md")
        }
        let license = try String(contentsOf: root.appendingPathComponent("LICENSE"), encoding: .utf8)
        #expect(license.contains("Apache License") && license.contains("Version 2.0, January 2004"))
    }
}
