import SparrowFormat
import SparrowRuntime

// The benchmark loops that BenchSession runs for `sparrow bench` (host) and `sparrow-device
// bench` (board) with each program's clock and buffers, so the two measure exactly the same thing.
//
// The three measuring passes over a loaded sample set:
//   1. warm-up: `warmup` inferences, not measured (caches, page faults, branch predictors);
//   2. profile pass: every sample once, with per-operator timing through the interpreter's
//      `InvokeObserver` hook; gives the operator profile, the exit histogram, average MACs and
//      accuracy when labels are given. Timing every operator costs two clock reads per op, so
//      latency is NOT taken from this pass;
//   3. timed pass: `iterations` inferences (or as many as fit in `duration`) cycling through the
//      samples, two clock reads per inference; gives the latency statistics and is the window
//      the energy meter covers.

/// A monotonic nanosecond clock (CLOCK_MONOTONIC on Linux), provided by each program.
public protocol MonotonicClock {
    func nanoseconds() -> UInt64
}

/// Receives progress of the timed pass about twice a second (the program prints it).
public protocol BenchProgress {
    mutating func update(done: Int, target: Int, elapsedNanoseconds: UInt64, durationNanoseconds: UInt64)
}

/// A progress sink that prints nothing (`--quiet`, tests).
public struct SilentProgress: BenchProgress {
    public init() {}
    public mutating func update(done: Int, target: Int, elapsedNanoseconds: UInt64, durationNanoseconds: UInt64) {}
}

/// Accumulates each operator's run time into caller-owned buffers (one slot per operator).
public struct OperatorTimer<Clock: MonotonicClock>: InvokeObserver {
    public let clock: Clock
    public let totals: UnsafeMutableBufferPointer<UInt64>
    public let runs: UnsafeMutableBufferPointer<UInt32>
    private var started: UInt64 = 0

    /// Zeroes the buffers; both need at least `model.operatorCount` slots.
    public init(clock: Clock, totals: UnsafeMutableBufferPointer<UInt64>, runs: UnsafeMutableBufferPointer<UInt32>) {
        self.clock = clock
        self.totals = totals
        self.runs = runs
        for i in 0..<totals.count { totals[i] = 0 }
        for i in 0..<runs.count { runs[i] = 0 }
    }

    @inline(__always) public mutating func willRun(op: Int, opcode: OpCode) {
        started = clock.nanoseconds()
    }

    @inline(__always) public mutating func didRun(op: Int, opcode: OpCode) {
        let now = clock.nanoseconds()
        // ns totals: 2^64 ns is centuries; run counts: one per inference, < 2^32 in any bench.
        totals[op] &+= now &- started
        runs[op] &+= 1
    }
}

/// The samples a bench runs on: the .npy input laid out by `plan`, and optional int64 labels
/// (one per sample).
public struct BenchSamples {
    public var plan: BatchPlan
    public var inputs: UnsafePointer<Float>
    public var labels: UnsafePointer<Int64>?
    /// For a model with several inputs: input k's samples at `inputTable[k]` (then `inputs` is
    /// ignored).
    public var inputTable: UnsafePointer<UnsafePointer<Float>>?

    public init(plan: BatchPlan, inputs: UnsafePointer<Float>, labels: UnsafePointer<Int64>?,
                inputTable: UnsafePointer<UnsafePointer<Float>>? = nil) {
        self.plan = plan
        self.inputs = inputs
        self.labels = labels
        self.inputTable = inputTable
    }
}

/// Results of the profile pass (every sample once).
public struct ProfileTotals: Equatable {
    public var samples: Int = 0
    /// Samples whose arg-max matched the label (0 without labels).
    public var correct: Int = 0
    /// Samples no exit answered within the budget (counted as wrong; not in the exit histogram).
    public var unanswered: Int = 0
    public var labelled: Bool = false
    public var macs: UInt64 = 0
    /// Sum of the operators' time (excludes the input copy and the timer's own overhead between ops).
    public var operatorNanoseconds: UInt64 = 0
    public init() {}
}

