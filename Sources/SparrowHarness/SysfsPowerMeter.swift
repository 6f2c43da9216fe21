// Linux power sensors read through sysfs, shared by host and device: INA2xx current/power
// monitors under hwmon, and powercap (RAPL) energy counters. The file access itself is the
// program's (`SysfsFileReader`); paths are built in caller-owned scratch memory under a root
// that tests point at a fake tree (`SPARROW_SYSFS_ROOT` / `--sysfs-root`, default `/sys`).
//
//   hwmon:    <root>/class/hwmon/hwmonN/name is one of the ina2xx driver's chips; power from
//             power1_input (µW) or, without it, in1_input (bus mV) × curr1_input (mA) = µW.
//             hwmonN numbering is not stable across boots, hence matching by name.
//   powercap: <root>/class/powercap/intel-rapl:N/energy_uj (µJ, top-level zones only: their
//             sub-zones are parts of the same package) wrapping at max_energy_range_uj.

/// Reads small files; provided by each program.
public protocol SysfsFileReader {
    /// Reads the beginning of the file at `path` (NUL-terminated) into `buffer`. Returns the
    /// number of bytes read, or -1 if the file cannot be opened or read (missing, a directory,
    /// no permission).
    func read(path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// What `--power` asked for.
public enum PowerRequest: UInt8 {
    case auto, hwmon, powercap, model, none

    /// Parses `auto|hwmon|powercap|model|none`.
    public init?(_ text: UnsafeRawBufferPointer) {
        if bytesEqual(text, "auto") { self = .auto }
        else if bytesEqual(text, "hwmon") { self = .hwmon }
        else if bytesEqual(text, "powercap") { self = .powercap }
        else if bytesEqual(text, "model") { self = .model }
        else if bytesEqual(text, "none") { self = .none }
        else { return nil }
    }
}

/// Where the reported energy came from.
public enum EnergySource: UInt8 {
    case hwmon, powercap, model, none

    public var name: StaticString {
        switch self {
        case .hwmon: return "hwmon"
        case .powercap: return "powercap"
        case .model: return "model"
        case .none: return "none"
        }
    }
}

/// Why a source was skipped or what happened to it; several can apply to one run (a bit set).
public enum EnergyNote: UInt8 {
    case hwmonNotFound = 0, hwmonUnreadable, powercapNotFound, powercapUnreadable, noBoardFigures,
         readFailuresDuringRun, idleFromProfile, modelRequested, noneRequested, counterWentBackwards

    public var message: StaticString {
        switch self {
        case .hwmonNotFound:
            return "hwmon: no INA2xx power monitor (name ina209/219/220/226/230/231/238/260) under <sysfs>/class/hwmon"
        case .hwmonUnreadable:
            return "hwmon: INA2xx monitor found but neither power1_input nor in1_input and curr1_input could be read"
        case .powercapNotFound:
            return "powercap: no <sysfs>/class/powercap/intel-rapl:N/energy_uj"
        case .powercapUnreadable:
            return "powercap: energy_uj exists but cannot be read (root-only since Linux 5.10)"
        case .noBoardFigures:
            return "model: no board power figures (--board, or --idle-watts and --load-watts); energy not reported"
        case .readFailuresDuringRun:
            return "sensor reads failed during the run; failed samples were skipped"
        case .idleFromProfile:
            return "idle power taken from the board profile, not measured"
        case .modelRequested:
            return "model estimate requested with --power model"
        case .noneRequested:
            return "energy measurement disabled with --power none"
        case .counterWentBackwards:
            return "powercap: counter went backwards without a known wrap range; that interval was skipped"
        }
    }

    @inline(__always) public var bit: UInt32 { 1 << UInt32(rawValue) }
}

/// One sysfs power sensor (an INA2xx hwmon chip or all top-level RAPL zones) and the energy
/// read from it over a measurement window.
public struct SysfsPowerMeter<Reader: SysfsFileReader> {
    public let reader: Reader
    private let root: UnsafeRawBufferPointer
    private let scratch: UnsafeMutableRawBufferPointer
    public private(set) var source: EnergySource = .none
    /// hwmonN index in use (hwmon), or the bit set of intel-rapl:N zones (powercap).
    public private(set) var hwmonIndex: Int = -1
    public private(set) var usesPowerFile = true
    public private(set) var zoneMask: UInt32 = 0
    public private(set) var integrator = PowerIntegrator()
    public private(set) var counterNanojoules: Int64 = 0
    public private(set) var counterSamples: Int = 0
    private var counterFirstTime: UInt64 = 0
    private var counterLastTime: UInt64 = 0
    public private(set) var failedReads: Int = 0
    /// Zones with a reading in this window (the first reading of a zone has no delta).
    private var seenZones: UInt32 = 0
    public private(set) var notes: UInt32 = 0

    /// Scratch bytes the meter needs besides the root's length.
    public static var scratchOverhead: Int { 512 }
    static var maxZones: Int { 8 }
    static var maxHwmon: Int { 32 }

    /// `root` is the sysfs mount point's path bytes without a NUL ("/sys"); `scratch` must hold
    /// `root.count + scratchOverhead` bytes and stay valid while the meter is used.
    public init(reader: Reader, root: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer) {
        self.reader = reader
        self.root = root
        self.scratch = scratch
    }

    // Scratch layout: [0, 64) counters, [64, 128) ranges, [128, 192) read buffer, [192, end) path.
    private var counters: UnsafeMutablePointer<UInt64> { scratch.baseAddress!.assumingMemoryBound(to: UInt64.self) }
    private var ranges: UnsafeMutablePointer<UInt64> { (scratch.baseAddress! + 64).assumingMemoryBound(to: UInt64.self) }
    private var readBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: scratch[128..<192])
    }

