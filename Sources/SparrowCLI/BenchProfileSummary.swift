import Foundation
import SparrowHarness
import SparrowRuntime

/// The operator profile of a bench record on screen (the JSON has every operator): the slowest
/// `top` operators by total time in the profile pass, with their share and mean time per run.
/// `sparrow-device bench` prints the same lines (BenchProfileSummary.swift there).
func printOperatorProfile(_ record: BenchRecord, model: VerifiedModel, top: Int = 10) {
    let totals = record.operatorTotals, runs = record.operatorRuns
    let all = totals.reduce(0, +)
    guard all > 0 else { return }
    let order = totals.indices.sorted { totals[$0] > totals[$1] || (totals[$0] == totals[$1] && $0 < $1) }.prefix(top)
    print("operator profile (profile pass over \(record.profile.samples) samples; slowest \(order.count) of \(totals.count)):")
    for k in order {
        let meanMicroseconds = Double(totals[k]) / Double(max(runs[k], 1)) / 1000
        print(String(format: "  %5.1f %%  %9.3f us  [%d] %@ '%@'", 100 * Double(totals[k]) / Double(all), meanMicroseconds, k,
                     "\(model.opcode(k).name)", model.opNameString(k)))
    }
}
