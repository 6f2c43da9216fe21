// Early-exit criteria: the integer computation against float softmax math on the same logits,
// hand-derived cases, and the fixed-point log2.
//
// Tolerance (documented in Docs/early-exit.md): with C logits the table entries are each within
// 0.5 of the exact Q16 value, so Z is within C/2 of exact; p_max and the margin are then within
// C/2 + 2 Q16 LSB of the float value, and the entropy within C + 4 LSB (the spread term adds the
// G rounding, log2 truncates by < 2 LSB). Decisions agree whenever the float value is farther
// than that from the threshold.
import Foundation
import Testing
import SparrowFormat
@testable import SparrowRuntime
import SparrowTestSupport

/// E and G built from their definitions (Docs/early-exit.md) — the test's own copy.
private func tables(scale: Double) -> [Int32] {
    var t = [Int32](repeating: 0, count: 512)
    for d in 0..<256 {
        let x = scale * Double(d)
        t[d] = Int32((65536 * exp(-x)).rounded())
        t[256 + d] = Int32((65536 * exp(-x) * x).rounded())
    }
    return t
}

/// Float reference: softmax of the dequantized logits.
private func floatCriteria(_ q: [Int8], scale: Double) -> (maxProb: Double, margin: Double, entropy: Double) {
    let x = q.map { Double($0) * scale }
    let m = x.max()!
    let e = x.map { exp($0 - m) }
    let z = e.reduce(0, +)
    let p = e.map { $0 / z }.sorted(by: >)
    let h = -p.filter { $0 > 0 }.reduce(0) { $0 + $1 * log($1) }
    return (p[0], p[0] - p[1], h)
}

private func value(_ c: ExitCriterion, _ q: [Int8], _ table: [Int32]) -> Int32 {
    q.withUnsafeBufferPointer { l in
        table.withUnsafeBufferPointer { t in
            ExitCriteria.value(c, logits: l.baseAddress!, count: q.count, table: t.baseAddress!)
        }
    }
}

struct ExitCriteriaTests {
    @Test(arguments: [2, 10, 100, 1000])
    func criteriaMatchFloatSoftmaxWithinTolerance(classes: Int) {
        var rng = SplitMix64(seed: UInt64(classes))
        let probTolerance = Double(classes) / 2 + 2, entropyTolerance = Double(classes) + 4
        var worst = (0.0, 0.0, 0.0)
        var decisionsChecked = 0
        for trial in 0..<300 {
            let scale = [0.01, 0.05, 0.125, 0.3, 0.7][trial % 5] * Double.random(in: 0.8...1.25, using: &rng)
            // Mix of flat and peaked logit vectors.
            let spread = Int.random(in: 1...255, using: &rng)
            var q = (0..<classes).map { _ in Int8(clamping: Int.random(in: -128...(-128 + spread), using: &rng)) }
            if trial % 3 == 0 { q[Int.random(in: 0..<classes, using: &rng)] = Int8.random(in: 60...127, using: &rng) }
            let table = tables(scale: scale)
            let f = floatCriteria(q, scale: scale)
            let got = (Double(value(.maxProbability, q, table)), Double(value(.margin, q, table)), Double(value(.entropy, q, table)))
            let dp = abs(got.0 - f.maxProb * 65536), dm = abs(got.1 - f.margin * 65536), dh = abs(got.2 - f.entropy * 65536)
            worst = (max(worst.0, dp), max(worst.1, dm), max(worst.2, dh))
            #expect(dp <= probTolerance, "maxprob \(got.0) vs \(f.maxProb * 65536), logits \(q), scale \(scale)")
            #expect(dm <= probTolerance, "margin \(got.1) vs \(f.margin * 65536), logits \(q), scale \(scale)")
            #expect(dh <= entropyTolerance, "entropy \(got.2) vs \(f.entropy * 65536), logits \(q), scale \(scale)")
            // Decisions at random thresholds agree outside the tolerance band.
            for _ in 0..<20 {
                let tp = Int32.random(in: 0...65537, using: &rng), th = Int32.random(in: -1...400_000, using: &rng)
                if abs(f.maxProb * 65536 - Double(tp)) > probTolerance {
                    #expect(ExitCriteria.passes(.maxProbability, value: Int32(got.0), threshold: tp) == (f.maxProb * 65536 >= Double(tp)))
                    decisionsChecked += 1
                }
                if abs(f.margin * 65536 - Double(tp)) > probTolerance {
                    #expect(ExitCriteria.passes(.margin, value: Int32(got.1), threshold: tp) == (f.margin * 65536 >= Double(tp)))
                }
                if abs(f.entropy * 65536 - Double(th)) > entropyTolerance {
                    #expect(ExitCriteria.passes(.entropy, value: Int32(got.2), threshold: th) == (f.entropy * 65536 <= Double(th)))
                }
            }
        }
        #expect(decisionsChecked > 1000)
        print("classes \(classes): worst |int - float| in Q16 LSB: maxprob \(worst.0), margin \(worst.1), entropy \(worst.2)")
    }

