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

    public init(prune: Double? = nil, blockRows: Int = 1, blockCols: Int = 1, layerPattern: String? = nil,
                scope: Scope = .layer, mode: Mode = .auto) {
        self.prune = prune
        self.blockRows = blockRows
        self.blockCols = blockCols
        self.layerPattern = layerPattern
        self.scope = scope
        self.mode = mode
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

/// The measured cost of sparse against dense (Docs/sparsity.md, `sparrow bench-sparse`): time of
/// the sparse kernel per *stored* weight relative to the dense kernel per weight. Sparse is
/// predicted faster when storedDensity × costFactor < 1, i.e. below a density threshold of
/// 1 / costFactor.
public enum SparseCostModel {
    /// "KIND RxC" → cost factor, measured with `sparrow bench-sparse` (host x86-64, release build,
    /// FC 1024×1024 batch 1 and Conv1x1 14×14×256→256, mean over 50–95 % sparsity, median of 3
    /// runs; Docs/sparsity.md). "Conv1x1wide" is a 1×1 conv with more input channels than the
    /// 16-pixel tile holds (> 512), which runs the per-pixel kernel (factors of that kernel at 256).
    public static let costFactors: [String: Double] = [
        "FC 1x1": 2.3, "FC 1x4": 3.8, "FC 4x1": 2.2, "FC 1x16": 2.0,
        "Conv1x1 1x1": 1.5, "Conv1x1 1x4": 1.6, "Conv1x1 4x1": 1.9, "Conv1x1 1x16": 1.4,
        "Conv1x1wide 1x1": 3.9, "Conv1x1wide 1x4": 6.1, "Conv1x1wide 4x1": 3.4, "Conv1x1wide 1x16": 3.2,
    ]

    /// Input channels up to which the sparse 1×1 conv runs its 16-pixel tile kernel
    /// (SparrowKernels, SparseConv1x1+PixelTile.swift).
    public static let conv1x1TileMaxInputChannels = 512

    /// Cost-table kind of a layer: wide 1×1 convs have their own (slower) row.
    public static func costKind(_ kind: String, cols: Int) -> String {
        kind == "Conv1x1" && cols > conv1x1TileMaxInputChannels ? "Conv1x1wide" : kind
    }

    /// Unmeasured shapes use the largest (most conservative) factor of their kind.
    public static func costFactor(kind: String, blockRows: Int, blockCols: Int) -> Double {
        if let f = costFactors["\(kind) \(blockRows)x\(blockCols)"] { return f }
        return costFactors.filter { $0.key.hasPrefix(kind + " ") }.map(\.value).max() ?? 6.6
    }

    /// Largest stored density at which the sparse kernel is predicted to win.
    public static func densityThreshold(kind: String, blockRows: Int, blockCols: Int) -> Double {
        1 / costFactor(kind: kind, blockRows: blockRows, blockCols: blockCols)
    }
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
