// Threshold calibration of early exits on a labelled validation set.
//
// 1. Profile: run the int8 interpreter (the device's code) at full depth on every sample and
//    record, per exit, the criterion's Q16 value right after the exit's operator and whether the
//    exit's output is correct. A cascade with any thresholds is then evaluated from the profile
//    without re-running: sample i leaves at the first exit whose value passes (ExitCriteria.passes,
//    the device's own test) — the logits of exit k do not depend on what runs after it.
// 2. Search: per early exit, candidate thresholds are quantiles of its values (plus "never");
//    every combination is tried (coordinate descent when there are too many), keeping the one
//    with the fewest average MACs whose accuracy loss against the final exit passes the guard.
// 3. Guard (why: a plain search on a few hundred samples picks thresholds that just meet the
//    budget on those samples, i.e. it fits their noise): the loss is bounded from above with
//    an exact one-sided Clopper–Pearson bound. Per sample, the cascade either agrees with the
//    final exit, hurts (final right, cascade wrong: h of N samples) or helps (final wrong, cascade
//    right). The true loss is p_hurt − p_help ≤ p_hurt ≤ CP_upper(h, N, α) with probability
//    ≥ 1 − α. The search accepts thresholds only when this bound is within the budget. Ignoring
//    the helped samples makes the bound conservative, which also absorbs the optimism of picking
//    the best of many threshold sets (formally the 1 − α holds for one fixed set). Its price: on N
//    samples the bound is at least −ln(α)/N even with h = 0 (0.83 points for N = 359, α = 0.05),
//    so budgets below that admit no early exit at all.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime

/// Per-sample criterion values and correctness of every exit, from full-depth int8 runs.
public struct ExitProfile: Sendable {
    public var criteria: [ExitCriterion.RawValue]
    /// [exit][sample] Q16 criterion value (the final exit's is unused).
    public var values: [[Int32]]
    /// [exit][sample] top-1 of the exit's output equals the label.
    public var correct: [[Bool]]
    /// [exit][sample] top-1 class of the exit's output.
    public var predictions: [[Int]]
    /// MACs executed when leaving at each exit.
    public var macs: [UInt64]
    public var sampleCount: Int { values.first?.count ?? 0 }
    public var exitCount: Int { macs.count }

    func passes(exit k: Int, sample i: Int, threshold: Int32) -> Bool {
        guard let c = ExitCriterion(rawValue: criteria[k]) else { return false }
        return ExitCriteria.passes(c, value: values[k][i], threshold: threshold)
    }

    /// The exit sample `i` takes with `thresholds` (one per exit; the final's ignored).
    public func exitTaken(sample i: Int, thresholds: [Int32]) -> Int {
        for k in 0..<(exitCount - 1) where passes(exit: k, sample: i, threshold: thresholds[k]) { return k }
        return exitCount - 1
    }
}

/// What a cascade does on a profiled set.
public struct ExitEvaluation: Sendable {
    public var thresholds: [Int32]
    /// Per exit: samples leaving there, and how many of them are correct.
    public var leaving: [Int]
    public var correctLeaving: [Int]
    public var accuracy: Double
    public var finalAccuracy: Double
    public var averageMacs: Double
    public var fullDepthMacs: Double
    /// Samples the cascade gets wrong but the final exit right, and the reverse.
    public var hurt: Int
    public var helped: Int
    public var sampleCount: Int

    public var macsSaved: Double { fullDepthMacs > 0 ? 1 - averageMacs / fullDepthMacs : 0 }
    /// Accuracy lost against the final exit, in percentage points.
    public var lossPoints: Double { (finalAccuracy - accuracy) * 100 }
}

public enum ExitGuard: Sendable, Equatable {
    /// Plain search: the validation loss itself must be within the budget.
    case none
    /// Upper confidence bound on the loss (see the file header), confidence 1 − alpha.
    case clopperPearson(alpha: Double)
    /// K-fold cross-validation of the search itself: the plain search runs with a tightened
    /// internal budget, the loosest one whose pooled out-of-fold loss is within the budget.
    case crossValidation(folds: Int)
    /// Disagreement with the final exit on deployment samples, labelled or not, certified by
    /// fixed-sequence Clopper–Pearson tests at confidence 1 − alpha (AgreementCalibration.swift).
    case agreement(alpha: Double)
}

