import SparrowRuntime

// One bench, as `sparrow bench` (host) and `sparrow-device bench` (board) both run it:
//   warm-up → profile pass → idle window (sensor only) → timed pass (energy window) → sweep
//   (early-exit models, one energy window per level) → the record both programs emit.
// A program supplies its platform (clock, sleep, sampler, progress lines) and the buffers,
// taken once before the first inference; the session allocates nothing.

/// What a program gives the session: its clock, its sleep, its power sampler and its progress
/// lines (stderr). The device's is Foundation-free and allocation-free; the host's uses threads.
public protocol BenchPlatform: BenchProgress {
    associatedtype Clock: MonotonicClock
    associatedtype Sampler: PowerSampling
    var clock: Clock { get }
    /// The sampler over the probed meter (`SysfsPowerMeter.prepare(for:)`).
    var sampler: Sampler { get }
    func sleep(nanoseconds: UInt64)
    /// `bench: measuring idle power`, before the idle window.
    mutating func measuringIdlePower()
    /// One line per finished sweep point.
    mutating func finishedSweepPoint(_ point: SweepPoint)
    /// One line per finished budget-sweep point.
    mutating func finishedBudgetPoint(_ point: BudgetPoint)
}

/// The options both programs take (Docs/harness.md).
public struct BenchSettings {
    public var warmup = 5
    public var iterations = 100
    /// Time the run instead of counting (> 0): as many inferences as fit, up to the latency buffer.
    public var durationNanoseconds: UInt64 = 0
    /// Idle-power window before the timed pass, when a sensor is read.
    public var idleNanoseconds: UInt64 = 1_000_000_000
    public var fullDepth = false
    /// No progress lines.
    public var quiet = false
    public var sweepExits = false
    /// Per-inference MAC budget and deadline for every pass but the exit sweep (anytime inference).
    public var budget = BenchBudget()
    /// One point per exit's MAC cost (keeping `budget`'s deadline); needs early exits and labels.
    public var sweepBudgets = false
    public var request: PowerRequest = .auto
    public init() {}
}

/// The caller's buffers, taken once before the first inference.
public struct BenchBuffers {
    /// One slot per timed inference (its capacity bounds a `--duration` run).
    public var latencies: UnsafeMutableBufferPointer<UInt64>
    /// The exit each timed inference took, one slot per latency.
    public var exits: UnsafeMutableBufferPointer<Int8>
    /// `operatorCount` slots each.
    public var operatorTotals: UnsafeMutableBufferPointer<UInt64>
    public var operatorRuns: UnsafeMutableBufferPointer<UInt32>
    /// max(`exitCount`, 1) slots.
    public var exitCounts: UnsafeMutableBufferPointer<UInt32>
    /// 2 × `histogramBins` slots: the linear latency histogram, then the log-scale one (one
    /// outlier no longer squeezes every other inference into one linear bar).
    public var histogram: UnsafeMutableBufferPointer<UInt32>
    /// Sweep only: `exitCount` thresholds and `HarnessBench.sweepLevelCount` points.
    public var thresholds: UnsafeMutablePointer<Int32>?
    public var sweepPoints: UnsafeMutableBufferPointer<SweepPoint>?
    /// Budget sweep only: `HarnessBench.budgetLevelCount(model)` points.
    public var budgetPoints: UnsafeMutableBufferPointer<BudgetPoint>?

    /// Bins of the latency histogram in the record.
    public static let histogramBins = 40

    public init(latencies: UnsafeMutableBufferPointer<UInt64>, exits: UnsafeMutableBufferPointer<Int8>,
                operatorTotals: UnsafeMutableBufferPointer<UInt64>, operatorRuns: UnsafeMutableBufferPointer<UInt32>,
                exitCounts: UnsafeMutableBufferPointer<UInt32>, histogram: UnsafeMutableBufferPointer<UInt32>,
                thresholds: UnsafeMutablePointer<Int32>?, sweepPoints: UnsafeMutableBufferPointer<SweepPoint>?,
                budgetPoints: UnsafeMutableBufferPointer<BudgetPoint>? = nil) {
        self.latencies = latencies
        self.exits = exits
        self.operatorTotals = operatorTotals
        self.operatorRuns = operatorRuns
        self.exitCounts = exitCounts
        self.histogram = histogram
        self.thresholds = thresholds
        self.sweepPoints = sweepPoints
        self.budgetPoints = budgetPoints
    }
}

/// What the passes measured, before the latencies are summarized.
public struct BenchMeasurement {
    public var profile: ProfileTotals
    public var timed: TimedTotals
    public var energy: BenchEnergy
    public var sweep: UnsafeBufferPointer<SweepPoint>?
    public var budgetSweep: UnsafeBufferPointer<BudgetPoint>? = nil
    /// The timed pass's latencies and exits in run order (per-inference rows); `record` sorts
    /// the latencies in place, so write those rows first.
    public var latencies: UnsafeMutableBufferPointer<UInt64>
    public var exits: UnsafeBufferPointer<Int8>
}

public struct BenchSession<Platform: BenchPlatform> {
    public var platform: Platform
    public let interpreter: Interpreter
    public let samples: BenchSamples
    public let settings: BenchSettings
    public let buffers: BenchBuffers

    public init(platform: Platform, interpreter: Interpreter, samples: BenchSamples, settings: BenchSettings,
                buffers: BenchBuffers) {
        self.platform = platform
        self.interpreter = interpreter
        self.samples = samples
        self.settings = settings
        self.buffers = buffers
    }

