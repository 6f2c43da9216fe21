import SparrowFormat

// Checks of a confidence-tested (non-final) exit: the bounds ExitCriteria's integer arithmetic
// relies on (class count, table invariants) and a threshold in the criterion's range.

extension VerifiedModel {
    func checkExitCriterion(_ e: Int, _ x: ExitRecord, logits t: TensorRecord) throws(ModelError) {
        // The logits must still be intact when the criterion reads them after `afterOp`.
        guard t.liveTo >= Int32(bitPattern: x.afterOp) else {
            throw ModelError(.badExitTensor, .exits, index: e, value: Int(t.liveTo), limit: Int(x.afterOp),
                             field: "logits dead before the exit test")
        }
        let classes = Int(t.byteSize)
        guard classes >= 2, classes <= ExitCriteria.maxClasses else {
            throw ModelError(.badExitTensor, .exits, index: e, value: classes, limit: ExitCriteria.maxClasses,
                             field: "class count")
        }
        guard UInt(x.table) < UInt(tensorCount) else {
            throw ModelError(.badExitTable, .exits, index: e, value: Int(bitPattern: UInt(x.table)), limit: tensorCount,
                             field: "table")
        }
        let table = tensor(Int(x.table))
        guard table.storage == .constant, table.dtype == .int32,
              Int(table.byteSize) == ExitCriteria.tableElements * 4 else {
            throw ModelError(.badExitTable, .exits, index: e, value: Int(x.table), field: "table tensor")
        }
        // checkTensor proved the bytes lie in the constants section, 16-byte aligned.
        let entries = constantData(table)
        func entry(_ i: Int) -> Int32 { Int32(littleEndian: entries.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
        guard entry(0) == ExitCriteria.one else {
            throw ModelError(.badExitTable, .exits, index: e, value: Int(entry(0)), limit: Int(ExitCriteria.one), field: "E[0]")
        }
        guard entry(ExitCriteria.tableLength) == 0 else {
            throw ModelError(.badExitTable, .exits, index: e, value: Int(entry(ExitCriteria.tableLength)), field: "G[0]")
        }
        for d in 1..<ExitCriteria.tableLength {
            let v = entry(d)
            guard v >= 0, v <= entry(d - 1) else {
                throw ModelError(.badExitTable, .exits, index: e, value: Int(v), limit: Int(entry(d - 1)), field: "E not non-increasing")
            }
            let g = entry(ExitCriteria.tableLength + d)
            guard g >= 0, g <= ExitCriteria.maxEntropyTerm else {
                throw ModelError(.badExitTable, .exits, index: e, value: Int(g), limit: Int(ExitCriteria.maxEntropyTerm), field: "G")
            }
        }
        let inRange: Bool
        switch x.criterion {
        // one + 1 (probabilities) and −1 (entropy) are "never exit": no value reaches them.
        case .maxProbability?, .margin?: inRange = x.threshold >= 0 && x.threshold <= ExitCriteria.one + 1
        case .entropy?: inRange = x.threshold >= -1
        default: inRange = true
        }
        guard inRange else {
            throw ModelError(.badExitThreshold, .exits, index: e, value: Int(x.threshold), limit: Int(ExitCriteria.one + 1),
                             field: "threshold")
        }
    }
}