public struct ExitCalibration: Sendable {
    public var thresholds: [Int32]
    public var validation: ExitEvaluation
    /// The guard's upper bound on the loss at the chosen thresholds, in points.
    public var lossBoundPoints: Double
    public var candidatesTried: Int
    /// The tightened budget the cross-validation guard searched with (nil for other guards).
    public var innerBudgetPoints: Double? = nil
    /// What the agreement guard measured (nil for other guards).
    public var agreement: AgreementCertificate? = nil
}

public enum ExitCalibrator {
    /// Runs the model (verified Sparrow bytes with exits) at full depth on `x` (float32, the
    /// model's input layout, samples first) and records every exit.
    public static func profile(modelBytes: [UInt8], x: NPYArray, labels: [Int64]) throws -> ExitProfile {
        let loaded = try HostModel(bytes: modelBytes)
        // `model` and `interpreter` point into the handle's buffers: keep it alive to the end.
        defer { withExtendedLifetime(loaded) {} }
        let model = loaded.model, interpreter = loaded.interpreter
        guard model.exitCount >= 2 else {
            throw ConversionError(.unsupported, "calibrating exits needs a model with at least one early exit (--exit)")
        }
        guard let floats = x.floats() else { throw ConversionError(.calibration, "exit calibration samples must be float32") }
        let perSample = interpreter.inputBuffer(0).count / 4
        guard perSample > 0, floats.count % perSample == 0, floats.count / perSample == labels.count else {
            throw ConversionError(.calibration, "exit calibration: \(floats.count) input values for \(labels.count) labels "
                                  + "(\(perSample) per sample expected)")
        }
        let n = labels.count, exitCount = model.exitCount
        var profile = ExitProfile(criteria: (0..<exitCount).map { model.exit($0).criterionRaw },
                                  values: Array(repeating: Array(repeating: 0, count: n), count: exitCount),
                                  correct: Array(repeating: Array(repeating: false, count: n), count: exitCount),
                                  predictions: Array(repeating: Array(repeating: 0, count: n), count: exitCount),
                                  macs: (0..<exitCount).map { model.exit($0).macsToHere })
        var recorder = ExitValueRecorder(interpreter: interpreter, afterOps: (0..<exitCount).map { Int(model.exit($0).afterOp) },
                                         values: Array(repeating: 0, count: exitCount))
        for i in 0..<n {
            floats.withUnsafeBytes { src in
                interpreter.inputBuffer(0).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(i * perSample * 4)..<((i + 1) * perSample * 4)]))
            }
            _ = interpreter.invoke(fullDepth: true, exitThresholds: nil, observer: &recorder)
            for k in 0..<exitCount {
                // Graph outputs stay alive to the end of the run, so every exit's output is readable.
                let out = interpreter.outputBuffer(Int(model.exit(k).outputIndex)).bindMemory(to: Float.self)
                var best = 0
                for j in 1..<out.count where out[j] > out[best] { best = j }
                profile.values[k][i] = recorder.values[k]
                profile.predictions[k][i] = best
                profile.correct[k][i] = Int64(best) == labels[i]
            }
        }
        return profile
    }

    /// The cascade's accuracy and MACs on the profiled samples `subset` (all when nil).
    public static func evaluate(_ p: ExitProfile, thresholds: [Int32], subset: [Int]? = nil) -> ExitEvaluation {
        let samples = subset ?? Array(0..<p.sampleCount)
        let last = p.exitCount - 1
        var leaving = [Int](repeating: 0, count: p.exitCount), correctLeaving = leaving
        var macs: Double = 0
        var hurt = 0, helped = 0, finalCorrect = 0
        for i in samples {
            let k = p.exitTaken(sample: i, thresholds: thresholds)
            leaving[k] += 1
            macs += Double(p.macs[k])
            let right = p.correct[k][i], finalRight = p.correct[last][i]
            if right { correctLeaving[k] += 1 }
            if finalRight { finalCorrect += 1 }
            if finalRight && !right { hurt += 1 }
            if !finalRight && right { helped += 1 }
        }
        let n = Double(max(samples.count, 1))
        return ExitEvaluation(thresholds: thresholds, leaving: leaving, correctLeaving: correctLeaving,
                              accuracy: Double(correctLeaving.reduce(0, +)) / n, finalAccuracy: Double(finalCorrect) / n,
                              averageMacs: macs / n, fullDepthMacs: Double(p.macs[last]), hurt: hurt, helped: helped,
                              sampleCount: samples.count)
    }

    /// Upper bound on the loss in points (the guard's statistic).
    public static func lossBound(_ e: ExitEvaluation, guard g: ExitGuard) -> Double {
        switch g {
        case .none, .crossValidation, .agreement: return e.lossPoints
        case .clopperPearson(let alpha):
            return 100 * ClopperPearson.upper(successes: e.hurt, trials: e.sampleCount, alpha: alpha)
        }
    }

    /// The conversion stage's calibration: profiles the draft model on the validation split and
    /// searches its thresholds.
    public static func calibrate(modelBytes: [UInt8], options: ExitCalibrationOptions) throws -> ExitCalibration {
        let p = try profile(modelBytes: modelBytes, x: options.validation.x, labels: options.validation.labels)
        guard case .agreement(let alpha) = options.guardMethod else {
            return calibrate(p, budgetPoints: options.budgetPoints, guard: options.guardMethod)
        }
        func unlabelled(_ x: NPYArray) throws -> ExitProfile {
            try profile(modelBytes: modelBytes, x: x, labels: [Int64](repeating: -1, count: x.shape.first ?? 0))
        }
        var u: ExitProfile?
        for x in options.unlabeled {
            let next = try unlabelled(x)
            u = u.map { $0.appending(next) } ?? next
        }
        let training = try options.trainingSource.map(unlabelled)
        return calibrateByAgreement(labelled: p, unlabeled: u, trainingSource: training,
                                    budgetPoints: options.budgetPoints, alpha: alpha)
    }

    /// Thresholds with the fewest average MACs whose loss bound is within `budgetPoints`.
    public static func calibrate(_ p: ExitProfile, budgetPoints: Double, guard g: ExitGuard,
                                 candidatesPerExit: Int = 48, subset: [Int]? = nil) -> ExitCalibration {
        if case .agreement(let alpha) = g {   // labelled samples only; calibrateByAgreement takes unlabelled ones
            return calibrateByAgreement(labelled: p, unlabeled: nil, trainingSource: nil, budgetPoints: budgetPoints,
                                        alpha: alpha, candidatesPerExit: candidatesPerExit)
        }
        if case .crossValidation(let folds) = g {
            return crossValidated(p, budgetPoints: budgetPoints, folds: folds, candidatesPerExit: candidatesPerExit)
        }
        let samples = subset ?? Array(0..<p.sampleCount)
        let early = p.exitCount - 1
        let candidates: [[Int32]] = (0..<early).map { k in
            let c = ExitCriterion(rawValue: p.criteria[k]) ?? .maxProbability
            let never: Int32 = c == .entropy ? -1 : ExitCriteria.one + 1
            let sorted = Array(Set(samples.map { p.values[k][$0] })).sorted()
            var picks = Set<Int32>([never])
            if !sorted.isEmpty {
                for q in 0..<candidatesPerExit { picks.insert(sorted[(sorted.count - 1) * q / max(candidatesPerExit - 1, 1)]) }
            }
            return picks.sorted()
        }
        var best: (thresholds: [Int32], eval: ExitEvaluation, bound: Double)?
        var tried = 0
        func consider(_ t: [Int32]) {
            tried += 1
            let full = t + [0]
            let e = evaluate(p, thresholds: full, subset: samples)
            let bound = lossBound(e, guard: g)
            guard bound <= budgetPoints + 1e-12 else { return }
            if best == nil || e.averageMacs < best!.eval.averageMacs - 1e-9
                || (abs(e.averageMacs - best!.eval.averageMacs) <= 1e-9 && bound < best!.bound) {
                best = (full, e, bound)
            }
        }
        let combinations = candidates.reduce(1.0) { $0 * Double($1.count) }
        if combinations <= 250_000 {
            var index = [Int](repeating: 0, count: early)
            while true {
                consider((0..<early).map { candidates[$0][index[$0]] })
                var k = 0
                while k < early { index[k] += 1; if index[k] < candidates[k].count { break }; index[k] = 0; k += 1 }
                if k == early { break }
            }
        } else {
            // Coordinate descent from "never exit anywhere" until no single exit's change helps.
            var current = (0..<early).map { k in ExitCriterion(rawValue: p.criteria[k]) == .entropy ? Int32(-1) : ExitCriteria.one + 1 }
            consider(current)
            var improved = true
            while improved {
                improved = false
                for k in 0..<early {
                    for c in candidates[k] {
                        var t = current; t[k] = c
                        let before = best?.eval.averageMacs
                        consider(t)
                        if let b = best, before == nil || b.eval.averageMacs < before! - 1e-9 { current = t; improved = true }
                    }
                }
            }
        }
        // "Never" everywhere always passes (the cascade is the final exit), so best is set.
        let chosen = best ?? ((0..<early).map { k in ExitCriterion(rawValue: p.criteria[k]) == .entropy ? Int32(-1) : ExitCriteria.one + 1 } + [0],
                              evaluate(p, thresholds: [Int32](repeating: ExitCriteria.one + 1, count: early) + [0], subset: samples), 0)
        return ExitCalibration(thresholds: chosen.thresholds, validation: chosen.eval, lossBoundPoints: chosen.bound,
                               candidatesTried: tried)
    }

    /// The cross-validation guard: internal budgets from the budget down to 0 in 1/20 steps;
    /// for each, every fold's thresholds come from a plain search on the other folds and are
    /// scored on the fold; the first internal budget whose pooled out-of-fold loss fits the budget
    /// is then used for a plain search on all samples. Folds are a fixed interleaving of a
    /// deterministic shuffle, so the result is reproducible.
    static func crossValidated(_ p: ExitProfile, budgetPoints: Double, folds: Int, candidatesPerExit: Int) -> ExitCalibration {
        let n = p.sampleCount, k = max(2, min(folds, n))
        var order = Array(0..<n)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in stride(from: n - 1, to: 0, by: -1) {   // Fisher–Yates with a fixed LCG
            state = state &* 6364136223846793005 &+ 1442695040888963407
            order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        let foldOf = (0..<n).map { i -> Int in order.firstIndex(of: i)! % k }
        var tried = 0
        var chosenBudget = 0.0
        for step in stride(from: 20, through: 0, by: -1) {
            let inner = budgetPoints * Double(step) / 20
            var net = 0
            for f in 0..<k {
                let train = (0..<n).filter { foldOf[$0] != f }, test = (0..<n).filter { foldOf[$0] == f }
                let c = calibrate(p, budgetPoints: inner, guard: .none, candidatesPerExit: candidatesPerExit, subset: train)
                tried += c.candidatesTried
                let e = evaluate(p, thresholds: c.thresholds, subset: test)
                net += e.hurt - e.helped
            }
            if 100 * Double(net) / Double(n) <= budgetPoints + 1e-12 { chosenBudget = inner; break }
        }
        var result = calibrate(p, budgetPoints: chosenBudget, guard: .none, candidatesPerExit: candidatesPerExit)
        result.candidatesTried += tried
        result.innerBudgetPoints = chosenBudget
        return result
    }
}

