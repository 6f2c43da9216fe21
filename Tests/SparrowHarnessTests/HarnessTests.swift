import Foundation
import SparrowHarness
import Testing

/// Reads files with Foundation, as any program's reader would.
struct TestFileReader: SysfsFileReader {
    func read(path: UnsafePointer<CChar>, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let data = FileManager.default.contents(atPath: String(cString: path)), !data.isEmpty else { return -1 }
        let n = min(data.count, buffer.count)
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: n)
        return n
    }
}

struct TestClock: MonotonicClock {
    func nanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// A fake sysfs tree in a temporary directory.
final class FakeSysfs {
    let root: URL
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("sparrow-sysfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Atomic replace: a reader never sees a half-written number.
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(relative), withIntermediateDirectories: true)
    }

    /// Runs `body` with a meter over this tree.
    func withMeter<R>(_ body: (inout SysfsPowerMeter<TestFileReader>) throws -> R) rethrows -> R {
        let rootBytes = Array(root.path.utf8)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: rootBytes.count + SysfsPowerMeter<TestFileReader>.scratchOverhead, alignment: 8)
        defer { scratch.deallocate() }
        return try rootBytes.withUnsafeBytes { root in
            var meter = SysfsPowerMeter(reader: TestFileReader(), root: root, scratch: scratch)
            return try body(&meter)
        }
    }
}

@Suite struct HarnessStatisticsTests {
    func summary(_ values: [UInt64]) -> LatencySummary {
        var v = values
        return v.withUnsafeMutableBufferPointer { HarnessStatistics.summarize($0) }
    }

    /// Nearest rank by hand: for n = 10 sorted 1...10, p50 is element ceil(5) = 5th → 5,
    /// p90 → 9th → 9, p99 → ceil(9.9) = 10th → 10.
    @Test func percentilesOfOneToTen() {
        let s = summary([7, 3, 10, 1, 9, 2, 8, 4, 6, 5])
        #expect(s.minimum == 1 && s.maximum == 10)
        #expect(s.p50 == 5 && s.p90 == 9 && s.p99 == 10)
        #expect(s.mean == 5)       // 55 / 10 rounded down
        #expect(s.total == 55)
    }

    /// n = 200 values 1...200 (shuffled): p50 = 100th = 100, p90 = 180, p99 = 198.
    @Test func percentilesOfTwoHundred() {
        var values = (1...200).map { UInt64($0) }
        var generator = SystemRandomNumberGenerator()
        values.shuffle(using: &generator)
        let s = summary(values)
        #expect(s.p50 == 100 && s.p90 == 180 && s.p99 == 198)
        #expect(s.mean == 100)     // 20100 / 200 = 100.5 → 100
    }

    /// One sample: every percentile is that sample. Two: p50 is the first (ceil(1) = 1st).
    @Test func percentilesOfTinySets() {
        let one = summary([42])
        #expect(one.p50 == 42 && one.p90 == 42 && one.p99 == 42 && one.minimum == 42)
        let two = summary([9, 4])
        #expect(two.p50 == 4 && two.p90 == 9 && two.p99 == 9)
        #expect(summary([]).count == 0)
    }

    @Test func heapsortMatchesSortedOrder() {
        var generator = SystemRandomNumberGenerator()
        for n in [0, 1, 2, 3, 17, 1000] {
            var v = (0..<n).map { _ in UInt64.random(in: 0..<50, using: &generator) }
            let expected = v.sorted()
            v.withUnsafeMutableBufferPointer { HarnessStatistics.sortInPlace($0) }
            #expect(v == expected)
        }
    }

    /// Values 10...19 in 5 bins from 10: width ceil((19 − 10 + 5) / 5) = 2 → two per bin.
    @Test func histogramBins() {
        var v = (10...19).map { UInt64($0) }
        var bins = [UInt32](repeating: 9, count: 5)
        let edges = v.withUnsafeMutableBufferPointer { values in
            bins.withUnsafeMutableBufferPointer { HarnessStatistics.histogram(sorted: UnsafeBufferPointer(values), bins: $0) }
        }
        #expect(edges.lower == 10 && edges.width == 2)
        #expect(bins == [2, 2, 2, 2, 2])
    }

