// Early exit end to end: the scheduler's order (hand-built graph and the lowered multi-exit
// model), the verifier's exit-table checks, full depth equal to the model without exits, and
// calibrated thresholds holding on the held-out test split (data the calibrator never saw).
import Foundation
import Testing
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
@testable import SparrowConverter

private func digits(_ name: String) -> String { IRFixtures.digits(name) }

private func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

private func convertMultiExit(_ variant: String, exits: [String] = ["exit1", "exit2", "final"],
                              criterion: ExitCriterionChoice = .maxProbability,
                              calibration: ExitCalibrationOptions? = nil) throws -> ConversionResult {
    var options = ConversionOptions(calibrationPath: digits("digits_calib.npy"))
    options.exits = ExitOptions(outputs: exits, criterion: criterion)
    options.exitCalibration = calibration
    return try convert(onnxPath: digits("digits_multiexit_\(variant).onnx"), options: options)
}

/// Verifies `bytes` after `patch` edits them (the checksum is recomputed), returning the error.
private func verifyPatched(_ bytes: [UInt8], _ patch: (UnsafeMutableRawBufferPointer, VerifiedModel) -> Void) throws -> ModelError? {
    let original = try HostModel(bytes: bytes)
    var patched = bytes
    withExtendedLifetime(original) {
        patched.withUnsafeMutableBytes { raw in
            patch(raw, original.model)
            reseal(raw)
        }
    }
    return HostModel.verificationError(patched)
}

@Suite(.serialized) struct EarlyExitTests {
    // MARK: Scheduling

    @Test func schedulerRunsEachExitAsSoonAsItsInputsExist() {
        // x → t1 → t2 → t3 → final; t1 → h1 (exit 1); t2 → h2 (exit 2). The given topological order
        // runs the whole trunk first; the schedule must interleave the heads.
        var g = IRGraph()
        let x = g.addValue(IRValue(name: "x", shape: [1, 4]))
        let names = ["t1", "t2", "t3", "final", "h2", "h1"]
        let v = names.map { g.addValue(IRValue(name: $0, shape: [1, 4])) }
        let inputs = [x, v[0], v[1], v[2], v[1], v[0]]
        g.nodes = names.indices.map { IRNode(name: names[$0], op: .unary(.relu), inputs: [inputs[$0]], outputs: [v[$0]]) }
        g.inputPorts = [IRGraphPort(value: x, onnxName: "x", onnxShape: [1, 4], onnxToIR: [0, 1])]
        let schedule = ExitScheduling.schedule(g, exitValues: [v[5], v[4], v[3]])
        #expect(schedule.segments == [[0, 5], [1, 4], [2, 3]])   // t1 h1 | t2 h2 | t3 final
    }

    @Test func schedulerPutsNodesNoExitNeedsInTheFinalSegment() {
        var g = IRGraph()
        let x = g.addValue(IRValue(name: "x", shape: [1, 4]))
        let a = g.addValue(IRValue(name: "a", shape: [1, 4])), side = g.addValue(IRValue(name: "side", shape: [1, 4]))
        let b = g.addValue(IRValue(name: "b", shape: [1, 4]))
        g.nodes = [IRNode(name: "side", op: .unary(.relu), inputs: [x], outputs: [side]),
                   IRNode(name: "a", op: .unary(.relu), inputs: [x], outputs: [a]),
                   IRNode(name: "b", op: .unary(.relu), inputs: [a], outputs: [b])]
        #expect(ExitScheduling.schedule(g, exitValues: [a, b]).segments == [[1], [0, 2]])
    }

