import SparrowFormat
import SparrowKernels

// SparseConv1x1: a strided 1×1 conv whose [outC, inC] filter is a block-sparse matrix in the
// sparse section (Verifier+Sparse.swift; kernels: SparseFullyConnected.swift,
// SparseConv1x1+PixelTile.swift; params: SparseConv1x1ParamRecord). Format 1.1.

extension OperandCheck {
    mutating func sparseConv1x1() throws(ModelError) {
        try counts(inputs: 4, outputs: 1, params: SparseConv1x1ParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let p = try params(SparseConv1x1ParamRecord.init(decoding:))
        let xs = shape4Of(x), ys = shape4Of(y)
        try sparseMatrix(p.matrix, rows: ys.c, cols: xs.c)
        try same(ys.n, xs.n, "output batch")
        try same(ys.h, (xs.h - 1) / Int(p.strideH) + 1, "output height")
        try same(ys.w, (xs.w - 1) / Int(p.strideW) + 1, "output width")
        try requantOperands(firstInput: 1, outChannels: ys.c)
    }
}

extension Interpreter {
    func runSparseConv1x1(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = SparseConv1x1ParamRecord(unchecked: model.paramWords(o))
        let q = sparseRequant(o, x, y, r.activation)
        sparseConv1x1S8(q, strideH: Int(r.strideH), strideW: Int(r.strideW), input: s8(x), inputShape: shape4Of(x),
                        weights: model.sparseMatrix(at: Int(r.matrix.offset)), output: outS8(y),
                        outputShape: shape4Of(y))
    }
}
