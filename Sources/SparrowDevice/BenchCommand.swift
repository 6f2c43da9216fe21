// sparrow-device bench MODEL --input X.npy [--labels Y.npy] [--warmup N] [--iterations N | --duration S]
//   [--json OUT] [--csv OUT] [--power auto|hwmon|powercap|model|none] [--board NAME]
//   [--idle-watts W --load-watts W --power-source TEXT] [--sysfs-root DIR] [--sample-ms N]
//   [--idle-seconds S] [--max-iterations N] [--full-depth] [--sweep-exits] [--label TEXT] [--quiet]
//   [--mac-budget N] [--deadline-us T] [--sweep-budgets]
// The measurement itself is SparrowHarness's BenchSession (shared with `sparrow bench`); this
// file loads the files, takes the buffers and writes the outputs; BenchCommand+Platform.swift is
// the device's clock, sleep, sampler and progress lines. Every buffer is taken once before the
// first inference.

import SparrowCommandLine
import SparrowFormat
import SparrowHarness
import SparrowNPY
import SparrowRuntime

/// The bytes of a C string (no NUL).
func cStringBytes(_ text: UnsafePointer<CChar>) -> UnsafeRawBufferPointer {
    var n = 0
    while text[n] != 0 { n += 1 }
    return UnsafeRawBufferPointer(start: text, count: n)
}

func staticBytes(_ text: StaticString) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
}

/// Parses `--name VALUE` as a decimal scaled by 10^digits; exits with usage on a bad value.
func scaledOption(_ option: CommandOption, digits: Int) -> Int64?? {
    guard let text = arguments.value(of: option) else { return .some(nil) }
    guard let value = parseScaledDecimal(cStringBytes(text), fractionDigits: digits), value >= 0 else {
        err.write("sparrow-device bench: "); err.write(option.name); err.write(" needs a non-negative number, got '")
        err.write(cString: text); err.writeLine("'")
        return nil
    }
    return .some(value)
}

