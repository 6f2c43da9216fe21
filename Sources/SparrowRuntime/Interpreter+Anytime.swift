// Anytime inference: one invoke under a compute budget (MACs) and/or a deadline (monotonic
// clock), answering from the deepest exit the budget allows (Docs/early-exit.md "Anytime").
//
// - MAC budget: exit k is allowed when its `macsToHere` ≤ the budget. The run stops at the last
//   allowed exit, so no operator past it runs and no later exit can answer.
// - Deadline: tested at every exit boundary. An exit reached after the deadline does not count:
//   the answer is the previous exit's (its float output is a graph output and stays valid to the
//   end of the run). So the answer always comes from an exit completed by the deadline; the run
//   itself may overshoot by at most the segment in flight when the deadline passed.
// - Confidence criteria still stop the run early unless `fullDepth` (then: deepest allowed exit).
import SparrowFormat

/// A monotonic nanosecond clock for deadlines, given by the program (CLOCK_MONOTONIC on Linux).
public protocol DeadlineClock {
    func nanoseconds() -> UInt64
}

/// The limits of one anytime invoke. `UInt64.max` means no limit.
public struct InvokeBudget {
    /// Largest number of multiply-accumulates the answering exit may have cost.
    public var maxMacs: UInt64
    /// Absolute monotonic time (the clock's nanoseconds) by which the answering exit must be done.
    public var deadlineNanoseconds: UInt64

    public init(maxMacs: UInt64 = .max, deadlineNanoseconds: UInt64 = .max) {
        self.maxMacs = maxMacs
        self.deadlineNanoseconds = deadlineNanoseconds
    }

    public static var unlimited: InvokeBudget { InvokeBudget() }
}

/// Why an anytime invoke answered from the exit it did.
public enum AnytimeStop: UInt8 {
    /// The exit's confidence criterion held.
    case confident
    /// The final exit: nothing deeper exists.
    case final
    /// The next exit would cost more MACs than the budget.
    case macBudget
    /// The deadline passed (at this exit's boundary, or at the next one, which then did not count).
    case deadline
    /// Not even the first exit fits the budget: there is no answer (`exitIndex` is -1).
    case noExitWithinBudget
}

public struct AnytimeResult: Equatable {
    /// Exit that answered (index in the exit table), -1 when none fits the budget.
    public var exitIndex: Int
    /// MACs of the operators that ran (≥ the answering exit's `macsToHere`: an exit discarded by
    /// the deadline ran but does not answer).
    public var macs: UInt64
    public var operatorsRun: Int
    public var stop: AnytimeStop
}

extension Interpreter {
    /// Runs the model under `budget`; the answer is the float output of exit `exitIndex`
    /// (`outputBuffer(Int(model.exit(exitIndex).outputIndex))`). Models without exits have one
    /// implicit exit, the end of the plan, with the model's total MACs.
    public func invoke<Clock: DeadlineClock, O: InvokeObserver>(budget: InvokeBudget, clock: Clock, fullDepth: Bool = false,
                                                                exitThresholds: UnsafePointer<Int32>? = nil,
                                                                observer: inout O) -> AnytimeResult {
        let exitCount = model.exitCount
        let firstMacs = exitCount > 0 ? model.exit(0).macsToHere : model.totalMacs
        guard firstMacs <= budget.maxMacs else {
            return AnytimeResult(exitIndex: -1, macs: 0, operatorsRun: 0, stop: .noExitWithinBudget)
        }
        var macs: UInt64 = 0
        var nextExit = 0
        var nextExitOp = exitCount > 0 ? Int(model.exit(0).afterOp) : model.operatorCount - 1
        for k in 0..<model.operatorCount {
            let o = model.op(k)
            let opcode = OpCode(rawValue: o.opcodeRaw)!
            observer.willRun(op: k, opcode: opcode)
            run(o, opcode)
            observer.didRun(op: k, opcode: opcode)
            macs &+= o.macs
            guard k == nextExitOp else { continue }
            let late = budget.deadlineNanoseconds != .max && clock.nanoseconds() > budget.deadlineNanoseconds
            if late {
                // This exit finished after the deadline: the previous one answers, if any.
                let previous = nextExit - 1
                return AnytimeResult(exitIndex: previous, macs: macs, operatorsRun: k + 1,
                                     stop: previous >= 0 ? .deadline : .noExitWithinBudget)
            }
            if exitCount == 0 { return AnytimeResult(exitIndex: -1, macs: macs, operatorsRun: k + 1, stop: .final) }
            let e = model.exit(nextExit)
            if nextExit == exitCount - 1 {
                return AnytimeResult(exitIndex: nextExit, macs: macs, operatorsRun: k + 1, stop: .final)
            }
            let threshold = exitThresholds?[nextExit] ?? e.threshold
            if !fullDepth && exitCriterionHolds(e, threshold: threshold) {
                return AnytimeResult(exitIndex: nextExit, macs: macs, operatorsRun: k + 1, stop: .confident)
            }
            let following = model.exit(nextExit + 1)
            if following.macsToHere > budget.maxMacs {
                return AnytimeResult(exitIndex: nextExit, macs: macs, operatorsRun: k + 1, stop: .macBudget)
            }
            if budget.deadlineNanoseconds != .max && clock.nanoseconds() >= budget.deadlineNanoseconds {
                return AnytimeResult(exitIndex: nextExit, macs: macs, operatorsRun: k + 1, stop: .deadline)
            }
            nextExit += 1
            nextExitOp = Int(following.afterOp)
        }
        return AnytimeResult(exitIndex: -1, macs: macs, operatorsRun: model.operatorCount, stop: .final)
    }
}

extension Interpreter {
    /// `runSample` under a budget: copies sample `i` in, invokes with `budget`, and copies the
    /// answering exit's float output to `output` (zeros when no exit fits the budget).
    public func runSample<Clock: DeadlineClock>(_ plan: BatchPlan, index i: Int, inputs: UnsafePointer<UnsafePointer<Float>>,
                                                output: UnsafeMutablePointer<Float>, fullDepth: Bool,
                                                budget: InvokeBudget, clock: Clock) -> AnytimeResult {
        loadSample(index: i, inputs: inputs)
        var none = NoObserver()
        let result = invoke(budget: budget, clock: clock, fullDepth: fullDepth, observer: &none)
        let destination = output + i * plan.outputElements
        guard result.exitIndex >= 0 || result.stop == .final else {
            destination.initialize(repeating: 0, count: plan.outputElements)
            return result
        }
        let y = outputBuffer(result.exitIndex >= 0 ? Int(model.exit(result.exitIndex).outputIndex) : 0)
        UnsafeMutableRawPointer(destination).copyMemory(from: y.baseAddress!, byteCount: min(y.count, plan.outputElements * 4))
        return result
    }
}