/// Results of the timed pass.
public struct TimedTotals: Equatable {
    public var iterations: Int = 0
    /// Wall time from the first inference's start to the last one's end.
    public var elapsedNanoseconds: UInt64 = 0
    /// Sum of the per-inference latencies (the "busy" time of the estimate).
    public var busyNanoseconds: UInt64 = 0
    public var macs: UInt64 = 0
    public init() {}
}

extension Interpreter {
    /// Copies sample `index` of `samples` into the inputs and invokes, reporting each operator to
    /// `observer`.
    @inline(__always)
    public func invoke<O: InvokeObserver>(sample index: Int, of samples: BenchSamples, fullDepth: Bool,
                                          observer: inout O) -> InvokeResult {
        if let table = samples.inputTable {
            loadSample(index: index, inputs: table)
            return invoke(fullDepth: fullDepth, observer: &observer)
        }
        loadInput(0, from: samples.inputs + index * samples.plan.inputElements)
        return invoke(fullDepth: fullDepth, observer: &observer)
    }

    /// Index of the largest value of the output that `result` produced (the taken exit's output,
    /// or output 0); ties go to the lowest index, like numpy's argmax. Int8 logits rank the same
    /// as their dequantized values (the scale is positive).
    public func predictedClass(after result: InvokeResult) -> Int {
        let outputIndex = result.exitIndex >= 0 ? Int(model.exit(result.exitIndex).outputIndex) : 0
        let t = model.tensor(model.graphOutput(outputIndex))
        let bytes = outputBuffer(outputIndex)
        guard let base = bytes.baseAddress else { return 0 }
        var best = 0
        switch t.dtype {
        case .float32?:
            let v = base.assumingMemoryBound(to: Float.self)
            for j in 1..<max(bytes.count / 4, 1) where v[j] > v[best] { best = j }
        case .int8?:
            let v = base.assumingMemoryBound(to: Int8.self)
            for j in 1..<max(bytes.count, 1) where v[j] > v[best] { best = j }
        case .uint8?:
            let v = base.assumingMemoryBound(to: UInt8.self)
            for j in 1..<max(bytes.count, 1) where v[j] > v[best] { best = j }
        case .int16?:
            let v = base.assumingMemoryBound(to: Int16.self)
            for j in 1..<max(bytes.count / 2, 1) where v[j] > v[best] { best = j }
        case .int32?:
            let v = base.assumingMemoryBound(to: Int32.self)
            for j in 1..<max(bytes.count / 4, 1) where v[j] > v[best] { best = j }
        case .int64?:
            // An ArgMax output: a single index is the class itself. Read as its low int32 word
            // (little-endian targets; ArgMax writes indices below 2^31), without 64-bit code.
            let v = base.assumingMemoryBound(to: Int32.self)
            if bytes.count == 8 { return Int(v[0]) }
            for j in 1..<max(bytes.count / 8, 1) where v[2 * j] > v[2 * best] { best = j }
        case nil:
            break
        }
        return best
    }
}

public enum HarnessBench {
    /// Runs `count` inferences over the samples, unmeasured.
    public static func warmUp<Clock: MonotonicClock>(_ interpreter: Interpreter, samples: BenchSamples, count: Int, fullDepth: Bool,
                                                     budget: BenchBudget = BenchBudget(), clock: Clock) {
        var none = NoObserver()
        for i in 0..<max(count, 0) {
            _ = interpreter.invoke(sample: i % samples.plan.sampleCount, of: samples, fullDepth: fullDepth, budget: budget,
                                   clock: clock, observer: &none)
        }
    }

