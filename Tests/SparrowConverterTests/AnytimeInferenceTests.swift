// Anytime inference (Interpreter+Anytime.swift): under a MAC budget or a deadline the answer comes
// from the deepest exit the budget allows and never from a later one, and it is that exit's
// own output (equal to the exit's output of an unbudgeted full-depth run).
import Foundation
import SparrowConverter
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import Testing

/// Time advances only when operators run (1 µs each), so deadlines are exact and reproducible.
private final class OperatorTicks: DeadlineClock {
    var now: UInt64 = 0
    func nanoseconds() -> UInt64 { now }
    func willRun(op: Int, opcode: OpCode) {}
    func didRun(op: Int, opcode: OpCode) { now += 1000 }
}

/// Stand-in observer that forwards to the shared tick clock (the observer is inout, the clock by value).
private struct Ticking: InvokeObserver {
    let clock: OperatorTicks
    mutating func willRun(op: Int, opcode: OpCode) {}
    mutating func didRun(op: Int, opcode: OpCode) { clock.didRun(op: op, opcode: opcode) }
}

@Suite(.serialized) struct AnytimeInferenceTests {   // one shared interpreter and arena
    static let loaded: (runner: HostModel, x: [Float], n: Int) = {
        var options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
        options.exits = ExitOptions(outputs: ["exit1", "exit2", "final"], criterion: .maxProbability)
        let bytes = try! convert(onnxPath: IRFixtures.digits("digits_multiexit_sd.onnx"), options: options).bytes
        let x = try! NPYArray.read(path: IRFixtures.digits("digits_test_x.npy")).floats()!
        return (try! HostModel(bytes: bytes), Array(x.prefix(40 * 64)), 40)
    }()

    /// The float output of exit `k` after the last invoke.
    func output(_ r: HostModel, exit k: Int) -> [Float] {
        Array(r.interpreter.outputBuffer(Int(r.model.exit(k).outputIndex)).bindMemory(to: Float.self))
    }

    func load(_ r: HostModel, sample i: Int, from x: [Float]) {
        x.withUnsafeBytes { src in
            r.interpreter.inputBuffer(0).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(i * 256)..<((i + 1) * 256)]))
        }
    }

    @Test func macBudgetNeverAnswersFromAnExcludedExit() throws {
        let (r, x, n) = Self.loaded
        let macs = (0..<r.model.exitCount).map { r.model.exit($0).macsToHere }
        #expect(macs[0] < macs[1] && macs[1] < macs[2] && macs[2] == r.model.totalMacs)
        let budgets: [UInt64] = [0, macs[0] - 1, macs[0], macs[1] - 1, macs[1], macs[2] - 1, macs[2], .max]
        let clock = OperatorTicks()
        for i in 0..<n {
            // The input tensor's arena bytes are reused once quantized: load before every invoke.
            load(r, sample: i, from: x)
            var none = NoObserver()
            _ = r.interpreter.invoke(fullDepth: true)
            let reference = (0..<3).map { output(r, exit: $0) }
            load(r, sample: i, from: x)
            let cascade = r.interpreter.invoke(fullDepth: false).exitIndex
            for budget in budgets {
                // Deepest allowed exit, by hand from the exit table.
                let deepest = macs.lastIndex(where: { $0 <= budget }) ?? -1
                for fullDepth in [true, false] {
                    load(r, sample: i, from: x)
                    let a = r.interpreter.invoke(budget: InvokeBudget(maxMacs: budget), clock: clock, fullDepth: fullDepth,
                                                 observer: &none)
                    let expected = deepest < 0 ? -1 : (fullDepth ? deepest : min(deepest, cascade))
                    #expect(a.exitIndex == expected, "sample \(i) budget \(budget) fullDepth \(fullDepth)")
                    if a.exitIndex >= 0 {
                        #expect(macs[a.exitIndex] <= budget)
                        #expect(a.macs == macs[a.exitIndex])   // nothing past the answering exit ran
                        #expect(output(r, exit: a.exitIndex) == reference[a.exitIndex])
                    } else {
                        #expect(a.stop == .noExitWithinBudget && a.operatorsRun == 0)
                    }
                }
            }
        }
    }

    @Test func deadlineAnswersFromTheDeepestExitFinishedInTime() throws {
        let (r, x, n) = Self.loaded
        // With one tick per operator, exit k is finished at (afterOp + 1) µs.
        let doneAt = (0..<r.model.exitCount).map { UInt64(r.model.exit($0).afterOp + 1) * 1000 }
        var deadlines: [UInt64] = [500]
        for t in doneAt { deadlines += [t - 1, t, t + 1] }
        for i in 0..<min(n, 10) {
            load(r, sample: i, from: x)
            _ = r.interpreter.invoke(fullDepth: true)
            let reference = (0..<3).map { output(r, exit: $0) }
            for deadline in deadlines {
                load(r, sample: i, from: x)
                let clock = OperatorTicks()
                var ticking = Ticking(clock: clock)
                let a = r.interpreter.invoke(budget: InvokeBudget(deadlineNanoseconds: deadline), clock: clock, fullDepth: true,
                                             observer: &ticking)
                let expected = doneAt.lastIndex(where: { $0 <= deadline }) ?? -1
                #expect(a.exitIndex == expected, "sample \(i) deadline \(deadline)")
                if a.exitIndex >= 0 {
                    #expect(doneAt[a.exitIndex] <= deadline)
                    #expect(output(r, exit: a.exitIndex) == reference[a.exitIndex])
                    #expect(a.stop == (a.exitIndex == 2 ? .final : .deadline))
                }
            }
        }
    }
}
