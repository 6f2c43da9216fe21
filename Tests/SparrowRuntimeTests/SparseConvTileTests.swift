// The 16-pixel tile path of the sparse 1×1 conv (SparseConv1x1+PixelTile.swift) and the per-pixel
// path it falls back to for inputs wider than the tile: against the dense conv at tolerance 0, at
// pixel counts around the tile width, batch > 1, 16-bit indices, extreme zero points.
import SparrowFormat
import SparrowKernels
import Testing
import SparrowTestSupport

struct SparseConvTileTests {
    /// Dense conv2DS8 and sparseConv1x1S8 on the same weights; returns (dense, sparse).
    static func run(n: Int, h: Int, w wd: Int, inC: Int, outC: Int, R: Int, C: Int, density: Double, stride: Int,
                    zx: Int32, weights: [Int8]? = nil, _ rng: inout SplitMix64) -> ([Int8], [Int8]) {
        let w = weights ?? blockSparseWeights(rows: outC, cols: inC, R: R, C: C, density: density, &rng)
        let x = (0..<(n * h * wd * inC)).map { _ in rng.int8(-128, 127) }
        let bias = (0..<outC).map { _ in Int32(bitPattern: UInt32(truncatingIfNeeded: rng.next())) % 50_000 }
        let mult = (0..<outC).map { _ in Int32(1 << 30) + Int32(rng.next() % (1 << 30)) }
        let shifts = (0..<outC).map { _ in -Int32(rng.next() % 12) }
        let oh = (h - 1) / stride + 1, ow = (wd - 1) / stride + 1
        var dense = [Int8](repeating: 0, count: n * oh * ow * outC), sparse = dense
        let p = ConvParams(strideH: stride, strideW: stride, inputZeroPoint: zx, outputZeroPoint: 5)
        conv2DS8(p, input: x, inputShape: Shape4(n, h, wd, inC), filter: w, filterShape: Shape4(outC, 1, 1, inC),
                 bias: bias, multipliers: mult, shifts: shifts, output: &dense, outputShape: Shape4(n, oh, ow, outC))
        let encoded = SparseMatrixCodec.encode(w, rows: outC, cols: inC, blockRows: R, blockCols: C)
        encoded.withUnsafeBytes { e in
            let q = SparseRequant(bias: bias, multipliers: mult, shifts: shifts, inputZeroPoint: zx, outputZeroPoint: 5,
                                  activationMin: -128, activationMax: 127)
            sparseConv1x1S8(q, strideH: stride, strideW: stride, input: x, inputShape: Shape4(n, h, wd, inC),
                            weights: sparseView(e.baseAddress!), output: &sparse, outputShape: Shape4(n, oh, ow, outC))
        }
        return (dense, sparse)
    }

    /// Pixel counts below, at and around multiples of the 16-pixel tile, one and two images.
    @Test(arguments: [(1, 1, 1), (1, 3, 5), (1, 4, 4), (1, 1, 17), (2, 3, 11), (1, 5, 7)])
    func tileEdgesMatchDense(shape: (Int, Int, Int)) {
        var rng = SplitMix64(seed: UInt64(shape.0 * 100 + shape.1 * 10 + shape.2))
        for (R, C) in [(1, 1), (1, 4), (4, 1), (1, 16), (2, 2)] {
            for zx: Int32 in [-128, 0, 127] {
                let (d, s) = Self.run(n: shape.0, h: shape.1, w: shape.2, inC: 48, outC: 32, R: R, C: C, density: 0.3,
                                      stride: 1, zx: zx, &rng)
                #expect(s == d, "shape \(shape) block \(R)x\(C) zx \(zx)")
            }
        }
    }

    /// The widest input the tile holds (512 channels) and one block wider (per-pixel fallback).
    @Test(arguments: [512, 528])
    func widestTileAndFallbackMatchDense(inC: Int) {
        var rng = SplitMix64(seed: UInt64(inC))
        for (R, C) in [(1, 1), (1, 16), (4, 1)] {
            let (d, s) = Self.run(n: 1, h: 3, w: 7, inC: inC, outC: 16, R: R, C: C, density: 0.2, stride: 2, zx: -3, &rng)
            #expect(s == d, "inC \(inC) block \(R)x\(C)")
        }
    }

    /// Gaps over 255 columns force 16-bit deltas; the tile path decodes them too.
    @Test func sixteenBitIndicesMatchDense() {
        var rng = SplitMix64(seed: 77)
        let inC = 400, outC = 8
        var w = [Int8](repeating: 0, count: outC * inC)
        for o in 0..<outC {
            w[o * inC + o] = rng.int8(-127, 127) | 1
            w[o * inC + 300 + o] = -rng.int8(-127, 127) | 1
            w[o * inC + 399] = 127
        }
        let encoded = SparseMatrixCodec.encode(w, rows: outC, cols: inC, blockRows: 1, blockCols: 1)
        #expect(SparseMatrixCodec.decode(encoded).header.indexWidth == 2)
        let (d, s) = Self.run(n: 1, h: 4, w: 5, inC: inC, outC: outC, R: 1, C: 1, density: 0, stride: 1, zx: 100,
                              weights: w, &rng)
        #expect(s == d)
    }
}
