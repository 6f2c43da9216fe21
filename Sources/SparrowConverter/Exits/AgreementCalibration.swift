// The agreement guard (Docs/early-exit.md "Few labels: the agreement guard"): thresholds are
// certified by how often the cascade disagrees with the final exit on deployment-distribution
// samples, which needs no labels.
//
// Why it bounds the loss: per sample the cascade either agrees with the final exit (then both are
// right or both wrong: no effect on accuracy) or disagrees. Loss = P(final right, cascade wrong) −
// P(final wrong, cascade right) ≤ P(disagree) = D. So D ≤ budget implies loss ≤ budget.
//
// How it is certified: deployment samples (the labelled validation split, labels unused, plus
// `--exit-unlabeled`) are split by a fixed shuffle into a path part (1/3) and a certification
// part (2/3). On the path part, for disagreement levels δ = budget·j/40 (j = 0…80), the threshold
// set with the fewest MACs whose disagreement is ≤ δ: a sequence from "never leave early" to
// aggressive, fixed before the certification part is looked at. Then fixed-sequence testing on the
// certification part: walk the sequence, accept while the exact one-sided Clopper–Pearson upper
// bound on D (confidence 1 − α) is within the budget, stop at the first failure; the last accepted
// set is chosen. Fixed-sequence testing controls the family-wise error at α with no multiplicity
// correction (the first false hypothesis in the order must be wrongly accepted for any error), so
// P(true D of the chosen set > budget) ≤ α, however many sets were tried on the path part.
//
// Samples from the training distribution (the quantization calibration file usually is one) are
// weighted 0: every exit is over-confident on them, so their disagreement is biased low and would
// make the bound unsound. They are profiled only to report that bias.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime

extension ExitProfile {
    /// The samples of `self` followed by those of `other` (same model).
    func appending(_ other: ExitProfile) -> ExitProfile {
        var p = self
        for k in 0..<exitCount {
            p.values[k] += other.values[k]
            p.correct[k] += other.correct[k]
            p.predictions[k] += other.predictions[k]
        }
        return p
    }

    /// Whether the cascade's answer for sample `i` differs from the final exit's.
    func disagrees(sample i: Int, thresholds: [Int32]) -> Bool {
        let k = exitTaken(sample: i, thresholds: thresholds)
        return predictions[k][i] != predictions[exitCount - 1][i]
    }

    func disagreements(_ thresholds: [Int32], subset: [Int]) -> Int {
        subset.reduce(0) { $0 + (disagrees(sample: $1, thresholds: thresholds) ? 1 : 0) }
    }
}

/// What the agreement guard measured, for the report.
public struct AgreementCertificate: Sendable {
    /// Deployment samples used to build the candidate sequence and to certify it.
    public var pathSamples: Int
    public var certificationSamples: Int
    /// Disagreements of the chosen set on the certification part.
    public var certificationDisagreements: Int
    /// Candidate sets in the sequence, and how many were accepted before the first failure.
    public var sequenceLength: Int
    public var accepted: Int
    /// Disagreement rate of the chosen set on all deployment samples, and on the training-source
    /// samples (nil without them): the gap is the over-confidence that excludes the latter.
    public var deploymentDisagreement: Double
    public var trainingSourceDisagreement: Double?
    public var trainingSourceSamples: Int
}

