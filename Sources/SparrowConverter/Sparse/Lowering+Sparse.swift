// Dense or sparse storage of one FullyConnected / 1×1 Conv layer's int8 weights, decided on the
// quantized codes (so weights pruned during training, and those that quantize to 0, count).
import Foundation
import SparrowFormat

/// Where a layer's sparse matrix went in the sparse section.
struct SparseStorage {
    var offset: UInt32
    var size: UInt32
    /// Weights inside stored blocks (what the kernel multiplies).
    var storedWeights: Int
}

extension ModelBuilder {
    /// Encodes the weights into the sparse section when the options and the cost model say so.
    /// Returns nil for dense storage (also for layers no sparse operator can run).
    mutating func sparseStorage(_ node: IRNode, codes: [Int8], shape: [Int]) -> SparseStorage? {
        let rows: Int, cols: Int, kind: String
        switch node.op {
        case .fullyConnected where shape.count == 2:
            rows = shape[0]; cols = shape[1]; kind = "FC"
        case .conv(let a) where !a.isDepthwise && shape.count == 4 && shape[1] == 1 && shape[2] == 1
            && a.pads.allSatisfy({ $0 == 0 }):
            rows = shape[0]; cols = shape[3]; kind = "Conv1x1"
        default:
            return nil
        }
        let nonzero = codes.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        let density = Double(nonzero) / Double(max(codes.count, 1))
        let (R, C) = Pruner.blockShape(rows: rows, cols: cols, sparsity)
        let encoded = SparseMatrixCodec.encode(codes, rows: rows, cols: cols, blockRows: R, blockCols: C)
        let header = encoded.withUnsafeBytes { SparseMatrixHeader(decodingFrom: $0.baseAddress!) }
        let stored = Int(header.blockCount) * R * C
        let storedDensity = Double(stored) / Double(max(codes.count, 1))
        let costClass = SparseLayerClass(kind: kind, inputChannels: cols), block = SparseBlockShape(R, C)
        let core = sparsity.costCore, table = SparseCostModel.table(core)
        let threshold = table.densityThreshold(costClass, block)
        var useSparse: Bool
        var reason: String
        switch sparsity.mode {
        case .never:
            useSparse = false; reason = "--sparse never"
        case .always:
            useSparse = sparsity.selects(node.name); reason = useSparse ? "--sparse always" : "not selected by --prune-layers"
        case .auto:
            useSparse = table.prefersSparse(costClass, block, storedDensity: storedDensity)
            reason = threshold > 0
                ? String(format: "auto (%@): stored density %.2f %@ threshold %.2f", core.rawValue as NSString,
                         storedDensity, (useSparse ? "<=" : ">") as NSString, threshold)
                : "auto (\(core.rawValue)): sparse never pays for \(costClass) \(block)"
        }
        // The format's accumulator bound is the dense one; a layer the dense kernel cannot run stays dense
        // and is rejected by the verifier with the usual error.
        if cols > 33_155 { useSparse = false; reason = "depth above the accumulator bound" }
        let report = SparseLayerReport(name: node.name, kind: kind, rows: rows, cols: cols, density: density,
                                       blockRows: R, blockCols: C, storedDensity: storedDensity, sparse: useSparse,
                                       storedBytes: useSparse ? encoded.count : codes.count, denseBytes: codes.count,
                                       reason: reason)
        sparseLayers.append(report)
        guard useSparse else { return nil }
        let offset = writer.addSparseMatrix(encoded)
        return SparseStorage(offset: offset, size: UInt32(encoded.count), storedWeights: stored)
    }
}
