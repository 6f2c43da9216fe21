import SparrowFormat
import SparrowRuntime

// Anytime inference in the bench (Docs/harness.md "Budgets"): every pass can run under a
// per-inference MAC budget and/or deadline (`Interpreter.invoke(budget:clock:…)`), and the budget
// sweep runs the labelled set once per MAC level — each exit's cost, the only levels at which the
// answer can change — giving the model's anytime profile (accuracy against budget).

/// Per-inference limits; `UInt64.max` = none. The deadline counts from each inference's start.
public struct BenchBudget: Equatable {
    public var maxMacs: UInt64 = .max
    public var deadlineNanoseconds: UInt64 = .max
    public init(maxMacs: UInt64 = .max, deadlineNanoseconds: UInt64 = .max) {
        self.maxMacs = maxMacs
        self.deadlineNanoseconds = deadlineNanoseconds
    }
    public var isUnlimited: Bool { maxMacs == .max && deadlineNanoseconds == .max }
}

/// One bench inference: the exit that answered (as `InvokeResult`) and whether any did.
public struct BenchAnswer {
    public var result: InvokeResult
    /// False when no exit fits the budget (then `result.exitIndex` is -1 and there is no answer).
    public var answered: Bool
}

/// The harness's clock as the runtime's deadline clock.
struct DeadlineFromMonotonic<Clock: MonotonicClock>: DeadlineClock {
    let clock: Clock
    @inline(__always) func nanoseconds() -> UInt64 { clock.nanoseconds() }
}

extension Interpreter {
    /// Copies sample `index` in and invokes under `budget` (unlimited: the plain invoke).
    @inline(__always)
    public func invoke<Clock: MonotonicClock, O: InvokeObserver>(sample index: Int, of samples: BenchSamples, fullDepth: Bool,
                                                                 budget: BenchBudget, clock: Clock, observer: inout O) -> BenchAnswer {
        if budget.isUnlimited {
            return BenchAnswer(result: invoke(sample: index, of: samples, fullDepth: fullDepth, observer: &observer), answered: true)
        }
        let start = budget.deadlineNanoseconds == .max ? 0 : clock.nanoseconds()
        loadSample(index, of: samples)
        var limits = InvokeBudget(maxMacs: budget.maxMacs)
        if budget.deadlineNanoseconds != .max { limits.deadlineNanoseconds = start &+ budget.deadlineNanoseconds }
        let r = invoke(budget: limits, clock: DeadlineFromMonotonic(clock: clock), fullDepth: fullDepth, observer: &observer)
        // A model without exits answers from its end (`.final` with exit -1).
        let answered = r.exitIndex >= 0 || r.stop == .final
        return BenchAnswer(result: InvokeResult(exitIndex: r.exitIndex, macs: r.macs, operatorsRun: r.operatorsRun), answered: answered)
    }

    @inline(__always)
    func loadSample(_ index: Int, of samples: BenchSamples) {
        if let table = samples.inputTable { loadSample(index: index, inputs: table); return }
        loadInput(0, from: samples.inputs + index * samples.plan.inputElements)
    }
}

/// One point of the budget sweep: the labelled set under a MAC budget of `maxMacs`.
public struct BudgetPoint {
    public var maxMacs: UInt64 = 0
    public var samples = 0
    /// Samples some exit answered within the budget (the others count as wrong).
    public var answered = 0
    public var correct = 0
    public var macs: UInt64 = 0
    public var busyNanoseconds: UInt64 = 0
    public var windowNanoseconds: UInt64 = 0
    public var energy = BenchEnergy()
    /// Answers per exit (up to 8 exits; more fold into the last).
    public var exits: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    public init() {}
}

extension HarnessBench {
    /// Sweep levels: exit k's `macsToHere` for every exit (at most `points.count`).
    public static func budgetLevelCount(_ model: VerifiedModel) -> Int { max(model.exitCount, 1) }

    public static func budgetLevel(_ model: VerifiedModel, _ i: Int) -> UInt64 {
        model.exitCount > 0 ? model.exit(i).macsToHere : model.totalMacs
    }