func benchCommand(modelPath: UnsafePointer<CChar>) -> Int32 {
    guard let inputPath = arguments.value(of: .input) else { return 2 }  // checked by the grammar
    let quiet = arguments.has(.quiet)
    let fullDepth = arguments.has(.fullDepth)
    let sweepExits = arguments.has(.sweepExits)
    let sweepBudgets = arguments.has(.sweepBudgets)
    guard let warmupOption = scaledOption(.warmup, digits: 0),
          let iterationsOption = scaledOption(.iterations, digits: 0),
          let durationOption = scaledOption(.duration, digits: 9),
          let maxIterationsOption = scaledOption(.maxIterations, digits: 0),
          let sampleOption = scaledOption(.sampleMs, digits: 0),
          let idleSecondsOption = scaledOption(.idleSeconds, digits: 9),
          let idleWattsOption = scaledOption(.idleWatts, digits: 3),
          let loadWattsOption = scaledOption(.loadWatts, digits: 3),
          let macBudgetOption = scaledOption(.macBudget, digits: 0),
          let deadlineOption = scaledOption(.deadlineUs, digits: 3) else { return 2 }
    let warmup = Int(truncatingIfNeeded: warmupOption ?? 5)
    let iterations = Int(truncatingIfNeeded: iterationsOption ?? 100)
    let durationNanoseconds = UInt64(bitPattern: durationOption ?? 0)
    let capacity = max(durationNanoseconds > 0 ? Int(truncatingIfNeeded: maxIterationsOption ?? 100_000) : iterations, 1)
    var request = PowerRequest.auto
    if let text = arguments.value(of: .power) {
        guard let parsed = PowerRequest(cStringBytes(text)) else {
            err.write("sparrow-device bench: --power must be auto, hwmon, powercap, model or none, got '")
            err.write(cString: text); err.writeLine("'")
            return 2
        }
        request = parsed
    }
    guard (idleWattsOption == nil) == (loadWattsOption == nil) else {
        err.writeLine("sparrow-device bench: --idle-watts and --load-watts go together")
        return 2
    }

    // Files, model, interpreter; output paths are checked before anything runs.
    let batch: LoadedBatch
    var labels: UnsafePointer<Int64>? = nil
    let labelsPath = arguments.value(of: .labels)
    do {
        batch = try loadBatch(modelPath: modelPath, inputPath: inputPath)
        if let labelsPath { labels = try readLabels(path: labelsPath, sampleCount: batch.plan.sampleCount) }
        try checkWritable(arguments.value(of: .json))
        try checkWritable(arguments.value(of: .csv))
    } catch { return 1 }
    let model = batch.model, interpreter = batch.interpreter, plan = batch.plan
    if sweepExits {
        // The same conditions and words as `sparrow bench --sweep-exits`.
        guard model.exitCount > 1 else { err.writeLine("sparrow-device bench: --sweep-exits: the model has no early exits"); return 1 }
        guard labels != nil else { err.writeLine("sparrow-device bench: --sweep-exits needs --labels"); return 1 }
    }
    if sweepBudgets {
        guard model.exitCount > 1 else { err.writeLine("sparrow-device bench: --sweep-budgets: the model has no early exits"); return 1 }
        guard labels != nil else { err.writeLine("sparrow-device bench: --sweep-budgets needs --labels"); return 1 }
    }
    let samples = BenchSamples(plan: plan, inputs: batch.inputs, labels: labels, inputTable: batch.inputTable)

    // Every buffer of the measurement, once.
    let opCount = max(model.operatorCount, 1)
    let exitSlots = max(model.exitCount, 1)
    var rootBytes = staticBytes("/sys")
    if let root = arguments.value(of: .sysfsRoot) ?? libcGetenv("SPARROW_SYSFS_ROOT") { rootBytes = cStringBytes(root) }
    let sweepSlots = sweepExits ? HarnessBench.sweepLevelCount : 0
    let latencyBlock, exitBlock, opTotalsBlock, opRunsBlock, exitCountBlock, histogramBlock, jsonBlock, scratchBlock, samplerBlock, statusBlock: UnsafeMutableRawBufferPointer
    let thresholdBlock, sweepBlock, budgetBlock: UnsafeMutableRawBufferPointer
    let budgetSlots = sweepBudgets ? HarnessBench.budgetLevelCount(model) : 0
    do {
        latencyBlock = try Platform.allocateAligned(byteCount: capacity * 8)
        exitBlock = try Platform.allocateAligned(byteCount: capacity)
        opTotalsBlock = try Platform.allocateAligned(byteCount: opCount * 8)
        opRunsBlock = try Platform.allocateAligned(byteCount: opCount * 4)
        exitCountBlock = try Platform.allocateAligned(byteCount: exitSlots * 4)
        histogramBlock = try Platform.allocateAligned(byteCount: 2 * BenchBuffers.histogramBins * 4)  // linear, then log bins
        jsonBlock = try Platform.allocateAligned(byteCount: 16384 + opCount * 512 + 32 * 512 + (sweepSlots + budgetSlots) * 512)
        scratchBlock = try Platform.allocateAligned(byteCount: rootBytes.count + SysfsPowerMeter<DeviceFileReader>.scratchOverhead)
        samplerBlock = try Platform.allocateAligned(byteCount: MemoryLayout<SamplerState>.stride)
        statusBlock = try Platform.allocateAligned(byteCount: 8192)
        thresholdBlock = try Platform.allocateAligned(byteCount: exitSlots * 4)
        sweepBlock = try Platform.allocateAligned(byteCount: max(sweepSlots, 1) * MemoryLayout<SweepPoint>.stride)
        budgetBlock = try Platform.allocateAligned(byteCount: max(budgetSlots, 1) * MemoryLayout<BudgetPoint>.stride)
    } catch { report(error, path: modelPath); return 1 }
    let thresholds = sweepExits ? thresholdBlock.bindMemory(to: Int32.self).baseAddress : nil
    let points = sweepExits ? UnsafeMutableBufferPointer(rebasing: sweepBlock.bindMemory(to: SweepPoint.self)[0..<sweepSlots]) : nil
    let buffers = BenchBuffers(latencies: latencyBlock.bindMemory(to: UInt64.self), exits: exitBlock.bindMemory(to: Int8.self),
                               operatorTotals: opTotalsBlock.bindMemory(to: UInt64.self), operatorRuns: opRunsBlock.bindMemory(to: UInt32.self),
                               exitCounts: exitCountBlock.bindMemory(to: UInt32.self), histogram: histogramBlock.bindMemory(to: UInt32.self),
                               thresholds: thresholds, sweepPoints: points,
                               budgetPoints: sweepBudgets ? UnsafeMutableBufferPointer(rebasing: budgetBlock.bindMemory(to: BudgetPoint.self)[0..<budgetSlots]) : nil)

    // Power: a sysfs sensor, else the board figures given on the command line.
    let sampler = samplerBlock.baseAddress!.bindMemory(to: SamplerState.self, capacity: 1)
    let intervalMs = max(sampleOption ?? 10, 1)
    sampler.initialize(to: SamplerState(meter: SysfsPowerMeter(reader: DeviceFileReader(), root: rootBytes, scratch: scratchBlock),
                                        intervalNanoseconds: UInt64(bitPattern: intervalMs) &* 1_000_000))
    let notes = sampler.pointee.meter.prepare(for: request)
    var power: BoardPower? = nil
    if let idle = idleWattsOption, let load = loadWattsOption {
        let board = arguments.value(of: .board).map(cStringBytes) ?? staticBytes("")
        let source = arguments.value(of: .powerSource).map(cStringBytes) ?? staticBytes("given on the command line")
        power = BoardPower(idleMilliwatts: idle, loadMilliwatts: load, board: board, source: source)
    }

    // The passes: the harness's session, the same `sparrow bench` runs.
    var settings = BenchSettings()
    settings.warmup = warmup
    settings.iterations = iterations
    settings.durationNanoseconds = durationNanoseconds
    settings.idleNanoseconds = UInt64(bitPattern: idleSecondsOption ?? 1_000_000_000)
    settings.fullDepth = fullDepth
    settings.quiet = quiet
    settings.sweepExits = sweepExits
    settings.sweepBudgets = sweepBudgets
    // --deadline-us in µs with 3 decimals = ns.
    settings.budget = BenchBudget(maxMacs: macBudgetOption.map { UInt64(bitPattern: $0) } ?? .max,
                                  deadlineNanoseconds: deadlineOption.map { UInt64(bitPattern: $0) } ?? .max)
    settings.request = request
    var session = BenchSession(platform: DevicePlatform(sampler: DeviceSampler(state: sampler)), interpreter: interpreter,
                               samples: samples, settings: settings, buffers: buffers)
    let measured = session.run(power: power, notes: notes)

    // Outputs: CSV first (it needs the latencies in run order; the summary sorts them).
    if let csvPath = arguments.value(of: .csv) {
        if writeLatencyCSV(path: csvPath, latencies: UnsafeBufferPointer(measured.latencies), exits: measured.exits,
                           sampleCount: plan.sampleCount) != 0 { return 1 }
    }
    var record = session.record(measured, modelPath: cStringBytes(modelPath), inputPath: cStringBytes(inputPath))
    record.tool = "sparrow-device"
    record.platformKind = "device"
    record.label = arguments.value(of: .label).map(cStringBytes)
    // Set by `sparrow emulate` (qemu -E): the record says the figures are emulated.
    record.emulator = libcGetenv("SPARROW_EMULATOR").map(cStringBytes)
    record.labelsPath = labelsPath.map(cStringBytes)
    record.peakResidentKiB = peakResidentKiB(scratch: statusBlock)
    printBenchSummary(record, model: model)
    if let jsonPath = arguments.value(of: .json) {
        var json = JSONWriter(buffer: jsonBlock)
        BenchRecordWriter.write(record, model: model, into: &json)
        guard !json.overflowed else { err.writeLine("sparrow-device: JSON record larger than its buffer"); return 1 }
        do { try Platform.writeFile(path: jsonPath, bytes: json.bytes) } catch { report(error, path: jsonPath); return 1 }
    }
    return 0
}

