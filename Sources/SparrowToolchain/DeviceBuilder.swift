import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a device build produced.
public struct DeviceBuildResult: Sendable, Equatable {
    public var board: String
    /// The linked `sparrow-device` executable (in `outputDirectory` if one was given).
    public var binaryPath: URL
    /// Size of the binary file in bytes (statically linked: includes glibc).
    public var size: Int
    /// Bytes of code (.text*) plus read-only data (.rodata*) that Sparrow's own objects
    /// contribute to the linked binary after --gc-sections, read from the linker map; libc excluded.
    public var sparrowCodeSize: Int
    /// The .text* part of `sparrowCodeSize`.
    public var sparrowTextSize: Int
    /// Module name → its Embedded Swift object file (unstripped, for objdump).
    public var objectFiles: [String: URL]
    /// Modules listed in the toolchain data that have no sources yet and were left out.
    public var skippedModules: [String]
    /// Modules compiled by this call; empty when everything came from the cache.
    public var rebuiltModules: [String]
    public var relinked: Bool
}

/// Cross-builds `sparrow-device` for a board from the data in Boards/ and Toolchains/: each
/// device module becomes its own Embedded Swift module (in the listed dependency order), then the
/// objects are linked with the board's cross gcc. Results are cached per board in
/// `<buildRoot>/<board>/`; a module is recompiled only when its sources, flags or dependencies
/// change (content hash), and the binary is relinked only when an object changed.
public struct DeviceBuilder: Sendable {
    public let catalog: BoardCatalog
    public let buildRoot: URL
    public var swiftc: String

    public init(catalog: BoardCatalog, buildRoot: URL? = nil, swiftc: String = "swiftc") {
        self.catalog = catalog
        self.buildRoot = buildRoot ?? RepositoryRoot.workDirectory(root: catalog.root, name: "build-device")
        self.swiftc = swiftc
    }

    public static let binaryName = "sparrow-device"

    public func buildDirectory(for board: BoardProfile) -> URL { buildRoot.appendingPathComponent(board.name) }

    public func build(boardNamed name: String, outputDirectory: URL? = nil) throws(ToolchainError) -> DeviceBuildResult {
        try build(board: catalog.board(named: name), outputDirectory: outputDirectory)
    }

