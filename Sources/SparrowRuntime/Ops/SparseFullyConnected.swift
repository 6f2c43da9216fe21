import SparrowFormat
import SparrowKernels

// SparseFullyConnected: FullyConnected whose weights are a block-sparse matrix in the sparse
// section, checked by `sparseMatrix(_:rows:cols:)` (Verifier+Sparse.swift; kernel:
// SparseFullyConnected.swift; params: SparseFullyConnectedParamRecord). Format 1.1.

extension OperandCheck {
    mutating func sparseFullyConnected() throws(ModelError) {
        try counts(inputs: 4, outputs: 1, params: SparseFullyConnectedParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let p = try params(SparseFullyConnectedParamRecord.init(decoding:))
        guard x.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "input") }
        guard y.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "output") }
        let depth = Int(x.dim(Int(x.rank) - 1)), outDepth = Int(y.dim(Int(y.rank) - 1))
        try sparseMatrix(p.matrix, rows: outDepth, cols: depth)
        try same(Int(y.byteSize) / outDepth, Int(x.byteSize) / depth, "batches")
        try requantOperands(firstInput: 1, outChannels: outDepth)
    }
}

extension Interpreter {
    func runSparseFullyConnected(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = SparseFullyConnectedParamRecord(unchecked: model.paramWords(o))
        let q = sparseRequant(o, x, y, r.activation)
        let matrix = model.sparseMatrix(at: Int(r.matrix.offset))
        sparseFullyConnectedS8(q, input: s8(x), batches: Int(x.byteSize) / matrix.cols, weights: matrix, output: outS8(y))
    }

    /// Bias, multipliers and shifts (inputs 1...3) and zero points of a sparse conv or FC.
    @inline(__always)
    func sparseRequant(_ o: OperatorRecord, _ x: TensorRecord, _ y: TensorRecord, _ clamp: ActivationClamp) -> SparseRequant {
        let biasIndex = model.input(o, 1)
        return SparseRequant(bias: biasIndex >= 0 ? s32(model.tensor(biasIndex)) : nil,
                             multipliers: s32(operand(o, 2)), shifts: s32(operand(o, 3)),
                             inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                             activationMin: clamp.min, activationMax: clamp.max)
    }
}
