import Foundation
import SparrowConverter
import SparrowNPY

// `sparrow convert` options for early exits, threshold calibration and its printed report.
extension ConvertCommand {
    static let exitValued: Set<String> = ["--exit", "--exit-criterion", "--accuracy-budget", "--exit-guard", "--exit-unlabeled"]

    static let exitUsage = """
      --exit NAME[=THRESHOLD]  mark graph output NAME as an exit; repeat in order, the last is the
                               final output. THRESHOLD: probability (maxprob), probability margin
                               (margin) or entropy in nats (entropy); default 0.9 / 0.8 / 0.3
      --exit-criterion C[,C...]  maxprob (default), margin or entropy, on the exit's int8 logits;
                               a comma list gives one per early exit, in order (the last entry
                               covers the remaining exits)
      --calibrate-exits X.npy Y.npy   choose the thresholds on labelled validation samples
                               (float32 inputs, int64 labels) by running the int8 model
      --accuracy-budget POINTS allowed top-1 loss against the final exit (default 1.0)
      --exit-guard G           against overfitting the validation set: cp[:ALPHA] (default
                               cp:0.05) the Clopper-Pearson upper bound on the loss must fit the
                               budget; cv[:K] K-fold cross-validated search (default K 5);
                               none: the validation loss itself (overfits small sets);
                               agree[:ALPHA] (default with --exit-unlabeled, ALPHA 0.05): the
                               upper bound on how often the cascade disagrees with the final exit
                               on validation + unlabelled samples must fit the budget
      --exit-unlabeled X.npy   unlabelled samples from the deployment data (float32, repeatable):
                               evidence for the agree guard; the --calibration samples count as
                               training data (weight 0, their disagreement is only reported)
      --exit-test X.npy Y.npy  held-out labelled samples: print the calibrated cascade on them
    """

