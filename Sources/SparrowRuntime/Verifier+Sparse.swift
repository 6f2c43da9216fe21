import SparrowFormat
import SparrowKernels

// Checks of the block-sparse operators (format 1.1): the matrix in the sparse section is walked
// once, so every count, column index and value the kernels will read is proven in range.

extension VerifiedModel {
    var sparseSize: Int { file.sectionRange(.sparse).size }

    /// The kernel view of the sparse matrix at `offset` in the sparse section (verified before use).
    func sparseMatrix(at offset: Int) -> BlockSparseMatrix {
        let p = base + sparseAt + offset
        let h = SparseMatrixHeader(decodingFrom: p)
        return BlockSparseMatrix(rows: Int(h.rows), cols: Int(h.cols), blockRows: Int(h.blockRows),
                                 blockCols: Int(h.blockCols), indexWidth: Int(h.indexWidth), counts: p + h.countsOffset,
                                 indices: p + h.indicesOffset,
                                 values: (p + h.valuesOffset).assumingMemoryBound(to: Int8.self))
    }
}

extension OperandCheck {
    mutating func sparseFullyConnected() throws(ModelError) {
        try counts(inputs: 4, outputs: 1, params: SparseFullyConnectedParam.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        try activationRange(SparseFullyConnectedParam.activationMin)
        guard x.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "input") }
        guard y.rank >= 1 else { throw fail(.wrongRank, 0, limit: 1, "output") }
        let depth = Int(x.dim(Int(x.rank) - 1)), outDepth = Int(y.dim(Int(y.rank) - 1))
        try sparseMatrix(offsetParam: SparseFullyConnectedParam.matrixOffset, rows: outDepth, cols: depth)
        try same(Int(y.byteSize) / outDepth, Int(x.byteSize) / depth, "batches")
        try requantOperands(firstInput: 1, outChannels: outDepth)
    }

    mutating func sparseConv1x1() throws(ModelError) {
        try counts(inputs: 4, outputs: 1, params: SparseConv1x1Param.count)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let strideH = try positive(SparseConv1x1Param.strideH, "strideH")
        let strideW = try positive(SparseConv1x1Param.strideW, "strideW")
        try activationRange(SparseConv1x1Param.activationMin)
        let xs = shape4Of(x), ys = shape4Of(y)
        try sparseMatrix(offsetParam: SparseConv1x1Param.matrixOffset, rows: ys.c, cols: xs.c)
        try same(ys.n, xs.n, "output batch")
        try same(ys.h, (xs.h - 1) / strideH + 1, "output height")
        try same(ys.w, (xs.w - 1) / strideW + 1, "output width")
        try requantOperands(firstInput: 1, outChannels: ys.c)
    }

    /// The matrix named by parameter words (offset, size): inside the sparse section, aligned, a
    /// valid block shape dividing [rows, cols], the size its header implies, counts that add up,
    /// every block column in range and every value in [−127, 127].
    func sparseMatrix(offsetParam: Int, rows: Int, cols: Int) throws(ModelError) {
        let offset = Int(param(offsetParam)), size = Int(param(offsetParam + 1))
        let available = model.sparseSize
        guard offset >= 0, size >= SparseMatrixField.headerSize, offset <= available, size <= available - offset else {
            throw fail(.sparseOutOfBounds, offset, limit: available, "matrixOffset")
        }
        guard offset % ModelFormat.sectionAlignment == 0 else {
            throw fail(.sparseMisaligned, offset, limit: ModelFormat.sectionAlignment, "matrixOffset")
        }
        let p = model.base + model.sparseAt + offset
        let h = SparseMatrixHeader(decodingFrom: p)
        guard SparseMatrixHeader.isValidBlockEdge(h.blockRows) else { throw fail(.badBlockShape, Int(h.blockRows), limit: 16, "blockRows") }
        guard SparseMatrixHeader.isValidBlockEdge(h.blockCols) else { throw fail(.badBlockShape, Int(h.blockCols), limit: 16, "blockCols") }
        guard UInt(h.rows) == UInt(rows) else { throw fail(.shapeMismatch, Int(bitPattern: UInt(h.rows)), limit: rows, "sparse rows") }
        guard UInt(h.cols) == UInt(cols) else { throw fail(.shapeMismatch, Int(bitPattern: UInt(h.cols)), limit: cols, "sparse cols") }
        guard rows % Int(h.blockRows) == 0 else { throw fail(.badBlockShape, rows, limit: Int(h.blockRows), "rows not a multiple of blockRows") }
        guard cols % Int(h.blockCols) == 0 else { throw fail(.badBlockShape, cols, limit: Int(h.blockCols), "cols not a multiple of blockCols") }
        guard cols <= maxAccumulationDepth else { throw fail(.accumulatorBound, cols, limit: maxAccumulationDepth, "depth") }
        guard h.indexWidth == 1 || h.indexWidth == 2 else { throw fail(.badIndexWidth, Int(h.indexWidth), limit: 2, "indexWidth") }
        // Every stored block takes at least one byte, so a count above `size` is already wrong; this
        // bound also keeps the layout arithmetic below from overflowing on 32-bit targets.
        guard UInt(h.blockCount) <= UInt(size) else {
            throw fail(.sparseSizeMismatch, Int(bitPattern: UInt(h.blockCount)), limit: size, "blockCount")
        }
        let blockRowCount = h.blockRowCount, blockColumnCount = h.blockColumnCount
        let blockBytes = Int(h.blockRows) * Int(h.blockCols)
        let (values, overflow) = Int(h.blockCount).multipliedReportingOverflow(by: blockBytes)
        let expected = overflow ? Int.max : h.valuesOffset + values
        guard expected == size else { throw fail(.sparseSizeMismatch, size, limit: expected, "matrixSize") }
        var total = 0
        var entry = 0
        for br in 0..<blockRowCount {
            let n = Int(loadU16(p, h.countsOffset + 2 * br))
            guard n <= blockColumnCount else { throw fail(.sparseCountMismatch, n, limit: blockColumnCount, "block-row count") }
            total += n
            guard total <= Int(h.blockCount) else {
                throw fail(.sparseCountMismatch, total, limit: Int(h.blockCount), "counts exceed blockCount")
            }
            var column = -1
            for _ in 0..<n {
                let d = h.indexWidth == 1 ? Int(p.load(fromByteOffset: h.indicesOffset + entry, as: UInt8.self))
                    : Int(loadU16(p, h.indicesOffset + 2 * entry))
                column += d + 1
                guard column < blockColumnCount else {
                    throw fail(.sparseIndexOutOfRange, column, limit: blockColumnCount, "block column")
                }
                entry += 1
            }
        }
        guard total == Int(h.blockCount) else { throw fail(.sparseCountMismatch, total, limit: Int(h.blockCount), "sum of counts") }
        let v = (p + h.valuesOffset).assumingMemoryBound(to: Int8.self)
        for i in 0..<values where v[i] == -128 { throw fail(.weightOutOfRange, i, "sparse values") }
    }

    @inline(__always)
    func loadU16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
