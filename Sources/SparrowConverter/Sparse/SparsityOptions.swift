// What the converter does with sparse weights: magnitude pruning (optional), and per layer the
// choice between dense and block-sparse storage (Docs/sparsity.md).
import Foundation

public struct SparsityOptions: Sendable {
    /// How each eligible layer (FullyConnected, 1×1 Conv without padding) is stored.
    public enum Mode: String, Sendable {
        /// Sparse where the cost model predicts it is faster than dense.
        case auto
        /// Sparse for every eligible layer.
        case always
        /// Dense everywhere (format 1.0 operators only).
        case never
    }

    /// Whether one magnitude threshold covers all selected layers or each layer is pruned to the target.
    public enum Scope: String, Sendable {
        case layer, global
    }

    /// Fraction of weights (in whole blocks) to set to zero, in [0, 1); nil = no pruning.
    public var prune: Double?
    /// Block shape for pruning and sparse storage (1×1 = unstructured).
    public var blockRows: Int
    public var blockCols: Int
    /// Glob (`*`, `?`) matched against node names; nil selects every eligible layer.
    public var layerPattern: String?
    public var scope: Scope
    public var mode: Mode
    /// Whose measured break-even densities `auto` uses (SparseCostModel). `sparrow convert` sets
    /// the core of `--board` (default board pi4b: Cortex-A72); library callers get the host table.
    public var costCore: SparseCostCore

    public init(prune: Double? = nil, blockRows: Int = 1, blockCols: Int = 1, layerPattern: String? = nil,
                scope: Scope = .layer, mode: Mode = .auto, costCore: SparseCostCore = .host) {
        self.prune = prune
        self.blockRows = blockRows
        self.blockCols = blockCols
        self.layerPattern = layerPattern
        self.scope = scope
        self.mode = mode
        self.costCore = costCore
    }

    /// Block edges the format allows.
    public static let validBlockEdges: Set<Int> = [1, 2, 4, 8, 16]

    func selects(_ name: String) -> Bool {
        guard let layerPattern else { return true }
        return globMatch(layerPattern, name)
    }
}

/// `*` matches any run of characters, `?` one character; everything else literally.
func globMatch(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern), t = Array(text)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
            pi += 1; ti += 1
        } else if pi < p.count && p[pi] == "*" {
            star = pi; mark = ti; pi += 1
        } else if star >= 0 {
            pi = star + 1; mark += 1; ti = mark
        } else {
            return false
        }
    }
    while pi < p.count && p[pi] == "*" { pi += 1 }
    return pi == p.count
}

/// What happened to one eligible layer.
public struct SparseLayerReport: Sendable, Equatable {
    public var name: String
    /// "FC" or "Conv1x1".
    public var kind: String
    public var rows: Int
    public var cols: Int
    /// Nonzero int8 weights / all weights.
    public var density: Double
    /// Block shape of the sparse encoding considered.
    public var blockRows: Int
    public var blockCols: Int
    /// Weights inside stored blocks / all weights (≥ density).
    public var storedDensity: Double
    public var sparse: Bool
    /// Bytes of the weights as stored (sparse matrix or dense int8).
    public var storedBytes: Int
    public var denseBytes: Int
    public var reason: String

    public var line: String {
        func pad(_ t: String, _ n: Int) -> String { t.count >= n ? t : t + String(repeating: " ", count: n - t.count) }
        let numbers = String(format: "density %5.1f%%  ", density * 100)
            + String(format: "%2dx%-2d stored %5.1f%%  %7d B (dense %7d B)  ", blockRows, blockCols, storedDensity * 100,
                     storedBytes, denseBytes)
        return "  " + pad(name, 28) + " " + pad(kind, 8) + pad("\(rows)x\(cols)", 10) + numbers
            + (sparse ? "sparse  " : "dense   ") + reason
    }
}
