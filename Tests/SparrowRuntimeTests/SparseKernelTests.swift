// Block-sparse FullyConnected / 1×1 Conv kernels against the dense kernels (tolerance 0) and a
// scalar oracle written here from the format spec; encoding round trips.
import SparrowFormat
import SparrowKernels
import Testing
import SparrowTestSupport

/// The matrix view of encoded bytes (what the interpreter builds after verification).
func sparseView(_ bytes: UnsafeRawPointer) -> BlockSparseMatrix {
    let h = SparseMatrixHeader(decodingFrom: bytes)
    return BlockSparseMatrix(rows: Int(h.rows), cols: Int(h.cols), blockRows: Int(h.blockRows), blockCols: Int(h.blockCols),
                             indexWidth: Int(h.indexWidth), counts: bytes + h.countsOffset, indices: bytes + h.indicesOffset,
                             values: (bytes + h.valuesOffset).assumingMemoryBound(to: Int8.self))
}

/// Scalar oracle: decodes block after block straight from the spec and sums in int64.
func sparseOracle(_ encoded: [UInt8], x: [Int8], zx: Int32) -> [Int64] {
    let h = encoded.withUnsafeBytes { SparseMatrixHeader(decodingFrom: $0.baseAddress!) }
    let R = Int(h.blockRows), C = Int(h.blockCols)
    var acc = [Int64](repeating: 0, count: Int(h.rows))
    var entry = 0
    for br in 0..<h.blockRowCount {
        let n = Int(encoded[h.countsOffset + 2 * br]) | Int(encoded[h.countsOffset + 2 * br + 1]) << 8
        var column = -1
        for _ in 0..<n {
            let d = h.indexWidth == 1 ? Int(encoded[h.indicesOffset + entry])
                : Int(encoded[h.indicesOffset + 2 * entry]) | Int(encoded[h.indicesOffset + 2 * entry + 1]) << 8
            column += d + 1
            for r in 0..<R {
                for c in 0..<C {
                    let w = Int8(bitPattern: encoded[h.valuesOffset + (entry * R + r) * C + c])
                    acc[br * R + r] += (Int64(x[column * C + c]) - Int64(zx)) * Int64(w)
                }
            }
            entry += 1
        }
    }
    return acc
}

/// Random weights with whole R×C blocks kept with probability `density`; block row 0 is empty
/// and block row 1 (when there is one) fully dense.
func blockSparseWeights(rows: Int, cols: Int, R: Int, C: Int, density: Double, _ rng: inout SplitMix64) -> [Int8] {
    var w = [Int8](repeating: 0, count: rows * cols)
    for br in 0..<(rows / R) {
        for bc in 0..<(cols / C) {
            let keep = br == 1 || (br > 1 && Double(rng.next() % 10_000) / 10_000 < density)
            guard keep else { continue }
            for r in 0..<R { for c in 0..<C { w[(br * R + r) * cols + bc * C + c] = rng.int8() } }
        }
    }
    return w
}

struct SparseKernelTests {
    static let blocks: [(Int, Int)] = [(1, 1), (1, 4), (4, 1), (1, 16), (2, 2), (16, 1), (8, 8), (1, 2)]

    @Test(arguments: [0.0, 0.02, 0.1, 0.3, 0.5, 0.8, 1.0])
    func fullyConnectedMatchesDenseExactly(density: Double) {
        var rng = SplitMix64(seed: UInt64(density * 1000) + 7)
        for (R, C) in Self.blocks {
            for (rows, cols, batches) in [(16, 16, 1), (32, 48, 3), (64, 320, 2), (16, 1024, 1)] where rows % R == 0 && cols % C == 0 {
                let w = blockSparseWeights(rows: rows, cols: cols, R: R, C: C, density: density, &rng)
                let x = (0..<(batches * cols)).map { _ in rng.int8(-128, 127) }
                let bias = (0..<rows).map { _ in Int32(bitPattern: UInt32(truncatingIfNeeded: rng.next())) % 100_000 }
                let mult = (0..<rows).map { _ in Int32(1 << 30) + Int32(rng.next() % (1 << 30)) }
                let shifts = (0..<rows).map { _ in -Int32(rng.next() % 12) }
                let zx: Int32 = Int32(rng.int8(-128, 127)), zy: Int32 = Int32(rng.int8(-128, 127))
                let encoded = SparseMatrixCodec.encode(w, rows: rows, cols: cols, blockRows: R, blockCols: C)
                var dense = [Int8](repeating: 0, count: batches * rows), sparse = dense
                let p = FullyConnectedParams(inputZeroPoint: zx, outputZeroPoint: zy, activationMin: -100, activationMax: 120)
                fullyConnectedS8(p, input: x, batches: batches, inputDepth: cols, weights: w, bias: bias, outputDepth: rows,
                                 multipliers: mult, shifts: shifts, output: &dense)
                encoded.withUnsafeBytes { e in
                    let q = SparseRequant(bias: bias, multipliers: mult, shifts: shifts, inputZeroPoint: zx, outputZeroPoint: zy,
                                          activationMin: -100, activationMax: 120)
                    sparseFullyConnectedS8(q, input: x, batches: batches, weights: sparseView(e.baseAddress!), output: &sparse)
                }
                #expect(sparse == dense, "FC \(rows)x\(cols) block \(R)x\(C) density \(density) batches \(batches)")
                // The oracle's exact sums equal the dense kernel's accumulators (checked through the raw sum).
                let oracle = sparseOracle(encoded, x: Array(x[0..<cols]), zx: zx)
                for o in 0..<rows {
                    var reference: Int64 = 0
                    for i in 0..<cols { reference += (Int64(x[i]) - Int64(zx)) * Int64(w[o * cols + i]) }
                    #expect(oracle[o] == reference, "oracle row \(o)")
                }
            }
        }
    }

