import Testing
@testable import SparrowKernels

/// layerNormS8 against hand-derived rows, against a float LayerNorm (within one output step, and
/// mostly exact), and against an independent 64-bit evaluation of the integer spec in
/// Docs/quantization.md at tolerance 0.
@Suite struct LayerNormTests {
    func run(_ x: [Int8], depth: Int, zx: Int32, zy: Int32, epsilonTerm: UInt64,
             multipliers: [Int32], shifts: [Int32], bias: [Int32]) -> [Int8] {
        var y = [Int8](repeating: 0, count: x.count)
        layerNormS8(LayerNormParams(inputZeroPoint: zx, outputZeroPoint: zy, epsilonTerm: epsilonTerm), input: x,
                    rows: x.count / depth, depth: depth, multipliers: multipliers, shifts: shifts, bias: bias, output: &y)
        return y
    }

    @Test func handDerived() {
        // Row (zx + 1, zx − 1): mean 0, variance 1 step², so (x − μ)/σ = ±1 exactly (ε = 0).
        // γ = 1, so = 1/64: γ/(so·2^8) = 1/4 = (2^30, −1); β = 0. Output ±64.
        let quarter: (Int32, Int32) = (1 << 30, -1)
        let y = run([4, 2], depth: 2, zx: 3, zy: 0, epsilonTerm: 0, multipliers: [quarter.0, quarter.0],
                    shifts: [quarter.1, quarter.1], bias: [0, 0])
        #expect(y == [64, -64])
        // A negative γ (−1/4) flips the sign; β = 10 output steps is bias 10·256; zero point −5.
        let y2 = run([4, 2], depth: 2, zx: 3, zy: -5, epsilonTerm: 0, multipliers: [-(1 << 30), 1 << 30],
                     shifts: [-1, -1], bias: [2560, 2560])
        #expect(y2 == [-59, -59])   // −64 + 10 − 5 for both
        // A constant row with ε = 0 normalizes to 0: the output is β alone (no division by 0).
        #expect(run([7, 7, 7], depth: 3, zx: 0, zy: 1, epsilonTerm: 0, multipliers: [1 << 30, 1 << 30, 1 << 30],
                    shifts: [0, 0, 0], bias: [-256, 0, 640]) == [0, 1, 4])   // −1, 0, 2.5 → 3 (ties away)
        // ε: row (±1) with E = 4·3 = 12 (ε = 3 steps²): n = 2/√(4 + 12) = 1/2 → ±32.
        #expect(run([1, -1], depth: 2, zx: 0, zy: 0, epsilonTerm: 12, multipliers: [1 << 30, 1 << 30],
                    shifts: [-1, -1], bias: [0, 0]) == [32, -32])
    }

    /// Seeded rows with varied spread, zero points and per-channel γ (negative included), β.
    @Test func agreesWithFloatLayerNorm() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Double { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Double(seed >> 11) / Double(1 << 53) }
        var total = 0, exact = 0
        for (depth, spread) in [(8, 10.0), (16, 127.0), (24, 60.0), (64, 3.0), (384, 90.0)] {
            let sx = 0.02, zx = Int32(next() * 40) - 20, epsilon = 1e-5
            let gamma = (0..<depth).map { _ in next() * 2 - 0.5 }, beta = (0..<depth).map { _ in next() - 0.5 }
            let rows = 6
            let x = (0..<(rows * depth)).map { _ in Int8(max(-128, min(127, Double(zx) + (next() * 2 - 1) * spread))) }
            var reals: [Double] = []
            for r in 0..<rows {
                let row = (0..<depth).map { Double(Int32(x[r * depth + $0]) - zx) * sx }
                let mean = row.reduce(0, +) / Double(depth)
                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(depth)
                for i in 0..<depth { reals.append((row[i] - mean) / (variance + epsilon).squareRoot() * gamma[i] + beta[i]) }
            }
            let (so, zy) = outputQuantization(for: reals)
            let p = LayerNormParams.prepare(inputScale: sx, epsilon: epsilon, depth: depth, gamma: gamma, beta: beta,
                                            outputScale: so)
            let y = run(x, depth: depth, zx: zx, zy: zy, epsilonTerm: p.epsilonTerm, multipliers: p.multipliers,
                        shifts: p.shifts, bias: p.bias)
            let expected = reals.map { quantizeReference($0, scale: so, zeroPoint: zy) }
            expectClose(y, expected, tolerance: 1, "depth \(depth)")
            total += y.count
            exact += zip(y, expected).filter { Int32($0) == $1 }.count
        }
        // Off by one only on near-ties (the γ and β terms carry 8 fractional bits).
        #expect(Double(exact) / Double(total) > 0.97, "\(exact) of \(total) exact")
    }

    /// The integer spec evaluated independently with 64-bit Ints (square root from Double,
    /// corrected to the exact floor), tolerance 0.
    @Test func matchesSixtyFourBitSpec() {
        var seed: UInt32 = 5
        func next(_ bound: UInt32) -> Int { seed = seed &* 1664525 &+ 1013904223; return Int((seed >> 8) % bound) }
        for depth in [1, 2, 5, 32, 300, 4096] {
            let zx = Int32(next(256)) - 128, zy = Int32(next(256)) - 128
            let epsilonTerm = UInt64(next(3) == 0 ? 0 : next(1 << 20))
            let x = (0..<(3 * depth)).map { _ in Int8(next(256) - 128) }
            let multipliers = (0..<depth).map { _ in next(4) == 0 ? Int32(0) : Int32(1 << 30) + Int32(next(1 << 30)) * (next(2) == 0 ? 1 : -1) }
            let shifts = (0..<depth).map { _ in Int32(next(20)) - 18 }
            let bias = (0..<depth).map { _ in Int32(next(1 << 20)) - (1 << 19) }
            let y = run(x, depth: depth, zx: zx, zy: zy, epsilonTerm: epsilonTerm, multipliers: multipliers,
                        shifts: shifts, bias: bias)
            for r in 0..<3 {
                let d = (0..<depth).map { Int(x[r * depth + $0]) - Int(zx) }
                let s1 = d.reduce(0, +), s2 = d.map { $0 * $0 }.reduce(0, +)
                let v = depth * s2 - s1 * s1 + Int(epsilonTerm)
                for i in 0..<depth {
                    var normalized = 0
                    if v > 0 {
                        var t = 0
                        while v << (2 * (t + 1)) < (1 << 62) && (v << (2 * t)) < (1 << 60) { t += 1 }
                        let w = v << (2 * t)
                        var root = Int(Double(w).squareRoot())
                        while root * root > w { root -= 1 }
                        while (root + 1) * (root + 1) <= w { root += 1 }
                        let inverse = (1 << 61) / root, k = 45 - t
                        let c = depth * d[i] - s1
                        normalized = (c * inverse + (1 << (k - 1))) >> k
                    }
                    let scaled = Int(multiplyByQuantizedMultiplier(Int32(normalized), multipliers[i], shifts[i]))
                    let bounded = min(max(scaled, -(1 << 29)), 1 << 29) + Int(bias[i])
                    let rounded = bounded >= 0 ? (bounded + 128) >> 8 : -((-bounded + 128) >> 8)
                    let want = min(max(rounded + Int(zy), -128), 127)
                    #expect(Int(y[r * depth + i]) == want, "depth \(depth) row \(r) i \(i)")
                }
            }
        }
    }

    /// The largest row the verifier allows, at the extremes of the input range: the sums stay exact.
    @Test func maximumDepthExtremes() {
        let depth = maxLayerNormDepth
        let x = (0..<depth).map { Int8($0 % 2 == 0 ? -128 : 127) }
        // zx = 127: d is −255 or 0; mean −127.5, σ 127.5: n = ∓1. γ/so = 64·256/65536... (2^30, −1) → ±64.
        let y = run(x, depth: depth, zx: 127, zy: 0, epsilonTerm: 0, multipliers: [Int32](repeating: 1 << 30, count: depth),
                    shifts: [Int32](repeating: -1, count: depth), bias: [Int32](repeating: 0, count: depth))
        #expect(y[0] == -64 && y[1] == 64 && Set(y).count == 2)
    }
}
