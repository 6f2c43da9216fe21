import Foundation
import SparrowConverter
import SparrowFormat
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
                     + SparseCostModel.measuredBlocks.map(\.description).joined(separator: "/") + ":"]
        func pad(_ t: String, _ n: Int) -> String { t.count >= n ? t : t + String(repeating: " ", count: n - t.count) }
        lines.append("    " + pad("", 14) + cores.map { pad($0.rawValue, 17) }.joined())
        for layer in SparseLayerClass.all {
            let cells = cores.map { core in
                SparseCostModel.measuredBlocks.map { block -> String in
                    let t = SparseCostModel.table(core).breakEven[SparseCostKey(layer, block)] ?? 0
                    return t > 0 ? String(Int((t * 100).rounded())) : "-"
                }.joined(separator: "/")
            }
            lines.append("    " + pad(layer.description, 14) + cells.map { pad($0, 17) }.joined())
        }
        return lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }()

    /// The cost-table core of `--board` (default: the default board, pi4b). Boards resolve from the
    /// compiled-in `BoardIndex` (no checkout needed); an unknown board, or one whose core has no
    /// measured table, is an error, never a fallback to another core.
    static func costCore(_ a: Arguments) throws -> SparseCostCore {
        let name = a.value("--board")
        if name == "host" { return .host }
        let board: BoardIndexEntry
        do {
            board = try name.map { n throws(ToolchainError) in try BoardIndex.board(named: n) } ?? BoardIndex.defaultBoard
        } catch {
            throw CLIError("--board \(name ?? ""): \(error) (or 'host' for the x86-64 host figures)")
        }
        guard let core = SparseCostCore(targetCPU: board.targetCPU) else {
            let measured = SparseCostCore.all.filter { $0 != .host }.map(\.rawValue).joined(separator: ", ")
            throw CLIError("--board \(board.name): no sparse cost table for CPU '\(board.targetCPU)' (measured: \(measured), host)")
        }
        return core
    }

    static let packedUsage = """
      --no-packed-weights      keep the reference operators (files as before format 1.3's packed
                               operators). By default the weights are packed for the --board's
                               microkernels (default board pi4b): FullyConnected and 1×1 convs →
                               PackedGemm, depthwise 3×3 (stride 1/2) → PackedDepthwise3x3, other
                               convs → PackedConvIm2col; GEMM layout NR 16 KR 4 for pi5 (sdot),
                               NR 8 KR 16 for the A53/A72 and armv7 boards. The layout is
                               recorded; every build runs it, bit-identically. Sparse layers stay
                               sparse. (--packed-weights: the default, still accepted.)
    """

    /// The packed layout for `--board` (default board when absent), or nil with `--no-packed-weights`.
    static func packedWeightsLayout(_ a: Arguments) throws -> PackedGemmLayout? {
        if a.has("--no-packed-weights") {
            guard !a.has("--packed-weights") else { throw CLIError.usage("--packed-weights and --no-packed-weights contradict each other") }
            return nil
        }
        let name = a.value("--board")
        if name == "host" { return .nr16kr4 }
        do {
            let board = try name.map { n throws(ToolchainError) in try BoardIndex.board(named: n) } ?? BoardIndex.defaultBoard
            return .forBoard(targetCPU: board.targetCPU)
        } catch {
            throw CLIError("--board \(name ?? ""): \(error)")
        }
    }
}
