import Foundation
@testable import SparrowToolchain
import Testing

/// Loading and validating Boards/ and Toolchains/, locating the checkout, reading linker maps.
@Suite struct CatalogTests {
    /// A scratch checkout: copies of the real Boards/ and Toolchains/ plus an empty Package.swift.
    func scratchRoot() throws -> URL {
        let real = DeviceBuildCache.shared.catalog.root
        let root = try makeTemporaryDirectory()
        for name in ["Boards", "Toolchains"] {
            try FileManager.default.copyItem(at: real.appendingPathComponent(name), to: root.appendingPathComponent(name))
        }
        try Data().write(to: root.appendingPathComponent("Package.swift"))
        return root
    }

    func editBoard(_ root: URL, _ name: String, _ edit: (inout [String: Any]) -> Void) throws {
        let file = root.appendingPathComponent("Boards/\(name).json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: file)
    }

    func loadError(_ root: URL) -> ToolchainError? {
        do { _ = try BoardCatalog(root: root); return nil } catch { return error }
    }

    @Test func missingFieldNamesFileAndField() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try editBoard(root, "pi5") { $0["qemuCPU"] = nil }
        let error = try #require(loadError(root))
        #expect(error == .invalidField(file: "Boards/pi5.json", field: "qemuCPU", problem: "missing"))
        #expect(error.description == "Boards/pi5.json: field 'qemuCPU': missing")
    }

    @Test func wrongTypeInNestedFieldNamesThePath() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try editBoard(root, "pi4b") { $0["caches"] = ["l1dKiB": "32", "l2KiB": 1024, "l2Shared": true, "source": "x"] }
        guard case .invalidField(let file, let field, let problem) = try #require(loadError(root)) else {
            Issue.record("expected invalidField"); return
        }
        #expect(file == "Boards/pi4b.json")
        #expect(field == "caches.l1dKiB")
        #expect(problem.hasPrefix("expected"))
    }

    @Test func semanticChecksNameTheField() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try editBoard(root, "pi3b-plus") { $0["cores"] = 0 }
        #expect(loadError(root) == .invalidField(file: "Boards/pi3b-plus.json", field: "cores",
                                                 problem: "must be positive, got 0"))
    }

    @Test func boardMustAgreeWithItsToolchain() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try editBoard(root, "pi4b-armv7") { $0["gcc"] = "aarch64-linux-gnu-gcc" }
        guard case .invalidField(let file, let field, _) = try #require(loadError(root)) else {
            Issue.record("expected invalidField"); return
        }
        #expect(file == "Boards/pi4b-armv7.json")
        #expect(field == "gcc")
    }

    @Test func unknownToolchainAndUnknownBoard() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try editBoard(root, "pi5") { $0["toolchain"] = "riscv64-linux" }
        #expect(loadError(root) == .unknownToolchain(name: "riscv64-linux", referencedBy: "Boards/pi5.json"))
        #expect(throws: ToolchainError.self) { try DeviceBuildCache.shared.catalog.board(named: "pi6") }
    }

    @Test func malformedJSONIsReported() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("{ \"name\": ".utf8).write(to: root.appendingPathComponent("Toolchains/device-modules.json"))
        guard case .invalidField(let file, _, let problem) = try #require(loadError(root)) else {
            Issue.record("expected invalidField"); return
        }
        #expect(file == "Toolchains/device-modules.json")
        #expect(problem.hasPrefix("not valid JSON"))
    }

    @Test func locatesRootFromEnvironmentOrBySearchingUpwards() throws {
        let root = try scratchRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let nested = root.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let found = try RepositoryRoot.locate(environment: [:], currentDirectory: nested.path, executablePath: nil)
        #expect(found.standardizedFileURL.path == root.standardizedFileURL.path)
        let viaEnvironment = try RepositoryRoot.locate(environment: ["SPARROW_ROOT": root.path],
                                                       currentDirectory: "/", executablePath: nil)
        #expect(viaEnvironment.standardizedFileURL.path == root.standardizedFileURL.path)
        #expect(throws: ToolchainError.self) {
            try RepositoryRoot.locate(environment: ["SPARROW_ROOT": nested.path], currentDirectory: "/", executablePath: nil)
        }
        #expect(throws: ToolchainError.self) {
            try RepositoryRoot.locate(environment: [:], currentDirectory: "/", executablePath: "/usr/bin/env")
        }
    }

    /// A hand-written GNU ld map: only sections of our objects inside the memory map count.
    @Test func linkerMapSumsOnlyOurKeptSections() {
        let map = """
            Discarded input sections

             .text.unused   0x0000000000000000       0x40 /b/Sparrow.o

            Linker script and memory map

            .text           0x0000000000000400     0x2000
             .text          0x0000000000000400      0x100 /usr/lib/libc.a(printf.o)
             .text.main     0x0000000000000500       0x24 /b/Sparrow.o
             .text.$e13SparrowDevice7ConsoleV5writeyys6UInt64VF
                            0x0000000000000530       0x10 /b/Sparrow.o
                            0x0000000000000530                someSymbol
             *fill*         0x0000000000000540        0xc
            .rodata         0x0000000000003000      0x200
             .rodata.str1.1
                            0x0000000000003000        0x7 /b/Sparrow.o
             .rodata        0x0000000000003010       0x30 /usr/lib/libc.a(vfprintf.o)
             .data          0x0000000000004000        0x8 /b/Sparrow.o
            """
        let sizes = LinkerMap.contribution(of: ["/b/Sparrow.o"], in: map)
        #expect(sizes.text == 0x24 + 0x10)
        #expect(sizes.rodata == 0x7)
    }
}
