// When a block-sparse layer beats the dense one, per CPU: break-even densities measured per core
// (Docs/sparsity.md "Cost rule per CPU"). A layer is stored sparse when its stored density (weights
// inside stored blocks / all weights) is at most its class's threshold on the selected core.

/// The CPU whose measurements decide dense or sparse storage. Raw values are a board profile's
/// `targetCPU` (Boards/*.json), plus `host` for the x86-64 development machine.
public enum SparseCostCore: String, Sendable, Equatable {
    case cortexA53 = "cortex-a53"
    case cortexA72 = "cortex-a72"
    case cortexA76 = "cortex-a76"
    case host

    public static let all: [SparseCostCore] = [.cortexA53, .cortexA72, .cortexA76, .host]

    /// The core of a board profile's `targetCPU`; nil when no table was measured for that CPU.
    public init?(targetCPU: String) {
        guard let core = SparseCostCore(rawValue: targetCPU), core != .host else { return nil }
        self = core
    }
}

/// The cost-table class of an eligible layer. Its description ("FC", "Conv1x1<=64",
/// "Conv1x1>512") is the row name in Docs/sparsity.md and in `convert`'s per-layer reasons.
public enum SparseLayerClass: Hashable, Sendable, CustomStringConvertible {
    case fullyConnected
    /// A 1×1 conv with at most `maxInputChannels` input channels (one of
    /// `SparseCostModel.conv1x1InputChannelClasses`), run by the 16-pixel tile kernel.
    case conv1x1(maxInputChannels: Int)
    /// A 1×1 conv wider than the tile (`SparseCostModel.conv1x1TileMaxInputChannels`): the per-pixel kernel.
    case conv1x1Wide

    /// The class of a layer of kind "FC" or "Conv1x1" with `inputChannels` columns.
    public init(kind: String, inputChannels: Int) {
        guard kind == "Conv1x1" else { self = .fullyConnected; return }
        if let n = SparseCostModel.conv1x1InputChannelClasses.first(where: { inputChannels <= $0 }) {
            self = .conv1x1(maxInputChannels: n)
        } else {
            self = .conv1x1Wide
        }
    }

    /// Every class, in table row order.
    public static let all: [SparseLayerClass] = [.fullyConnected]
        + SparseCostModel.conv1x1InputChannelClasses.map { .conv1x1(maxInputChannels: $0) } + [.conv1x1Wide]

    public var description: String {
        switch self {
        case .fullyConnected: return "FC"
        case .conv1x1(let n): return "Conv1x1<=\(n)"
        case .conv1x1Wide: return "Conv1x1>\(SparseCostModel.conv1x1TileMaxInputChannels)"
        }
    }
}

/// A sparse block shape, rows × columns of the weight matrix.
public struct SparseBlockShape: Hashable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int

    public init(_ rows: Int, _ cols: Int) {
        self.rows = rows
        self.cols = cols
    }

    public var description: String { "\(rows)x\(cols)" }
}

/// One cell of a core's table: a layer class and block shape.
public struct SparseCostKey: Hashable, Sendable {
    public var layer: SparseLayerClass
    public var block: SparseBlockShape

    public init(_ layer: SparseLayerClass, _ block: SparseBlockShape) {
        self.layer = layer
        self.block = block
    }
}

/// One core's measured break-even stored densities (sparse at or below; 0 = never).
public struct SparseCostTable: Sendable, Equatable {
    public var core: SparseCostCore
    public var breakEven: [SparseCostKey: Double]

    /// Largest stored density at which this core stores a layer sparse (0 = never). Unmeasured
    /// block shapes use the smallest (most conservative) threshold of their class.
    public func densityThreshold(_ layer: SparseLayerClass, _ block: SparseBlockShape) -> Double {
        if let t = breakEven[SparseCostKey(layer, block)] { return t }
        return breakEven.filter { $0.key.layer == layer }.map(\.value).min() ?? 0
    }

    /// Whether a layer of this class and block shape is stored sparse at this stored density.
    public func prefersSparse(_ layer: SparseLayerClass, _ block: SparseBlockShape, storedDensity: Double) -> Bool {
        let t = densityThreshold(layer, block)
        return t > 0 && storedDensity <= t
    }
}

