import SparrowFormat
import SparrowRuntime

// The bench run record (schema "sparrow-bench/1", Docs/harness.md): the energy summary and the
// JSON writer for the whole record, shared by `sparrow bench` and `sparrow-device bench` so the
// two always emit the same schema. Text fields are caller bytes (paths, names).

/// Board power figures for the estimate: idle, plus the increase while one core runs the
/// interpreter (the profile's perCoreLoadWatts; the interpreter is single-threaded).
public struct BoardPower {
    public var idleMilliwatts: Int64
    public var loadMilliwatts: Int64
    /// Board name and where the figures come from (bytes; may be empty).
    public var board: UnsafeRawBufferPointer
    public var source: UnsafeRawBufferPointer

    public init(idleMilliwatts: Int64, loadMilliwatts: Int64, board: UnsafeRawBufferPointer, source: UnsafeRawBufferPointer) {
        self.idleMilliwatts = idleMilliwatts
        self.loadMilliwatts = loadMilliwatts
        self.board = board
        self.source = source
    }
}

/// Energy of the timed pass and what it is based on.
public struct BenchEnergy {
    public var source: EnergySource = .none
    public var notes: UInt32 = 0
    /// Energy over the timed pass (nJ) and that window (ns); nil energy when there is no source.
    public var nanojoules: Int64? = nil
    public var windowNanoseconds: UInt64 = 0
    public var iterations: Int = 0
    /// Idle power in µW and whether it was measured (else from the board figures).
    public var idleMicrowatts: Int64? = nil
    public var idleMeasured = false
    public var samples = 0
    public var failedReads = 0
    public var power: BoardPower? = nil
    /// Which hwmonN (hwmon) or bit set of intel-rapl:N zones (powercap) was read.
    public var hwmonIndex = -1
    public var zoneMask: UInt32 = 0

    public init() {}

    public var estimated: Bool { source == .model }

    /// Board-profile estimate: idle power over the whole window plus the load increase over the
    /// busy (inference) time.
    public static func estimate(power: BoardPower?, windowNanoseconds: UInt64, busyNanoseconds: UInt64,
                                iterations: Int, notes: UInt32) -> BenchEnergy {
        var e = BenchEnergy()
        e.notes = notes
        e.windowNanoseconds = windowNanoseconds
        e.iterations = iterations
        guard let power else { e.source = .none; e.notes |= EnergyNote.noBoardFigures.bit; return e }
        e.source = .model
        e.power = power
        e.idleMicrowatts = power.idleMilliwatts &* 1000
        e.nanojoules = EnergyMath.estimatedNanojoules(milliwatts: power.idleMilliwatts, busyNanoseconds: windowNanoseconds)
            &+ EnergyMath.estimatedNanojoules(milliwatts: power.loadMilliwatts, busyNanoseconds: busyNanoseconds)
        return e
    }

    public var averageMicrowatts: Int64? {
        nanojoules.map { EnergyMath.averageMicrowatts(nanojoules: $0, nanoseconds: windowNanoseconds) }
    }

    /// Energy above idle over the window: total − idle power × window.
    public var aboveIdleNanojoules: Int64? {
        guard let total = nanojoules, let idle = idleMicrowatts, idle >= 0 else { return nil }
        // µW · ns = fJ: split the window into whole seconds (µW · s = 1000 nJ) and the rest.
        let seconds = Int64(bitPattern: windowNanoseconds / 1_000_000_000)
        let rest = Int64(bitPattern: windowNanoseconds % 1_000_000_000)
        return total &- (idle &* seconds &* 1000 &+ idle &* rest / 1_000_000)
    }

    public func perInference(_ nanojoules: Int64?) -> Int64? {
        guard let nanojoules, iterations > 0 else { return nil }
        return nanojoules / widenSigned(iterations)
    }
}