    public func build(board: BoardProfile, outputDirectory: URL? = nil) throws(ToolchainError) -> DeviceBuildResult {
        let spec = catalog.toolchain(for: board)
        let directory = buildDirectory(for: board)
        let moduleDirectory = directory.appendingPathComponent("modules")
        try createDirectory(moduleDirectory)
        // One builder per board directory at a time, across threads and processes.
        let lock = try BuildLock(directory.appendingPathComponent(".lock"))
        defer { lock.release() }

        // A compiler upgrade must invalidate the cache too.
        let versionOutput = try ProcessRunner.check("swiftc --version", [swiftc, "--version"])
        let compilerVersion = versionOutput.stdoutText + versionOutput.stderrText
        var objects: [String: URL] = [:]
        var fingerprints: [String: UInt64] = [:]
        var skipped: [String] = []
        var rebuilt: [String] = []
        for module in catalog.modules(for: board) {
            let sources = try sourceFiles(of: module)
            if sources.isEmpty {
                if module.isProgram {
                    throw .moduleSourcesMissing(module: module.name, directory: sourceDirectory(of: module).path)
                }
                skipped.append(module.name)
                continue
            }
            let object = moduleDirectory.appendingPathComponent(module.name + ".o")
            let command = compileCommand(module: module, sources: sources, board: board, outputDirectory: moduleDirectory)
            var hasher = FNV1a()
            hasher.add(compilerVersion)
            hasher.add(command.joined(separator: "\u{0}"))
            for dependency in module.dependencies { hasher.add(fingerprints[dependency] ?? 0) }
            for source in sources { try hasher.addFile(source) }
            let fingerprint = hasher.value
            fingerprints[module.name] = fingerprint
            objects[module.name] = object
            let stamp = moduleDirectory.appendingPathComponent(module.name + ".fingerprint")
            if FileManager.default.fileExists(atPath: object.path), readStamp(stamp) == fingerprint { continue }
            try? FileManager.default.removeItem(at: stamp)
            try ProcessRunner.check("compile \(module.name) for \(board.name)", command)
            try writeStamp(stamp, fingerprint)
            rebuilt.append(module.name)
        }

        let binary = directory.appendingPathComponent(Self.binaryName)
        let map = directory.appendingPathComponent(Self.binaryName + ".map")
        let orderedObjects = catalog.modules(for: board).compactMap { objects[$0.name] }
        let linkCommand = [spec.gcc] + orderedObjects.map(\.path) + ["-o", binary.path] + spec.linkFlags
            + ["-Wl,-Map=" + map.path]
        var linkHasher = FNV1a()
        linkHasher.add(linkCommand.joined(separator: "\u{0}"))
        for module in catalog.modules(for: board) { linkHasher.add(fingerprints[module.name] ?? 0) }
        let linkStamp = directory.appendingPathComponent(Self.binaryName + ".fingerprint")
        var relinked = false
        if !FileManager.default.fileExists(atPath: binary.path) || readStamp(linkStamp) != linkHasher.value {
            try? FileManager.default.removeItem(at: linkStamp)
            try ProcessRunner.check("link for \(board.name)", linkCommand)
            try writeStamp(linkStamp, linkHasher.value)
            relinked = true
        }

        let mapText: String
        do { mapText = try String(contentsOf: map, encoding: .utf8) } catch {
            throw .fileUnreadable(path: map.path, reason: error.localizedDescription)
        }
        let contribution = LinkerMap.contribution(of: Set(orderedObjects.map(\.path)), in: mapText)

        var delivered = binary
        if let outputDirectory {
            try createDirectory(outputDirectory)
            delivered = outputDirectory.appendingPathComponent(Self.binaryName)
            do {
                if FileManager.default.fileExists(atPath: delivered.path) {
                    try FileManager.default.removeItem(at: delivered)
                }
                try FileManager.default.copyItem(at: binary, to: delivered)
            } catch {
                throw .fileUnreadable(path: delivered.path, reason: "cannot copy the binary: \(error.localizedDescription)")
            }
        }
        return DeviceBuildResult(
            board: board.name, binaryPath: delivered, size: try fileSize(delivered),
            sparrowCodeSize: contribution.text + contribution.rodata, sparrowTextSize: contribution.text,
            objectFiles: objects, skippedModules: skipped, rebuiltModules: rebuilt, relinked: relinked)
    }

    /// Another executable from `base`'s module objects plus the Embedded Swift `sources` (one
    /// extra module, compiled with the board's flags and `-no-allocations`) and `linkFlags` after
    /// the board's own: e.g. the allocation-counting build, which wraps malloc and friends
    /// (DeviceAllocationCountTests). Without `base` the sources are a program of their own (one
    /// has main.swift). Written to the board's build directory as `name`, rebuilt every call (a
    /// few seconds); the cached `sparrow-device` is left as it is.
    public func linkVariant(of base: DeviceBuildResult?, board: BoardProfile, name: String, moduleName: String,
                            sources: [URL], linkFlags: [String]) throws(ToolchainError) -> URL {
        let spec = catalog.toolchain(for: board)
        let directory = buildDirectory(for: board).appendingPathComponent(name + ".variant")
        try createDirectory(directory)
        let module = DeviceModule(name: moduleName, dependencies: [], noAllocations: true, program: base == nil,
                                  extraSwiftFlags: ["-enable-experimental-feature", "Extern",
                                                    "-enable-experimental-feature", "SymbolLinkageMarkers"])
        try ProcessRunner.check("compile \(moduleName) for \(board.name)",
                                compileCommand(module: module, sources: sources, board: board, outputDirectory: directory))
        let objects = catalog.modules(for: board).compactMap { base?.objectFiles[$0.name] }
            + [directory.appendingPathComponent(moduleName + ".o")]
        let binary = buildDirectory(for: board).appendingPathComponent(name)
        try ProcessRunner.check("link \(name) for \(board.name)",
                                [spec.gcc] + objects.map(\.path) + ["-o", binary.path] + spec.linkFlags + linkFlags)
        return binary
    }