    /// Looks for the sensor `request` allows, in the order hwmon, powercap (for `auto`). Sets
    /// `source` to what was found (`.none` if nothing) and records why others were skipped.
    public mutating func probe(_ request: PowerRequest) {
        guard scratch.count >= root.count + SysfsPowerMeter.scratchOverhead else { return }
        if request == .auto || request == .hwmon {
            if probeHwmon() { source = .hwmon; return }
        }
        if request == .auto || request == .powercap {
            if probePowercap() { source = .powercap; return }
        }
    }

    /// Starts a new measurement window (the idle window, then the run): forgets earlier energy.
    public mutating func resetWindow() {
        integrator = PowerIntegrator()
        counterNanojoules = 0
        counterSamples = 0
        seenZones = 0
        failedReads = 0
    }

    /// Takes one reading at monotonic time `time` (ns). Returns false if it failed (the sample
    /// is skipped and counted in `failedReads`; the window's energy stays valid).
    @discardableResult
    public mutating func sample(at time: UInt64) -> Bool {
        switch source {
        case .hwmon:
            guard let microwatts = readHwmonMicrowatts(hwmonIndex) else { failedReads += 1; return false }
            integrator.add(microwatts: microwatts, at: time)
            return true
        case .powercap:
            var ok = true
            for z in 0..<SysfsPowerMeter.maxZones where zoneMask & (1 << UInt32(z)) != 0 {
                guard let value = readZone(z, "/energy_uj"), value >= 0 else { ok = false; continue }
                let current = UInt64(bitPattern: value)
                if seenZones & (1 << UInt32(z)) != 0 {
                    if let delta = EnergyMath.counterDelta(previous: counters[z], current: current, maxRange: ranges[z]) {
                        // µJ → nJ; a delta is below the range (≤ 2^38 µJ for RAPL), so · 1000 fits.
                        counterNanojoules &+= Int64(bitPattern: delta) &* 1000
                    } else {
                        notes |= EnergyNote.counterWentBackwards.bit
                    }
                }
                counters[z] = current
                seenZones |= 1 << UInt32(z)
            }
            guard ok else { failedReads += 1; return false }
            if counterSamples == 0 { counterFirstTime = time }
            counterLastTime = time
            counterSamples += 1
            return true
        case .model, .none:
            return false
        }
    }

    /// Energy of the current window in nJ.
    public var nanojoules: Int64 { source == .hwmon ? integrator.nanojoules : counterNanojoules }

    /// Time between the window's first and last successful sample.
    public var coveredNanoseconds: UInt64 {
        source == .hwmon ? integrator.coveredNanoseconds : (counterSamples > 1 ? counterLastTime &- counterFirstTime : 0)
    }

    public var samples: Int { source == .hwmon ? integrator.samples : counterSamples }

    // MARK: hwmon

