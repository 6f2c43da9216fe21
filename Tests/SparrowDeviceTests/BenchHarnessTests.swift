import Foundation
import SparrowNPY
import SparrowToolchain
import Testing

/// A JSON Schema subset validator (type incl. unions, enum, required, properties, items,
/// minimum, maximum): enough for the schema in Docs/harness.md. Returns the violations.
func validate(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
    var problems: [String] = []
    func typeName(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if let n = v as? NSNumber {
            // corelibs JSONSerialization: "c" for true/false, "d" for numbers written with a point.
            let code = String(cString: n.objCType)
            return code == "c" ? "boolean" : (code == "d" || code == "f") ? "number" : "integer"
        }
        if v is String { return "string" }
        if v is [Any] { return "array" }
        if v is [String: Any] { return "object" }
        return "unknown"
    }
    let actual = typeName(value)
    if let t = schema["type"] {
        let allowed = (t as? [String]) ?? [t as? String ?? ""]
        let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
        if !ok { return ["\(path): type \(actual), expected \(allowed)"] }
    }
    if let options = schema["enum"] as? [Any] {
        let match = options.contains { option in
            if option is NSNull { return value is NSNull }
            return (option as? NSObject)?.isEqual(value) ?? false
        }
        if !match { problems.append("\(path): \(value) not in \(options)") }
    }
    if let n = value as? NSNumber, actual != "boolean" {
        if let m = schema["minimum"] as? NSNumber, n.doubleValue < m.doubleValue { problems.append("\(path): \(n) < minimum \(m)") }
        if let m = schema["maximum"] as? NSNumber, n.doubleValue > m.doubleValue { problems.append("\(path): \(n) > maximum \(m)") }
    }
    if let object = value as? [String: Any] {
        for key in schema["required"] as? [String] ?? [] where object[key] == nil { problems.append("\(path): missing '\(key)'") }
        for (key, sub) in schema["properties"] as? [String: [String: Any]] ?? [:] {
            if let v = object[key] { problems += validate(v, against: sub, at: "\(path).\(key)") }
        }
    }
    if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
        for (i, v) in array.enumerated() { problems += validate(v, against: items, at: "\(path)[\(i)]") }
    }
    return problems
}

/// The JSON Schema block of Docs/harness.md.
func benchSchema() throws -> [String: Any] {
    let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Docs/harness.md")
    let text = try String(contentsOf: doc, encoding: .utf8)
    let start = try #require(text.range(of: "```json\n"))
    let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
    return try #require(try JSONSerialization.jsonObject(with: Data(text[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
}