/// `iteration,sample,latency_ns,exit` rows, written in chunks through one small buffer.
func writeLatencyCSV(path: UnsafePointer<CChar>, latencies: UnsafeBufferPointer<UInt64>, exits: UnsafeBufferPointer<Int8>,
                     sampleCount: Int) -> Int32 {
    guard let file = libcOpen(path, "wb") else { report(.createFailed(errno: libcErrno()), path: path); return 1 }
    var chunk: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var ok = true
    withUnsafeMutableBytes(of: &chunk) { buffer in
        var json = JSONWriter(buffer: buffer)  // reused as a number formatter; rows are flushed before it fills
        func flush() {
            if json.count > 0 && libcWrite(buffer.baseAddress!, json.count, file) != json.count { ok = false }
            json = JSONWriter(buffer: buffer)
        }
        for c in staticBytes("iteration,sample,latency_ns,exit\n") { json.rawByte(c) }
        for i in 0..<latencies.count {
            if json.count > buffer.count - 64 { flush() }
            json.int(i); json.rawByte(44)
            json.int(i % sampleCount); json.rawByte(44)
            json.uint(latencies[i]); json.rawByte(44)
            json.int(Int(i < exits.count ? exits[i] : -1)); json.rawByte(10)
        }
        flush()
    }
    let closed = libcClose(file)
    guard ok, closed == 0 else { report(.shortWrite(expected: 0, got: 0), path: path); return 1 }
    return 0
}

/// A short human-readable summary on stdout.
func printBenchSummary(_ r: BenchRecord, model: VerifiedModel) {
    func ms(_ label: StaticString, _ ns: UInt64) { out.write(label); out.writeFixedPoint(Int64(bitPattern: ns / 1000), fractionDigits: 3) }
    out.write("inferences: "); out.write(r.latency.count); out.writeLine()
    ms("latency ms: min ", r.latency.minimum); ms(" p50 ", r.latency.p50); ms(" p90 ", r.latency.p90)
    ms(" p99 ", r.latency.p99); ms(" max ", r.latency.maximum); ms(" mean ", r.latency.mean); out.writeLine()
    if r.profile.labelled {
        out.write("accuracy: "); out.write(r.profile.correct); out.write(" / "); out.write(r.profile.samples); out.writeLine()
    }
    if !r.budget.isUnlimited {
        out.write("no exit within the budget: "); out.write(r.profile.unanswered); out.write(" of "); out.write(r.profile.samples)
        out.writeLine(" samples")
    }
    if let kib = r.peakResidentKiB { out.write("peak resident: "); out.write(kib); out.writeLine(" KiB") }
    out.write("energy source: "); out.write(r.energy.source.name)
    if r.energy.estimated { out.write(" (estimated)") }
    out.writeLine()
    if let nj = r.energy.perInference(r.energy.nanojoules) {
        out.write("energy per inference: "); out.writeFixedPoint(nj, fractionDigits: 9); out.writeLine(" J")
    }
    if let uw = r.energy.averageMicrowatts {
        out.write("average power: "); out.writeFixedPoint(uw, fractionDigits: 6); out.writeLine(" W")
    }
    printOperatorProfile(r, model: model)
}