    /// Pass 2: every sample once with per-operator timing. `exitCounts` gets one slot per exit
    /// (slot 0 counts everything when the model has no exits); extra exits fold into the last slot.
    public static func profilePass<Clock: MonotonicClock>(
        _ interpreter: Interpreter, samples: BenchSamples, fullDepth: Bool, budget: BenchBudget = BenchBudget(), clock: Clock,
        operatorTotals: UnsafeMutableBufferPointer<UInt64>, operatorRuns: UnsafeMutableBufferPointer<UInt32>,
        exitCounts: UnsafeMutableBufferPointer<UInt32>
    ) -> ProfileTotals {
        var timer = OperatorTimer(clock: clock, totals: operatorTotals, runs: operatorRuns)
        for e in 0..<exitCounts.count { exitCounts[e] = 0 }
        var totals = ProfileTotals()
        totals.labelled = samples.labels != nil
        for i in 0..<samples.plan.sampleCount {
            let answer = interpreter.invoke(sample: i, of: samples, fullDepth: fullDepth, budget: budget, clock: clock, observer: &timer)
            let result = answer.result
            // MACs per inference are bounded by the verified model's total (UInt64).
            totals.macs &+= result.macs
            totals.samples += 1
            guard answer.answered else { totals.unanswered += 1; continue }
            if exitCounts.count > 0 {
                exitCounts[min(max(result.exitIndex, 0), exitCounts.count - 1)] &+= 1
            }
            if let labels = samples.labels, widenSigned(interpreter.predictedClass(after: result)) == labels[i] {
                totals.correct += 1
            }
        }
        for k in 0..<min(operatorTotals.count, interpreter.model.operatorCount) {
            totals.operatorNanoseconds &+= operatorTotals[k]
        }
        return totals
    }

    /// Pass 3: inferences cycling through the samples until `iterations` are done, or — when
    /// `durationNanoseconds` > 0 — until that much time has passed. Stops early when `latencies`
    /// is full. Writes each inference's latency (and, if given, its exit index) in order.
    public static func timedPass<Clock: MonotonicClock, Progress: BenchProgress>(
        _ interpreter: Interpreter, samples: BenchSamples, fullDepth: Bool, budget: BenchBudget = BenchBudget(), clock: Clock,
        iterations: Int, durationNanoseconds: UInt64,
        latencies: UnsafeMutableBufferPointer<UInt64>, exits: UnsafeMutableBufferPointer<Int8>?,
        progress: inout Progress
    ) -> TimedTotals {
        var none = NoObserver()
        var totals = TimedTotals()
        let limit = durationNanoseconds > 0 ? latencies.count : min(max(iterations, 0), latencies.count)
        let progressInterval: UInt64 = 500_000_000
        let start = clock.nanoseconds()
        var lastProgress = start
        var now = start
        var i = 0
        while i < limit {
            let before = now
            let answer = interpreter.invoke(sample: i % samples.plan.sampleCount, of: samples, fullDepth: fullDepth, budget: budget,
                                            clock: clock, observer: &none)
            let result = answer.result
            now = clock.nanoseconds()
            let latency = now &- before
            latencies[i] = latency
            if let exits, i < exits.count { exits[i] = Int8(truncatingIfNeeded: answer.answered ? max(result.exitIndex, -1) : -1) }
            totals.busyNanoseconds &+= latency  // ns sums cannot reach 2^64 (centuries)
            totals.macs &+= result.macs
            i += 1
            if now &- lastProgress >= progressInterval {
                lastProgress = now
                progress.update(done: i, target: durationNanoseconds > 0 ? 0 : limit,
                                elapsedNanoseconds: now &- start, durationNanoseconds: durationNanoseconds)
            }
            if durationNanoseconds > 0 && now &- start >= durationNanoseconds { break }
            // The input copy of the next sample belongs to the next latency: take a fresh
            // start time after the bookkeeping above.
            now = clock.nanoseconds()
        }
        totals.iterations = i
        totals.elapsedNanoseconds = now &- start
        return totals
    }
}
