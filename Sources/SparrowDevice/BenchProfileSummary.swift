// The operator profile on screen, as `sparrow bench` prints it (the JSON has every operator): the
// slowest operators by total time in the profile pass, with their share and mean time per run.
// Selection by repeated scans (top × operators comparisons): no sorting buffer.

import SparrowHarness
import SparrowRuntime

func printOperatorProfile(_ record: BenchRecord, model: VerifiedModel, top: Int = 10) {
    let totals = record.operatorTotals, runs = record.operatorRuns
    var all: UInt64 = 0
    for t in totals { all &+= t }
    guard all > 0 else { return }
    let shown = min(top, totals.count)
    out.write("operator profile (profile pass over "); out.write(record.profile.samples); out.write(" samples; slowest ")
    out.write(shown); out.write(" of "); out.write(totals.count); out.writeLine("):")
    // The next operator is the largest total ordered before the previous one (ties by index).
    var previous = -1
    for _ in 0..<shown {
        var best = -1
        for k in 0..<totals.count {
            if previous >= 0 {
                let p = totals[previous]
                guard totals[k] < p || (totals[k] == p && k > previous) else { continue }
            }
            if best < 0 || totals[k] > totals[best] { best = k }
        }
        guard best >= 0 else { break }
        previous = best
        let permille = (totals[best] &* 2000 / all + 1) / 2  // tenths of a percent, rounded
        let meanNanoseconds = totals[best] / widenUnsigned32(max(runs[best], 1))
        pad(to: 5, digits(permille / 10) + 2)
        out.writeFixedPoint(Int64(bitPattern: permille), fractionDigits: 1); out.write(" %  ")
        pad(to: 9, digits(meanNanoseconds / 1000) + 4)
        out.writeFixedPoint(Int64(bitPattern: meanNanoseconds), fractionDigits: 3); out.write(" us  [")
        out.write(best); out.write("] "); out.write(model.opcode(best).name)
        out.write(" '"); out.write(bytes: model.opName(best)); out.writeLine("'")
    }
}

private func digits(_ value: UInt64) -> Int {
    var n = 1, rest = value
    while rest >= 10 { rest /= 10; n += 1 }
    return n
}

/// Spaces so that a field of `width` characters ends where a right-aligned one would.
private func pad(to width: Int, _ used: Int) {
    var n = width - used + 2  // two leading spaces, as the host's "  %5.1f"
    while n > 0 { out.write(" "); n -= 1 }
}
