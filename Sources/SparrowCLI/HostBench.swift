import Foundation
import SparrowFormat
import SparrowHarness
import SparrowRuntime

/// CLOCK_MONOTONIC, like the device.
struct HostClock: MonotonicClock {
    func nanoseconds() -> UInt64 {
        var spec = timespec()
        _ = clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}

/// Small-file reads for sysfs and /proc (their stat size is 0, so read up to the buffer).
struct HostFileReader: SysfsFileReader {
    func read(path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0, let file = fopen(path, "rb") else { return -1 }
        defer { fclose(file) }
        let got = fread(base, 1, buffer.count, file)
        return got > 0 ? got : -1  // a directory opens but reads nothing (EISDIR)
    }
}

/// Samples a sysfs power meter on a Foundation thread. The meter is touched by the main thread
/// only before `start` and after `stop` returns (which waits for the thread to finish).
final class HostSampler: PowerSampling, @unchecked Sendable {
    let storage: UnsafeMutablePointer<SysfsPowerMeter<HostFileReader>>
    let interval: UInt64
    var meter: SysfsPowerMeter<HostFileReader> { storage.pointee }
    private let lock = NSLock()
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(meter: UnsafeMutablePointer<SysfsPowerMeter<HostFileReader>>, intervalNanoseconds: UInt64) {
        storage = meter
        interval = intervalNanoseconds
    }

    func start() {
        storage.pointee.resetWindow()
        storage.pointee.sample(at: HostClock().nanoseconds())
        lock.withLock { stopRequested = false }
        running = true
        let thread = Thread { [self] in
            while !lock.withLock({ stopRequested }) {
                Thread.sleep(forTimeInterval: Double(interval) / 1e9)
                storage.pointee.sample(at: HostClock().nanoseconds())
            }
            finished.signal()
        }
        thread.start()
    }

    func stop() {
        if running {
            lock.withLock { stopRequested = true }
            finished.wait()
            running = false
        }
        storage.pointee.sample(at: HostClock().nanoseconds())
    }
}

/// The host's side of a bench session: CLOCK_MONOTONIC, Thread.sleep, the Foundation sampler and
/// progress lines on stderr.
struct HostPlatform: BenchPlatform {
    let clock = HostClock()
    let sampler: HostSampler

    func sleep(nanoseconds: UInt64) { Thread.sleep(forTimeInterval: Double(nanoseconds) / 1e9) }

    mutating func measuringIdlePower() { FileHandle.standardError.write(Data("bench: measuring idle power\n".utf8)) }

    mutating func finishedSweepPoint(_ p: SweepPoint) {
        FileHandle.standardError.write(Data(String(format: "sweep: level %.2f accuracy %.4f average MACs %llu\n",
            Double(p.levelQ16) / 65536, Double(p.correct) / Double(max(p.samples, 1)), p.macs / UInt64(max(p.samples, 1))).utf8))
    }

    mutating func finishedBudgetPoint(_ p: BudgetPoint) {
        let n = UInt64(max(p.samples, 1))
        FileHandle.standardError.write(Data(String(format: "budget: %llu MACs accuracy %.4f answered %d/%d average MACs %llu\n",
            p.maxMacs, Double(p.correct) / Double(n), p.answered, p.samples, p.macs / n).utf8))
    }

    /// `bench: 1200/5000 inferences, 3.2 s elapsed, ETA 9.1 s`.
    mutating func update(done: Int, target: Int, elapsedNanoseconds: UInt64, durationNanoseconds: UInt64) {
        let elapsed = Double(elapsedNanoseconds) / 1e9
        var eta = 0.0
        if durationNanoseconds > 0 { eta = max(Double(durationNanoseconds) / 1e9 - elapsed, 0) }
        else if done > 0 && target > done { eta = elapsed / Double(done) * Double(target - done) }
        let of = target > 0 ? "/\(target)" : ""
        FileHandle.standardError.write(Data(String(format: "bench: %d%@ inferences, %.1f s elapsed, ETA %.1f s\n", done, of, elapsed, eta).utf8))
    }
}

/// One `sparrow bench` run: owns its buffers (allocated once, before the first inference) and
/// drives the harness's BenchSession, the same session `sparrow-device bench` runs.
final class HostBench {
    struct Figures {
        var board: String
        var idleWatts: Double
        var loadWatts: Double
        var source: String
    }

    struct Settings {
        var modelPath: String, inputPath: String, labelsPath: String?
        var bench: BenchSettings
        var figures: Figures?
        var label: String?
        var jsonPath: String?, csvPath: String?
    }