extension ExitCalibrator {
    /// The agreement guard. `labelled` and `unlabeled` are deployment samples (profiles of the
    /// same model; labels of `unlabeled` are ignored); `trainingSource` is only reported.
    public static func calibrateByAgreement(labelled: ExitProfile, unlabeled: ExitProfile?, trainingSource: ExitProfile?,
                                            budgetPoints: Double, alpha: Double,
                                            candidatesPerExit: Int = 48) -> ExitCalibration {
        let deployment = unlabeled.map { labelled.appending($0) } ?? labelled
        let n = deployment.sampleCount
        var order = Array(0..<n)
        var state: UInt64 = 0xD1B5_4A32_D192_ED03
        for i in stride(from: n - 1, to: 0, by: -1) {   // Fisher–Yates with a fixed LCG
            state = state &* 6364136223846793005 &+ 1442695040888963407
            order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        let path = order.enumerated().filter { $0.offset % 3 == 0 }.map(\.element).sorted()
        let certify = order.enumerated().filter { $0.offset % 3 != 0 }.map(\.element).sorted()
        let budget = budgetPoints / 100
        let early = deployment.exitCount - 1
        let never = (0..<early).map { k in ExitCriterion(rawValue: deployment.criteria[k]) == .entropy ? Int32(-1) : ExitCriteria.one + 1 }

        // Every combination of per-exit quantile candidates, scored once on the path part.
        let candidates = thresholdCandidates(deployment, subset: path, perExit: candidatesPerExit)
        var scored: [(thresholds: [Int32], macs: Double, disagreement: Double)] = []
        var tried = 0
        forEachCombination(candidates) { t in
            tried += 1
            let full = t + [0]
            let e = evaluate(deployment, thresholds: full, subset: path)
            scored.append((full, e.averageMacs, Double(deployment.disagreements(full, subset: path)) / Double(max(path.count, 1))))
        }
        // The sequence: per level, the fewest MACs (then the least disagreement) within it.
        var sequence: [[Int32]] = [never + [0]]
        for j in 0...80 {
            let level = budget * Double(j) / 40
            let within = scored.filter { $0.disagreement <= level + 1e-12 }
            guard let best = within.min(by: { ($0.macs, $0.disagreement) < ($1.macs, $1.disagreement) }) else { continue }
            if sequence.last! != best.thresholds { sequence.append(best.thresholds) }
        }
        // Fixed-sequence testing on the certification part.
        var chosen = sequence[0], accepted = 0, chosenBound = 1.0, chosenCount = 0
        for t in sequence {
            let d = deployment.disagreements(t, subset: certify)
            let upper = ClopperPearson.upper(successes: d, trials: certify.count, alpha: alpha)
            guard upper <= budget + 1e-12 else { break }
            chosen = t; accepted += 1; chosenBound = upper; chosenCount = d
        }
        if accepted == 0 {   // even "never" failed (too few samples): the final exit only
            chosenBound = ClopperPearson.upper(successes: 0, trials: certify.count, alpha: alpha)
        }
        let all = Array(0..<n)
        var result = ExitCalibration(thresholds: chosen, validation: evaluate(labelled, thresholds: chosen),
                                     lossBoundPoints: 100 * chosenBound, candidatesTried: tried)
        result.agreement = AgreementCertificate(
            pathSamples: path.count, certificationSamples: certify.count, certificationDisagreements: chosenCount,
            sequenceLength: sequence.count, accepted: accepted,
            deploymentDisagreement: Double(deployment.disagreements(chosen, subset: all)) / Double(max(n, 1)),
            trainingSourceDisagreement: trainingSource.map { p in
                Double(p.disagreements(chosen, subset: Array(0..<p.sampleCount))) / Double(max(p.sampleCount, 1)) },
            trainingSourceSamples: trainingSource?.sampleCount ?? 0)
        return result
    }

    /// Per early exit: `perExit` quantiles of its values on `subset`, plus "never".
    static func thresholdCandidates(_ p: ExitProfile, subset: [Int], perExit: Int) -> [[Int32]] {
        (0..<(p.exitCount - 1)).map { k in
            let c = ExitCriterion(rawValue: p.criteria[k]) ?? .maxProbability
            let never: Int32 = c == .entropy ? -1 : ExitCriteria.one + 1
            let sorted = Array(Set(subset.map { p.values[k][$0] })).sorted()
            var picks = Set<Int32>([never])
            if !sorted.isEmpty {
                for q in 0..<perExit { picks.insert(sorted[(sorted.count - 1) * q / max(perExit - 1, 1)]) }
            }
            return picks.sorted()
        }
    }

    /// Calls `body` with every combination of one candidate per exit.
    static func forEachCombination(_ candidates: [[Int32]], _ body: ([Int32]) -> Void) {
        var index = [Int](repeating: 0, count: candidates.count)
        while true {
            body((0..<candidates.count).map { candidates[$0][index[$0]] })
            var k = 0
            while k < candidates.count { index[k] += 1; if index[k] < candidates[k].count { break }; index[k] = 0; k += 1 }
            if k == candidates.count { break }
        }
    }

    /// Thresholds chosen with hindsight on `p` itself (a plain search): the best any calibrator
    /// could do on these samples, the yardstick for the calibrator's result.
    public static func hindsight(_ p: ExitProfile, budgetPoints: Double) -> ExitCalibration {
        calibrate(p, budgetPoints: budgetPoints, guard: .none)
    }
}