    @Test func decimalParsing() {
        func parse(_ s: String, _ d: Int) -> Int64? { Array(s.utf8).withUnsafeBytes { parseScaledDecimal($0, fractionDigits: d) } }
        #expect(parse("2.7", 3) == 2700)
        #expect(parse("0.125", 3) == 125)
        #expect(parse("15", 3) == 15000)
        #expect(parse("1.23456", 3) == 1234)   // truncated
        #expect(parse("-4.5", 1) == -45)
        #expect(parse("3000000\n", 0) == 3_000_000)
        #expect(parse("", 0) == nil)
        #expect(parse("1.2.3", 3) == nil)
        #expect(parse("12a", 0) == nil)
        #expect(parse("99999999999999999999", 0) == nil)
    }

    @Test func procStatusField() {
        let text = "Name:\tsparrow\nVmPeak:\t  200000 kB\nVmHWM:\t   18040 kB\nVmRSS:\t 1000 kB\n"
        let v = Array(text.utf8).withUnsafeBytes { parseProcStatusKiB($0, field: "VmHWM:") }
        #expect(v == 18040)
        #expect(Array("VmRSS: 5 kB\n".utf8).withUnsafeBytes { parseProcStatusKiB($0, field: "VmHWM:") } == nil)
    }
}

@Suite struct HarnessEnergyTests {
    /// Constant 2 W for 3 s (samples every 0.5 s) = 6 J = 6·10^9 nJ; a ramp 0 → 4 W over 2 s
    /// is a triangle: 4 J.
    @Test func trapezoidIntegration() {
        var constant = PowerIntegrator()
        for i in 0...6 { constant.add(microwatts: 2_000_000, at: UInt64(i) * 500_000_000) }
        #expect(constant.nanojoules == 6_000_000_000)
        #expect(constant.coveredNanoseconds == 3_000_000_000)
        var ramp = PowerIntegrator()
        ramp.add(microwatts: 0, at: 1_000)
        ramp.add(microwatts: 4_000_000, at: 2_000_001_000)
        #expect(ramp.nanojoules == 4_000_000_000)
        // Many sub-step pieces add up exactly: 1 W for 1 ns is 1 nJ, a thousand of them 1000 nJ.
        var tiny = PowerIntegrator()
        for i in 0...1000 { tiny.add(microwatts: 1_000_000, at: UInt64(i)) }
        #expect(tiny.nanojoules == 1000)
    }

    /// RAPL wrap: range 1000 µJ, 900 → 100 is 200 µJ (= 1000 − 900 + 100).
    @Test func counterWrapAround() {
        #expect(EnergyMath.counterDelta(previous: 100, current: 350, maxRange: 1000) == 250)
        #expect(EnergyMath.counterDelta(previous: 900, current: 100, maxRange: 1000) == 200)
        #expect(EnergyMath.counterDelta(previous: 900, current: 100, maxRange: 0) == nil)
        #expect(EnergyMath.counterDelta(previous: 262_143_328_850, current: 5, maxRange: 262_143_328_850) == 5)
    }

    /// Estimate: idle 3.1 W over 2 s + load 0.75 W over 1.5 s = 6.2 + 1.125 = 7.325 J;
    /// above idle 1.125 J; average 3.6625 W.
    @Test func boardEstimate() {
        let e = BenchEnergy.estimate(power: BoardPower(idleMilliwatts: 3100, loadMilliwatts: 750, board: UnsafeRawBufferPointer(start: nil, count: 0),
                                                       source: UnsafeRawBufferPointer(start: nil, count: 0)),
                                     windowNanoseconds: 2_000_000_000, busyNanoseconds: 1_500_000_000, iterations: 1000, notes: 0)
        #expect(e.source == .model && e.estimated)
        #expect(e.nanojoules == 7_325_000_000)
        #expect(e.aboveIdleNanojoules == 1_125_000_000)
        #expect(e.averageMicrowatts == 3_662_500)
        #expect(e.perInference(e.nanojoules) == 7_325_000)
        let none = BenchEnergy.estimate(power: nil, windowNanoseconds: 1, busyNanoseconds: 1, iterations: 1, notes: 0)
        #expect(none.source == .none && none.nanojoules == nil && none.notes & EnergyNote.noBoardFigures.bit != 0)
    }
}

