import Foundation
import SparrowToolchain
import Testing

/// What the board profiles' code generation flags actually produce.
@Suite struct CodegenTests {
    var cache: DeviceBuildCache { .shared }

    /// A kernel-shaped probe compiled with exactly the flags the builder uses for a runtime module.
    static let dotProductProbe = """
        public func probeDotS8(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ count: Int) -> Int32 {
            var accumulator: Int32 = 0
            // The probe is never run; only its machine code is inspected.
            for index in 0..<count { accumulator &+= Int32(a[index]) &* Int32(b[index]) }
            return accumulator
        }
        """

    func compileProbe(_ source: String, board: BoardProfile, like moduleName: String)
        throws -> (exitCode: Int32, stdout: String, stderr: String, object: URL, directory: URL)
    {
        let template = try #require(cache.catalog.modules(for: board).first { $0.name == moduleName })
        var module = template
        module.name = "SparrowProbe"
        module.dependencies = []
        let directory = try makeTemporaryDirectory()
        let file = directory.appendingPathComponent("Probe.swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let command = cache.builder.compileCommand(module: module, sources: [file], board: board, outputDirectory: directory)
        let run = try runTool(command)
        return (run.exitCode, run.stdout, run.stderr, directory.appendingPathComponent("SparrowProbe.o"), directory)
    }

    func disassemble(_ object: URL, board: BoardProfile) throws -> String {
        let spec = cache.catalog.toolchain(for: board)
        let run = try runTool([spec.objdump, "-d", object.path])
        #expect(run.exitCode == 0, "\(run.stderr)")
        return run.stdout
    }

    /// Mnemonics in objdump -d output (third tab-separated column).
    func mnemonics(_ disassembly: String) -> Set<String> {
        var result: Set<String> = []
        for line in disassembly.split(separator: "\n") {
            let columns = line.split(separator: "\t")
            if columns.count >= 3, let mnemonic = columns[2].split(separator: " ").first { result.insert(String(mnemonic)) }
        }
        return result
    }

    @Test(arguments: DeviceBuildTests.boardNames)
    func dotProductOnlyWhereTheBoardHasIt(boardName: String) throws {
        let board = try cache.catalog.board(named: boardName)
        let probe = try compileProbe(Self.dotProductProbe, board: board, like: "SparrowKernels")
        defer { try? FileManager.default.removeItem(at: probe.directory) }
        #expect(probe.exitCode == 0, "\(probe.stderr)")
        let found = mnemonics(try disassemble(probe.object, board: board))
        if board.swiftTarget.hasPrefix("aarch64") {
            #expect(found.contains("sdot") == board.hasDotProd, "\(boardName): \(found.sorted())")
            if !board.hasDotProd { #expect(found.contains("smlal") || found.contains("smull")) }
        } else {
            // 32-bit: qemu's `max` would accept the v8.2 vsdot the boards lack, so it must not appear.
            #expect(!found.contains { $0.hasPrefix("vsdot") }, "\(boardName)")
        }
    }

    /// Neither the Pi 3/Zero (A53) nor the Pi 4 (A72) objects contain a dot-product instruction.
    @Test(arguments: ["pi-zero-2w", "pi3b-plus", "pi4b"])
    func boardsWithoutDotProductHaveNoSdot(boardName: String) throws {
        let board = try cache.catalog.board(named: boardName)
        let result = try cache.build(boardName)
        for (module, object) in result.objectFiles {
            #expect(!mnemonics(try disassemble(object, board: board)).contains("sdot"), "\(boardName) \(module)")
        }
    }

    /// The real kernels, built for the Pi 5, use sdot: conv and fully connected accumulate
    /// Σx·w − zx·Σw, a plain int8 × int8 → int32 loop (Sources/SparrowKernels/DotProduct.swift).
    @Test func pi5KernelsUseDotProduct() throws {
        let board = try cache.catalog.board(named: "pi5")
        let result = try cache.build("pi5")
        let kernels = try #require(result.objectFiles["SparrowKernels"])
        #expect(mnemonics(try disassemble(kernels, board: board)).contains("sdot"))
    }

    /// A runtime module that allocates must fail the device build, not just a test.
    @Test func allocatingRuntimeModuleFailsToCompile() throws {
        let board = try cache.catalog.board(named: "pi4b")
        #expect(cache.catalog.modules(for: board).first { $0.name == "SparrowRuntime" }?.noAllocations == true)
        let allocating = try compileProbe("""
            public func probeCount() -> Int {
                let values = [1, 2, 3]
                return values.count
            }
            """, board: board, like: "SparrowRuntime")
        defer { try? FileManager.default.removeItem(at: allocating.directory) }
        #expect(allocating.exitCode != 0)
        #expect(allocating.stderr.contains("in -no-allocations mode"), "\(allocating.stderr)")

        // Control: the same function without the Array compiles with the same flags.
        let clean = try compileProbe("public func probeCount() -> Int { 3 }", board: board, like: "SparrowRuntime")
        defer { try? FileManager.default.removeItem(at: clean.directory) }
        #expect(clean.exitCode == 0, "\(clean.stderr)")
    }
}