    @Test(arguments: [(1, 1), (2, 2)])
    func conv1x1MatchesDenseConvExactly(stride: (Int, Int)) {
        var rng = SplitMix64(seed: 99)
        for (R, C) in Self.blocks {
            for density in [0.0, 0.15, 0.6, 1.0] {
                let (h, wd, inC, outC) = (5, 7, 32, 48)
                guard outC % R == 0, inC % C == 0 else { continue }
                let w = blockSparseWeights(rows: outC, cols: inC, R: R, C: C, density: density, &rng)
                let x = (0..<(h * wd * inC)).map { _ in rng.int8(-128, 127) }
                let mult = (0..<outC).map { _ in Int32(1 << 30) + Int32(rng.next() % (1 << 30)) }
                let shifts = (0..<outC).map { _ in -Int32(rng.next() % 10) }
                let oh = (h - 1) / stride.0 + 1, ow = (wd - 1) / stride.1 + 1
                var dense = [Int8](repeating: 0, count: oh * ow * outC), sparse = dense
                let p = ConvParams(strideH: stride.0, strideW: stride.1, inputZeroPoint: 7, outputZeroPoint: -20)
                conv2DS8(p, input: x, inputShape: Shape4(1, h, wd, inC), filter: w, filterShape: Shape4(outC, 1, 1, inC),
                         bias: nil, multipliers: mult, shifts: shifts, output: &dense, outputShape: Shape4(1, oh, ow, outC))
                let encoded = SparseMatrixCodec.encode(w, rows: outC, cols: inC, blockRows: R, blockCols: C)
                encoded.withUnsafeBytes { e in
                    let q = SparseRequant(bias: nil, multipliers: mult, shifts: shifts, inputZeroPoint: 7, outputZeroPoint: -20,
                                          activationMin: -128, activationMax: 127)
                    sparseConv1x1S8(q, strideH: stride.0, strideW: stride.1, input: x, inputShape: Shape4(1, h, wd, inC),
                                    weights: sparseView(e.baseAddress!), output: &sparse, outputShape: Shape4(1, oh, ow, outC))
                }
                #expect(sparse == dense, "conv1x1 block \(R)x\(C) density \(density) stride \(stride)")
            }
        }
    }

    @Test func encodingRoundTripsAndHasTheSpecifiedSize() {
        var rng = SplitMix64(seed: 3)
        for (R, C) in Self.blocks {
            for density in [0.0, 0.05, 0.5, 1.0] {
                let w = blockSparseWeights(rows: 32, cols: 64, R: R, C: C, density: density, &rng)
                let encoded = SparseMatrixCodec.encode(w, rows: 32, cols: 64, blockRows: R, blockCols: C)
                let (h, back) = SparseMatrixCodec.decode(encoded)
                #expect(back == w)
                #expect(h.indexWidth == 1)
                var blocks = 0
                for br in 0..<(32 / R) {
                    for bc in 0..<(64 / C) {
                        var any = false
                        for r in 0..<R { for c in 0..<C where w[(br * R + r) * 64 + bc * C + c] != 0 { any = true } }
                        if any { blocks += 1 }
                    }
                }
                #expect(Int(h.blockCount) == blocks)
                #expect(encoded.count == 16 + 2 * (32 / R) + blocks + blocks * R * C)
            }
        }
    }

    /// A gap of more than 255 block columns switches the whole matrix to 16-bit deltas.
    @Test func wideGapsUse16BitIndices() {
        var w = [Int8](repeating: 0, count: 4 * 1000)
        w[0 * 1000 + 999] = 5; w[1 * 1000 + 0] = -7; w[1 * 1000 + 700] = 3; w[3 * 1000 + 256] = 127
        let encoded = SparseMatrixCodec.encode(w, rows: 4, cols: 1000, blockRows: 1, blockCols: 1)
        let (h, back) = SparseMatrixCodec.decode(encoded)
        #expect(h.indexWidth == 2)
        #expect(back == w)
        #expect(encoded.count == 16 + 2 * 4 + 2 * 4 + 4)
        let x = (0..<1000).map { Int8(truncatingIfNeeded: $0 * 37) }
        var dense = [Int8](repeating: 0, count: 4), sparse = dense
        let m = [Int32](repeating: 1 << 30, count: 4), s = [Int32](repeating: -6, count: 4)
        fullyConnectedS8(FullyConnectedParams(inputZeroPoint: 1, outputZeroPoint: 0), input: x, batches: 1, inputDepth: 1000,
                         weights: w, bias: nil, outputDepth: 4, multipliers: m, shifts: s, output: &dense)
        encoded.withUnsafeBytes { e in
            let q = SparseRequant(bias: nil, multipliers: m, shifts: s, inputZeroPoint: 1, outputZeroPoint: 0,
                                  activationMin: -128, activationMax: 127)
            sparseFullyConnectedS8(q, input: x, batches: 1, weights: sparseView(e.baseAddress!), output: &sparse)
        }
        #expect(sparse == dense)
        // Hand-derived: row 3 = (x[256] − 1)·127 = ((256·37 mod 256 → 0) − 1)·127 = −127, ·2^−7 (m = 2^30 is ½, shift −6) → −0.99 → −1.
        #expect(sparse[3] == -1)
    }
}
