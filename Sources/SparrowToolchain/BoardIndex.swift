/// The boards of `Boards/*.json` by name, with their core and which one is the default, compiled
/// in: `sparrow convert --board NAME` resolves a board from any directory, with no checkout to
/// find and no files to read (the sparse cost rule only needs the core). `BoardCatalog` stays the
/// full description for building and emulating; `BoardIndexTests` checks the two agree, so adding
/// a board file without its line here fails the tests.
public struct BoardIndexEntry: Equatable, Sendable {
    public var name: String
    /// The board's `targetCPU` (LLVM core name).
    public var targetCPU: String
    public var isDefault: Bool

    public init(name: String, targetCPU: String, isDefault: Bool) {
        self.name = name
        self.targetCPU = targetCPU
        self.isDefault = isDefault
    }
}

public enum BoardIndex {
    /// Sorted by name, like `BoardCatalog.boards`.
    public static let boards: [BoardIndexEntry] = [
        BoardIndexEntry(name: "pi-zero-2w", targetCPU: "cortex-a53", isDefault: false),
        BoardIndexEntry(name: "pi3b-plus", targetCPU: "cortex-a53", isDefault: false),
        BoardIndexEntry(name: "pi3b-plus-armv7", targetCPU: "cortex-a53", isDefault: false),
        BoardIndexEntry(name: "pi4b", targetCPU: "cortex-a72", isDefault: true),
        BoardIndexEntry(name: "pi4b-armv7", targetCPU: "cortex-a72", isDefault: false),
        BoardIndexEntry(name: "pi5", targetCPU: "cortex-a76", isDefault: false),
    ]

    public static var defaultBoard: BoardIndexEntry { boards.first(where: \.isDefault)! }

    public static func board(named name: String) throws(ToolchainError) -> BoardIndexEntry {
        guard let board = boards.first(where: { $0.name == name }) else {
            throw .unknownBoard(name: name, known: boards.map(\.name))
        }
        return board
    }
}
