// Block-sparse int8 fully connected and 1×1 convolution. The weights are the sparse section's
// matrix (Docs/format.md "Sparse matrices"): per block row a count, per stored block a delta-coded
// block column, then the block's values. Outputs are bit-identical to `fullyConnectedS8` /
// `conv2DS8` on the dense matrix: the int32 sum is exact (no term can overflow it, see below), so
// leaving out the zero products and changing the summation order cannot change it, and the
// requantization tail is the same `finishAccumulator`.

/// A verified block-sparse matrix [rows, cols] in place in the model file.
/// Invariants (the runtime's verifier proves them): rows % blockRows == 0, cols % blockCols == 0,
/// the counts add up to the stored blocks, every decoded block column is < cols / blockCols,
/// indexWidth is 1 or 2, values in [−127, 127], cols ≤ maxAccumulationDepth.
public struct BlockSparseMatrix {
    public var rows: Int
    public var cols: Int
    public var blockRows: Int
    public var blockCols: Int
    /// Bytes per column-index entry: 1 or 2 (little-endian).
    public var indexWidth: Int
    /// u16 little-endian stored-block count per block row (rows / blockRows entries).
    public var counts: UnsafeRawPointer
    /// Column-index entries: blockColumn − previousBlockColumn − 1, previous = −1 at each block row.
    public var indices: UnsafeRawPointer
    /// blockRows·blockCols int8 values per stored block, row-major within the block.
    public var values: UnsafePointer<Int8>

    public init(rows: Int, cols: Int, blockRows: Int, blockCols: Int, indexWidth: Int, counts: UnsafeRawPointer,
                indices: UnsafeRawPointer, values: UnsafePointer<Int8>) {
        self.rows = rows
        self.cols = cols
        self.blockRows = blockRows
        self.blockCols = blockCols
        self.indexWidth = indexWidth
        self.counts = counts
        self.indices = indices
        self.values = values
    }

    @inline(__always)
    func count(_ blockRow: Int) -> Int {
        Int(UInt16(littleEndian: counts.loadUnaligned(fromByteOffset: 2 * blockRow, as: UInt16.self)))
    }

