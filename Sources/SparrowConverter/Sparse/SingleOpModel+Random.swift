// Seeded random one-operator models for `sparrow bench-sparse`: nonzero int8 weights with whole
// blocks pruned, random bias and requantization, the same on every run for a given seed.

extension SingleOpModel {
    /// A `rows`×`cols` FC or 1×1 Conv whose weights have round(sparsity · blocks) whole
    /// `block` (R×C) blocks zeroed, R | rows and C | cols.
    public static func random(kind: Kind, rows: Int, cols: Int, block: (rows: Int, cols: Int), sparsity: Double,
                              seed: UInt64) -> SingleOpModel {
        var gen = SplitMix64(seed: seed)
        let weights = blockPrunedWeights(rows: rows, cols: cols, block: block, sparsity: sparsity, using: &gen)
        return SingleOpModel(kind: kind, weights: weights, rows: rows, cols: cols,
                             bias: (0..<rows).map { _ in Int32.random(in: -5000...5000, using: &gen) },
                             multipliers: (0..<rows).map { _ in Int32.random(in: (1 << 30)...(Int32.max - 1), using: &gen) },
                             shifts: [Int32](repeating: -9, count: rows))
    }

    /// Random nonzero int8 weights (row-major) with exactly round(sparsity · blocks) whole blocks zeroed.
    public static func blockPrunedWeights<G: RandomNumberGenerator>(rows: Int, cols: Int, block: (rows: Int, cols: Int),
                                                                   sparsity: Double, using gen: inout G) -> [Int8] {
        let (R, C) = block
        var w = (0..<(rows * cols)).map { _ -> Int8 in
            let v = Int8.random(in: 1...127, using: &gen)
            return Bool.random(using: &gen) ? v : -v
        }
        let blockRows = rows / R, blockCols = cols / C
        var order = Array(0..<(blockRows * blockCols))
        order.shuffle(using: &gen)
        for b in order.prefix(Int((Double(order.count) * sparsity).rounded())) {
            let br = b / blockCols, bc = b % blockCols
            for r in 0..<R { for c in 0..<C { w[(br * R + r) * cols + bc * C + c] = 0 } }
        }
        return w
    }
}