    /// One budget point: every sample once under `budget`.
    public static func budgetPoint<Clock: MonotonicClock>(_ interpreter: Interpreter, samples: BenchSamples, fullDepth: Bool,
                                                         budget: BenchBudget, clock: Clock) -> BudgetPoint {
        var point = BudgetPoint()
        point.maxMacs = budget.maxMacs
        var none = NoObserver()
        let start = clock.nanoseconds()
        withUnsafeMutableBytes(of: &point.exits) { raw in
            let exits = raw.bindMemory(to: UInt32.self)
            for i in 0..<samples.plan.sampleCount {
                let before = clock.nanoseconds()
                let a = interpreter.invoke(sample: i, of: samples, fullDepth: fullDepth, budget: budget, clock: clock, observer: &none)
                point.busyNanoseconds &+= clock.nanoseconds() &- before  // ns sums cannot wrap (centuries)
                point.macs &+= a.result.macs
                point.samples += 1
                guard a.answered else { continue }
                point.answered += 1
                exits[min(max(a.result.exitIndex, 0), 7)] &+= 1
                if let labels = samples.labels, widenSigned(interpreter.predictedClass(after: a.result)) == labels[i] {
                    point.correct += 1
                }
            }
        }
        point.windowNanoseconds = clock.nanoseconds() &- start
        return point
    }

    /// The budget sweep of `sparrow bench --sweep-budgets` and `sparrow-device bench --sweep-budgets`:
    /// one point per exit level (MAC budget = that exit's cost; `deadlineNanoseconds` of the bench
    /// kept), each its own energy window. Returns the number of points written.
    public static func budgetSweep<Clock: MonotonicClock, Sampler: PowerSampling>(
        _ interpreter: Interpreter, samples: BenchSamples, fullDepth: Bool, deadlineNanoseconds: UInt64, clock: Clock,
        points: UnsafeMutableBufferPointer<BudgetPoint>, window: inout EnergyWindow<Sampler>, afterEach: (BudgetPoint) -> Void
    ) -> Int {
        let count = min(budgetLevelCount(interpreter.model), points.count)
        for i in 0..<count {
            let budget = BenchBudget(maxMacs: budgetLevel(interpreter.model, i), deadlineNanoseconds: deadlineNanoseconds)
            window.begin()
            var p = budgetPoint(interpreter, samples: samples, fullDepth: fullDepth, budget: budget, clock: clock)
            p.energy = window.end(windowNanoseconds: p.windowNanoseconds, busyNanoseconds: p.busyNanoseconds, iterations: p.samples)
            points[i] = p
            afterEach(p)
        }
        return count
    }
}

extension BenchRecordWriter {
    static func writeBudgetPoint(_ p: BudgetPoint, exitCount: Int, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("maxMacs"); json.uint(p.maxMacs)
        json.key("samples"); json.int(p.samples)
        json.key("answered"); json.int(p.answered)
        json.key("accuracy"); json.fixed(unsigned: share(widenUnsigned(p.correct), widenUnsigned(max(p.samples, 1))), 6)
        json.key("averageMacs"); json.uint(p.samples > 0 ? p.macs / widenUnsigned(p.samples) : 0)
        json.key("meanLatencyMs"); json.fixed(unsigned: p.samples > 0 ? p.busyNanoseconds / widenUnsigned(p.samples) : 0, 6)
        json.key("joulesPerInference"); optionalFixed(p.energy.perInference(p.energy.nanojoules), 9, &json)
        json.key("aboveIdleJoulesPerInference"); optionalFixed(p.energy.perInference(p.energy.aboveIdleNanojoules), 9, &json)
        json.key("energySource"); json.string(p.energy.source.name)
        json.key("exits"); json.beginArray()
        var counts = p.exits
        withUnsafeBytes(of: &counts) { raw in
            let c = raw.bindMemory(to: UInt32.self)
            for e in 0..<min(max(exitCount, 1), 8) { json.uint(widenUnsigned32(c[e])) }
        }
        json.endArray()
        json.endObject()
    }
}