    /// On the lowered file: every operator between exit k−1's test and exit k's test is an
    /// ancestor of exit k's output (computed here from the operator table, independently of the
    /// scheduler), and the exits' tests follow their segments.
    @Test func loweredModelRunsNoLaterOnlyOpBeforeAnEarlierExit() throws {
        let loaded = try HostModel(bytes: try convertMultiExit("sd").bytes)
        defer { withExtendedLifetime(loaded) {} }
        let m = loaded.model
        #expect(m.exitCount == 3)
        var producer: [Int: Int] = [:]
        for k in 0..<m.operatorCount {
            let o = m.op(k)
            for j in 0..<Int(o.outputCount) { producer[m.output(o, j)] = k }
        }
        func resolve(_ t: Int) -> Int {   // aliases read their base's bytes
            let r = m.tensor(t)
            return r.storage == .alias ? Int(r.location) : t
        }
        var previous = -1
        for e in 0..<m.exitCount {
            let exit = m.exit(e)
            var ancestors = Set<Int>()
            var stack = [m.graphOutput(Int(exit.outputIndex))]
            while let t = stack.popLast() {
                for source in Set([t, resolve(t)]) {
                    guard let k = producer[source], ancestors.insert(k).inserted else { continue }
                    let o = m.op(k)
                    for j in 0..<Int(o.inputCount) where m.input(o, j) >= 0 { stack.append(m.input(o, j)) }
                }
            }
            for k in (previous + 1)...Int(exit.afterOp) {
                #expect(ancestors.contains(k), "op \(k) runs before exit \(e)'s test but exit \(e) does not need it")
            }
            #expect(exit.macsToHere == (0...Int(exit.afterOp)).reduce(UInt64(0)) { $0 + m.op($1).macs })
            previous = Int(exit.afterOp)
        }
        #expect(m.exit(0).macsToHere * 10 < m.exit(2).macsToHere)   // exit 1 is cheap
        #expect(m.exit(2).afterOp == UInt32(m.operatorCount - 1))
    }

    // MARK: Verifier