/// The first 96 digits labels (matching DigitsModel's 96-sample input), as int64 .npy.
func digitsLabels(in directory: URL) throws -> (path: String, labels: [Int64]) {
    let y = try NPYArray.read(path: DigitsModel.shared.fixtures.appendingPathComponent("digits_test_y.npy").path)
    let labels = Array(try #require(y.int64s()).prefix(96))
    let url = directory.appendingPathComponent("y.npy")
    try NPYArray(int64s: labels, shape: [96]).write(path: url.path)
    return (url.path, labels)
}

/// Top-1 accuracy of the host's outputs for the 96 samples, computed here from the host
/// result (not from the bench code).
func expectedCorrect(labels: [Int64]) throws -> Int {
    let host = try DigitsModel.shared.hostResult()
    var correct = 0
    for i in 0..<96 {
        let row = Array(host.outputs[(i * 10)..<(i * 10 + 10)])
        if Int64(row.firstIndex(of: row.max()!)!) == labels[i] { correct += 1 }
    }
    return correct
}

func readRecord(_ url: URL) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

@Suite struct BenchHarnessTests {
    /// Issue 6 end to end on the device binary under qemu: a fake hwmon INA226 whose power a
    /// background thread alternates between 2 W and 4 W during the run; the device's sampling
    /// thread must integrate ≈ 3 W. The record validates against the documented schema.
    @Test func deviceBenchUnderQemuMeasuresFakeHwmon() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sys = directory.appendingPathComponent("sys")
        let hwmon = sys.appendingPathComponent("class/hwmon/hwmon1")
        try FileManager.default.createDirectory(at: hwmon, withIntermediateDirectories: true)
        try "ina226\n".write(to: hwmon.appendingPathComponent("name"), atomically: true, encoding: .utf8)
        let powerFile = hwmon.appendingPathComponent("power1_input")
        try "2000000\n".write(to: powerFile, atomically: true, encoding: .utf8)
        let lock = NSLock(), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var stopped = false
        Thread {
            var high = false
            while !lock.withLock({ stopped }) {
                high.toggle()
                try? (high ? "4000000\n" : "2000000\n").write(to: powerFile, atomically: true, encoding: .utf8)
                Thread.sleep(forTimeInterval: 0.002)
            }
            done.signal()
        }.start()
        defer { lock.withLock { stopped = true }; done.wait() }

        let (labelsPath, labels) = try digitsLabels(in: directory)
        let json = directory.appendingPathComponent("run.json"), csv = directory.appendingPathComponent("run.csv")
        let run = try Emulator(builder: cache.builder).run(
            board: board,
            arguments: ["bench", try DigitsModel.shared.modelPath(), "--input", try DigitsModel.shared.inputPath(), "--labels", labelsPath,
                        "--warmup", "3", "--duration", "0.6", "--sample-ms", "2", "--idle-seconds", "0.2",
                        "--sysfs-root", sys.path, "--json", json.path, "--csv", csv.path, "--label", "qemu cortex-a72 (emulated)"],
            binary: build.binaryPath)
        #expect(run.exitCode == 0, "stderr: \(String(decoding: run.stderr, as: UTF8.self))")
        #expect(String(decoding: run.stderr, as: UTF8.self).contains("inferences,"), "progress on stderr")
        let record = try readRecord(json)
        #expect(validate(record, against: try benchSchema()) == [])
        #expect(record["tool"] as? String == "sparrow-device")
        let energy = try #require(record["energy"] as? [String: Any])
        #expect(energy["source"] as? String == "hwmon")
        #expect(energy["estimated"] as? Bool == false)
        #expect((energy["sensor"] as? [String: Any])?["hwmon"] as? Int == 1)
        let watts = try #require(energy["averageWatts"] as? Double)
        #expect(abs(watts - 3.0) < 0.4, "average power \(watts) W")
        let idle = try #require(energy["idleWatts"] as? Double)
        #expect(abs(idle - 3.0) < 0.6, "idle \(idle) W")
        let latency = try #require(record["latency"] as? [String: Any])
        let count = try #require(latency["count"] as? Int)
        let joules = try #require(energy["energyJoules"] as? Double), perInference = try #require(energy["joulesPerInference"] as? Double)
        #expect(abs(perInference * Double(count) - joules) <= joules * 0.01 + 1e-9)
        let order = ["min", "p50", "p90", "p99", "max"].map { (latency[$0] as? Double) ?? -1 }
        #expect(order == order.sorted() && order[0] > 0)
        let accuracy = try #require(record["accuracy"] as? [String: Any])
        #expect(accuracy["correct"] as? Int == (try expectedCorrect(labels: labels)))
        #expect(accuracy["samples"] as? Int == 96)
        let operators = try #require(record["operators"] as? [[String: Any]])
        #expect(operators.count == (record["model"] as? [String: Any])?["operators"] as? Int)
        let shares = operators.map { ($0["share"] as? Double) ?? 0 }.reduce(0, +)
        #expect(abs(shares - 1) < 0.001)
        #expect(operators.allSatisfy { $0["runs"] as? Int == 96 })
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "iteration,sample,latency_ns,exit")
        #expect(rows.count == count + 1)
    }

    /// 32-bit device, no sensor under the given root: falls back to the command-line board
    /// figures, labelled estimated, with the note saying why, and energy = idle × window + load × busy.
    @Test func deviceBenchFallsBackToEstimateOnArmv7() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b-armv7")
        let build = try cache.build("pi4b-armv7")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("run.json")
        let run = try Emulator(builder: cache.builder).run(
            board: board,
            arguments: ["bench", try DigitsModel.shared.modelPath(), "--input", try DigitsModel.shared.inputPath(), "--iterations", "200",
                        "--sysfs-root", directory.appendingPathComponent("empty-sys").path, "--quiet", "--json", json.path,
                        "--board", "pi4b-armv7", "--idle-watts", "3.1", "--load-watts", "0.75", "--power-source", "Boards/pi4b-armv7.json"],
            binary: build.binaryPath)
        #expect(run.exitCode == 0, "stderr: \(String(decoding: run.stderr, as: UTF8.self))")
        #expect(run.stderr.isEmpty, "--quiet prints no progress")
        let record = try readRecord(json)
        #expect(validate(record, against: try benchSchema()) == [])
        let energy = try #require(record["energy"] as? [String: Any])
        #expect(energy["source"] as? String == "model")
        #expect(energy["estimated"] as? Bool == true)
        #expect((energy["profile"] as? [String: Any])?["source"] as? String == "Boards/pi4b-armv7.json")
        let notes = try #require(energy["notes"] as? [String])
        #expect(notes.contains { $0.hasPrefix("hwmon: no INA2xx") } && notes.contains { $0.hasPrefix("powercap: no") })
        let window = try #require(energy["windowSeconds"] as? Double)
        let latency = try #require(record["latency"] as? [String: Any])
        let busy = Double(try #require(latency["count"] as? Int)) * (try #require(latency["mean"] as? Double)) / 1000
        let expected = 3.1 * window + 0.75 * busy
        #expect(abs((try #require(energy["energyJoules"] as? Double)) - expected) < expected * 0.01)
        #expect(record["accuracy"] is NSNull)
    }

    /// Host `sparrow bench` (the built executable) and `sparrow report`: the record validates,
    /// the board profile fills the estimate, and the report writes Markdown and well-formed SVG.
    @Test func hostBenchAndReport() throws {
        let sparrow = try sparrowExecutable()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (labelsPath, labels) = try digitsLabels(in: directory)
        let json = directory.appendingPathComponent("host.json")
        let bench = try runTool([sparrow, "bench", try DigitsModel.shared.modelPath(), "--input", try DigitsModel.shared.inputPath(),
                                 "--labels", labelsPath, "--iterations", "300", "--board", "pi4b", "--power", "model",
                                 "--json", json.path, "--quiet"])
        #expect(bench.exitCode == 0, "\(bench.stderr)")
        let record = try readRecord(json)
        #expect(validate(record, against: try benchSchema()) == [])
        let energy = try #require(record["energy"] as? [String: Any])
        #expect(energy["estimated"] as? Bool == true)
        #expect(((energy["profile"] as? [String: Any])?["source"] as? String)?.hasPrefix("Boards/pi4b.json") == true)
        #expect((record["accuracy"] as? [String: Any])?["correct"] as? Int == (try expectedCorrect(labels: labels)))

        let out = directory.appendingPathComponent("report")
        let report = try runTool([sparrow, "report", json.path, json.path, "-o", out.path])
        #expect(report.exitCode == 0, "\(report.stderr)")
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("| run | platform |") && markdown.contains("model (estimated)"))
        let svgs = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".svg") }
        #expect(svgs.count == 4)   // two runs × (latency histogram, operator bars)
        for name in svgs {
            let svg = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
            #expect(svg.hasPrefix("<svg"))
            #expect(svg.contains("(ms)"), "\(name) has an axis with units")
            #expect(svg.components(separatedBy: "<text").count > 8, "\(name) has tick labels")
        }
    }

    /// A model without labels or exits rejects --sweep-exits with a message, never a crash.
    @Test func hostSweepNeedsAnEarlyExitModel() throws {
        let sparrow = try sparrowExecutable()
        let r = try runTool([sparrow, "bench", try DigitsModel.shared.modelPath(), "--input", try DigitsModel.shared.inputPath(),
                             "--iterations", "5", "--sweep-exits", "--quiet", "--power", "none"])
        #expect(r.exitCode == 1)
        #expect(r.stderr.contains("no early exits"))
    }
}