    /// Held for the whole run: `model` and `interpreter` point into its buffers.
    let handle: HostModel
    var model: VerifiedModel { handle.model }
    var interpreter: Interpreter { handle.interpreter }
    let plan: BatchPlan
    let floats: [Float]
    /// Inputs 1... of a model with several inputs (sample floats each).
    let otherInputs: [[Float]]
    let labels: [Int64]?
    let capacity: Int
    let rootBytes: [UInt8]
    let sampleNanoseconds: UInt64

    init(_ handle: HostModel, plan: BatchPlan, floats: [Float], otherInputs: [[Float]] = [], labels: [Int64]?,
         capacity: Int, sysfsRoot: String, sampleNanoseconds: UInt64) throws {
        self.handle = handle
        self.plan = plan
        self.floats = floats
        self.otherInputs = otherInputs
        self.labels = labels
        self.capacity = capacity
        rootBytes = Array(sysfsRoot.utf8)
        self.sampleNanoseconds = sampleNanoseconds
    }

    /// Runs the session and writes the outputs; returns the exit status.
    func execute(_ s: Settings) throws -> Int32 {
        let sweepExits = s.bench.sweepExits
        let latencies = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        let exits = UnsafeMutableBufferPointer<Int8>.allocate(capacity: capacity)
        let opTotals = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(model.operatorCount, 1))
        let opRuns = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(model.operatorCount, 1))
        let exitCounts = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(model.exitCount, 1))
        let histogram = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: 2 * BenchBuffers.histogramBins)  // linear, then log
        let thresholds = sweepExits ? UnsafeMutablePointer<Int32>.allocate(capacity: max(model.exitCount, 1)) : nil
        let points = sweepExits ? UnsafeMutableBufferPointer<SweepPoint>.allocate(capacity: HarnessBench.sweepLevelCount) : nil
        let budgetPoints = s.bench.sweepBudgets
            ? UnsafeMutableBufferPointer<BudgetPoint>.allocate(capacity: HarnessBench.budgetLevelCount(model)) : nil
        let root = UnsafeMutableRawBufferPointer.allocate(byteCount: max(rootBytes.count, 1), alignment: 8)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: rootBytes.count + SysfsPowerMeter<HostFileReader>.scratchOverhead, alignment: 8)
        let meter = UnsafeMutablePointer<SysfsPowerMeter<HostFileReader>>.allocate(capacity: 1)
        // Every input's samples behind one pointer table (the interpreter copies sample i of each).
        let inputTable = UnsafeMutableBufferPointer<UnsafePointer<Float>>.allocate(capacity: 1 + otherInputs.count)
        let inputCopies = ([floats] + otherInputs).map { f -> UnsafeMutableBufferPointer<Float> in
            let copy = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(f.count, 1))
            _ = copy.initialize(from: f)
            return copy
        }
        for (k, copy) in inputCopies.enumerated() { inputTable[k] = UnsafePointer(copy.baseAddress!) }
        defer {
            inputTable.deallocate(); inputCopies.forEach { $0.deallocate() }
            latencies.deallocate(); exits.deallocate(); opTotals.deallocate(); opRuns.deallocate(); exitCounts.deallocate()
            histogram.deallocate(); thresholds?.deallocate(); points?.deallocate(); budgetPoints?.deallocate(); root.deallocate(); scratch.deallocate()
            meter.deallocate()
        }
        rootBytes.withUnsafeBytes { root.copyMemory(from: $0) }
        meter.initialize(to: SysfsPowerMeter(reader: HostFileReader(), root: UnsafeRawBufferPointer(rebasing: root[0..<rootBytes.count]),
                                             scratch: scratch))
        let notes = meter.pointee.prepare(for: s.bench.request)
        let platform = HostPlatform(sampler: HostSampler(meter: meter, intervalNanoseconds: sampleNanoseconds))
        let buffers = BenchBuffers(latencies: latencies, exits: exits, operatorTotals: opTotals, operatorRuns: opRuns,
                                   exitCounts: exitCounts, histogram: histogram, thresholds: thresholds, sweepPoints: points,
                                   budgetPoints: budgetPoints)

        // C strings and bytes the record points at stay alive until the end of this function.
        let boardBytes = Array((s.figures?.board ?? "").utf8), sourceBytes = Array((s.figures?.source ?? "").utf8)
        let modelBytes = Array(s.modelPath.utf8), inputBytes = Array(s.inputPath.utf8)
        let labelsBytes = s.labelsPath.map { Array($0.utf8) }, labelBytes = s.label.map { Array($0.utf8) }

        return try floats.withUnsafeBufferPointer { x in
            try withOptionalBuffer(labels) { y in
                try boardBytes.withUnsafeBytes { board in
                    try sourceBytes.withUnsafeBytes { source in
                        let power = s.figures.map {
                            BoardPower(idleMilliwatts: Int64(($0.idleWatts * 1000).rounded()), loadMilliwatts: Int64(($0.loadWatts * 1000).rounded()),
                                       board: board, source: source)
                        }
                        let samples = BenchSamples(plan: plan, inputs: x.baseAddress!, labels: y?.baseAddress,
                                                   inputTable: otherInputs.isEmpty ? nil : UnsafePointer(inputTable.baseAddress!))
                        var session = BenchSession(platform: platform, interpreter: interpreter, samples: samples,
                                                   settings: s.bench, buffers: buffers)
                        let measured = session.run(power: power, notes: notes)
                        if let csv = s.csvPath {
                            var text = "iteration,sample,latency_ns,exit\n"
                            for i in 0..<measured.latencies.count {
                                text += "\(i),\(i % plan.sampleCount),\(measured.latencies[i]),\(measured.exits[i])\n"
                            }
                            try writeFileBytes(Array(text.utf8), to: csv, what: "CSV")
                        }
                        return try modelBytes.withUnsafeBytes { modelPath in
                            try inputBytes.withUnsafeBytes { inputPath in
                                try withOptionalBytes(labelsBytes) { labelsPath in
                                    try withOptionalBytes(labelBytes) { label in
                                        var record = session.record(measured, modelPath: modelPath, inputPath: inputPath)
                                        record.tool = "sparrow"
                                        record.platformKind = "host"
                                        record.label = label
                                        record.labelsPath = labelsPath
                                        record.peakResidentKiB = HostBench.peakResidentKiB()
                                        try HostBench.output(record, model: model, jsonPath: s.jsonPath)
                                        return 0
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static func peakResidentKiB() -> Int64? {
        var buffer = [UInt8](repeating: 0, count: 8192)
        let got = buffer.withUnsafeMutableBytes { HostFileReader().read(path: "/proc/self/status", into: $0) }
        guard got > 0 else { return nil }
        return buffer.withUnsafeBytes { parseProcStatusKiB(UnsafeRawBufferPointer(rebasing: $0[0..<got]), field: "VmHWM:") }
    }

    /// Prints the summary and writes the JSON record (the shared writer, as on the device).
    static func output(_ record: BenchRecord, model: VerifiedModel, jsonPath: String?) throws {
        var size = 65536 + model.operatorCount * 512 + (record.sweep?.count ?? 0) * 512
        while true {
            var buffer = [UInt8](repeating: 0, count: size)
            let (written, overflowed) = buffer.withUnsafeMutableBytes { raw in
                var json = JSONWriter(buffer: raw)
                BenchRecordWriter.write(record, model: model, into: &json)
                return (json.count, json.overflowed)
            }
            if overflowed { size *= 2; continue }
            let bytes = Array(buffer[0..<written])
            if let jsonPath { try writeFileBytes(bytes, to: jsonPath, what: "JSON record") }
            let l = record.latency
            print("inferences: \(l.count)")
            print(String(format: "latency ms: min %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f mean %.3f",
                         Double(l.minimum) / 1e6, Double(l.p50) / 1e6, Double(l.p90) / 1e6, Double(l.p99) / 1e6,
                         Double(l.maximum) / 1e6, Double(l.mean) / 1e6))
            if record.profile.labelled { print("accuracy: \(record.profile.correct) / \(record.profile.samples)") }
            if !record.budget.isUnlimited { print("no exit within the budget: \(record.profile.unanswered) of \(record.profile.samples) samples") }
            if let kib = record.peakResidentKiB { print("peak resident: \(kib) KiB") }
            let e = record.energy
            print("energy source: \(e.source.name)\(e.estimated ? " (estimated)" : "")")
            if let nj = e.perInference(e.nanojoules) { print(String(format: "energy per inference: %.9f J", Double(nj) / 1e9)) }
            if let uw = e.averageMicrowatts { print(String(format: "average power: %.3f W", Double(uw) / 1e6)) }
            printOperatorProfile(record, model: model)
            return
        }
    }
}

private func withOptionalBuffer<T, R>(_ array: [T]?, _ body: (UnsafeBufferPointer<T>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0) }
}

private func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBytes { try body($0) }
}