    @Test func equalLogitsGiveUniformDistribution() {
        // Four equal logits: every E is 2^16, Z = 2^18: p_max = 1/4 = 16384, margin 0,
        // entropy ln 4 = 2 ln 2 = 2 · 45426 (ln 2 in Q16) exactly, since log2(2^18) is exact.
        let q: [Int8] = [7, 7, 7, 7]
        let t = tables(scale: 0.1)
        #expect(value(.maxProbability, q, t) == 16384)
        #expect(value(.margin, q, t) == 0)
        #expect(value(.entropy, q, t) == 90852)
    }

    @Test func twoLogitsAtScaleLn2() {
        // Scale ln 2 and logits one step apart: e^(-s) = 1/2, E[1] = 32768, Z = 98304 (= 1.5 · 2^16).
        // p = (2/3, 1/3): p_max = floor(2^32 / 98304) = 43690; margin = floor(32768 · 2^16 / 98304) = 21845;
        // entropy = ln 3 − (2/3) ln 2 = 0.636514 nats = 41714.6 in Q16 (computed: 15142 + 26572).
        let q: [Int8] = [-3, -4]
        let t = tables(scale: log(2.0))
        #expect(t[1] == 32768)
        #expect(value(.maxProbability, q, t) == 43690)
        #expect(value(.margin, q, t) == 21845)
        #expect(abs(Int(value(.entropy, q, t)) - 41715) <= 1)
    }

    @Test func oneDominantLogitIsCertain() {
        // d = 200 at scale 0.1: e^-20 · 2^16 < 0.5, so the runner-up contributes nothing.
        let q: [Int8] = [100, -100, -100]
        let t = tables(scale: 0.1)
        #expect(value(.maxProbability, q, t) == 65536)
        #expect(value(.margin, q, t) == 65536)
        #expect(value(.entropy, q, t) == 0)
    }

    @Test func tiedTopLogitsHaveZeroMargin() {
        let q: [Int8] = [5, 20, -3, 20]
        #expect(value(.margin, q, tables(scale: 0.2)) == 0)
    }

    @Test func log2MatchesFloat() {
        for k in 0...30 { #expect(ExitCriteria.log2Q16(Int32(1) << Int32(k)) == Int32(k) << 16) }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let z = Int32.random(in: 1...(1 << 30), using: &rng)
            let exact = log2(Double(z)) * 65536
            let got = Double(ExitCriteria.log2Q16(z))
            // Truncating: never above the exact value, less than 2 LSB below.
            #expect(got <= exact + 1e-6 && exact - got < 2, "z \(z): \(got) vs \(exact)")
        }
    }

    @Test func thresholdDirectionsAndNeverValues() {
        #expect(ExitCriteria.passes(.maxProbability, value: 65536, threshold: 65536))
        #expect(!ExitCriteria.passes(.maxProbability, value: 65536, threshold: 65537))   // "never"
        #expect(!ExitCriteria.passes(.margin, value: 100, threshold: 101))
        #expect(ExitCriteria.passes(.entropy, value: 0, threshold: 0))
        #expect(!ExitCriteria.passes(.entropy, value: 0, threshold: -1))                 // "never"
        #expect(ExitCriteria.passes(.final, value: 0, threshold: 0))
    }
}
