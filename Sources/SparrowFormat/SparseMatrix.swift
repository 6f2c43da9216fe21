// The block-sparse int8 matrix stored in the sparse section (format 1.1, Docs/format.md
// "Sparse matrices"). One matrix per sparse operator, at a 16-byte aligned offset:
//
//   header (16 B)  rows u32, cols u32, blockRows u8, blockCols u8, indexWidth u8, reserved u8,
//                  blockCount u32
//   counts         u16[rows / blockRows]: stored blocks in each block row
//   indices        blockCount entries of indexWidth bytes (1 or 2, little-endian): for each stored
//                  block, blockColumn − previousBlockColumn − 1 (previous = −1 at a block row's start)
//   values         blockCount × blockRows × blockCols int8, block after block, each block row-major
//
// The size is exactly 16 + 2·rows/blockRows + indexWidth·blockCount + blockRows·blockCols·blockCount.

/// Byte offsets of the sparse matrix header fields.
public enum SparseMatrixField {
    public static let rows = 0, cols = 4, blockRows = 8, blockCols = 9, indexWidth = 10, reserved = 11
    public static let blockCount = 12
    public static let headerSize = 16
}

/// The decoded header of a sparse matrix and the layout that follows from it. Decoding does not
/// validate: the runtime's verifier checks every field (and every index) before use.
public struct SparseMatrixHeader: Equatable {
    public var rows: UInt32
    public var cols: UInt32
    public var blockRows: UInt8
    public var blockCols: UInt8
    /// Bytes per column-index entry: 1 (8-bit deltas) or 2 (16-bit deltas).
    public var indexWidth: UInt8
    public var blockCount: UInt32

    /// Block edge lengths a matrix may use (each of blockRows and blockCols).
    public static func isValidBlockEdge(_ e: UInt8) -> Bool { e == 1 || e == 2 || e == 4 || e == 8 || e == 16 }

    public init(rows: UInt32, cols: UInt32, blockRows: UInt8, blockCols: UInt8, indexWidth: UInt8, blockCount: UInt32) {
        self.rows = rows
        self.cols = cols
        self.blockRows = blockRows
        self.blockCols = blockCols
        self.indexWidth = indexWidth
        self.blockCount = blockCount
    }

    /// Reads the 16 header bytes at `p` (caller checked they exist).
    public init(decodingFrom p: UnsafeRawPointer) {
        rows = loadLE(p, SparseMatrixField.rows, as: UInt32.self)
        cols = loadLE(p, SparseMatrixField.cols, as: UInt32.self)
        blockRows = p.load(fromByteOffset: SparseMatrixField.blockRows, as: UInt8.self)
        blockCols = p.load(fromByteOffset: SparseMatrixField.blockCols, as: UInt8.self)
        indexWidth = p.load(fromByteOffset: SparseMatrixField.indexWidth, as: UInt8.self)
        blockCount = loadLE(p, SparseMatrixField.blockCount, as: UInt32.self)
    }

    public func encode(into p: UnsafeMutableRawPointer) {
        storeLE(p, SparseMatrixField.rows, rows)
        storeLE(p, SparseMatrixField.cols, cols)
        p.storeBytes(of: blockRows, toByteOffset: SparseMatrixField.blockRows, as: UInt8.self)
        p.storeBytes(of: blockCols, toByteOffset: SparseMatrixField.blockCols, as: UInt8.self)
        p.storeBytes(of: indexWidth, toByteOffset: SparseMatrixField.indexWidth, as: UInt8.self)
        p.storeBytes(of: UInt8(0), toByteOffset: SparseMatrixField.reserved, as: UInt8.self)
        storeLE(p, SparseMatrixField.blockCount, blockCount)
    }

    /// Number of block rows (rows / blockRows; the verifier requires exact division).
    public var blockRowCount: Int { Int(rows) / max(Int(blockRows), 1) }
    /// Number of block columns (cols / blockCols).
    public var blockColumnCount: Int { Int(cols) / max(Int(blockCols), 1) }
    public var countsOffset: Int { SparseMatrixField.headerSize }
    public var indicesOffset: Int { countsOffset + 2 * blockRowCount }
    public var valuesOffset: Int { indicesOffset + Int(indexWidth) * Int(blockCount) }
    /// Total bytes of the matrix; the caller must have bounded the fields (the verifier does) so
    /// this cannot overflow.
    public var byteSize: Int { valuesOffset + Int(blockRows) * Int(blockCols) * Int(blockCount) }
}