@Suite struct HarnessSysfsTests {
    /// hwmon power changing during the run: a background thread alternates power1_input
    /// between 2 W and 4 W every 2 ms while a sampler thread reads every 1 ms for 0.6 s. The
    /// time-average is 3 W; the integrated energy must be 3 W × window within 10 %.
    @Test func hwmonEnergyFromChangingPower() throws {
        let fs = try FakeSysfs()
        try fs.write("class/hwmon/hwmon0/name", "coretemp\n")
        try fs.write("class/hwmon/hwmon1/name", "ina226\n")
        try fs.write("class/hwmon/hwmon1/power1_input", "2000000\n")
        let stop = NSLock(), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var stopped = false
        Thread {
            var high = false
            while !stop.withLock({ stopped }) {
                high.toggle()
                try? fs.write("class/hwmon/hwmon1/power1_input", high ? "4000000\n" : "2000000\n")
                Thread.sleep(forTimeInterval: 0.002)
            }
            done.signal()
        }.start()
        defer { stop.withLock { stopped = true }; done.wait() }
        fs.withMeter { meter in
            meter.probe(.auto)
            #expect(meter.source == .hwmon)
            #expect(meter.hwmonIndex == 1)
            let clock = TestClock()
            meter.sample(at: clock.nanoseconds())
            let end = clock.nanoseconds() + 600_000_000
            while clock.nanoseconds() < end {
                Thread.sleep(forTimeInterval: 0.001)
                meter.sample(at: clock.nanoseconds())
            }
            let watts = Double(meter.nanojoules) / Double(meter.coveredNanoseconds)
            #expect(abs(watts - 3.0) < 0.3, "average \(watts) W over \(meter.samples) samples")
            #expect(meter.samples > 100)
        }
    }

    /// in1_input (mV) × curr1_input (mA) when there is no power1_input: 5000 mV × 600 mA = 3 W.
    @Test func hwmonVoltageTimesCurrent() throws {
        let fs = try FakeSysfs()
        try fs.write("class/hwmon/hwmon0/name", "ina219\n")
        try fs.write("class/hwmon/hwmon0/in1_input", "5000\n")
        try fs.write("class/hwmon/hwmon0/curr1_input", "-600\n")   // reversed shunt
        fs.withMeter { meter in
            meter.probe(.hwmon)
            #expect(meter.source == .hwmon && !meter.usesPowerFile)
            meter.sample(at: 0)
            meter.sample(at: 2_000_000_000)
            #expect(meter.nanojoules == 6_000_000_000)
        }
    }

    /// powercap counters rising at 5 W written by a background thread (µJ = 5 · µs), with a
    /// wrap at max_energy_range_uj every ~0.1 s: the meter must see 5 W within 10 %.
    @Test func powercapEnergyAcrossWraps() throws {
        let fs = try FakeSysfs()
        let range: UInt64 = 500_000   // 0.5 J: wraps every 0.1 s at 5 W
        try fs.write("class/powercap/intel-rapl:0/name", "package-0\n")
        try fs.write("class/powercap/intel-rapl:0/max_energy_range_uj", "\(range)\n")
        try fs.write("class/powercap/intel-rapl:0/energy_uj", "0\n")
        let start = DispatchTime.now().uptimeNanoseconds
        let stop = NSLock(), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var stopped = false
        Thread {
            while !stop.withLock({ stopped }) {
                let microjoules = (DispatchTime.now().uptimeNanoseconds - start) / 1000 * 5
                try? fs.write("class/powercap/intel-rapl:0/energy_uj", "\(microjoules % range)\n")
                Thread.sleep(forTimeInterval: 0.001)
            }
            done.signal()
        }.start()
        defer { stop.withLock { stopped = true }; done.wait() }
        fs.withMeter { meter in
            meter.probe(.auto)
            #expect(meter.source == .powercap)
            let clock = TestClock()
            meter.sample(at: clock.nanoseconds())
            let end = clock.nanoseconds() + 500_000_000
            while clock.nanoseconds() < end {
                Thread.sleep(forTimeInterval: 0.01)
                meter.sample(at: clock.nanoseconds())
            }
            let watts = Double(meter.nanojoules) / Double(meter.coveredNanoseconds)
            #expect(abs(watts - 5.0) < 0.5, "average \(watts) W")
            #expect(meter.notes & EnergyNote.counterWentBackwards.bit == 0)
        }
    }

