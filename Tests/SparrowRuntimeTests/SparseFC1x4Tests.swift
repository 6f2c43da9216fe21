// The 1×4-block sparse FC path (gather into a tile + vectorized dot, direct tail of < 8 blocks)
// against the dense kernel at tolerance 0 and the exact int64 sum, with 8- and 16-bit indices,
// rows longer than one 256-block gather pass, and empty / full / short rows.
import SparrowFormat
import SparrowKernels
import Testing
import SparrowTestSupport

struct SparseFC1x4Tests {
    /// Dense and sparse FC on the same int8 weights; returns (dense, sparse, indexWidth).
    func run(_ w: [Int8], rows: Int, cols: Int, batches: Int, _ rng: inout SplitMix64) -> ([Int8], [Int8], Int) {
        let x = (0..<(batches * cols)).map { _ in rng.int8(-128, 127) }
        let bias = (0..<rows).map { _ in Int32(bitPattern: UInt32(truncatingIfNeeded: rng.next())) % 100_000 }
        let mult = (0..<rows).map { _ in Int32(1 << 30) + Int32(rng.next() % (1 << 30)) }
        let shifts = (0..<rows).map { _ in -Int32(rng.next() % 14) }
        let zx = Int32(rng.int8(-128, 127)), zy = Int32(rng.int8(-128, 127))
        let encoded = SparseMatrixCodec.encode(w, rows: rows, cols: cols, blockRows: 1, blockCols: 4)
        var dense = [Int8](repeating: 0, count: batches * rows), sparse = dense
        let p = FullyConnectedParams(inputZeroPoint: zx, outputZeroPoint: zy, activationMin: -128, activationMax: 127)
        fullyConnectedS8(p, input: x, batches: batches, inputDepth: cols, weights: w, bias: bias, outputDepth: rows,
                         multipliers: mult, shifts: shifts, output: &dense)
        var width = 0
        encoded.withUnsafeBytes { e in
            let m = sparseView(e.baseAddress!)
            width = m.indexWidth
            let q = SparseRequant(bias: bias, multipliers: mult, shifts: shifts, inputZeroPoint: zx, outputZeroPoint: zy,
                                  activationMin: -128, activationMax: 127)
            sparseFullyConnectedS8(q, input: x, batches: batches, weights: m, output: &sparse)
        }
        // The decoded sums equal the exact int64 sums of the dense weights (independent of both kernels).
        let oracle = sparseOracle(encoded, x: Array(x[0..<cols]), zx: zx)
        for o in 0..<rows {
            var reference: Int64 = 0
            for i in 0..<cols { reference += (Int64(x[i]) - Int64(zx)) * Int64(w[o * cols + i]) }
            #expect(oracle[o] == reference, "oracle row \(o)")
        }
        return (dense, sparse, width)
    }

    /// Rows with 0…19 blocks and one full row (1024 blocks = 4 gather passes), 8-bit deltas.
    @Test(arguments: [0.0, 0.05, 0.2, 0.5, 0.9, 1.0])
    func eightBitIndicesMatchDense(density: Double) {
        var rng = SplitMix64(seed: UInt64(density * 100) + 41)
        let rows = 24, cols = 4096
        var w = blockSparseWeights(rows: rows, cols: cols, R: 1, C: 4, density: density, &rng)
        // Rows 2…21: exactly (row − 2) blocks, every 3rd block column (the < 8-block tail and 8 + tail).
        for row in 2..<22 {
            for i in 0..<cols { w[row * cols + i] = 0 }
            for b in 0..<(row - 2) { for c in 0..<4 { w[row * cols + 12 * b + c] = rng.int8() } }
        }
        let (dense, sparse, width) = run(w, rows: rows, cols: cols, batches: 2, &rng)
        #expect(width == 1)
        #expect(sparse == dense, "1x4 FC 8-bit density \(density)")
    }

    /// A gap of more than 255 block columns: 16-bit deltas, through both the gather and the tail.
    @Test(arguments: [0.0, 0.01, 0.3, 1.0])
    func sixteenBitIndicesMatchDense(density: Double) {
        var rng = SplitMix64(seed: UInt64(density * 100) + 97)
        let rows = 16, cols = 2048   // 512 block columns
        var w = blockSparseWeights(rows: rows, cols: cols, R: 1, C: 4, density: density, &rng)
        // Row 2: first and last block column only (delta 510); row 3: 9 blocks with one gap of 400.
        for i in 0..<cols { w[2 * cols + i] = 0; w[3 * cols + i] = 0 }
        for c in 0..<4 { w[2 * cols + c] = 127; w[2 * cols + 2044 + c] = -127 }
        for b in [0, 1, 2, 3, 404, 405, 406, 407, 511] { for c in 0..<4 { w[3 * cols + 4 * b + c] = rng.int8() } }
        let (dense, sparse, width) = run(w, rows: rows, cols: cols, batches: 1, &rng)
        #expect(width == 2)
        #expect(sparse == dense, "1x4 FC 16-bit density \(density)")
    }
}