/// Records each exit's criterion value right after the exit's operator ran.
struct ExitValueRecorder: InvokeObserver {
    let interpreter: Interpreter
    let afterOps: [Int]
    var values: [Int32]
    mutating func willRun(op: Int, opcode: OpCode) {}
    mutating func didRun(op: Int, opcode: OpCode) {
        if let k = afterOps.firstIndex(of: op) { values[k] = interpreter.exitValue(k) }
    }
}

/// Exact (Clopper–Pearson) binomial confidence bounds, by bisection on the binomial tail.
public enum ClopperPearson {
    /// p such that P(X ≤ k | n, p) = alpha (1 when k = n): a one-sided upper bound on the rate.
    public static func upper(successes k: Int, trials n: Int, alpha: Double) -> Double {
        if k >= n { return 1 }
        return bisect { p in cdf(k, n, p) > alpha }
    }

    /// p such that P(X ≥ k | n, p) = alpha (0 when k = 0): a one-sided lower bound.
    public static func lower(successes k: Int, trials n: Int, alpha: Double) -> Double {
        if k <= 0 { return 0 }
        return bisect { p in 1 - cdf(k - 1, n, p) < alpha }
    }

    /// Largest p in [0, 1] with `below(p)` true (the predicate is monotone: true then false).
    static func bisect(_ below: (Double) -> Bool) -> Double {
        var lo = 0.0, hi = 1.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if below(mid) { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// P(X ≤ k) for X ~ Binomial(n, p), summed in log space.
    static func cdf(_ k: Int, _ n: Int, _ p: Double) -> Double {
        if p <= 0 { return 1 }
        if p >= 1 { return k >= n ? 1 : 0 }
        var total = 0.0
        for i in 0...k {
            let logTerm = lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1))
                + Double(i) * log(p) + Double(n - i) * log1p(-p)
            total += exp(logTerm)
        }
        return min(total, 1)
    }
}
