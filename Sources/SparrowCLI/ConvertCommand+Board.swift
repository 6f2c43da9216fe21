import Foundation
import SparrowConverter
import SparrowToolchain

// `sparrow convert --board NAME`: which CPU's measured break-even densities decide dense or sparse
// storage (SparseCostModel, Docs/sparsity.md "Cost rule per CPU").
extension ConvertCommand {
    static let boardUsage = """
      --board NAME             the board the model is for (Boards/NAME.json; default: the default
                               board, pi4b): --sparse auto uses the break-even densities measured
                               for its core (cortex-a53: pi3b-plus, pi-zero-2w; cortex-a72: pi4b;
                               cortex-a76: pi5; the armv7 boards use their core's aarch64 figures).
                               '--board host' selects the x86-64 host figures instead.
    """ + "\n" + breakEvenTable

    /// The measured break-even densities, printed from SparseCostModel so help and rule agree.
    static let breakEvenTable: String = {
        let cores = SparseCostCore.all
        var lines = ["  break-even stored density in % (sparse at or below it; - = never), blocks "
                     + SparseCostModel.measuredBlocks.joined(separator: "/") + ":"]
        func pad(_ t: String, _ n: Int) -> String { t.count >= n ? t : t + String(repeating: " ", count: n - t.count) }
        lines.append("    " + pad("", 14) + cores.map { pad($0.rawValue, 17) }.joined())
        let kinds = ["FC"] + SparseCostModel.conv1x1InputChannelClasses.map { "Conv1x1<=\($0)" }
            + ["Conv1x1>\(SparseCostModel.conv1x1TileMaxInputChannels)"]
        for kind in kinds {
            let cells = cores.map { core in
                SparseCostModel.measuredBlocks.map { block -> String in
                    let t = SparseCostModel.thresholds[core]?[kind + " " + block] ?? 0
                    return t > 0 ? String(Int((t * 100).rounded())) : "-"
                }.joined(separator: "/")
            }
            lines.append("    " + pad(kind, 14) + cells.map { pad($0, 17) }.joined())
        }
        return lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }()

    /// The cost-table core of `--board` (or of the default board). Without `--board` and outside a
    /// checkout (no Boards/), the default board's core, cortex-a72.
    static func costCore(_ a: Arguments) throws -> SparseCostCore {
        let name = a.value("--board")
        if name == "host" { return .host }
        let board: BoardProfile
        do {
            let catalog = try BoardCatalog.locate()
            board = try name.map { n throws(ToolchainError) in try catalog.board(named: n) } ?? catalog.defaultBoard
        } catch {
            guard let name else { return .cortexA72 }
            throw CLIError("--board \(name): \(error)")
        }
        guard let core = SparseCostCore(targetCPU: board.targetCPU) else {
            let measured = SparseCostCore.all.filter { $0 != .host }.map(\.rawValue).joined(separator: ", ")
            throw CLIError("--board \(board.name): no sparse cost table for CPU '\(board.targetCPU)' (measured: \(measured), host)")
        }
        return core
    }
}
