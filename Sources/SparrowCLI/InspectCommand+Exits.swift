import Foundation
import SparrowConverter
import SparrowFormat
import SparrowNPY
import SparrowRuntime

// `sparrow inspect`'s exit table: per exit its criterion, threshold and cost, and with labelled
// samples (`--input X.npy --labels Y.npy`) its accuracy alone, what the cascade does there, and
// the anytime profile (accuracy when a MAC budget stops the run at that exit).
extension InspectCommand {
    static func printExits(_ m: VerifiedModel, modelPath: String, input: String?, labels: String?) throws {
        let full = Double(max(m.totalMacs, 1))
        func name(_ k: Int) -> String { m.tensorNameString(m.graphOutput(Int(m.exit(k).outputIndex))) }
        func thresholdText(_ x: ExitRecord) -> String {
            guard let c = x.criterion, c != .final else { return "final" }
            let never = c == .entropy ? x.threshold < 0 : x.threshold > ExitCriteria.one
            return never ? "never" : String(format: "%.4f (Q16 %d)", Double(x.threshold) / 65536, x.threshold)
        }
        var profile: ExitProfile?
        if let input, let labels {
            let bytes = try readFileBytes(modelPath, what: "model")
            let x: NPYArray
            do { x = try NPYArray.read(path: input) } catch { throw CLIError("\(error)") }
            profile = try ExitCalibrator.profile(modelBytes: bytes, x: x, labels: try readLabels(labels))
        } else if input != nil || labels != nil {
            throw CLIError("inspect: give both --input X.npy and --labels Y.npy for the per-exit accuracy table")
        }
        print("exits:")
        var header = "  #  output        criterion       threshold              after op   MACs to here   of full"
        if profile != nil { header += "   alone   cascade leaves (acc)   anytime acc" }
        print(header)
        let file = (0..<m.exitCount).map { m.exit($0).threshold }
        let cascade = profile.map { p in (0..<p.sampleCount).map { p.exitTaken(sample: $0, thresholds: file) } }
        for k in 0..<m.exitCount {
            let x = m.exit(k)
            func pad(_ t: String, _ n: Int) -> String { t.count >= n ? t : t + String(repeating: " ", count: n - t.count) }
            var line = "  " + pad("\(k)", 3) + pad(name(k), 14) + pad(x.criterion.map { "\($0)" } ?? "?", 16)
                + pad(thresholdText(x), 23) + pad("\(x.afterOp)", 11)
                + pad(formatCount(x.macsToHere), 15) + String(format: "%6.1f %%", 100 * Double(x.macsToHere) / full)
            if let p = profile, let taken = cascade?.map({ $0 }) {
                let n = Double(max(p.sampleCount, 1))
                let alone = Double(p.correct[k].filter { $0 }.count) / n
                let leaving = (0..<p.sampleCount).filter { taken[$0] == k }
                let leavingRight = leaving.filter { p.correct[k][$0] }.count
                // Anytime with the file's criteria, budget = this exit's MACs: samples the cascade
                // would take deeper answer here.
                let anytime = (0..<p.sampleCount).filter { p.correct[min(taken[$0], k)][$0] }.count
                line += String(format: "  %6.2f %%", 100 * alone)
                    + String(format: "   %5.1f %% (%@)", 100 * Double(leaving.count) / n,
                             leaving.isEmpty ? "   -   " : String(format: "%6.2f %%", 100 * Double(leavingRight) / Double(leaving.count)))
                    + String(format: "   %6.2f %%", 100 * Double(anytime) / n)
            }
            print(line)
        }
        if let p = profile, let taken = cascade {
            let n = Double(max(p.sampleCount, 1))
            let right = (0..<p.sampleCount).filter { p.correct[taken[$0]][$0] }.count
            let macs = taken.reduce(0.0) { $0 + Double(p.macs[$1]) } / n
            print(String(format: "  cascade with the file's thresholds on %d samples: top-1 %.2f %%, average MACs %@ (%.1f %% saved)",
                         p.sampleCount, 100 * Double(right) / n, formatCount(UInt64(macs)), 100 * (1 - macs / full)))
            print("  alone = every sample answered by this exit (sparrow-device run --full-depth --mac-budget its MACs);")
            print("  anytime acc = the cascade stopped at this exit by --mac-budget its MACs")
        }
    }
}