    private mutating func probeHwmon() -> Bool {
        var found = false
        for n in 0..<SysfsPowerMeter.maxHwmon {
            var path = PathBuilder(root: root, buffer: pathBuffer)
            path.append("/class/hwmon/hwmon"); path.append(number: n); path.append("/name")
            guard let p = path.terminated() else { return false }
            let count = reader.read(path: p, into: readBuffer)
            guard count > 0, isPowerMonitorName(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])) else { continue }
            found = true
            usesPowerFile = true
            if readHwmonMicrowatts(n) != nil { hwmonIndex = n; return true }
            usesPowerFile = false
            if readHwmonMicrowatts(n) != nil { hwmonIndex = n; return true }
        }
        notes |= (found ? EnergyNote.hwmonUnreadable : EnergyNote.hwmonNotFound).bit
        return false
    }

    private func readHwmonMicrowatts(_ n: Int) -> Int64? {
        if usesPowerFile { return readValue(hwmon: n, "/power1_input") }
        guard let millivolts = readValue(hwmon: n, "/in1_input"),
              let milliamps = readValue(hwmon: n, "/curr1_input") else { return nil }
        // mV · mA = µW. Bus voltage < 2^20 mV and |current| < 2^31 mA in any file we accept;
        // a reversed shunt reads negative current, the magnitude is the power.
        let mv = min(max(millivolts, 0), 1 << 20), ma = min(max(milliamps, -(1 << 31)), 1 << 31)
        return mv &* (ma < 0 ? -ma : ma)
    }

    private func readValue(hwmon n: Int, _ file: StaticString) -> Int64? {
        var path = PathBuilder(root: root, buffer: pathBuffer)
        path.append("/class/hwmon/hwmon"); path.append(number: n); path.append(file)
        return readNumber(path.terminated())
    }

    // MARK: powercap

    private mutating func probePowercap() -> Bool {
        var exists = false
        zoneMask = 0
        for z in 0..<SysfsPowerMeter.maxZones {
            // max_energy_range_uj stays world-readable when energy_uj is root-only.
            let range = readZone(z, "/max_energy_range_uj")
            ranges[z] = UInt64(bitPattern: max(range ?? 0, 0))
            if let value = readZone(z, "/energy_uj"), value >= 0 {
                zoneMask |= 1 << UInt32(z)
                exists = true
            } else if range != nil {
                exists = true
            }
        }
        if zoneMask != 0 { return true }
        notes |= (exists ? EnergyNote.powercapUnreadable : EnergyNote.powercapNotFound).bit
        return false
    }

    private func readZone(_ z: Int, _ file: StaticString) -> Int64? {
        var path = PathBuilder(root: root, buffer: pathBuffer)
        path.append("/class/powercap/intel-rapl:"); path.append(number: z); path.append(file)
        return readNumber(path.terminated())
    }

    // MARK: helpers

    private var pathBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: scratch[192...])
    }

    private func readNumber(_ path: UnsafePointer<CChar>?) -> Int64? {
        guard let path else { return nil }
        let count = reader.read(path: path, into: readBuffer)
        guard count > 0 else { return nil }
        return parseScaledDecimal(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]), fractionDigits: 0)
    }

    /// Names the Linux ina2xx / ina238 hwmon drivers give their chips.
    private func isPowerMonitorName(_ raw: UnsafeRawBufferPointer) -> Bool {
        var n = raw.count
        while n > 0 && (raw[n - 1] == 10 || raw[n - 1] == 0 || raw[n - 1] == 32) { n -= 1 }
        let name = UnsafeRawBufferPointer(rebasing: raw[0..<n])
        return bytesEqual(name, "ina209") || bytesEqual(name, "ina219") || bytesEqual(name, "ina220")
            || bytesEqual(name, "ina226") || bytesEqual(name, "ina230") || bytesEqual(name, "ina231")
            || bytesEqual(name, "ina238") || bytesEqual(name, "ina260")
    }
}

/// A NUL-terminated path assembled in a caller buffer: root bytes, literals and numbers.
struct PathBuilder {
    let buffer: UnsafeMutableRawBufferPointer
    var length = 0
    var overflow = false

    init(root: UnsafeRawBufferPointer, buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
        append(bytes: root)
    }

    mutating func append(bytes: UnsafeRawBufferPointer) {
        guard length + bytes.count < buffer.count else { overflow = true; return }
        for i in 0..<bytes.count { buffer[length + i] = bytes[i] }
        length += bytes.count
    }

    mutating func append(_ literal: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func append(number: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var position = d.count
            var rest = max(number, 0)
            repeat {
                position -= 1
                d[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 48  // '0' + digit < 10
                rest /= 10
            } while rest > 0 && position > 0
            append(bytes: UnsafeRawBufferPointer(rebasing: d[position...]))
        }
    }

    /// The finished C string, or nil if it did not fit.
    mutating func terminated() -> UnsafePointer<CChar>? {
        guard !overflow, length < buffer.count else { return nil }
        buffer[length] = 0
        return UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: CChar.self))
    }
}

/// Byte-wise equality of a buffer with a literal.
@inline(__always) public func bytesEqual(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    guard bytes.count == literal.utf8CodeUnitCount else { return false }
    let expected = literal.utf8Start
    for i in 0..<bytes.count where bytes[i] != expected[i] { return false }
    return true
}

/// The value of a `Name:   1234 kB` line of /proc/<pid>/status (`field` includes the colon).
public func parseProcStatusKiB(_ text: UnsafeRawBufferPointer, field: StaticString) -> Int64? {
    let n = text.count, k = field.utf8CodeUnitCount
    var lineStart = 0
    while lineStart < n {
        var lineEnd = lineStart
        while lineEnd < n && text[lineEnd] != 10 { lineEnd += 1 }
        if lineEnd - lineStart > k && bytesEqual(UnsafeRawBufferPointer(rebasing: text[lineStart..<(lineStart + k)]), field) {
            var i = lineStart + k
            while i < lineEnd && (text[i] == 32 || text[i] == 9) { i += 1 }
            var j = i
            while j < lineEnd && text[j] >= 48 && text[j] <= 57 { j += 1 }
            return parseScaledDecimal(UnsafeRawBufferPointer(rebasing: text[i..<j]), fractionDigits: 0)
        }
        lineStart = lineEnd + 1
    }
    return nil
}
