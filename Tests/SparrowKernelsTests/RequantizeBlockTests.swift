import Testing
@testable import SparrowKernels
import SparrowTestSupport

// The branch-free block requantizer must equal the definition in Docs/quantization.md bit for
// bit. The reference below is that definition evaluated in host Int (64-bit) arithmetic, written
// independently of both kernel implementations:
//   saturating x·2^max(s, 0); SRDHM = floor((a·b + 2^30) / 2^31), min·min → Int32.max;
//   RDBPOT by max(−s, 0) rounds half away from zero; then clamp ±512, + zo, clamp to [lo, hi].

private func referenceMBQM(_ x: Int32, _ m: Int32, _ s: Int32) -> Int32 {
    var a = Int(x)
    if s > 0 { a = s >= 32 ? (a == 0 ? 0 : (a > 0 ? Int(Int32.max) : Int(Int32.min))) : a << Int(s) }
    a = min(max(a, Int(Int32.min)), Int(Int32.max))
    let product = a * Int(m)   // |.| ≤ 2^62
    var high = (product + (1 << 30)) >> 31   // >> on Int is floor division by 2^31
    high = min(high, Int(Int32.max))
    let e = s < 0 ? -Int(s) : 0
    if e == 0 { return Int32(high) }
    if e >= 40 { return 0 }
    let magnitude = abs(high)
    let q = (magnitude + (1 << (e - 1))) >> e   // half away from zero on |high|
    return Int32(high < 0 ? -q : q)
}

private func referenceOutput(_ acc: Int32, bias: Int32, m: Int32, s: Int32, zo: Int32, lo: Int32, hi: Int32) -> Int8 {
    let v = Int(referenceMBQM(acc &+ bias, m, s)) + Int(zo)
    return Int8(min(max(v, Int(lo)), Int(hi)))
}

@Suite struct RequantizeBlockTests {
    static let edgeValues: [Int32] = [0, 1, -1, 2, -2, 3, -3, 5, -5, 255, -255, 1 << 29, -(1 << 29),
                                      (1 << 30) - 1, 1 << 30, -(1 << 30), Int32.max, Int32.min, Int32.min + 1,
                                      Int32.max - 1, 0x4000_0001, -0x4000_0001]
    static let edgeMultipliers: [Int32] = [0, 1, 1 << 30, (1 << 30) + 1, 3 << 29, Int32.max, Int32.min, -(1 << 30)]
    static let edgeShifts: [Int32] = [-64, -40, -33, -32, -31, -30, -17, -2, -1, 0, 1, 2, 5, 30, 31, 32, 40,
                                      Int32.min, Int32.max]

    @Test func branchFreeMatchesDefinitionOnEdges() {
        for x in Self.edgeValues {
            for m in Self.edgeMultipliers {
                for s in Self.edgeShifts {
                    let fast = multiplyByQuantizedMultiplierBranchFree(x, m, s)
                    // Same as the scalar kernel primitive everywhere, including shift = Int32.min,
                    // where −shift wraps and both treat it as "no shift".
                    #expect(fast == multiplyByQuantizedMultiplier(x, m, s), "x \(x) m \(m) s \(s)")
                    if s != Int32.min {
                        #expect(fast == referenceMBQM(x, m, s), "x \(x) m \(m) s \(s)")
                    }
                }
            }
        }
    }

