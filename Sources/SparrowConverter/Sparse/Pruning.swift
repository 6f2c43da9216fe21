// Magnitude pruning of the float graph (after BatchNormalization folding, before calibration):
// whole blocks with the smallest mean |w| are set to zero, per layer or with one global threshold.
import Foundation

/// A prunable weight matrix: node index, weight value index, and its [rows, cols] matrix view.
struct SparseCandidate {
    var node: Int
    var weights: Int
    var rows: Int
    var cols: Int
    var kind: String
}

public struct PruneLayerReport: Sendable, Equatable {
    public var name: String
    public var densityBefore: Double
    public var densityAfter: Double
}

public enum Pruner {
    /// FullyConnected and ungrouped 1×1 Conv nodes without padding whose weights are constants:
    /// the layers a sparse operator can run.
    static func candidates(_ graph: IRGraph) -> [SparseCandidate] {
        var out: [SparseCandidate] = []
        for (k, node) in graph.nodes.enumerated() {
            guard node.inputs.count >= 2, node.inputs[1] >= 0 else { continue }
            let w = graph.values[node.inputs[1]]
            guard w.constant != nil else { continue }
            switch node.op {
            case .fullyConnected:
                if w.shape.count == 2 { out.append(SparseCandidate(node: k, weights: node.inputs[1], rows: w.shape[0], cols: w.shape[1], kind: "FC")) }
            case .conv(let a):
                if !a.isDepthwise && w.shape.count == 4 && w.shape[1] == 1 && w.shape[2] == 1 && a.pads.allSatisfy({ $0 == 0 }) {
                    out.append(SparseCandidate(node: k, weights: node.inputs[1], rows: w.shape[0], cols: w.shape[3], kind: "Conv1x1"))
                }
            default: continue
            }
        }
        return out
    }

    /// The block shape used for a layer: the requested one when it divides the matrix, else 1×1.
    static func blockShape(rows: Int, cols: Int, _ o: SparsityOptions) -> (Int, Int) {
        rows % o.blockRows == 0 && cols % o.blockCols == 0 ? (o.blockRows, o.blockCols) : (1, 1)
    }

    /// Zeroes `options.prune` of the weights (in whole blocks) of every selected candidate layer.
    public static func prune(_ graph: IRGraph, _ options: SparsityOptions) -> (IRGraph, [PruneLayerReport]) {
        guard let target = options.prune, target > 0 else { return (graph, []) }
        var g = graph
        struct Block { var layer: Int; var row: Int; var col: Int; var score: Float }
        let layers = candidates(graph).filter { options.selects(graph.nodes[$0.node].name) }
        var perLayer: [[Block]] = []
        for (li, c) in layers.enumerated() {
            let w = graph.values[c.weights].constant!
            let (R, C) = blockShape(rows: c.rows, cols: c.cols, options)
            var blocks: [Block] = []
            for br in 0..<(c.rows / R) {
                for bc in 0..<(c.cols / C) {
                    var sum: Float = 0
                    for r in 0..<R { for cc in 0..<C { sum += abs(w[(br * R + r) * c.cols + bc * C + cc]) } }
                    blocks.append(Block(layer: li, row: br, col: bc, score: sum / Float(R * C)))
                }
            }
            perLayer.append(blocks)
        }
        // Ties broken by position, so pruning is deterministic.
        func order(_ a: Block, _ b: Block) -> Bool {
            (a.score, a.layer, a.row, a.col) < (b.score, b.layer, b.row, b.col)
        }
        var doomed: [Block] = []
        switch options.scope {
        case .layer:
            for blocks in perLayer {
                let k = Int((Double(blocks.count) * target).rounded(.down))
                doomed += blocks.sorted(by: order).prefix(k)
            }
        case .global:
            let all = perLayer.flatMap { $0 }
            // Every layer's blocks hold R·C weights of the same size class; count blocks weighted by size.
            var weights = 0
            for c in layers { weights += c.rows * c.cols }
            var removed = 0
            for b in all.sorted(by: order) {
                let c = layers[b.layer]
                let (R, C) = blockShape(rows: c.rows, cols: c.cols, options)
                if Double(removed + R * C) > Double(weights) * target { break }
                removed += R * C
                doomed.append(b)
            }
        }
        for b in doomed {
            let c = layers[b.layer]
            let (R, C) = blockShape(rows: c.rows, cols: c.cols, options)
            for r in 0..<R { for cc in 0..<C { g.values[c.weights].constant![(b.row * R + r) * c.cols + b.col * C + cc] = 0 } }
        }
        let report = layers.map { c -> PruneLayerReport in
            let before = graph.values[c.weights].constant!, after = g.values[c.weights].constant!
            return PruneLayerReport(name: graph.nodes[c.node].name,
                                    densityBefore: Double(before.filter { $0 != 0 }.count) / Double(before.count),
                                    densityAfter: Double(after.filter { $0 != 0 }.count) / Double(after.count))
        }
        return (g, report)
    }
}
