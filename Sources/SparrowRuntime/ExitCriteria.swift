import SparrowFormat

// Early-exit confidence criteria on int8 logits, in integer arithmetic only (Docs/early-exit.md).
//
// For logits q_j (j < C) with scale s, let d_j = max(q) − q_j ∈ [0, 255]. Softmax in real units
// is p_j = e^(−s·d_j) / Σ_k e^(−s·d_k), so everything depends on s only through two 256-entry
// tables the converter computes from the logits' scale and stores as one constant int32 tensor
// [2, 256] (the exit's `table`):
//   E[d] = round(2^16 · e^(−s·d))          E[0] = 2^16, non-increasing, ≥ 0
//   G[d] = round(2^16 · e^(−s·d) · s·d)    G[0] = 0, 0 ≤ G[d] ≤ 2^16/e (max of x·e^−x)
// With Z = Σ E[d_j] (Q16, Z ≥ 2^16 from the arg-max term), the criteria are, all in Q16:
//   max probability  p_max = 2^16 / Z                       → 2^32 / Z
//   margin           p_1 − p_2 = (2^16 − E[d_2]) / Z         → (2^16 − E[d_2]) · 2^16 / Z
//   entropy (nats)   H = Σ p_j·s·d_j + ln(Z / 2^16)          → ΣG · 2^16 / Z + ln2 · (log2 Z − 16)
// Exit when p_max ≥ T, margin ≥ T, or H ≤ T. The verifier checks the table's invariants and
// C ≤ 2^14, which bound every intermediate below.

public enum ExitCriteria {
    /// Entries per table row (one per logit difference 0...255).
    public static let tableLength = 256
    /// Elements of the whole table tensor: rows E and G.
    public static let tableElements = 512
    /// 1.0 in the Q16 fixed point of the tables, probabilities and thresholds.
    public static let one: Int32 = 65536
    /// Largest G entry: round(2^16 / e) = 24109, plus one for rounding slack.
    public static let maxEntropyTerm: Int32 = 24110
    /// Most logits an exit may have: keeps Z ≤ 2^14 · 2^16 = 2^30 and ΣG ≤ 2^29.
    public static let maxClasses = 16384
    /// ln 2 in Q16.
    static let ln2Q16: Int64 = 45426

    /// The criterion's Q16 value on `count` int8 logits (`count` in 2...maxClasses, table as above).
    /// The final criterion has no value and returns `one`.
    public static func value(_ criterion: ExitCriterion, logits: UnsafePointer<Int8>, count: Int,
                             table: UnsafePointer<Int32>) -> Int32 {
        var top1 = Int32(logits[0]), top2 = Int32(-129)
        for j in 1..<count {
            let q = Int32(logits[j])
            if q > top1 { top2 = top1; top1 = q } else if q > top2 { top2 = q }
        }
        var z: Int32 = 0
        var entropySum: Int32 = 0
        for j in 0..<count {
            let d = Int(top1 &- Int32(logits[j]))   // 0...255: top1 is the maximum
            // ≤ maxClasses · 2^16 = 2^30 and ≤ maxClasses · maxEntropyTerm < 2^29 (verifier bounds).
            z &+= table[d]
            entropySum &+= table[tableLength + d]
        }
        let z64 = widen(z)
        switch criterion {
        case .final:
            return one
        case .maxProbability:
            // 2^32 / Z ≤ 2^16 because Z ≥ 2^16.
            return Int32(truncatingIfNeeded: (Int64(1) &<< 32) / z64)
        case .margin:
            let gap = one &- table[Int(top1 &- top2)]   // 0...2^16 (E non-increasing, E[0] = 2^16)
            return Int32(truncatingIfNeeded: (widen(gap) &<< 16) / z64)
        case .entropy:
            // ΣG < 2^29, so ΣG · 2^16 < 2^45; Z ≥ 2^16 makes the quotient ≤ ΣG < 2^29.
            let spread = (widen(entropySum) &<< 16) / z64
            // log2(Z) − 16 ∈ [0, 14] in Q16, times ln 2 in Q16 (product < 2^36).
            let logZ = (widen(log2Q16(z) &- (16 &<< 16)) &* ln2Q16) &>> 16
            return Int32(truncatingIfNeeded: spread &+ logZ)
        }
    }

    /// Whether a criterion value clears its threshold (final always does).
    @inline(__always)
    public static func passes(_ criterion: ExitCriterion, value: Int32, threshold: Int32) -> Bool {
        switch criterion {
        case .final: return true
        case .maxProbability, .margin: return value >= threshold
        case .entropy: return value <= threshold
        }
    }

    /// log2(z) in Q16 for z ≥ 1, by the bit-by-bit squaring method: normalize z to m ∈ [1, 2) in
    /// Q30; each squaring doubles the remaining fractional log, and m ≥ 2 emits a 1 bit. Truncates,
    /// so the result is at most 2^−16 (plus squaring truncation, < 2^−20) below the true value.
    public static func log2Q16(_ z: Int32) -> Int32 {
        var n: Int32 = 0
        var v = z
        while v > 1 { v &>>= 1; n &+= 1 }   // n = floor(log2 z) ≤ 30
        var m = widen(z) &<< widen(30 &- n)  // m ∈ [2^30, 2^31): z / 2^n in Q30
        var fraction: Int32 = 0
        for _ in 0..<16 {
            m = (m &* m) &>> 30               // m < 2^31, so m·m < 2^62
            fraction &<<= 1
            if m >= (Int64(1) &<< 31) { m &>>= 1; fraction |= 1 }
        }
        return (n &<< 16) | fraction
    }

    /// Int32 → Int64 without the generic widening path (it allocates on 32-bit Embedded targets);
    /// little-endian targets only, which all ours are.
    @inline(__always)
    static func widen(_ v: Int32) -> Int64 {
        unsafeBitCast((UInt32(bitPattern: v), v &>> 31), to: Int64.self)
    }
}

extension Interpreter {
    /// The Q16 criterion value of exit `index` on its logits as they are now: valid right after its
    /// `afterOp` has run (e.g. from an `InvokeObserver`), before later operators reuse the bytes.
    public func exitValue(_ index: Int) -> Int32 {
        let e = model.exit(index)
        guard let criterion = e.criterion, criterion != .final else { return ExitCriteria.one }
        let t = model.tensor(Int(e.tensor))
        return ExitCriteria.value(criterion, logits: s8(t), count: Int(t.byteSize),
                                  table: s32(model.tensor(Int(e.table))))
    }
}
