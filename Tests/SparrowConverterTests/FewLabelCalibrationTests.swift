// Issue 14's regime: 200 noisy labelled validation samples, a weak first exit, a ~90 % middle
// exit and a ~98 % final exit (Tests/Fixtures/fewlabel, make_fewlabel_fixture.py). The agreement
// guard must keep ≥ 90 % of the hindsight optimum's MAC savings at ≤ 1 point loss on held-out
// data; the labelled-only guards show the problem the issue describes.
import Foundation
import SparrowNPY
import Testing
@testable import SparrowConverter

private func fewlabel(_ name: String) -> String {
    IRFixtures.root.appendingPathComponent("fewlabel").appendingPathComponent(name).path
}

/// Profiles of every split, computed once (int8 interpreter, full depth).
private struct FewLabelData: @unchecked Sendable {
    let validation, unlabeled, test, training: ExitProfile

    static let shared: FewLabelData = {
        var options = ConversionOptions(calibrationPath: fewlabel("fewlabel_calib.npy"))
        options.exits = ExitOptions(outputs: ["exit1", "exit2", "final"])
        let bytes = try! convert(onnxPath: fewlabel("fewlabel_multiexit.onnx"), options: options).bytes
        func profile(_ x: String, _ y: String?) -> ExitProfile {
            let array = try! NPYArray.read(path: fewlabel(x))
            let labels = y.map { try! NPYArray.read(path: fewlabel($0)).int64s()! } ?? [Int64](repeating: -1, count: array.shape[0])
            return try! ExitCalibrator.profile(modelBytes: bytes, x: array, labels: labels)
        }
        // The unlabelled split's hidden labels are read only to re-split it with the test split
        // below; the calibrator never looks at an unlabelled sample's correctness.
        return FewLabelData(validation: profile("fewlabel_val_x.npy", "fewlabel_val_y.npy"),
                            unlabeled: profile("fewlabel_unlabeled_x.npy", "fewlabel_unlabeled_y_hidden.npy"),
                            test: profile("fewlabel_test_x.npy", "fewlabel_test_y.npy"),
                            training: profile("fewlabel_calib.npy", nil))
    }()
}

private func subset(_ p: ExitProfile, _ indices: [Int]) -> ExitProfile {
    var q = p
    for k in 0..<p.exitCount {
        q.values[k] = indices.map { p.values[k][$0] }
        q.correct[k] = indices.map { p.correct[k][$0] }
        q.predictions[k] = indices.map { p.predictions[k][$0] }
    }
    return q
}

@Suite struct FewLabelCalibrationTests {
    @Test func agreementGuardKeepsTheHindsightSavings() throws {
        let d = FewLabelData.shared
        #expect(d.validation.sampleCount == 200 && d.unlabeled.sampleCount == 3000 && d.test.sampleCount == 2000)
        let hindsight = ExitCalibrator.hindsight(d.test, budgetPoints: 1).validation
        let agree = ExitCalibrator.calibrateByAgreement(labelled: d.validation, unlabeled: d.unlabeled, trainingSource: d.training,
                                                        budgetPoints: 1, alpha: 0.05)
        let onTest = ExitCalibrator.evaluate(d.test, thresholds: agree.thresholds)
        let cp = ExitCalibrator.evaluate(d.test, thresholds: ExitCalibrator.calibrate(d.validation, budgetPoints: 1,
                                                                                       guard: .clopperPearson(alpha: 0.05)).thresholds)
        let plain = ExitCalibrator.evaluate(d.test, thresholds: ExitCalibrator.calibrate(d.validation, budgetPoints: 1, guard: .none).thresholds)
        print(String(format: "fewlabel: hindsight %.1f %% saved (loss %.2f); agree %.1f %% (loss %.2f, bound %.2f); cp %.1f %% (%.2f); none %.1f %% (%.2f)",
                     100 * hindsight.macsSaved, hindsight.lossPoints, 100 * onTest.macsSaved, onTest.lossPoints, agree.lossBoundPoints,
                     100 * cp.macsSaved, cp.lossPoints, 100 * plain.macsSaved, plain.lossPoints))
        #expect(agree.lossBoundPoints <= 1)
        #expect(onTest.lossPoints <= 1)
        #expect(onTest.macsSaved >= 0.9 * hindsight.macsSaved)
        // The regime of the issue: the labelled-only guards either save nothing or overfit.
        #expect(cp.macsSaved == 0)
        #expect(plain.lossPoints > 1)
    }

    /// The same study on 10 random re-splits of the 5000 unlabelled + test samples into 3000
    /// "unlabelled" and 2000 "test" (the fixed validation split stays): how often the held-out
    /// loss stays within the budget and how much of the hindsight savings is kept.
    @Test func agreementGuardOnResplits() throws {
        let d = FewLabelData.shared
        let pool = d.unlabeled.appending(d.test)
        var state: UInt64 = 0x5EED_0014
        var within = 0, ratios: [Double] = [], losses: [Double] = []
        let rounds = 10
        for _ in 0..<rounds {
            var order = Array(0..<pool.sampleCount)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
            }
            let unl = subset(pool, Array(order[0..<3000])), test = subset(pool, Array(order[3000...]))
            let c = ExitCalibrator.calibrateByAgreement(labelled: d.validation, unlabeled: unl, trainingSource: nil,
                                                        budgetPoints: 1, alpha: 0.05)
            let e = ExitCalibrator.evaluate(test, thresholds: c.thresholds)
            let h = ExitCalibrator.hindsight(test, budgetPoints: 1).validation
            if e.lossPoints <= 1 { within += 1 }
            ratios.append(h.macsSaved > 0 ? e.macsSaved / h.macsSaved : 1)
            losses.append(e.lossPoints)
        }
        let meanRatio = ratios.reduce(0, +) / Double(rounds), meanLoss = losses.reduce(0, +) / Double(rounds)
        print(String(format: "fewlabel re-splits: %d of %d within 1 point; mean loss %.2f (max %.2f); kept %.0f %% of hindsight savings "
                     + "on average (min %.0f %%)", within, rounds, meanLoss, losses.max()!, 100 * meanRatio, 100 * ratios.min()!))
        #expect(meanLoss <= 1)
        #expect(within >= rounds * 8 / 10)
        #expect(meanRatio >= 0.8)
    }
}