#if !hasFeature(Embedded)

/// Host encoder and decoder of the sparse matrix layout.
public enum SparseMatrixCodec {
    /// Encodes a row-major int8 matrix [rows, cols] with `blockRows × blockCols` blocks: a block is
    /// stored when any of its values is nonzero. rows and cols must be multiples of the block
    /// edges. Column indices use 8-bit deltas when every delta fits, 16-bit otherwise.
    public static func encode(_ dense: [Int8], rows: Int, cols: Int, blockRows: Int, blockCols: Int) -> [UInt8] {
        precondition(rows % blockRows == 0 && cols % blockCols == 0 && dense.count == rows * cols)
        let blockRowCount = rows / blockRows, blockColumnCount = cols / blockCols
        var counts: [UInt16] = []
        var deltas: [Int] = []
        var values: [Int8] = []
        for br in 0..<blockRowCount {
            var count = 0
            var previous = -1
            for bc in 0..<blockColumnCount {
                var nonzero = false
                for r in 0..<blockRows {
                    let rowStart = (br * blockRows + r) * cols + bc * blockCols
                    for c in 0..<blockCols where dense[rowStart + c] != 0 { nonzero = true }
                }
                guard nonzero else { continue }
                for r in 0..<blockRows {
                    let rowStart = (br * blockRows + r) * cols + bc * blockCols
                    values.append(contentsOf: dense[rowStart..<(rowStart + blockCols)])
                }
                deltas.append(bc - previous - 1)
                previous = bc
                count += 1
            }
            counts.append(UInt16(count))
        }
        let width = deltas.allSatisfy { $0 <= Int(UInt8.max) } ? 1 : 2
        let header = SparseMatrixHeader(rows: UInt32(rows), cols: UInt32(cols), blockRows: UInt8(blockRows),
                                        blockCols: UInt8(blockCols), indexWidth: UInt8(width),
                                        blockCount: UInt32(deltas.count))
        var out = [UInt8](repeating: 0, count: header.byteSize)
        out.withUnsafeMutableBytes { buf in
            let p = buf.baseAddress!
            header.encode(into: p)
            for (i, n) in counts.enumerated() { storeLE(p, header.countsOffset + 2 * i, n) }
            for (i, d) in deltas.enumerated() {
                if width == 1 {
                    p.storeBytes(of: UInt8(d), toByteOffset: header.indicesOffset + i, as: UInt8.self)
                } else {
                    storeLE(p, header.indicesOffset + 2 * i, UInt16(d))
                }
            }
            for (i, v) in values.enumerated() {
                p.storeBytes(of: v, toByteOffset: header.valuesOffset + i, as: Int8.self)
            }
        }
        return out
    }

    /// The dense row-major matrix a (valid) encoding stands for, with its header.
    public static func decode(_ bytes: [UInt8]) -> (header: SparseMatrixHeader, dense: [Int8]) {
        bytes.withUnsafeBytes { buf in
            let p = buf.baseAddress!
            let h = SparseMatrixHeader(decodingFrom: p)
            let R = Int(h.blockRows), C = Int(h.blockCols), cols = Int(h.cols)
            var dense = [Int8](repeating: 0, count: Int(h.rows) * cols)
            var block = 0
            for br in 0..<h.blockRowCount {
                let n = Int(loadLE(p, h.countsOffset + 2 * br, as: UInt16.self))
                var column = -1
                for _ in 0..<n {
                    let d = h.indexWidth == 1 ? Int(p.load(fromByteOffset: h.indicesOffset + block, as: UInt8.self))
                        : Int(loadLE(p, h.indicesOffset + 2 * block, as: UInt16.self))
                    column += d + 1
                    for r in 0..<R {
                        for c in 0..<C {
                            let v = p.load(fromByteOffset: h.valuesOffset + (block * R + r) * C + c, as: Int8.self)
                            dense[(br * R + r) * cols + column * C + c] = v
                        }
                    }
                    block += 1
                }
            }
            return (h, dense)
        }
    }
}

extension ModelWriter {
    /// Appends a sparse matrix at a 16-byte aligned offset of the sparse section; returns the offset.
    public mutating func addSparseMatrix(_ data: [UInt8]) -> UInt32 {
        while sparse.count % ModelFormat.sectionAlignment != 0 { sparse.append(0) }
        let offset = UInt32(sparse.count)
        sparse.append(contentsOf: data)
        return offset
    }
}

#endif