    /// The exact swiftc command the builder uses for `module` on `board`. Public so that checks
    /// (e.g. "a runtime module that allocates fails to compile") use the same flags as the build.
    public func compileCommand(module: DeviceModule, sources: [URL], board: BoardProfile, outputDirectory: URL) -> [String] {
        let spec = catalog.toolchain(for: board)
        var command = [swiftc, "-target", spec.swiftTarget] + spec.swiftFlags + board.codegenFlags
        if !module.isProgram { command.append("-parse-as-library") }
        if module.noAllocations { command.append("-no-allocations") }
        command += module.extraSwiftFlags ?? []
        command += [
            "-module-name", module.name,
            "-I", outputDirectory.path,
            "-emit-module", "-emit-module-path", outputDirectory.appendingPathComponent(module.name + ".swiftmodule").path,
            "-c", "-o", outputDirectory.appendingPathComponent(module.name + ".o").path,
        ]
        return command + sources.map(\.path)
    }

    public func sourceDirectory(of module: DeviceModule) -> URL {
        catalog.root.appendingPathComponent("Sources").appendingPathComponent(module.name)
    }

    /// All .swift files under Sources/<module>, sorted so the command (and its hash) is stable.
    public func sourceFiles(of module: DeviceModule) throws(ToolchainError) -> [URL] {
        // Resolve a symlinked module directory: the enumerator does not descend into links.
        let directory = sourceDirectory(of: module).resolvingSymlinksInPath()
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var files: [URL] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".swift") { files.append(directory.appendingPathComponent(relative)) }
        }
        return files.sorted { $0.path < $1.path }
    }

    // MARK: - Helpers

    private func createDirectory(_ url: URL) throws(ToolchainError) {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw .fileUnreadable(path: url.path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    private func readStamp(_ url: URL) -> UInt64? {
        (try? String(contentsOf: url, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) }
    }

    private func writeStamp(_ url: URL, _ value: UInt64) throws(ToolchainError) {
        do { try String(value, radix: 16).write(to: url, atomically: true, encoding: .utf8) } catch {
            throw .fileUnreadable(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    private func fileSize(_ url: URL) throws(ToolchainError) -> Int {
        do { return (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0 } catch {
            throw .fileUnreadable(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// 64-bit FNV-1a: a stable content hash for cache keys (not for security).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }
    mutating func add(_ text: String) { add(bytes: text.utf8); add(bytes: [0]) }
    mutating func add(_ number: UInt64) { withUnsafeBytes(of: number.littleEndian) { add(bytes: $0) } }
    mutating func addFile(_ url: URL) throws(ToolchainError) {
        add(url.path)
        do { add(bytes: try Data(contentsOf: url)) } catch {
            throw .fileUnreadable(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// An exclusive flock(2) on a file, held until `release()`.
final class BuildLock {
    private let descriptor: Int32

    init(_ url: URL) throws(ToolchainError) {
        descriptor = open(url.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .fileUnreadable(path: url.path, reason: "cannot open lock file (errno \(errno))") }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
    }

    func release() {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Reads a GNU ld map file (`-Wl,-Map=`).
enum LinkerMap {
    /// Sums the sizes of the input sections that `objects` contribute to the linked image
    /// (only the "memory map" part, so sections discarded by --gc-sections are not counted).
    static func contribution(of objects: Set<String>, in map: String) -> (text: Int, rodata: Int) {
        var text = 0
        var rodata = 0
        var inMemoryMap = false
        var pendingSection: String?
        for line in map.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Linker script and memory map") { inMemoryMap = true; continue }
            guard inMemoryMap, line.first == " " else { pendingSection = nil; continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            var section: Substring?
            var rest: ArraySlice<Substring> = []
            if first.hasPrefix(".") {
                if fields.count == 1 { pendingSection = String(first); continue }
                section = first
                rest = fields.dropFirst()
            } else if first.hasPrefix("0x"), let pending = pendingSection {
                section = Substring(pending)
                rest = fields[...]
            }
            pendingSection = nil
            // rest = address, size, file
            guard let name = section, rest.count >= 3, rest[rest.startIndex].hasPrefix("0x"),
                  let size = Int(rest[rest.startIndex + 1].dropFirst(2), radix: 16) else { continue }
            let file = rest.dropFirst(2).joined(separator: " ")
            guard objects.contains(file) else { continue }
            if name.hasPrefix(".text") { text += size } else if name.hasPrefix(".rodata") { rodata += size }
        }
        return (text, rodata)
    }
}