/// Everything a bench run reports, as numbers and caller bytes.
public struct BenchRecord {
    public var tool: StaticString = "sparrow"
    public var platformKind: StaticString = "host"
    public var label: UnsafeRawBufferPointer? = nil
    /// The emulator the device program ran under (`qemu-aarch64 -cpu cortex-a72`), nil on real
    /// hardware: emulated latency and energy are not the board's.
    public var emulator: UnsafeRawBufferPointer? = nil
    public var modelPath: UnsafeRawBufferPointer
    public var inputPath: UnsafeRawBufferPointer
    public var labelsPath: UnsafeRawBufferPointer? = nil
    public var warmup = 0
    public var requestedIterations = 0
    public var durationNanoseconds: UInt64 = 0
    public var fullDepth = false
    public var powerRequest: PowerRequest = .auto
    public var latency: LatencySummary
    public var timed: TimedTotals
    public var histogram: UnsafeBufferPointer<UInt32>
    public var histogramLower: UInt64 = 0
    public var histogramWidth: UInt64 = 1
    /// `HarnessStatistics.logHistogram` of the same latencies (from latency.min to latency.max).
    public var logHistogram: UnsafeBufferPointer<UInt32>? = nil
    public var profile: ProfileTotals
    public var operatorTotals: UnsafeBufferPointer<UInt64>
    public var operatorRuns: UnsafeBufferPointer<UInt32>
    public var exitCounts: UnsafeBufferPointer<UInt32>
    /// VmHWM in KiB, when the program could read it.
    public var peakResidentKiB: Int64? = nil
    public var energy: BenchEnergy
    public var sweep: UnsafeBufferPointer<SweepPoint>? = nil
    public var budget = BenchBudget()
    public var budgetSweep: UnsafeBufferPointer<BudgetPoint>? = nil

    public init(modelPath: UnsafeRawBufferPointer, inputPath: UnsafeRawBufferPointer, latency: LatencySummary,
                timed: TimedTotals, histogram: UnsafeBufferPointer<UInt32>, profile: ProfileTotals,
                operatorTotals: UnsafeBufferPointer<UInt64>, operatorRuns: UnsafeBufferPointer<UInt32>,
                exitCounts: UnsafeBufferPointer<UInt32>, energy: BenchEnergy) {
        self.modelPath = modelPath
        self.inputPath = inputPath
        self.latency = latency
        self.timed = timed
        self.histogram = histogram
        self.profile = profile
        self.operatorTotals = operatorTotals
        self.operatorRuns = operatorRuns
        self.exitCounts = exitCounts
        self.energy = energy
    }
}

/// One point of an exit-threshold sweep: the labelled set run with every non-final exit's
/// threshold derived from `levelQ16` (Docs/harness.md).
public struct SweepPoint {
    public var levelQ16: Int32 = 0
    public var samples = 0
    public var correct = 0
    public var macs: UInt64 = 0
    public var busyNanoseconds: UInt64 = 0
    public var windowNanoseconds: UInt64 = 0
    public var energy = BenchEnergy()
    /// Samples per exit (up to 8 exits; more fold into the last).
    public var exits: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0)
    public init() {}
}

public enum BenchRecordWriter {
    public static let schema: StaticString = "sparrow-bench/1"