    /// Runs every pass. `power` is the board figures for the estimate (nil without them);
    /// `notes` the probe's (`SysfsPowerMeter.prepare(for:)`).
    public mutating func run(power: BoardPower?, notes: UInt32) -> BenchMeasurement {
        let s = settings
        let clock = platform.clock
        HarnessBench.warmUp(interpreter, samples: samples, count: s.warmup, fullDepth: s.fullDepth, budget: s.budget, clock: clock)
        let profile = HarnessBench.profilePass(interpreter, samples: samples, fullDepth: s.fullDepth, budget: s.budget, clock: clock,
                                               operatorTotals: buffers.operatorTotals, operatorRuns: buffers.operatorRuns,
                                               exitCounts: buffers.exitCounts)

        var window = EnergyWindow(sampler: platform.sampler, sensor: platform.sampler.meter.source, request: s.request,
                                  power: power, notes: notes, idleMicrowatts: nil)
        if window.sensor != .none && s.idleNanoseconds > 0 {
            if !s.quiet { platform.measuringIdlePower() }
            let idle = s.idleNanoseconds
            window.measureIdle { platform.sleep(nanoseconds: idle) }
        }

        window.begin()
        var timed: TimedTotals
        if s.quiet {
            var silent = SilentProgress()
            timed = HarnessBench.timedPass(interpreter, samples: samples, fullDepth: s.fullDepth, budget: s.budget, clock: clock,
                                           iterations: s.iterations, durationNanoseconds: s.durationNanoseconds,
                                           latencies: buffers.latencies, exits: buffers.exits, progress: &silent)
        } else {
            timed = HarnessBench.timedPass(interpreter, samples: samples, fullDepth: s.fullDepth, budget: s.budget, clock: clock,
                                           iterations: s.iterations, durationNanoseconds: s.durationNanoseconds,
                                           latencies: buffers.latencies, exits: buffers.exits, progress: &platform)
        }
        let energy = window.end(windowNanoseconds: timed.elapsedNanoseconds, busyNanoseconds: timed.busyNanoseconds,
                                iterations: timed.iterations)

        var sweep: UnsafeBufferPointer<SweepPoint>? = nil
        if s.sweepExits, let thresholds = buffers.thresholds, let points = buffers.sweepPoints {
            let quiet = s.quiet
            let written = HarnessBench.sweep(interpreter, samples: samples, clock: clock, thresholds: thresholds,
                                             points: points, window: &window) { p in
                if !quiet { platform.finishedSweepPoint(p) }
            }
            sweep = UnsafeBufferPointer(rebasing: points[0..<written])
        }
        var budgetSweep: UnsafeBufferPointer<BudgetPoint>? = nil
        if s.sweepBudgets, let points = buffers.budgetPoints {
            let quiet = s.quiet
            let written = HarnessBench.budgetSweep(interpreter, samples: samples, fullDepth: s.fullDepth,
                                                   deadlineNanoseconds: s.budget.deadlineNanoseconds, clock: clock,
                                                   points: points, window: &window) { p in
                if !quiet { platform.finishedBudgetPoint(p) }
            }
            budgetSweep = UnsafeBufferPointer(rebasing: points[0..<written])
        }
        return BenchMeasurement(profile: profile, timed: timed, energy: energy, sweep: sweep, budgetSweep: budgetSweep,
                                latencies: UnsafeMutableBufferPointer(rebasing: buffers.latencies[0..<timed.iterations]),
                                exits: UnsafeBufferPointer(buffers.exits))
    }

    /// The record both programs write: latency summary (sorts `m.latencies`), histogram, profile,
    /// energy, sweep and the settings. The program adds tool, platform, labels, label and peak memory.
    public func record(_ m: BenchMeasurement, modelPath: UnsafeRawBufferPointer, inputPath: UnsafeRawBufferPointer) -> BenchRecord {
        let latency = HarnessStatistics.summarize(m.latencies)
        let linear = UnsafeMutableBufferPointer(rebasing: buffers.histogram[0..<BenchBuffers.histogramBins])
        let logScale = UnsafeMutableBufferPointer(rebasing: buffers.histogram[BenchBuffers.histogramBins...])
        let bins = HarnessStatistics.histogram(sorted: UnsafeBufferPointer(m.latencies), bins: linear)
        HarnessStatistics.logHistogram(sorted: UnsafeBufferPointer(m.latencies), bins: logScale)
        var r = BenchRecord(modelPath: modelPath, inputPath: inputPath, latency: latency, timed: m.timed,
                            histogram: UnsafeBufferPointer(linear), profile: m.profile,
                            operatorTotals: UnsafeBufferPointer(buffers.operatorTotals),
                            operatorRuns: UnsafeBufferPointer(buffers.operatorRuns),
                            exitCounts: UnsafeBufferPointer(buffers.exitCounts), energy: m.energy)
        r.warmup = settings.warmup
        r.requestedIterations = settings.durationNanoseconds > 0 ? 0 : settings.iterations
        r.durationNanoseconds = settings.durationNanoseconds
        r.fullDepth = settings.fullDepth
        r.powerRequest = settings.request
        r.histogramLower = bins.lower
        r.histogramWidth = bins.width
        r.logHistogram = UnsafeBufferPointer(logScale)
        r.sweep = m.sweep
        r.budget = settings.budget
        r.budgetSweep = m.budgetSweep
        return r
    }
}

extension SysfsPowerMeter {
    /// Looks for the sensor `request` allows (none for `model` and `none`) and returns the notes
    /// every energy window of the bench carries: why sources were skipped, or what was asked for.
    public mutating func prepare(for request: PowerRequest) -> UInt32 {
        var notes: UInt32 = 0
        switch request {
        case .auto, .hwmon, .powercap: probe(request)
        case .model: notes |= EnergyNote.modelRequested.bit
        case .none: notes |= EnergyNote.noneRequested.bit
        }
        return notes | self.notes
    }
}