public enum SparseCostModel {
    /// Input-channel classes of the 1×1 conv rows: a layer uses the first class ≥ its input channels
    /// (`SparseLayerClass.conv1x1`), or `.conv1x1Wide` beyond the 16-pixel tile
    /// (SparseConv1x1+PixelTile.swift), where the per-pixel kernel runs. Each class's thresholds were
    /// measured at its upper bound, the least favourable width in the class (break-even falls as
    /// channels grow: the dense kernel's fixed per-output requantization is spread over more MACs).
    public static let conv1x1InputChannelClasses = [64, 128, 256, 512]

    /// Input channels up to which the sparse 1×1 conv runs its 16-pixel tile kernel.
    public static let conv1x1TileMaxInputChannels = 512

    /// Block shapes the tables were measured for, in the order of each row's values below.
    public static let measuredBlocks = [SparseBlockShape(1, 1), SparseBlockShape(1, 4), SparseBlockShape(4, 1),
                                        SparseBlockShape(1, 16)]

    /// The measured table of `core`.
    ///
    /// ARM cores: exact guest-instruction counts under qemu 7.2 (armcount), sparse and dense kernel
    /// on the same pruned weights, SparrowKernels built with the board's device flags;
    /// `Tests/Fixtures/perf/armcount-sparse.sh` prints these rows. Break-even = where sparse / dense
    /// crosses 1, interpolated between measured densities 5, 10, 20, 30, 50, 70, 90 %; the FC row is
    /// the smallest over FC 64→128, 128→64, 256→256, 1024→1000 and 4096→1024; each conv class is
    /// measured at 28×28 64→128, 28×28 128→128, 14×14 256→256, 14×14 512→512, 7×7 1024→1024. Floored
    /// to a whole percent; 0.90 or more means sparse was faster at every measured density.
    /// Instructions are not cycles (no cache or pipeline effects): see Docs/sparsity.md.
    ///
    /// Host: 1 / cost factor of `sparrow bench-sparse` wall time (x86-64, FC 1024×1024 and Conv1x1
    /// 14×14×256→256, mean over 50–95 % sparsity); its conv factor covers every class ≤ 512.
    public static func table(_ core: SparseCostCore) -> SparseCostTable {
        switch core {
        case .cortexA53:
            return table(core, fc: [0.12, 0.25, 0.18, 0.20],
                         conv: [[0.90, 0.90, 0.49, 0.91], [0.78, 0.69, 0.33, 0.90], [0.58, 0.51, 0.24, 0.66],
                                [0.49, 0.44, 0.21, 0.57]],
                         wide: [0.12, 0.05, 0.10, 0.12])
        case .cortexA72:
            return table(core, fc: [0.15, 0.25, 0.18, 0.20],
                         conv: [[0.90, 0.88, 0.53, 0.91], [0.75, 0.60, 0.36, 0.73], [0.56, 0.45, 0.27, 0.54],
                                [0.47, 0.38, 0.23, 0.46]],
                         wide: [0.12, 0.05, 0.11, 0.12])
        case .cortexA76:
            // Cortex-A76 has sdot: the dense FC and wide 1×1 conv run ~0.4 instructions per MAC, and
            // sparse never pays for unstructured FC or for any conv wider than 512 channels.
            return table(core, fc: [0.00, 0.09, 0.06, 0.07],
                         conv: [[0.85, 0.65, 0.38, 0.80], [0.48, 0.37, 0.21, 0.45], [0.29, 0.22, 0.13, 0.28],
                                [0.21, 0.16, 0.09, 0.20]],
                         wide: [0.00, 0.00, 0.00, 0.00])
        case .host:
            return table(core, fc: [1 / 2.3, 1 / 1.7, 1 / 2.2, 1 / 2.0],
                         conv: Array(repeating: [1 / 1.5, 1 / 1.6, 1 / 1.9, 1 / 1.4], count: 4),
                         wide: [1 / 3.9, 1 / 6.1, 1 / 3.4, 1 / 3.2])
        }
    }

    /// Rows in `SparseLayerClass.all` order, values in `measuredBlocks` order.
    private static func table(_ core: SparseCostCore, fc: [Double], conv: [[Double]], wide: [Double]) -> SparseCostTable {
        var t: [SparseCostKey: Double] = [:]
        for (layer, row) in zip(SparseLayerClass.all, [fc] + conv + [wide]) {
            precondition(row.count == measuredBlocks.count)
            for (block, v) in zip(measuredBlocks, row) { t[SparseCostKey(layer, block)] = v }
        }
        return SparseCostTable(core: core, breakEven: t)
    }
}
