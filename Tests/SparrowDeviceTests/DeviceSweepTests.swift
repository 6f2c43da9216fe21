import Foundation
import SparrowConverter
import SparrowNPY
import SparrowToolchain
import Testing

/// The digits multi-exit model (exits exit1, exit2, final; max-probability criterion) with
/// thresholds calibrated on the validation split as EarlyExitTests does, 96 test images and their
/// labels, and the calibrator's profile of those images: built once per test run.
final class MultiExitModel: @unchecked Sendable {
    static let shared = MultiExitModel()
    private let lock = NSLock()
    private var prepared: (directory: URL, profile: ExitProfile)?

    private func prepare() throws -> (directory: URL, profile: ExitProfile) {
        try lock.withLock {
            if let prepared { return prepared }
            let fixtures = DigitsModel.shared.fixtures
            func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
            var options = ConversionOptions(calibrationPath: fixture("digits_calib.npy"))
            options.exits = ExitOptions(outputs: ["exit1", "exit2", "final"], criterion: .maxProbability)
            options.exitCalibration = ExitCalibrationOptions(
                validation: LabelledSamples(x: try NPYArray.read(path: fixture("digits_val_x.npy")),
                                            labels: try #require(try NPYArray.read(path: fixture("digits_val_y.npy")).int64s())),
                budgetPoints: 1, guardMethod: .clopperPearson(alpha: 0.05))
            let bytes = try convert(onnxPath: fixture("digits_multiexit_sd.onnx"), options: options).bytes

            let directory = try makeTemporaryDirectory()
            try Data(bytes).write(to: directory.appendingPathComponent("multiexit.sparrow"))
            let x = try NPYArray.read(path: fixture("digits_test_x.npy"))
            let subset = NPYArray(floats: Array(try #require(x.floats()).prefix(96 * 64)), shape: [96, 1, 8, 8])
            try subset.write(path: directory.appendingPathComponent("x.npy").path)
            let labels = Array(try #require(try NPYArray.read(path: fixture("digits_test_y.npy")).int64s()).prefix(96))
            try NPYArray(int64s: labels, shape: [96]).write(path: directory.appendingPathComponent("y.npy").path)
            let profile = try ExitCalibrator.profile(modelBytes: bytes, x: subset, labels: labels)
            prepared = (directory, profile)
            return prepared!
        }
    }

    func path(_ name: String) throws -> String { try prepare().directory.appendingPathComponent(name).path }
    func profile() throws -> ExitProfile { try prepare().profile }
}

@Suite struct DeviceSweepTests {
    /// `sparrow-device bench --sweep-exits` under qemu writes the same sweep section as the host's
    /// `sparrow bench --sweep-exits`: at every level the same accuracy, average MACs and exit
    /// histogram (same integer arithmetic; latency and energy differ). Both are also checked
    /// against the exit calibrator's cascade on the same images, with each level's threshold
    /// derived here from the documented levels (round(L · 2^16); L = 1 never exits early).
    @Test(arguments: ["pi4b", "pi4b-armv7"])
    func deviceSweepMatchesHostSweep(boardName: String) throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let build = try cache.build(boardName)
        let m = MultiExitModel.shared
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let common = ["--input", try m.path("x.npy"), "--labels", try m.path("y.npy"), "--sweep-exits", "--warmup", "1",
                      "--iterations", "10", "--power", "none", "--quiet"]
        let hostJSON = directory.appendingPathComponent("host.json"), deviceJSON = directory.appendingPathComponent("device.json")
        let host = try runTool([try sparrowExecutable(), "bench", try m.path("multiexit.sparrow")] + common + ["--json", hostJSON.path])
        #expect(host.exitCode == 0, "\(host.stderr)")
        let device = try Emulator(builder: cache.builder).run(
            board: board, arguments: ["bench", try m.path("multiexit.sparrow")] + common + ["--json", deviceJSON.path],
            binary: build.binaryPath)
        #expect(device.exitCode == 0, "stderr: \(String(decoding: device.stderr, as: UTF8.self))")

        let hostRecord = try readRecord(hostJSON), deviceRecord = try readRecord(deviceJSON)
        #expect(validate(deviceRecord, against: try benchSchema()) == [])
        #expect(deviceRecord["tool"] as? String == "sparrow-device")
        let hostSweep = try #require(hostRecord["sweep"] as? [[String: Any]])
        let deviceSweep = try #require(deviceRecord["sweep"] as? [[String: Any]])
        let levels = [0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1]
        #expect(hostSweep.count == levels.count && deviceSweep.count == levels.count)

        let profile = try m.profile()
        for (i, level) in levels.enumerated() where i < min(hostSweep.count, deviceSweep.count) {
            let h = hostSweep[i], d = deviceSweep[i]
            for key in ["level", "samples", "accuracy", "averageMacs", "exits", "energySource"] {
                #expect((h[key] as? NSObject) == (d[key] as? NSObject), "level \(level) \(key): host \(h[key] ?? "nil"), device \(d[key] ?? "nil")")
            }
            #expect(abs((d["level"] as? Double ?? -1) - level) < 1e-4)
            #expect(d["energySource"] as? String == "none" && d["joulesPerInference"] is NSNull)

            // The calibrator's cascade with this level's thresholds.
            let threshold = level >= 1 ? Int32(65537) : Int32((level * 65536).rounded())
            let cascade = ExitCalibrator.evaluate(profile, thresholds: [threshold, threshold, 0])
            #expect(d["exits"] as? [Int] == cascade.leaving, "level \(level)")
            let correct = cascade.correctLeaving.reduce(0, +)
            #expect(abs((d["accuracy"] as? Double ?? -1) - Double(correct) / 96) <= 1e-6, "level \(level)")
            let macs = zip(cascade.leaving, profile.macs).reduce(UInt64(0)) { $0 + UInt64($1.0) * $1.1 }
            #expect(d["averageMacs"] as? Int == Int(macs / 96), "level \(level)")
        }
        // The ends of the curve: everything leaves at the first exit at level 0, nothing before the
        // final exit at level 1 (whose MACs are the whole model's).
        #expect(deviceSweep.first?["exits"] as? [Int] == [96, 0, 0])
        #expect(deviceSweep.last?["exits"] as? [Int] == [0, 0, 96])
        #expect(deviceSweep.last?["averageMacs"] as? Int == (deviceRecord["model"] as? [String: Any])?["macs"] as? Int)
    }

    /// The sweep's preconditions are checked before anything runs, with the host's words.
    @Test func deviceSweepNeedsLabelsAndExits() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let emulator = Emulator(builder: cache.builder)
        let noExits = try emulator.run(board: board, arguments: ["bench", try DigitsModel.shared.modelPath(), "--input",
                                                                 try DigitsModel.shared.inputPath(), "--sweep-exits", "--quiet"],
                                       binary: build.binaryPath)
        #expect(noExits.exitCode == 1)
        #expect(String(decoding: noExits.stderr, as: UTF8.self).contains("--sweep-exits: the model has no early exits"))
        let noLabels = try emulator.run(board: board, arguments: ["bench", try MultiExitModel.shared.path("multiexit.sparrow"), "--input",
                                                                  try MultiExitModel.shared.path("x.npy"), "--sweep-exits", "--quiet"],
                                        binary: build.binaryPath)
        #expect(noLabels.exitCode == 1)
        #expect(String(decoding: noLabels.stderr, as: UTF8.self).contains("--sweep-exits needs --labels"))
        #expect(noLabels.stdout.isEmpty, "nothing ran")
    }
}