    /// Writes the whole record. Check `json.overflowed` afterwards.
    public static func write(_ r: BenchRecord, model: VerifiedModel, into json: inout JSONWriter) {
        json.beginObject()
        json.key("schema"); json.string(schema)
        json.key("tool"); json.string(r.tool)
        json.key("platform"); json.beginObject()
        json.key("kind"); json.string(r.platformKind)
        json.key("label"); optionalString(r.label, &json)
        json.key("emulator"); optionalString(r.emulator, &json)
        json.endObject()

        json.key("model"); json.beginObject()
        json.key("path"); json.string(bytes: r.modelPath)
        json.key("bytes"); json.int(model.file.count)
        json.key("operators"); json.int(model.operatorCount)
        json.key("arenaBytes"); json.int(model.arenaSize)
        json.key("macs"); json.uint(model.totalMacs)
        json.key("exits"); json.int(model.exitCount)
        json.endObject()

        json.key("input"); json.beginObject()
        json.key("path"); json.string(bytes: r.inputPath)
        json.key("samples"); json.int(r.profile.samples)
        json.key("labels"); optionalString(r.labelsPath, &json)
        json.endObject()

        json.key("config"); json.beginObject()
        json.key("warmup"); json.int(r.warmup)
        json.key("iterations"); json.int(r.requestedIterations)
        json.key("durationSeconds"); json.fixed(unsigned: r.durationNanoseconds, 9)
        json.key("fullDepth"); json.bool(r.fullDepth)
        json.key("power"); json.string(requestName(r.powerRequest))
        json.key("macBudget")
        if r.budget.maxMacs == .max { json.null() } else { json.uint(r.budget.maxMacs) }
        json.key("deadlineUs")
        if r.budget.deadlineNanoseconds == .max { json.null() } else { json.fixed(unsigned: r.budget.deadlineNanoseconds, 3) }
        json.endObject()

        let l = r.latency
        json.key("latency"); json.beginObject()
        json.key("unit"); json.string("ms")
        json.key("count"); json.int(l.count)
        json.key("min"); json.fixed(unsigned: l.minimum, 6)
        json.key("p50"); json.fixed(unsigned: l.p50, 6)
        json.key("p90"); json.fixed(unsigned: l.p90, 6)
        json.key("p99"); json.fixed(unsigned: l.p99, 6)
        json.key("max"); json.fixed(unsigned: l.maximum, 6)
        json.key("mean"); json.fixed(unsigned: l.mean, 6)
        json.key("elapsedSeconds"); json.fixed(unsigned: r.timed.elapsedNanoseconds, 9)
        json.key("histogram"); json.beginObject()
        json.key("lowerMs"); json.fixed(unsigned: r.histogramLower, 6)
        json.key("binWidthMs"); json.fixed(unsigned: r.histogramWidth, 6)
        json.key("counts"); json.beginArray()
        for c in r.histogram { json.uint(widenUnsigned32(c)) }
        json.endArray()
        json.endObject()
        json.key("logHistogram")
        if let bins = r.logHistogram {
            json.beginObject()
            json.key("lowerMs"); json.fixed(unsigned: l.minimum, 6)
            json.key("upperMs"); json.fixed(unsigned: l.maximum, 6)
            json.key("counts"); json.beginArray()
            for c in bins { json.uint(widenUnsigned32(c)) }
            json.endArray()
            json.endObject()
        } else {
            json.null()
        }
        json.endObject()

        json.key("operators"); json.beginArray()
        let total = max(r.profile.operatorNanoseconds, 1)
        for k in 0..<min(model.operatorCount, r.operatorTotals.count) {
            let t = r.operatorTotals[k]
            let runs = k < r.operatorRuns.count ? widenUnsigned32(r.operatorRuns[k]) : 0
            json.beginObject()
            json.key("index"); json.int(k)
            json.key("name"); json.string(bytes: model.opName(k))
            json.key("opcode"); json.string(model.opcode(k).name)
            json.key("runs"); json.uint(runs)
            json.key("totalMs"); json.fixed(unsigned: t, 6)
            json.key("meanUs"); json.fixed(unsigned: runs > 0 ? t / runs : 0, 3)
            // share with 6 decimals: t · 10^6 / total; t ≤ total and total < 2^64 / 10^6 ns (5.8 h)
            // in any bench; beyond that, scale the divisor instead.
            json.key("share"); json.fixed(unsigned: share(t, total), 6)
            json.key("macs"); json.uint(model.op(k).macs)
            json.endObject()
        }
        json.endArray()
        json.key("operatorTotalMs"); json.fixed(unsigned: r.profile.operatorNanoseconds, 6)

        json.key("exits"); json.beginArray()
        if model.exitCount > 0 { for c in r.exitCounts { json.uint(widenUnsigned32(c)) } }
        json.endArray()
        json.key("unanswered"); json.int(r.profile.unanswered)
        json.key("averageMacs"); json.uint(r.profile.samples > 0 ? r.profile.macs / widenUnsigned(r.profile.samples) : 0)
        json.key("accuracy")
        if r.profile.labelled && r.profile.samples > 0 {
            json.beginObject()
            json.key("correct"); json.int(r.profile.correct)
            json.key("samples"); json.int(r.profile.samples)
            json.key("top1"); json.fixed(unsigned: share(widenUnsigned(r.profile.correct), widenUnsigned(r.profile.samples)), 6)
            json.endObject()
        } else {
            json.null()
        }

        json.key("memory"); json.beginObject()
        json.key("peakResidentKiB")
        if let kib = r.peakResidentKiB { json.int(kib) } else { json.null() }
        json.key("arenaBytes"); json.int(model.arenaSize)
        json.key("modelBytes"); json.int(model.file.count)
        json.endObject()

        json.key("energy"); writeEnergy(r.energy, &json)

        json.key("sweep")
        if let sweep = r.sweep {
            json.beginArray()
            for p in sweep { writeSweepPoint(p, exitCount: model.exitCount, &json) }
            json.endArray()
        } else {
            json.null()
        }
        json.key("budgetSweep")
        if let sweep = r.budgetSweep {
            json.beginArray()
            for p in sweep { writeBudgetPoint(p, exitCount: model.exitCount, &json) }
            json.endArray()
        } else {
            json.null()
        }
        json.endObject()
    }