    /// Delta of column-index entry `i` (of any width).
    @inline(__always)
    func delta(_ i: Int) -> Int {
        if indexWidth == 1 { return Int(indices.load(fromByteOffset: i, as: UInt8.self)) }
        return Int(UInt16(littleEndian: indices.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
    }
}

/// Requantization constants shared by the sparse kernels.
public struct SparseRequant {
    public var bias: UnsafePointer<Int32>?
    public var multipliers: UnsafePointer<Int32>
    public var shifts: UnsafePointer<Int32>
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(bias: UnsafePointer<Int32>?, multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                inputZeroPoint: Int32, outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32) {
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
    }

    @inline(__always)
    func finish(_ acc: Int32, _ o: Int) -> Int8 {
        finishAccumulator(acc, bias: bias?[o] ?? 0, multiplier: multipliers[o], shift: shifts[o],
                          outputZeroPoint: outputZeroPoint, activationMin: activationMin, activationMax: activationMax)
    }
}

// Accumulator proof for every loop below: a row's sum has at most `cols` ≤ maxAccumulationDepth
// nonzero terms (x − zx)·w with |x − zx| ≤ 255 and |w| ≤ 127, so |acc| < 2^30 (Requantize.swift);
// finishAccumulator adds a bias with |bias| ≤ 2^30. Column arithmetic stays below cols.

/// out[o] = requant(Σ_i (x[i] − zx)·W[o, i]) for every output row `o` of the sparse matrix.
@inline(__always)
func sparseMatrixVectorS8(_ m: BlockSparseMatrix, _ q: SparseRequant, x: UnsafePointer<Int8>,
                          out: UnsafeMutablePointer<Int8>) {
    let zx = q.inputZeroPoint
    let R = m.blockRows, C = m.blockCols
    if R == 1 && C == 1 && m.indexWidth == 1 {
        sparseRowsUnstructured8S8(m, q, x: x, out: out)
        return
    }
    if R == 1 && C == 4 {
        sparseRows1x4S8(m, q, x: x, out: out)
        return
    }
    if R == 1 {
        // 1×C blocks: C contiguous inputs per block (vectorizes for C = 16).
        var block = 0
        for row in 0..<m.rows {
            let end = block &+ m.count(row)
            var acc: Int32 = 0
            var column = -1
            while block < end {
                column = column &+ m.delta(block) &+ 1
                let xs = x + column &* C
                let ws = m.values + block &* C
                for c in 0..<C { acc &+= (Int32(xs[c]) &- zx) &* Int32(ws[c]) }
                block &+= 1
            }
            out[row] = q.finish(acc, row)
        }
        return
    }
    if R == 4 && C == 1 {
        // 4×1 blocks: each input value is loaded once for four output rows.
        var block = 0
        for br in 0..<(m.rows / 4) {
            let end = block &+ m.count(br)
            var a0: Int32 = 0, a1: Int32 = 0, a2: Int32 = 0, a3: Int32 = 0
            var column = -1
            while block < end {
                column = column &+ m.delta(block) &+ 1
                let xv = Int32(x[column]) &- zx
                let ws = m.values + block &* 4
                a0 &+= xv &* Int32(ws[0]); a1 &+= xv &* Int32(ws[1])
                a2 &+= xv &* Int32(ws[2]); a3 &+= xv &* Int32(ws[3])
                block &+= 1
            }
            let o = br &* 4
            out[o] = q.finish(a0, o); out[o + 1] = q.finish(a1, o + 1)
            out[o + 2] = q.finish(a2, o + 2); out[o + 3] = q.finish(a3, o + 3)
        }
        return
    }
    // Any other R×C: one row of the block row at a time, re-walking its indices.
    var firstBlock = 0
    for br in 0..<(m.rows / R) {
        let n = m.count(br)
        for r in 0..<R {
            var acc: Int32 = 0
            var column = -1
            for j in firstBlock..<(firstBlock &+ n) {
                column = column &+ m.delta(j) &+ 1
                let xs = x + column &* C
                let ws = m.values + (j &* R &+ r) &* C
                for c in 0..<C { acc &+= (Int32(xs[c]) &- zx) &* Int32(ws[c]) }
            }
            let o = br &* R &+ r
            out[o] = q.finish(acc, o)
        }
        firstBlock &+= n
    }
}

/// Blocks gathered per pass of the 1×4 kernel (a 1 KB stack tile; a multiple of 8).
let sparse1x4GatherCapacity = 256

/// 1×4 blocks times one vector. Per row, 8·k stored blocks at a time (up to 256): each block's
/// four input bytes are copied with one 32-bit load and store into a stack tile, in stored order,
/// so the tile lines up with the row's values (stored contiguously, four per block); the sum is then
/// the plain vectorized `dotS8` (sdot on the A76, smlal on the A53/A72) of tile and values, minus
/// zx·Σw (`sumS8`, also vectorized) — the dense kernel's own zero-point split. The last < 8 blocks
/// of a row (all of a short row) are summed directly, four multiply-adds per decoded index: below
/// 32 bytes the vector loops would run only their scalar remainders, twice.
@inline(__always)
func sparseRows1x4S8(_ m: BlockSparseMatrix, _ q: SparseRequant, x: UnsafePointer<Int8>,
                     out: UnsafeMutablePointer<Int8>) {
    let zx = q.inputZeroPoint
    let input = UnsafeRawPointer(x)
    var tileStorage = InlineArray<256, UInt32>(repeating: 0)
    withUnsafeMutableBytes(of: &tileStorage) { storage in
        let tile = storage.baseAddress!
        var block = 0
        for row in 0..<m.rows {
            let end = block &+ m.count(row)
            var acc: Int32 = 0
            var xs = input   // input at the block column after the previous stored block (× 4 bytes)
            while end &- block >= 8 {
                let len = min((end &- block) & ~7, sparse1x4GatherCapacity)
                if m.indexWidth == 1 {
                    xs = gather1x4Deltas8(m.indices.assumingMemoryBound(to: UInt8.self) + block, count: len,
                                          from: xs, into: tile)
                } else {
                    for k in 0..<len {
                        xs += 4 &* m.delta(block &+ k)
                        tile.storeBytes(of: xs.loadUnaligned(as: UInt32.self), toByteOffset: 4 &* k, as: UInt32.self)
                        xs += 4
                    }
                }
                let values = m.values + 4 &* block
                let gathered = UnsafePointer(tile.assumingMemoryBound(to: Int8.self))
                // Σx·w − zx·Σw = Σ(x − zx)·w per pass; the row's true sum and every partial sum
                // are below 2^30 (proof above the kernels), so the wrapping arithmetic is exact.
                acc &+= dotS8(gathered, values, count: 4 &* len) &- zx &* sumS8(values, count: 4 &* len)
                block &+= len
            }
            let xb = xs.assumingMemoryBound(to: Int8.self)
            var column = -1   // block column relative to xb
            while block < end {
                column = column &+ m.delta(block) &+ 1
                let xc = xb + 4 &* column
                let w = m.values + 4 &* block
                // Same bound as every sparse row sum (proof above the kernels).
                acc &+= (Int32(xc[0]) &- zx) &* Int32(w[0]) &+ (Int32(xc[1]) &- zx) &* Int32(w[1])
                    &+ (Int32(xc[2]) &- zx) &* Int32(w[2]) &+ (Int32(xc[3]) &- zx) &* Int32(w[3])
                block &+= 1
            }
            out[row] = q.finish(acc, row)
        }
    }
}

/// Copies the four input bytes of each of `count` 1×4 blocks with 8-bit deltas `d` into `tile`,
/// starting from `xs` (the input at the block column after the previous block); returns the input
/// after the last block. Four blocks per step with running sums of the deltas, as in
/// `unstructuredRowSum8`: one loop-carried add per four blocks.
@inline(__always)
func gather1x4Deltas8(_ d: UnsafePointer<UInt8>, count n: Int, from start: UnsafeRawPointer,
                      into tile: UnsafeMutableRawPointer) -> UnsafeRawPointer {
    var xs = start
    var k = 0
    while k &+ 4 <= n {
        // t_j = Σ_{i≤j} delta_i (block columns); block j starts at byte 4·(t_j + j) (< cols, verifier).
        let t0 = Int(d[k])
        let t1 = t0 &+ Int(d[k &+ 1])
        let t2 = t1 &+ Int(d[k &+ 2])
        let t3 = t2 &+ Int(d[k &+ 3])
        let o = tile + 4 &* k
        o.storeBytes(of: xs.loadUnaligned(fromByteOffset: 4 &* t0, as: UInt32.self), as: UInt32.self)
        o.storeBytes(of: xs.loadUnaligned(fromByteOffset: 4 &* t1 &+ 4, as: UInt32.self), toByteOffset: 4, as: UInt32.self)
        o.storeBytes(of: xs.loadUnaligned(fromByteOffset: 4 &* t2 &+ 8, as: UInt32.self), toByteOffset: 8, as: UInt32.self)
        o.storeBytes(of: xs.loadUnaligned(fromByteOffset: 4 &* t3 &+ 12, as: UInt32.self), toByteOffset: 12, as: UInt32.self)
        xs += 4 &* (t3 &+ 4)
        k &+= 4
    }
    while k < n {
        xs += 4 &* Int(d[k])
        tile.storeBytes(of: xs.loadUnaligned(as: UInt32.self), toByteOffset: 4 &* k, as: UInt32.self)
        xs += 4
        k &+= 1
    }
    return xs
}

/// Inputs up to this many columns get their zero point subtracted once, into a stack tile of
/// int16 (8 KB); wider rows use Σx·w − zx·Σw on the raw bytes.
let sparseShiftedInputCapacity = 4096

/// Unstructured matrix with 8-bit deltas times one vector: the hot case of sparse FC.
/// The input is first shifted once, x − zx (in [−255, 255]: zx is an int8 zero point, verifier),
/// into a stack tile, so the per-nonzero work is one gather, one multiply and one add, with no
/// zero-point correction and no Σw pass per row. Rows wider than the tile use Σx·w − zx·Σw.
@inline(__always)
func sparseRowsUnstructured8S8(_ m: BlockSparseMatrix, _ q: SparseRequant, x: UnsafePointer<Int8>,
                               out: UnsafeMutablePointer<Int8>) {
    let zx = q.inputZeroPoint
    let deltas = m.indices.assumingMemoryBound(to: UInt8.self)
    if m.cols <= sparseShiftedInputCapacity {
        var tileStorage = InlineArray<4096, Int16>(repeating: 0)
        withUnsafeMutableBytes(of: &tileStorage) { storage in
            let shifted = storage.baseAddress!.assumingMemoryBound(to: Int16.self)
            for i in 0..<m.cols { shifted[i] = Int16(truncatingIfNeeded: Int32(x[i]) &- zx) }
            var block = 0
            for row in 0..<m.rows {
                let n = m.count(row)
                let acc = unstructuredRowSum8(deltas: deltas + block, values: m.values + block, count: n,
                                              input: UnsafePointer(shifted))
                out[row] = q.finish(acc, row)
                block &+= n
            }
        }
        return
    }
    var block = 0
    for row in 0..<m.rows {
        let n = m.count(row)
        let products = unstructuredRowSum8(deltas: deltas + block, values: m.values + block, count: n, input: x)
        // Σx·w − zx·Σw = Σ(x − zx)·w exactly: the true value is below 2^30 (proof above the kernels).
        out[row] = q.finish(products &- zx &* sumS8(m.values + block, count: n), row)
        block &+= n
    }
}

/// Σ input[column_k]·values[k] over one row's `count` nonzeros with 8-bit deltas `deltas`
/// (`Element` is Int8 for raw input bytes or Int16 for zero-point-shifted ones).
/// Eight nonzeros per step: the columns are running sums of the raw deltas, the "+1" per entry a
/// constant folded into the load address, so the only loop-carried index work is one add per
/// eight nonzeros instead of a dependent add per nonzero (measured 1.4× faster on the host).
/// Each of the four partial sums has ≤ cols ≤ maxAccumulationDepth terms of magnitude
/// ≤ 255·127, so |sum| < 2^30 and no wrapping add actually wraps (proof above the kernels).
@inline(__always)
func unstructuredRowSum8<Element: FixedWidthInteger & SignedInteger>(
    deltas d: UnsafePointer<UInt8>, values v: UnsafePointer<Int8>, count n: Int, input: UnsafePointer<Element>
) -> Int32 {
    @inline(__always) func wide(_ e: Element) -> Int32 { Int32(truncatingIfNeeded: e) }
    var a0: Int32 = 0, a1: Int32 = 0, a2: Int32 = 0, a3: Int32 = 0
    var xs = input                   // input at the column after the previous nonzero
    var k = 0
    while k &+ 8 <= n {
        // t_j = Σ_{i≤j} delta_i; entry j is at xs[t_j + j] (column < cols, verifier).
        let t0 = Int(d[k])
        let t1 = t0 &+ Int(d[k &+ 1])
        let t2 = t1 &+ Int(d[k &+ 2])
        let t3 = t2 &+ Int(d[k &+ 3])
        let t4 = t3 &+ Int(d[k &+ 4])
        let t5 = t4 &+ Int(d[k &+ 5])
        let t6 = t5 &+ Int(d[k &+ 6])
        let t7 = t6 &+ Int(d[k &+ 7])
        a0 &+= wide(xs[t0]) &* Int32(v[k])
        a1 &+= wide(xs[t1 &+ 1]) &* Int32(v[k &+ 1])
        a2 &+= wide(xs[t2 &+ 2]) &* Int32(v[k &+ 2])
        a3 &+= wide(xs[t3 &+ 3]) &* Int32(v[k &+ 3])
        a0 &+= wide(xs[t4 &+ 4]) &* Int32(v[k &+ 4])
        a1 &+= wide(xs[t5 &+ 5]) &* Int32(v[k &+ 5])
        a2 &+= wide(xs[t6 &+ 6]) &* Int32(v[k &+ 6])
        a3 &+= wide(xs[t7 &+ 7]) &* Int32(v[k &+ 7])
        xs += t7 &+ 8
        k &+= 8
    }
    while k < n {
        xs += Int(d[k])
        a0 &+= wide(xs[0]) &* Int32(v[k])
        xs += 1
        k &+= 1
    }
    return (a0 &+ a1) &+ (a2 &+ a3)
}

/// Block-sparse int8 fully connected: output[b, o] = requant(Σ_i (x[b, i] − zx)·W[o, i] + bias[o]),
/// bit-identical to `fullyConnectedS8` with the dense W. Input [batches, matrix.cols], output
/// [batches, matrix.rows]. Preconditions: the matrix invariants above (verifier).
public func sparseFullyConnectedS8(_ q: SparseRequant, input: UnsafePointer<Int8>, batches: Int,
                                   weights m: BlockSparseMatrix, output: UnsafeMutablePointer<Int8>) {
    for b in 0..<batches {
        sparseMatrixVectorS8(m, q, x: input + b * m.cols, out: output + b * m.rows)
    }
}

/// Block-sparse int8 1×1 convolution (no padding), NHWC: output[b, oy, ox, :] is the sparse
/// matrix [outC, inC] times input[b, oy·strideH, ox·strideW, :], bit-identical to `conv2DS8` with
/// the dense filter [outC, 1, 1, inC]. Preconditions (verifier): inputShape.c == matrix.cols,
/// outputShape.c == matrix.rows, outputShape.h == (inputShape.h − 1) / strideH + 1 (and w alike).
public func sparseConv1x1S8(_ q: SparseRequant, strideH: Int, strideW: Int, input: UnsafePointer<Int8>,
                            inputShape: Shape4, weights m: BlockSparseMatrix,
                            output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let pixels = outputShape.n * outH * outW
    /// Input row of output pixel `p` (pixels in NHW order).
    @inline(__always) func inputRow(_ p: Int) -> UnsafePointer<Int8> {
        let ox = p % outW, rest = p / outW
        let oy = rest % outH, b = rest / outH
        return input + ((b * inH + oy * strideH) * inW + ox * strideW) * inC
    }
    if pixels > 0 && sparsePixelTileFits(inputChannels: inC) {
        // Any block shape: 16 pixels per pass over the indices (SparseConv1x1+PixelTile.swift).
        sparseConv1x1PixelTileS8(m, q, pixels: pixels, inputRow: inputRow, output: output, outStride: outC)
        return
    }
    var p = 0
    if m.blockRows == 1 && m.blockCols == 1 && m.indexWidth == 1 {
        // Four pixels per pass over the indices: each decoded nonzero feeds four accumulators.
        while p + 4 <= pixels {
            sparseMatrix4PixelsS8(m, q, inputRow(p), inputRow(p + 1), inputRow(p + 2), inputRow(p + 3),
                                  out: output + p * outC, outStride: outC)
            p += 4
        }
    }
    while p < pixels {
        sparseMatrixVectorS8(m, q, x: inputRow(p), out: output + p * outC)
        p += 1
    }
}

/// Unstructured 8-bit-delta matrix times four input vectors (four output pixels of a 1×1 conv).
@inline(__always)
func sparseMatrix4PixelsS8(_ m: BlockSparseMatrix, _ q: SparseRequant, _ x0: UnsafePointer<Int8>,
                           _ x1: UnsafePointer<Int8>, _ x2: UnsafePointer<Int8>, _ x3: UnsafePointer<Int8>,
                           out: UnsafeMutablePointer<Int8>, outStride: Int) {
    let zx = q.inputZeroPoint
    let d = m.indices.assumingMemoryBound(to: UInt8.self)
    let v = m.values
    var block = 0
    for row in 0..<m.rows {
        let end = block &+ m.count(row)
        var a0: Int32 = 0, a1: Int32 = 0, a2: Int32 = 0, a3: Int32 = 0
        var column = -1
        while block < end {
            // Same bound as every sparse row sum (see the proof above).
            column = column &+ Int(d[block]) &+ 1
            let w = Int32(v[block])
            a0 &+= (Int32(x0[column]) &- zx) &* w
            a1 &+= (Int32(x1[column]) &- zx) &* w
            a2 &+= (Int32(x2[column]) &- zx) &* w
            a3 &+= (Int32(x3[column]) &- zx) &* w
            block &+= 1
        }
        out[row] = q.finish(a0, row)
        out[outStride + row] = q.finish(a1, row)
        out[2 * outStride + row] = q.finish(a2, row)
        out[3 * outStride + row] = q.finish(a3, row)
    }
}