    @Test func verifierRejectsBadExitTables() throws {
        let bytes = try convertMultiExit("sd").bytes
        func exitAt(_ m: VerifiedModel, _ e: Int) -> Int { m.file.sectionRange(.exits).offset + e * ExitRecord.size }
        func tableAt(_ m: VerifiedModel, _ e: Int) -> Int {
            m.file.sectionRange(.constants).offset + Int(m.tensor(Int(m.exit(e).table)).location)
        }
        func rejects(_ reason: ModelError.Reason, _ what: String, _ patch: (UnsafeMutableRawBufferPointer, VerifiedModel) -> Void) throws {
            let error = try verifyPatched(bytes, patch)
            #expect(error?.reason == reason, "\(what): \(String(describing: error))")
            if let error { #expect(error.section == .exits, "\(what)") }
        }
        #expect(try verifyPatched(bytes) { _, _ in } == nil)
        try rejects(.unsupportedCriterion, "criterion 9") { b, m in b.storeBytes(of: UInt8(9), toByteOffset: exitAt(m, 0) + 8, as: UInt8.self) }
        try rejects(.badExitThreshold, "threshold above 1 + never") { b, m in
            b.storeBytes(of: Int32(65538).littleEndian, toByteOffset: exitAt(m, 0) + 12, as: Int32.self)
        }
        try rejects(.badExitThreshold, "negative probability threshold") { b, m in
            b.storeBytes(of: Int32(-1).littleEndian, toByteOffset: exitAt(m, 1) + 12, as: Int32.self)
        }
        try rejects(.badExitTable, "table index out of range") { b, m in
            b.storeBytes(of: UInt32(m.tensorCount + 3).littleEndian, toByteOffset: exitAt(m, 0) + 28, as: UInt32.self)
        }
        try rejects(.badExitTable, "table is the int8 logits") { b, m in
            b.storeBytes(of: m.exit(0).tensor.littleEndian, toByteOffset: exitAt(m, 0) + 28, as: UInt32.self)
        }
        try rejects(.badExitTable, "E[0] is not 1.0") { b, m in
            b.storeBytes(of: Int32(65535).littleEndian, toByteOffset: tableAt(m, 0), as: Int32.self)
        }
        try rejects(.badExitTable, "E increases") { b, m in
            b.storeBytes(of: Int32(65536).littleEndian, toByteOffset: tableAt(m, 1) + 40 * 4, as: Int32.self)
        }
        try rejects(.badExitTable, "G above 2^16/e") { b, m in
            b.storeBytes(of: Int32(30000).littleEndian, toByteOffset: tableAt(m, 0) + (256 + 3) * 4, as: Int32.self)
        }
        try rejects(.badExitOrder, "exits out of order") { b, m in
            b.storeBytes(of: m.exit(0).afterOp.littleEndian, toByteOffset: exitAt(m, 1) + 4, as: UInt32.self)
        }
        try rejects(.badExitOrder, "last exit not final") { b, m in
            b.storeBytes(of: UInt8(1), toByteOffset: exitAt(m, 2) + 8, as: UInt8.self)
            b.storeBytes(of: m.exit(0).table.littleEndian, toByteOffset: exitAt(m, 2) + 28, as: UInt32.self)
        }
    }

    // MARK: Running

    /// With --full-depth every sample takes the final exit, and its output equals the final
    /// output of the same model converted without exits (same calibration, different op order).
    @Test func forcedFullDepthEqualsTheFinalOutputWithoutExits() throws {
        let withExits = try HostModel(bytes: try convertMultiExit("sd").bytes)
        defer { withExtendedLifetime(withExits) {} }
        let plain = try convert(onnxPath: digits("digits_multiexit_sd.onnx"),
                                options: ConversionOptions(calibrationPath: digits("digits_calib.npy")))
        let reference = try HostModel(bytes: plain.bytes)
        defer { withExtendedLifetime(reference) {} }
        #expect(reference.model.exitCount == 0)
        let input = try fileBytes(digits("digits_test_x.npy"))
        let batch = try withExits.runBatch(inputFile: input, fullDepth: true)
        #expect(batch.exitIndices.allSatisfy { $0 == 2 })
        #expect(batch.macs == UInt64(batch.exitIndices.count) * withExits.model.exit(2).macsToHere)
        let x = try IRFixtures.floats(digits("digits_test_x.npy")).data
        let per = 64, classes = 10
        var mismatches = 0
        for i in 0..<batch.exitIndices.count {
            let xi = reference.interpreter.inputBuffer(0)
            x.withUnsafeBytes { xi.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(i * per * 4)..<((i + 1) * per * 4)])) }
            _ = reference.interpreter.invoke()
            let finalOutput = Array(reference.interpreter.outputBuffer(2).bindMemory(to: Float.self))
            if finalOutput != Array(batch.outputs[(i * classes)..<((i + 1) * classes)]) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func thresholdOverrideWithoutRewritingTheFile() throws {
        let loaded = try HostModel(bytes: try convertMultiExit("sd").bytes)
        defer { withExtendedLifetime(loaded) {} }
        let it = loaded.interpreter
        let x = try IRFixtures.floats(digits("digits_test_x.npy")).data
        x.withUnsafeBytes { it.inputBuffer(0).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<256])) }
        func run(_ thresholds: [Int32], fullDepth: Bool = false) -> InvokeResult {
            var observer = NoObserver()
            return thresholds.withUnsafeBufferPointer { it.invoke(fullDepth: fullDepth, exitThresholds: $0.baseAddress, observer: &observer) }
        }
        let always: [Int32] = [0, 0, 0], never: [Int32] = [65537, 65537, 0], second: [Int32] = [65537, 0, 0]
        #expect(run(always).exitIndex == 0)
        #expect(run(never).exitIndex == 2)
        let r = run(second)
        #expect(r.exitIndex == 1 && r.macs == loaded.model.exit(1).macsToHere)
        #expect(run(always, fullDepth: true).exitIndex == 2)
    }

    /// The acceptance test: thresholds calibrated on the validation split (1-point budget,
    /// Clopper–Pearson guard) keep the held-out test accuracy within the budget of the final exit,
    /// with fewer average MACs, and the calibrator's view of each decision equals the runtime's.
    @Test(arguments: ["sd", "ce"], [ExitCriterionChoice.maxProbability, .margin, .entropy])
    func calibratedThresholdsHoldOnTheHeldOutSplit(variant: String, criterion: ExitCriterionChoice) throws {
        let budget = 1.0
        let validation = LabelledSamples(x: try NPYArray.read(path: digits("digits_val_x.npy")),
                                         labels: try IRFixtures.int64s(digits("digits_val_y.npy")))
        let converted = try convertMultiExit(variant, criterion: criterion, calibration: ExitCalibrationOptions(
            validation: validation, budgetPoints: budget, guardMethod: .clopperPearson(alpha: 0.05)))
        let bytes = converted.bytes
        let calibration = try #require(converted.exitCalibration)
        #expect(calibration.lossBoundPoints <= budget)
        // The file carries the thresholds the stage chose (written before serialization).
        let written = try HostModel(bytes: bytes)
        withExtendedLifetime(written) {
            #expect((0..<2).map { written.model.exit($0).threshold } == Array(calibration.thresholds.prefix(2)))
        }

        let loaded = try HostModel(bytes: bytes)
        defer { withExtendedLifetime(loaded) {} }
        let input = try fileBytes(digits("digits_test_x.npy"))
        let labels = try IRFixtures.int64s(digits("digits_test_y.npy"))
        let early = try loaded.runBatch(inputFile: input)
        let full = try loaded.runBatch(inputFile: input, fullDepth: true)
        func accuracy(_ outputs: [Float]) -> Double {
            let n = labels.count
            return 100 * Double((0..<n).filter { argmax(outputs[($0 * 10)..<($0 * 10 + 10)]) == Int(labels[$0]) }.count) / Double(n)
        }
        let accEarly = accuracy(early.outputs), accFull = accuracy(full.outputs)
        let macsEarly = Double(early.macs) / Double(labels.count), macsFull = Double(full.macs) / Double(labels.count)
        print(String(format: "%@ %@: thresholds %@; val %.2f%% (final %.2f%%); test %.2f%% vs final %.2f%%, MACs %.0f vs %.0f (%.1f%% saved)",
                     variant, criterion.rawValue, "\(calibration.thresholds)", 100 * calibration.validation.accuracy,
                     100 * calibration.validation.finalAccuracy, accEarly, accFull, macsEarly, macsFull, 100 * (1 - macsEarly / macsFull)))
        #expect(accEarly >= accFull - budget)
        #expect(macsEarly < macsFull)
        // The calibrator evaluates exactly what the device does.
        let testProfile = try ExitCalibrator.profile(modelBytes: bytes, x: try NPYArray.read(path: digits("digits_test_x.npy")), labels: labels)
        let predicted = (0..<labels.count).map { testProfile.exitTaken(sample: $0, thresholds: calibration.thresholds) }
        #expect(predicted == early.exitIndices)
        #expect(abs(ExitCalibrator.evaluate(testProfile, thresholds: calibration.thresholds).accuracy * 100 - accEarly) < 1e-9)
    }

    /// Calibration is a stage of conversion: its file equals a plain conversion given the chosen
    /// thresholds (Q16 / 65536 converts back exactly), so nothing was patched after serializing.
    @Test(arguments: [ExitCriterionChoice.maxProbability, .entropy])
    func calibrationStageWritesTheSameFileAsGivenThresholds(criterion: ExitCriterionChoice) throws {
        let validation = LabelledSamples(x: try NPYArray.read(path: digits("digits_val_x.npy")),
                                         labels: try IRFixtures.int64s(digits("digits_val_y.npy")))
        let staged = try convertMultiExit("ce", criterion: criterion,
                                          calibration: ExitCalibrationOptions(validation: validation, budgetPoints: 1))
        let chosen = try #require(staged.exitCalibration).thresholds
        #expect(chosen.count == 3)
        // Not the criterion's default, so the comparison below can tell the two apart.
        #expect(chosen[0] != criterion.fixedPoint(criterion.defaultThreshold))
        var options = ConversionOptions(calibrationPath: digits("digits_calib.npy"))
        options.exits = ExitOptions(outputs: ["exit1", "exit2", "final"],
                                    thresholds: chosen.map { Double($0) / 65536 }, criterion: criterion)
        let plain = try convert(onnxPath: digits("digits_multiexit_ce.onnx"), options: options)
        #expect(plain.bytes == staged.bytes)
    }

    /// The calibration stage profiles drafts lowered with the packed operators when the conversion
    /// packs (exit heads' FC and convs included): since packed and reference operators give the
    /// same int8 outputs, it chooses the same thresholds, and the packed file takes the same exits
    /// with the same outputs on the test split.
    @Test func calibrationStageWithPackedWeightsChoosesTheSameExits() throws {
        let validation = LabelledSamples(x: try NPYArray.read(path: digits("digits_val_x.npy")),
                                         labels: try IRFixtures.int64s(digits("digits_val_y.npy")))
        func staged(_ packing: PackedGemmLayout?) throws -> ConversionResult {
            var options = ConversionOptions(calibrationPath: digits("digits_calib.npy"))
            options.exits = ExitOptions(outputs: ["exit1", "exit2", "final"])
            options.exitCalibration = ExitCalibrationOptions(validation: validation, budgetPoints: 1)
            options.packedWeights = packing
            return try convert(onnxPath: digits("digits_multiexit_ce.onnx"), options: options)
        }
        let plain = try staged(nil), packed = try staged(.nr16kr4)
        let packedOps = packed.summary.opCounts.filter { $0.key.hasPrefix("Packed") }.values.reduce(0, +)
        #expect(packedOps >= 3, "\(packed.summary.opCounts)")
        #expect(packed.summary.opCounts["FullyConnected"] == nil && packed.summary.opCounts["Conv2D"] == nil)
        #expect(try #require(packed.exitCalibration).thresholds == (try #require(plain.exitCalibration).thresholds))
        let test = try fileBytes(digits("digits_test_x.npy"))
        let a = try HostModel(bytes: plain.bytes), b = try HostModel(bytes: packed.bytes)
        defer { withExtendedLifetime((a, b)) {} }
        let ra = try a.runBatch(inputFile: test), rb = try b.runBatch(inputFile: test)
        #expect(ra.exitIndices == rb.exitIndices)
        #expect(Set(ra.exitIndices).count >= 2, "the thresholds make some samples exit early")
        #expect(ra.outputFile == rb.outputFile)
    }

    /// One criterion per exit: each record carries its own, the calibrator searches each exit in
    /// its own units, and its view of every decision equals the runtime's.
    @Test func perExitCriteria() throws {
        var options = ConversionOptions(calibrationPath: digits("digits_calib.npy"))
        options.exits = ExitOptions(outputs: ["exit1", "exit2", "final"], criteria: [.margin, .entropy])
        options.exitCalibration = ExitCalibrationOptions(validation: LabelledSamples(
            x: try NPYArray.read(path: digits("digits_val_x.npy")), labels: try IRFixtures.int64s(digits("digits_val_y.npy"))))
        let converted = try convert(onnxPath: digits("digits_multiexit_sd.onnx"), options: options)
        let loaded = try HostModel(bytes: converted.bytes)
        #expect(loaded.model.exit(0).criterion == .margin && loaded.model.exit(1).criterion == .entropy)
        let thresholds = try #require(converted.exitCalibration).thresholds
        let labels = try IRFixtures.int64s(digits("digits_test_y.npy"))
        let run = try loaded.runBatch(inputFile: try fileBytes(digits("digits_test_x.npy")))
        let profile = try ExitCalibrator.profile(modelBytes: converted.bytes, x: try NPYArray.read(path: digits("digits_test_x.npy")),
                                                 labels: labels)
        #expect(profile.criteria == [ExitCriterion.margin.rawValue, ExitCriterion.entropy.rawValue, ExitCriterion.final.rawValue])
        #expect((0..<labels.count).map { profile.exitTaken(sample: $0, thresholds: thresholds) } == run.exitIndices)
        #expect(Set(run.exitIndices).count >= 2)   // both early exits' tests matter
    }

    @Test func calibrationStageNeedsExits() throws {
        var options = ConversionOptions(calibrationPath: digits("digits_calib.npy"))
        options.exitCalibration = ExitCalibrationOptions(validation: LabelledSamples(x: NPYArray(floats: [0], shape: [1]), labels: [0]))
        #expect(throws: ConversionError.self) { try convert(onnxPath: digits("digits_multiexit_ce.onnx"), options: options) }
    }

    @Test func clopperPearsonBounds() {
        // Zero events: the upper bound solves (1 − p)^n = α.
        #expect(abs(ClopperPearson.upper(successes: 0, trials: 359, alpha: 0.05) - (1 - pow(0.05, 1.0 / 359))) < 1e-9)
        // 5 of 10 at 97.5 % one-sided: the textbook 95 % two-sided interval (0.1871, 0.8129).
        #expect(abs(ClopperPearson.upper(successes: 5, trials: 10, alpha: 0.025) - 0.8129) < 1e-4)
        #expect(abs(ClopperPearson.lower(successes: 5, trials: 10, alpha: 0.025) - 0.1871) < 1e-4)
        #expect(ClopperPearson.upper(successes: 10, trials: 10, alpha: 0.05) == 1)
        #expect(ClopperPearson.lower(successes: 0, trials: 10, alpha: 0.05) == 0)
    }
}