    static func writeEnergy(_ e: BenchEnergy, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("source"); json.string(e.source.name)
        json.key("estimated"); json.bool(e.estimated)
        json.key("windowSeconds"); json.fixed(unsigned: e.windowNanoseconds, 9)
        json.key("energyJoules"); optionalFixed(e.nanojoules, 9, &json)
        json.key("joulesPerInference"); optionalFixed(e.perInference(e.nanojoules), 9, &json)
        json.key("averageWatts"); optionalFixed(e.averageMicrowatts, 6, &json)
        json.key("idleWatts"); optionalFixed(e.idleMicrowatts, 6, &json)
        json.key("idleSource")
        if e.idleMicrowatts == nil { json.null() } else { json.string(e.idleMeasured ? "measured" : "profile") }
        json.key("aboveIdleJoules"); optionalFixed(e.aboveIdleNanojoules, 9, &json)
        json.key("aboveIdleJoulesPerInference"); optionalFixed(e.perInference(e.aboveIdleNanojoules), 9, &json)
        json.key("samples"); json.int(e.samples)
        json.key("failedReads"); json.int(e.failedReads)
        json.key("sensor")
        switch e.source {
        case .hwmon:
            json.beginObject(); json.key("hwmon"); json.int(e.hwmonIndex); json.endObject()
        case .powercap:
            json.beginObject(); json.key("raplZones"); json.beginArray()
            for z in 0..<32 where e.zoneMask & (1 << UInt32(z)) != 0 { json.int(z) }
            json.endArray(); json.endObject()
        default:
            json.null()
        }
        json.key("profile")
        if let p = e.power {
            json.beginObject()
            json.key("board"); json.string(bytes: p.board)
            json.key("idleWatts"); json.fixed(p.idleMilliwatts, 3)
            json.key("loadWatts"); json.fixed(p.loadMilliwatts, 3)
            json.key("source"); json.string(bytes: p.source)
            json.endObject()
        } else {
            json.null()
        }
        json.key("notes"); json.beginArray()
        for bit in 0..<32 where e.notes & (1 << UInt32(bit)) != 0 {
            if let note = EnergyNote(rawValue: UInt8(truncatingIfNeeded: bit)) { json.string(note.message) }
        }
        json.endArray()
        json.endObject()
    }

    static func writeSweepPoint(_ p: SweepPoint, exitCount: Int, _ json: inout JSONWriter) {
        json.beginObject()
        json.key("level"); json.fixed(widenSigned(Int(p.levelQ16)) &* 15625 / 1024, 6)  // Q16 → 6 decimals: · 10^6 / 2^16
        json.key("samples"); json.int(p.samples)
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
            for e in 0..<min(exitCount, 8) { json.uint(widenUnsigned32(c[e])) }
        }
        json.endArray()
        json.endObject()
    }

    /// part / whole with 6 decimals (part ≤ whole).
    static func share(_ part: UInt64, _ whole: UInt64) -> UInt64 {
        guard whole > 0 else { return 0 }
        if part <= UInt64.max / 1_000_000 { return part &* 1_000_000 / whole }
        return part / max(whole / 1_000_000, 1)
    }

    static func requestName(_ r: PowerRequest) -> StaticString {
        switch r {
        case .auto: return "auto"
        case .hwmon: return "hwmon"
        case .powercap: return "powercap"
        case .model: return "model"
        case .none: return "none"
        }
    }

    static func optionalString(_ bytes: UnsafeRawBufferPointer?, _ json: inout JSONWriter) {
        if let bytes { json.string(bytes: bytes) } else { json.null() }
    }

    static func optionalFixed(_ value: Int64?, _ digits: Int, _ json: inout JSONWriter) {
        if let value { json.fixed(value, digits) } else { json.null() }
    }
}
