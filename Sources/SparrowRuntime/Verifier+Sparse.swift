import SparrowFormat
import SparrowKernels

// The block-sparse weight matrix check shared by the sparse operators (format 1.1): the matrix
// in the sparse section is walked once, so every count, column index and value the kernels
// will read is proven in range.

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
    /// The matrix at `location`: inside the sparse section, aligned, a valid block shape dividing
    /// [rows, cols], the size its header implies, counts that add up, every block column in range
    /// and every value in [−127, 127]. Shared by the sparse operators (Ops/Sparse*.swift).
    func sparseMatrix(_ location: SparseMatrixLocation, rows: Int, cols: Int) throws(ModelError) {
        let offset = Int(location.offset), size = Int(location.size)
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