    static func exitOptions(_ a: Arguments) throws -> ExitOptions {
        let names = a.options["--exit"] ?? []
        let text = a.value("--exit-criterion") ?? "maxprob"
        let criteria = try text.split(separator: ",", omittingEmptySubsequences: false).map { part throws -> ExitCriterionChoice in
            guard let c = ExitCriterionChoice(rawValue: String(part)) else {
                throw CLIError("--exit-criterion must be maxprob, margin or entropy, or a comma list of them (got '\(text)')")
            }
            return c
        }
        let criterion = criteria.last!
        if !names.isEmpty && names.count < 2 {
            throw CLIError("--exit: give at least two exits, in order, the last being the final output")
        }
        var outputs: [String] = [], thresholds: [Double?] = []
        for text in names {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw CLIError("--exit '\(text)': empty output name") }
            var t: Double? = nil
            if parts.count == 2 {
                guard let v = Double(parts[1]), v.isFinite else {
                    throw CLIError("--exit '\(text)': threshold '\(parts[1])' is not a number")
                }
                t = v
            }
            outputs.append(name)
            thresholds.append(t)
        }
        if criteria.count > max(outputs.count - 1, 1) {
            throw CLIError("--exit-criterion gives \(criteria.count) criteria for \(max(outputs.count - 1, 0)) early exits")
        }
        return ExitOptions(outputs: outputs, thresholds: thresholds, criterion: criterion, criteria: criteria.count > 1 ? criteria : [])
    }

    /// The calibration stage's options from `--calibrate-exits`, `--accuracy-budget` and `--exit-guard`.
    static func exitCalibrationOptions(_ a: Arguments, validation: (x: String, y: String)) throws -> ExitCalibrationOptions {
        guard let budget = Double(a.value("--accuracy-budget") ?? "1"), budget >= 0 else {
            throw CLIError("--accuracy-budget must be a number of points >= 0")
        }
        let (x, y) = try loadLabelled(validation)
        let guardMethod = try exitGuard(a)
        var options = ExitCalibrationOptions(validation: LabelledSamples(x: x, labels: y), budgetPoints: budget, guardMethod: guardMethod)
        if case .agreement = guardMethod {
            func read(_ path: String) throws -> NPYArray {
                do { return try NPYArray.read(path: path) } catch { throw CLIError("\(error)") }
            }
            options.unlabeled = try (a.options["--exit-unlabeled"] ?? []).map(read)
            options.trainingSource = try a.value("--calibration").map(read)
        } else if a.options["--exit-unlabeled"] != nil {
            throw CLIError("--exit-unlabeled is evidence for --exit-guard agree; the guard given ignores it")
        }
        return options
    }

    static func exitGuard(_ a: Arguments) throws -> ExitGuard {
        let text = a.value("--exit-guard") ?? (a.options["--exit-unlabeled"] == nil ? "cp" : "agree")
        if text == "none" { return .none }
        if text == "agree" { return .agreement(alpha: 0.05) }
        if text.hasPrefix("agree:"), let alpha = Double(text.dropFirst(6)), alpha > 0, alpha < 1 {
            return .agreement(alpha: alpha)
        }
        if text == "cp" { return .clopperPearson(alpha: 0.05) }
        if text == "cv" { return .crossValidation(folds: 5) }
        if text.hasPrefix("cv:"), let k = Int(text.dropFirst(3)), k >= 2 { return .crossValidation(folds: k) }
        if text.hasPrefix("cp:"), let alpha = Double(text.dropFirst(3)), alpha > 0, alpha < 1 {
            return .clopperPearson(alpha: alpha)
        }
        throw CLIError("--exit-guard must be none, cp[:ALPHA], agree[:ALPHA] (0 < ALPHA < 1) or cv[:K] (K >= 2) (got '\(text)')")
    }

    static func loadLabelled(_ pair: (x: String, y: String)) throws -> (NPYArray, [Int64]) {
        let x: NPYArray
        do { x = try NPYArray.read(path: pair.x) } catch { throw CLIError("\(error)") }
        return (x, try readLabels(pair.y))
    }

    /// Prints what the calibration stage chose, then the cascade on the held-out `test` samples.
    static func printExitCalibration(_ result: ExitCalibration, model bytes: [UInt8], options: ConversionOptions,
                                     test: (x: String, y: String)?) throws {
        guard let stage = options.exitCalibration else { return }
        let guardText: String
        switch stage.guardMethod {
        case .none: guardText = "none (validation loss)"
        case .clopperPearson(let alpha): guardText = String(format: "Clopper-Pearson, %.0f %% confidence", 100 * (1 - alpha))
        case .crossValidation(let k): guardText = "\(k)-fold cross-validation"
        case .agreement(let alpha):
            guardText = String(format: "agreement with the final exit, %.0f %% confidence", 100 * (1 - alpha))
        }
        print(String(format: "exit calibration: %d validation samples, budget %.2f points, guard %@, %d threshold sets tried",
                     result.validation.sampleCount, stage.budgetPoints, guardText, result.candidatesTried))
        printEvaluation(result.validation, names: options.exits.outputs, exits: options.exits, title: "validation")
        if let c = result.agreement {
            print(String(format: "  disagreement with the final exit: bound %.2f %% (%d of %d certification samples; "
                         + "candidate sequence of %d built on %d other samples, %d accepted)", result.lossBoundPoints,
                         c.certificationDisagreements, c.certificationSamples, c.sequenceLength, c.pathSamples, c.accepted))
            print(String(format: "  disagreement on all deployment samples %.2f %%", 100 * c.deploymentDisagreement)
                  + (c.trainingSourceDisagreement.map { String(format: "; on the %d training-source samples %.2f %% (weight 0)",
                                                                c.trainingSourceSamples, 100 * $0) } ?? ""))
        } else if let inner = result.innerBudgetPoints {
            print(String(format: "  cross-validation chose an internal budget of %.2f points (validation loss %.2f)",
                         inner, result.validation.lossPoints))
        } else {
            print(String(format: "  loss bound %.2f points (validation loss %.2f)", result.lossBoundPoints, result.validation.lossPoints))
        }
        if let test {
            let (tx, ty) = try loadLabelled(test)
            let testProfile = try ExitCalibrator.profile(modelBytes: bytes, x: tx, labels: ty)
            let achieved = ExitCalibrator.evaluate(testProfile, thresholds: result.thresholds)
            printEvaluation(achieved, names: options.exits.outputs, exits: options.exits, title: "held-out test")
            let best = ExitCalibrator.hindsight(testProfile, budgetPoints: stage.budgetPoints).validation
            print(String(format: "  hindsight optimum on the test split itself (thresholds %@): %.1f %% MACs saved, loss %.2f points",
                         "\(best.thresholds.dropLast())", 100 * best.macsSaved, best.lossPoints))
            print(String(format: "  calibrator: %.1f %% saved, loss %.2f points = %.0f %% of the hindsight savings",
                         100 * achieved.macsSaved, achieved.lossPoints,
                         best.macsSaved > 0 ? 100 * achieved.macsSaved / best.macsSaved : 100))
        }
    }

    static func printEvaluation(_ e: ExitEvaluation, names: [String], exits: ExitOptions, title: String) {
        print("  \(title) (\(e.sampleCount) samples):")
        print("    exit      threshold (Q16 / real)   leaving   accuracy there   MACs there")
        var macsAt: [Double] = []
        for k in e.leaving.indices {
            let isFinal = k == e.leaving.count - 1
            let t = e.thresholds[k]
            let tText = isFinal ? "final" : (t == exits.criterion(ofExit: k).neverThreshold ? "never" : String(format: "%6d / %.4f", t, Double(t) / 65536))
            let fraction = Double(e.leaving[k]) / Double(max(e.sampleCount, 1))
            let acc = e.leaving[k] > 0 ? String(format: "%6.2f %%", 100 * Double(e.correctLeaving[k]) / Double(e.leaving[k])) : "     -  "
            macsAt.append(0)
            print(String(format: "    %-9@ %-24@ %6.1f %%   %@", k < names.count ? names[k] : "exit \(k)", tText, 100 * fraction, acc))
        }
        print(String(format: "    accuracy %.2f %% (final exit alone %.2f %%, loss %.2f points)", 100 * e.accuracy,
                     100 * e.finalAccuracy, e.lossPoints))
        print(String(format: "    average MACs %.0f of %.0f at full depth: %.1f %% saved", e.averageMacs, e.fullDepthMacs,
                     100 * e.macsSaved))
    }
}