    /// Nothing there, a monitor of another kind, an unreadable energy_uj (a directory), a
    /// garbage value: each gives source .none with the matching note, never a crash.
    @Test func missingAndUnreadableSensorsFallBackWithNotes() throws {
        let empty = try FakeSysfs()
        empty.withMeter { meter in
            meter.probe(.auto)
            #expect(meter.source == .none)
            #expect(meter.notes & EnergyNote.hwmonNotFound.bit != 0)
            #expect(meter.notes & EnergyNote.powercapNotFound.bit != 0)
            let sampled = meter.sample(at: 1)
            #expect(!sampled)
        }
        let broken = try FakeSysfs()
        try broken.write("class/hwmon/hwmon0/name", "ina226\n")
        try broken.write("class/hwmon/hwmon0/power1_input", "not a number\n")
        try broken.write("class/powercap/intel-rapl:0/max_energy_range_uj", "1000\n")
        try broken.directory("class/powercap/intel-rapl:0/energy_uj")   // exists, cannot be read
        broken.withMeter { meter in
            meter.probe(.auto)
            #expect(meter.source == .none)
            #expect(meter.notes & EnergyNote.hwmonUnreadable.bit != 0)
            #expect(meter.notes & EnergyNote.powercapUnreadable.bit != 0)
        }
        // A sensor that disappears mid-run: failed samples are counted, earlier energy kept.
        let vanishing = try FakeSysfs()
        try vanishing.write("class/hwmon/hwmon3/name", "ina260\n")
        try vanishing.write("class/hwmon/hwmon3/power1_input", "1000000\n")
        try vanishing.withMeter { meter in
            meter.probe(.hwmon)
            #expect(meter.source == .hwmon)
            meter.sample(at: 0)
            meter.sample(at: 1_000_000_000)
            try FileManager.default.removeItem(at: vanishing.root.appendingPathComponent("class/hwmon/hwmon3/power1_input"))
            let sampled = meter.sample(at: 2_000_000_000)
            #expect(!sampled)
            #expect(meter.failedReads == 1)
            #expect(meter.nanojoules == 1_000_000_000)
        }
    }

    /// --power powercap ignores an hwmon sensor; --power hwmon ignores powercap.
    @Test func requestRestrictsTheSource() throws {
        let fs = try FakeSysfs()
        try fs.write("class/hwmon/hwmon0/name", "ina226\n")
        try fs.write("class/hwmon/hwmon0/power1_input", "1000000\n")
        try fs.write("class/powercap/intel-rapl:1/energy_uj", "10\n")
        fs.withMeter { meter in meter.probe(.powercap); #expect(meter.source == .powercap && meter.zoneMask == 2) }
        fs.withMeter { meter in meter.probe(.hwmon); #expect(meter.source == .hwmon) }
        #expect(Array("bogus".utf8).withUnsafeBytes { PowerRequest($0) } == nil)
    }
}

@Suite struct JSONWriterTests {
    @Test func writesValidJSON() throws {
        var buffer = [UInt8](repeating: 0, count: 256)
        let text: String = buffer.withUnsafeMutableBytes { raw in
            var json = JSONWriter(buffer: raw)
            json.beginObject()
            json.key("a"); json.int(-12)
            json.key("b"); json.fixed(1_234_567, 6)
            json.key("c"); json.beginArray(); json.fixed(-5, 3); json.uint(0); json.null(); json.bool(true); json.endArray()
            let quoted: StaticString = "q\"\\\n\u{1}"
            json.key("d"); json.string(bytes: UnsafeRawBufferPointer(start: quoted.utf8Start, count: quoted.utf8CodeUnitCount))
            json.endObject()
            return String(decoding: json.bytes, as: UTF8.self)
        }
        #expect(text == #"{"a":-12,"b":1.234567,"c":[-0.005,0,null,true],"d":"q\"\\\n\u0001"}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["b"] as? Double == 1.234567)
        var small = [UInt8](repeating: 0, count: 4)
        small.withUnsafeMutableBytes { raw in
            var json = JSONWriter(buffer: raw)
            json.beginObject(); json.key("long"); json.endObject()
            #expect(json.overflowed)
        }
    }
}
