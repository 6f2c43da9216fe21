import Foundation

/// All board profiles and toolchain files of a checkout, loaded and cross-checked.
public struct BoardCatalog: Sendable {
    public let root: URL
    /// Sorted by name.
    public let boards: [BoardProfile]
    public let toolchains: [String: ToolchainSpec]
    public let modules: [String: DeviceModuleList]

    public init(root: URL) throws(ToolchainError) {
        self.root = root
        let boardsDirectory = root.appendingPathComponent("Boards")
        var boards: [BoardProfile] = []
        for file in try Self.jsonFiles(in: boardsDirectory) {
            boards.append(try Self.loadBoard(file, root: root))
        }
        var toolchains: [String: ToolchainSpec] = [:]
        var modules: [String: DeviceModuleList] = [:]
        for board in boards where toolchains[board.toolchain] == nil {
            let relative = "Toolchains/\(board.toolchain).json"
            let file = root.appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw .unknownToolchain(name: board.toolchain, referencedBy: "Boards/\(board.name).json")
            }
            let spec = try Self.loadToolchain(file, root: root)
            toolchains[board.toolchain] = spec
            if modules[spec.modulesFile] == nil {
                modules[spec.modulesFile] = try Self.loadModules(
                    root.appendingPathComponent("Toolchains").appendingPathComponent(spec.modulesFile), root: root)
            }
        }
        for board in boards { try Self.crossCheck(board, toolchains[board.toolchain]!) }
        guard boards.contains(where: \.isDefault) else { throw .noDefaultBoard(boardsDirectory: boardsDirectory.path) }
        self.boards = boards.sorted { $0.name < $1.name }
        self.toolchains = toolchains
        self.modules = modules
    }

    /// Loads the catalog of the checkout found by `RepositoryRoot.locate()`.
    public static func locate() throws(ToolchainError) -> BoardCatalog {
        try BoardCatalog(root: RepositoryRoot.locate())
    }

    public var defaultBoard: BoardProfile { boards.first(where: \.isDefault)! }

    public func board(named name: String) throws(ToolchainError) -> BoardProfile {
        guard let board = boards.first(where: { $0.name == name }) else {
            throw .unknownBoard(name: name, known: boards.map(\.name))
        }
        return board
    }

    public func toolchain(for board: BoardProfile) -> ToolchainSpec { toolchains[board.toolchain]! }

    public func modules(for board: BoardProfile) -> [DeviceModule] {
        modules[toolchain(for: board).modulesFile]!.modules
    }

    // MARK: - Loading

    static func jsonFiles(in directory: URL) throws(ToolchainError) -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw .fileUnreadable(path: directory.path, reason: error.localizedDescription)
        }
        return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }

    static func decode<T: Decodable>(_ type: T.Type, from file: URL, root: URL) throws(ToolchainError) -> T {
        let display = relativePath(file, root: root)
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw .fileUnreadable(path: display, reason: error.localizedDescription)
        }
        do { return try JSONDecoder().decode(type, from: data) } catch let error as DecodingError {
            throw describe(error, file: display)
        } catch {
            throw .invalidField(file: display, field: "", problem: "\(error)")
        }
    }

    /// Turns a DecodingError into "file: field 'a.b': problem".
    static func describe(_ error: DecodingError, file: String) -> ToolchainError {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return .invalidField(file: file, field: parent.isEmpty ? key.stringValue : parent + "." + key.stringValue,
                                 problem: "missing")
        case .typeMismatch(let type, let context):
            return .invalidField(file: file, field: path(context.codingPath), problem: "expected \(type)")
        case .valueNotFound(let type, let context):
            return .invalidField(file: file, field: path(context.codingPath), problem: "null where \(type) is required")
        case .dataCorrupted(let context):
            return .invalidField(file: file, field: path(context.codingPath),
                                 problem: "not valid JSON: \(context.debugDescription)")
        @unknown default:
            return .invalidField(file: file, field: "", problem: "\(error)")
        }
    }

    static func loadBoard(_ file: URL, root: URL) throws(ToolchainError) -> BoardProfile {
        let board = try decode(BoardProfile.self, from: file, root: root)
        let display = relativePath(file, root: root)
        func require(_ condition: Bool, _ field: String, _ problem: String) throws(ToolchainError) {
            if !condition { throw .invalidField(file: display, field: field, problem: problem) }
        }
        try require(board.name == file.deletingPathExtension().lastPathComponent, "name",
                    "'\(board.name)' does not match the file name")
        try require(!board.qemuCPU.isEmpty, "qemuCPU", "empty")
        try require(!board.targetCPU.isEmpty, "targetCPU", "empty")
        try require(board.codegenFlags.contains(board.targetCPU), "codegenFlags",
                    "does not select targetCPU '\(board.targetCPU)'")
        try require(board.cores > 0, "cores", "must be positive, got \(board.cores)")
        try require(board.clockMHz > 0, "clockMHz", "must be positive, got \(board.clockMHz)")
        try require(board.caches.l1dKiB > 0 && board.caches.l2KiB > 0, "caches", "L1D and L2 sizes must be positive")
        try require(board.power.idleWatts > 0, "power.idleWatts", "must be positive")
        try require(board.power.perCoreLoadWatts >= 0, "power.perCoreLoadWatts", "must not be negative")
        try require(!board.power.source.isEmpty, "power.source", "every number needs its source")
        try require(!board.caches.source.isEmpty, "caches.source", "every number needs its source")
        try require(!board.clockSource.isEmpty, "clockSource", "every number needs its source")
        for (index, sensor) in board.powerSensors.enumerated() {
            let field = "powerSensors[\(index)]"
            switch sensor.kind {
            case "ina2xx-hwmon":
                try require(sensor.searchPath != nil && sensor.files?.isEmpty == false, field,
                            "an ina2xx-hwmon sensor needs searchPath and files")
            case "pi5-pmic-vcgencmd":
                try require(sensor.command?.isEmpty == false, field, "a pi5-pmic-vcgencmd sensor needs command")
            default:
                try require(false, field + ".kind", "unknown sensor kind '\(sensor.kind)'")
            }
        }
        return board
    }

    static func loadToolchain(_ file: URL, root: URL) throws(ToolchainError) -> ToolchainSpec {
        let spec = try decode(ToolchainSpec.self, from: file, root: root)
        let display = relativePath(file, root: root)
        guard spec.name == file.deletingPathExtension().lastPathComponent else {
            throw .invalidField(file: display, field: "name", problem: "'\(spec.name)' does not match the file name")
        }
        guard spec.swiftFlags.contains("Embedded") else {
            throw .invalidField(file: display, field: "swiftFlags", problem: "must enable the Embedded feature")
        }
        return spec
    }

    static func loadModules(_ file: URL, root: URL) throws(ToolchainError) -> DeviceModuleList {
        let list = try decode(DeviceModuleList.self, from: file, root: root)
        let display = relativePath(file, root: root)
        var seen: Set<String> = []
        for (index, module) in list.modules.enumerated() {
            for dependency in module.dependencies where !seen.contains(dependency) {
                throw .invalidField(file: display, field: "modules[\(index)].dependencies",
                                    problem: "'\(dependency)' is not listed before \(module.name)")
            }
            seen.insert(module.name)
        }
        let programs = list.modules.filter(\.isProgram)
        guard programs.count == 1, list.modules.last?.isProgram == true else {
            throw .invalidField(file: display, field: "modules",
                                problem: "exactly one module, the last, must be the program")
        }
        return list
    }

    /// A board repeats a few toolchain facts for readability; they must agree.
    static func crossCheck(_ board: BoardProfile, _ spec: ToolchainSpec) throws(ToolchainError) {
        let file = "Boards/\(board.name).json"
        let pairs: [(String, String, String)] = [
            ("swiftTarget", board.swiftTarget, spec.swiftTarget), ("linuxTriple", board.linuxTriple, spec.linuxTriple),
            ("gcc", board.gcc, spec.gcc), ("qemu", board.qemu, spec.qemu),
        ]
        for (field, boardValue, specValue) in pairs where boardValue != specValue {
            throw .invalidField(file: file, field: field,
                                problem: "'\(boardValue)' differs from Toolchains/\(spec.name).json ('\(specValue)')")
        }
    }

    static func relativePath(_ file: URL, root: URL) -> String {
        let rootPath = root.standardizedFileURL.path + "/"
        let path = file.standardizedFileURL.path
        return path.hasPrefix(rootPath) ? String(path.dropFirst(rootPath.count)) : path
    }
}
