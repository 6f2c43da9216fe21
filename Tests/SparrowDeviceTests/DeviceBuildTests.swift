import Foundation
import SparrowToolchain
import Testing

/// Every board: cross-build sparrow-device and run it under qemu-user with the board's CPU model.
@Suite struct DeviceBuildTests {
    static let boardNames = ["pi-zero-2w", "pi3b-plus", "pi4b", "pi5", "pi3b-plus-armv7", "pi4b-armv7"]
    var cache: DeviceBuildCache { .shared }

    @Test func catalogHasTheSixBoardsWithPi4AsDefault() throws {
        #expect(cache.catalog.boards.map(\.name).sorted() == Self.boardNames.sorted())
        #expect(cache.catalog.defaultBoard.name == "pi4b")
        #expect(cache.catalog.boards.filter(\.hasDotProd).map(\.name) == ["pi5"])
        for board in cache.catalog.boards where board.swiftTarget == "aarch64-none-none-elf" {
            // On aarch64, qemu has every board core, so emulation uses exactly the board's CPU.
            #expect(board.qemuCPU == board.targetCPU, "\(board.name)")
        }
    }

    @Test(arguments: boardNames)
    func buildsAndRunsInfoUnderQemu(boardName: String) throws {
        let result = try cache.build(boardName)
        let board = try cache.catalog.board(named: boardName)
        let attributes = try FileManager.default.attributesOfItem(atPath: result.binaryPath.path)
        #expect(attributes[.size] as? Int == result.size)
        #expect(result.sparrowCodeSize > 0)
        #expect(result.sparrowCodeSize < result.size)

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let junk = directory.appendingPathComponent("junk.sparrow")
        try Data((0..<12_345).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: junk)

        let emulator = Emulator(builder: cache.builder)
        #expect(emulator.command(board: board, binary: result.binaryPath, arguments: []).prefix(3)
                    == [board.qemu, "-cpu", board.qemuCPU][...])
        // A file that is not a model: the device verifier names the problem, and nothing runs.
        let rejected = try emulator.run(board: board, arguments: ["info", junk.path], binary: result.binaryPath)
        #expect(rejected.exitCode == 1)
        #expect(String(decoding: rejected.stderr, as: UTF8.self).contains("invalid model: header: not a Sparrow model"),
                "stderr: \(String(decoding: rejected.stderr, as: UTF8.self))")

        // A real converted model: info reports what the header and tables say.
        let model = try DigitsModel.shared.modelPath()
        let info = try emulator.run(board: board, arguments: ["info", model], binary: result.binaryPath)
        let stdout = String(decoding: info.stdout, as: UTF8.self)
        #expect(info.exitCode == 0, "stderr: \(String(decoding: info.stderr, as: UTF8.self))")
        #expect(stdout.contains("arena: \(DigitsModel.shared.arenaSize) bytes"), "stdout: \(stdout)")

        let missing = try emulator.run(board: board, arguments: ["info", directory.appendingPathComponent("nope").path],
                                       binary: result.binaryPath)
        #expect(missing.exitCode == 1)
        #expect(String(decoding: missing.stderr, as: UTF8.self).contains("cannot open file (errno 2)"))

        let usage = try emulator.run(board: board, arguments: [], binary: result.binaryPath)
        #expect(usage.exitCode == 2)
        #expect(String(decoding: usage.stderr, as: UTF8.self).hasPrefix("usage: sparrow-device"))
    }

    /// The A53 boards' binaries run on an emulated Cortex-A53 (no dot product, no v8.2).
    @Test(arguments: ["pi-zero-2w", "pi3b-plus"])
    func a53BuildRunsUnderCortexA53(boardName: String) throws {
        let board = try cache.catalog.board(named: boardName)
        let result = try cache.build(boardName)
        let run = try runTool(["qemu-aarch64", "-cpu", "cortex-a53", result.binaryPath.path, "--help"])
        #expect(board.qemuCPU == "cortex-a53")
        #expect(run.exitCode == 0)
        #expect(run.stdout.hasPrefix("usage: sparrow-device"))
    }

    /// Caching, on a frozen copy (others edit the real sources while tests run): an unchanged
    /// second build compiles and links nothing; editing a source recompiles that module only; a
    /// listed module without sources is skipped.
    @Test func cacheRebuildsOnlyWhatChanged() throws {
        let real = cache.catalog.root
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let manager = FileManager.default
        let programSources = ["SparrowFormat", "SparrowKernels", "SparrowNPY", "SparrowCommandLine", "SparrowRuntime", "SparrowHarness", "SparrowDevice"]
        for name in ["Boards", "Toolchains"] + programSources.map({ "Sources/" + $0 }) {
            try manager.createDirectory(at: root.appendingPathComponent(name).deletingLastPathComponent(),
                                        withIntermediateDirectories: true)
            try manager.copyItem(at: real.appendingPathComponent(name), to: root.appendingPathComponent(name))
        }
        try Data().write(to: root.appendingPathComponent("Package.swift"))
        // The real module list plus one library without sources, listed before the program.
        let modulesFile = root.appendingPathComponent("Toolchains/device-modules.json")
        var list = try JSONDecoder().decode(DeviceModuleList.self, from: Data(contentsOf: modulesFile))
        let format = try #require(list.modules.first { $0.name == "SparrowFormat" })
        var extra = format
        extra.name = "SparrowNotYetWritten"
        list.modules.insert(extra, at: 0)
        try JSONEncoder().encode(list).write(to: modulesFile)

        let builder = DeviceBuilder(catalog: try BoardCatalog(root: root))
        let first = try builder.build(boardNamed: "pi4b")
        #expect(first.rebuiltModules == programSources)
        #expect(first.skippedModules == ["SparrowNotYetWritten"])
        #expect(first.relinked)

        let second = try builder.build(boardNamed: "pi4b")
        #expect(second.rebuiltModules.isEmpty)
        #expect(second.relinked == false)
        #expect(second.size == first.size)

        let source = root.appendingPathComponent("Sources/SparrowDevice/main.swift")
        let text = try String(contentsOf: source, encoding: .utf8)
        try (text + "\n// edited by cacheRebuildsOnlyWhatChanged\n").write(to: source, atomically: true, encoding: .utf8)
        let third = try builder.build(boardNamed: "pi4b")
        #expect(third.rebuiltModules == ["SparrowDevice"])
        #expect(third.relinked)
    }

    @Test func outputDirectoryReceivesACopy() throws {
        _ = try cache.build("pi4b")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try cache.builder.build(boardNamed: "pi4b", outputDirectory: directory)
        #expect(result.binaryPath == directory.appendingPathComponent("sparrow-device"))
        #expect(FileManager.default.isExecutableFile(atPath: result.binaryPath.path))
    }
}