    @Test func handDerivedTies() {
        // SRDHM(5, 2^30) = floor((5·2^30 + 2^30)/2^31) = 3, then RDBPOT(3, 1) = 1.5 → 2 (away from 0).
        #expect(multiplyByQuantizedMultiplierBranchFree(5, 1 << 30, -1) == 2)
        // SRDHM(−5, 2^30) = floor(−4·2^30/2^31) = −2, then RDBPOT(−2, 1) = −1.
        #expect(multiplyByQuantizedMultiplierBranchFree(-5, 1 << 30, -1) == -1)
        // SRDHM(−1, 2^30) = floor(0/2^31) = 0 (−0.5 ties toward +∞).
        #expect(multiplyByQuantizedMultiplierBranchFree(-1, 1 << 30, 0) == 0)
        // Int32.min / 2^32 = −0.5 → −1; any other value / 2^32 → 0. (m = 2^31 − 1 ≈ 1 here.)
        #expect(multiplyByQuantizedMultiplierBranchFree(Int32.min, Int32.min, -32) == 0)   // SRDHM saturates to max
        // 3·2^31 saturates to 2^31 − 1; SRDHM(2^31 − 1, 2^30) = floor((2^61 − 2^30 + 2^30)/2^31) = 2^30.
        #expect(multiplyByQuantizedMultiplierBranchFree(3, 1 << 30, 31) == 1 << 30)
        // −1·2^31 is exactly Int32.min (no saturation needed); SRDHM(Int32.min, 2^30) = −2^30.
        #expect(multiplyByQuantizedMultiplierBranchFree(-1, 1 << 30, 31) == -(1 << 30))
    }

    @Test func branchFreeMatchesDefinitionOnRandomInputs() {
        var rng = SplitMix64(seed: 0x5EED_0F_B10C)
        for _ in 0..<50_000 {
            let x = Int32(truncatingIfNeeded: rng.next())
            // Realistic multipliers are in [2^30, 2^31); include any value now and then.
            let m = rng.int(0...7) == 0 ? Int32(truncatingIfNeeded: rng.next()) : Int32(rng.int((1 << 30)...Int(Int32.max)))
            let s = Int32(rng.int(-35...33))
            #expect(multiplyByQuantizedMultiplierBranchFree(x, m, s) == referenceMBQM(x, m, s))
        }
    }

    @Test func blockEqualsReferencePerElement() {
        var rng = SplitMix64(seed: 42)
        // Lengths around the vector widths (4, 8, 16) and the remainders; with and without bias.
        for count in [1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64] {
            for withBias in [false, true] {
                let acc = (0..<count).map { _ in Int32(rng.int(-(1 << 30) + 1...(1 << 30) - 1)) }
                let bias = (0..<count).map { _ in Int32(rng.int(-(1 << 30)...(1 << 30))) }
                let m = (0..<count).map { _ in Int32(rng.int((1 << 30)...Int(Int32.max))) }
                let s = (0..<count).map { _ in Int32(rng.int(-31...3)) }
                let zo = Int32(rng.int(-128...127))
                let lo = Int32(rng.int(-128...0)), hi = Int32(rng.int(0...127))
                // Both the branch-free loop (AArch64) and whatever this host's requantizeBlockS8 picks.
                for branchFree in [true, false] {
                    var scratch = acc
                    var out = [Int8](repeating: 0, count: count)
                    scratch.withUnsafeMutableBufferPointer { a in
                        bias.withUnsafeBufferPointer { b in
                            out.withUnsafeMutableBufferPointer { o in
                                let biasPointer = withBias ? b.baseAddress! : nil
                                if branchFree {
                                    requantizeBlockBranchFreeS8(a.baseAddress!, count: count, bias: biasPointer,
                                                                multipliers: m, shifts: s, outputZeroPoint: zo,
                                                                activationMin: lo, activationMax: hi,
                                                                output: o.baseAddress!)
                                } else {
                                    requantizeBlockS8(a.baseAddress!, count: count, bias: biasPointer,
                                                      multipliers: m, shifts: s, outputZeroPoint: zo,
                                                      activationMin: lo, activationMax: hi, output: o.baseAddress!)
                                }
                            }
                        }
                    }
                    for j in 0..<count {
                        let expected = referenceOutput(acc[j], bias: withBias ? bias[j] : 0, m: m[j], s: s[j],
                                                       zo: zo, lo: lo, hi: hi)
                        #expect(out[j] == expected, "count \(count) j \(j) branchFree \(branchFree)")
                    }
                }
            }
        }
    }
}
