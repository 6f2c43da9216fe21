import Testing
@testable import SparrowKernels

/// batchMatMulS8 against hand-derived products and a 64-bit reference over strided, transposed
/// and broadcast operands, at tolerance 0; the depth bound at its extreme.
@Suite struct BatchMatMulTests {
    @Test func handDerived() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50] with zero points 0, times 1/2 (2^30, 0).
        let a: [Int8] = [1, 2, 3, 4], b: [Int8] = [5, 6, 7, 8]
        var y = [Int8](repeating: 0, count: 4)
        let plain = MatMulStrides(batch0: 0, batch1: 0, first: 2, second: 1)
        batchMatMulS8(BatchMatMulParams(leftZeroPoint: 0, rightZeroPoint: 0, outputZeroPoint: 0, multiplier: 1 << 30, shift: 0),
                      sizes: MatMulSizes(batch0: 1, batch1: 1, rows: 2, depth: 2, columns: 2),
                      left: a, leftStrides: plain, right: b, rightStrides: plain, output: &y, outputStrides: plain)
        #expect(y == [10, 11, 22, 25])   // 9.5 → 10, 21.5 → 22 (ties up), 25
        // Zero points: (a − 1)·(b − 5) = [0 1; 2 3]·[0 1; 2 3] = [2 3; 6 11]; B read transposed
        // (first = 1, second = 2) is [0 2; 1 3]: [0 1; 2 3]·[0 2; 1 3] = [1 3; 3 13]; zo = 3.
        let transposed = MatMulStrides(batch0: 0, batch1: 0, first: 1, second: 2)
        batchMatMulS8(BatchMatMulParams(leftZeroPoint: 1, rightZeroPoint: 5, outputZeroPoint: 3, multiplier: 1 << 30, shift: 1),
                      sizes: MatMulSizes(batch0: 1, batch1: 1, rows: 2, depth: 2, columns: 2),
                      left: a, leftStrides: plain, right: b, rightStrides: transposed, output: &y, outputStrides: plain)
        #expect(y == [4, 6, 6, 16])
    }

    @Test func matchesSixtyFourBitReference() {
        var seed: UInt32 = 17
        func next(_ bound: UInt32) -> Int { seed = seed &* 1664525 &+ 1013904223; return Int((seed >> 8) % bound) }
        // Left [2, 3, M, K] stored as NHWC [2, M, K, 3] (batch1 innermost); right broadcast over
        // batch0, stored [1, 3, N, K] (read transposed); output [2, 3, M, N] row-major.
        let (b0, b1, m, k, n) = (2, 3, 4, 5, 6)
        let a = (0..<(b0 * m * k * b1)).map { _ in Int8(next(256) - 128) }
        let b = (0..<(b1 * n * k)).map { _ in Int8(next(256) - 128) }
        var y = [Int8](repeating: 0, count: b0 * b1 * m * n)
        let sa = MatMulStrides(batch0: m * k * b1, batch1: 1, first: k * b1, second: b1)
        let sb = MatMulStrides(batch0: 0, batch1: n * k, first: 1, second: k)
        let sy = MatMulStrides(batch0: b1 * m * n, batch1: m * n, first: n, second: 1)
        let p = BatchMatMulParams(leftZeroPoint: -3, rightZeroPoint: 9, outputZeroPoint: -7, multiplier: 1_518_500_250,
                                  shift: -10, activationMin: -100, activationMax: 120)
        batchMatMulS8(p, sizes: MatMulSizes(batch0: b0, batch1: b1, rows: m, depth: k, columns: n),
                      left: a, leftStrides: sa, right: b, rightStrides: sb, output: &y, outputStrides: sy)
        for i0 in 0..<b0 {
            for i1 in 0..<b1 {
                for r in 0..<m {
                    for c in 0..<n {
                        var acc = 0
                        for j in 0..<k {
                            acc += (Int(a[i0 * sa.batch0 + i1 + r * sa.first + j * sa.second]) + 3)
                                * (Int(b[i1 * sb.batch1 + j + c * sb.second]) - 9)
                        }
                        // MBQM with shift −10: round(acc·m/2^31) ties up, then /2^10 ties away from zero.
                        let product = acc * 1_518_500_250
                        let srdhm = (product + (1 << 30)) >> 31
                        let scaled = srdhm >= 0 ? (srdhm + 512) >> 10 : -((-srdhm + 512) >> 10)
                        let want = min(max(scaled - 7, -100), 120)
                        #expect(Int(y[i0 * sy.batch0 + i1 * sy.batch1 + r * n + c]) == want)
                    }
                }
            }
        }
    }

    @Test func maximumDepthIsExact() {
        // Every product (−128 − 127)·(−128 − 127) = 65025, K = 33025: the sum 2 147 450 625 < 2^31.
        let k = maxMatMulDepth
        let a = [Int8](repeating: -128, count: k), b = [Int8](repeating: -128, count: k)
        var y: [Int8] = [0]
        let row = MatMulStrides(batch0: 0, batch1: 0, first: k, second: 1), column = MatMulStrides(batch0: 0, batch1: 0, first: 1, second: 1)
        // Scale 2^−24: 2 147 450 625 / 2^24 = 127.998 → 128 → clamps to 127; a wrap would be negative.
        batchMatMulS8(BatchMatMulParams(leftZeroPoint: 127, rightZeroPoint: 127, outputZeroPoint: 0, multiplier: 1 << 30, shift: -23),
                      sizes: MatMulSizes(batch0: 1, batch1: 1, rows: 1, depth: k, columns: 1),
                      left: a, leftStrides: row, right: b, rightStrides: column, output: &y, outputStrides: row)
        #expect(y == [127])
        #expect(65025 * k < Int(Int32.max))
    }
}
