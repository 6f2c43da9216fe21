import Foundation
import SparrowConverter
import SparrowNPY
import SparrowRuntime
import SparrowToolchain
import Testing

/// `sparrow bench` / `sparrow-device bench` under a MAC budget or deadline, and the budget sweep,
/// on the calibrated digits multi-exit model (96 test images). Expected exits come from the host
/// calibrator's profile of the same images (the cascade with the file's thresholds), not from the
/// bench code.
@Suite struct BenchBudgetTests {
    /// The file's exit thresholds and, per sample, the exit the calibrated cascade takes.
    static func cascade() throws -> (profile: ExitProfile, taken: [Int]) {
        let m = MultiExitModel.shared
        let profile = try m.profile()
        let file = try Data(contentsOf: URL(fileURLWithPath: try m.path("multiexit.sparrow")))
        let thresholds = try file.withUnsafeBytes { raw -> [Int32] in
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: raw.count, alignment: 16)
            defer { copy.deallocate() }
            copy.copyMemory(from: raw)
            let v = try VerifiedModel.verify(UnsafeRawBufferPointer(copy))
            return (0..<v.exitCount).map { v.exit($0).threshold }
        }
        return (profile, (0..<profile.sampleCount).map { profile.exitTaken(sample: $0, thresholds: thresholds) })
    }

    /// The answering exit of sample i under `budget`: deepest allowed (full depth) or the cascade's capped there; -1 none.
    static func expectedExit(_ i: Int, budget: UInt64, fullDepth: Bool, profile: ExitProfile, taken: [Int]) -> Int {
        guard let deepest = profile.macs.lastIndex(where: { $0 <= budget }) else { return -1 }
        return fullDepth ? deepest : min(taken[i], deepest)
    }

    /// Per-inference exits of the timed pass (CSV, 96 iterations = every sample once) and the
    /// record's histogram: never an exit past the budget, and exactly the expected one.
    @Test func hostBenchUnderMacBudgetNeverAnswersFromAnExcludedExit() throws {
        let m = MultiExitModel.shared
        let (profile, taken) = try Self.cascade()
        let macs = profile.macs
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (budget, fullDepth) in [(macs[0] - 1, false), (macs[0], false), (macs[1] - 1, true), (macs[1], true), (macs[1], false),
                                    (macs[2], false)] {
            let json = directory.appendingPathComponent("r.json"), csv = directory.appendingPathComponent("r.csv")
            let r = try runTool([try sparrowExecutable(), "bench", try m.path("multiexit.sparrow"), "--input", try m.path("x.npy"),
                                 "--labels", try m.path("y.npy"), "--mac-budget", String(budget), "--warmup", "1", "--iterations", "96",
                                 "--power", "none", "--quiet", "--json", json.path, "--csv", csv.path] + (fullDepth ? ["--full-depth"] : []))
            #expect(r.exitCode == 0, "\(r.stderr)")
            let expected = (0..<96).map { Self.expectedExit($0, budget: budget, fullDepth: fullDepth, profile: profile, taken: taken) }
            let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst()
            let exits = rows.map { Int($0.split(separator: ",")[3])! }
            #expect(exits == expected, "budget \(budget) fullDepth \(fullDepth)")
            #expect(exits.allSatisfy { $0 < 0 || macs[$0] <= budget })

            let record = try readRecord(json)
            #expect(validate(record, against: try benchSchema()) == [])
            #expect((record["config"] as? [String: Any])?["macBudget"] as? Int == Int(budget))
            let histogram = (0..<3).map { e in expected.filter { $0 == e }.count }
            #expect(record["exits"] as? [Int] == histogram, "budget \(budget)")
            #expect(record["unanswered"] as? Int == expected.filter { $0 < 0 }.count)
            let correct = (0..<96).filter { expected[$0] >= 0 && profile.correct[expected[$0]][$0] }.count
            #expect((record["accuracy"] as? [String: Any])?["correct"] as? Int == correct, "budget \(budget)")
        }
    }

    /// A zero deadline: the first exit always finishes after it, so nothing answers; a deadline of
    /// a minute changes nothing.
    @Test func hostBenchDeadline() throws {
        let m = MultiExitModel.shared
        let (profile, taken) = try Self.cascade()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (deadline, answered) in [("0", false), ("60000000", true)] {
            let json = directory.appendingPathComponent("d.json")
            let r = try runTool([try sparrowExecutable(), "bench", try m.path("multiexit.sparrow"), "--input", try m.path("x.npy"),
                                 "--labels", try m.path("y.npy"), "--deadline-us", deadline, "--warmup", "0", "--iterations", "5",
                                 "--power", "none", "--quiet", "--json", json.path])
            #expect(r.exitCode == 0, "\(r.stderr)")
            let record = try readRecord(json)
            #expect(validate(record, against: try benchSchema()) == [])
            if answered {
                #expect(record["unanswered"] as? Int == 0)
                #expect(record["exits"] as? [Int] == (0..<3).map { e in taken.filter { $0 == e }.count })
            } else {
                #expect(record["unanswered"] as? Int == 96)
                #expect(record["exits"] as? [Int] == [0, 0, 0])
                #expect((record["accuracy"] as? [String: Any])?["correct"] as? Int == 0)
            }
        }
        _ = profile
    }

    /// Checks a record's budget sweep against the profile: one point per exit cost, each point's
    /// histogram, answers, accuracy and average MACs as the capped cascade gives them.
    static func checkBudgetSweep(_ record: [String: Any], fullDepth: Bool) throws {
        let (profile, taken) = try cascade()
        let sweep = try #require(record["budgetSweep"] as? [[String: Any]])
        #expect(sweep.map { $0["maxMacs"] as? Int } == profile.macs.map { Int($0) })
        for p in sweep {
            let budget = UInt64(p["maxMacs"] as? Int ?? 0)
            let expected = (0..<96).map { expectedExit($0, budget: budget, fullDepth: fullDepth, profile: profile, taken: taken) }
            #expect(p["exits"] as? [Int] == (0..<3).map { e in expected.filter { $0 == e }.count }, "budget \(budget)")
            #expect(p["answered"] as? Int == 96 && p["samples"] as? Int == 96)
            let correct = (0..<96).filter { profile.correct[expected[$0]][$0] }.count
            #expect(abs((p["accuracy"] as? Double ?? -1) - Double(correct) / 96) <= 1e-6, "budget \(budget)")
            let macs = expected.reduce(UInt64(0)) { $0 + profile.macs[$1] }
            #expect(p["averageMacs"] as? Int == Int(macs / 96), "budget \(budget)")
            #expect((p["exits"] as? [Int] ?? []).indices.allSatisfy { e in profile.macs[e] <= budget || (p["exits"] as! [Int])[e] == 0 })
        }
    }

    /// `--sweep-budgets` on the host, with and without --full-depth, and the report's anytime plot.
    @Test func hostBudgetSweepAndReportPlot() throws {
        let m = MultiExitModel.shared
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for fullDepth in [false, true] {
            let json = directory.appendingPathComponent("s\(fullDepth).json")
            let r = try runTool([try sparrowExecutable(), "bench", try m.path("multiexit.sparrow"), "--input", try m.path("x.npy"),
                                 "--labels", try m.path("y.npy"), "--sweep-budgets", "--warmup", "0", "--iterations", "5",
                                 "--power", "none", "--quiet", "--json", json.path, "--label", fullDepth ? "deepest" : "cascade"]
                                + (fullDepth ? ["--full-depth"] : []))
            #expect(r.exitCode == 0, "\(r.stderr)")
            let record = try readRecord(json)
            #expect(validate(record, against: try benchSchema()) == [])
            try Self.checkBudgetSweep(record, fullDepth: fullDepth)
            files.append(json.path)
        }
        let out = directory.appendingPathComponent("report")
        let report = try runTool([try sparrowExecutable(), "report"] + files + ["-o", out.path])
        #expect(report.exitCode == 0, "\(report.stderr)")
        let svg = try String(contentsOf: out.appendingPathComponent("budget-accuracy-macs.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("MAC budget"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 6, "3 levels × 2 runs")
        #expect(svg.contains("cascade") && svg.contains("deepest"))
        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("Anytime profile") && markdown.contains("budget-accuracy-macs.svg"))

        // Preconditions, before anything runs.
        let noLabels = try runTool([try sparrowExecutable(), "bench", try m.path("multiexit.sparrow"), "--input", try m.path("x.npy"),
                                    "--sweep-budgets", "--quiet", "--power", "none"])
        #expect(noLabels.exitCode == 1 && noLabels.stderr.contains("--sweep-budgets needs --labels"))
    }

    /// The device program under qemu: the same budget sweep as the host's, and a MAC budget that
    /// excludes the final exit never answers from it.
    @Test func deviceBudgetSweepAndBudgetUnderQemu() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let m = MultiExitModel.shared
        let (profile, taken) = try Self.cascade()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("d.json"), csv = directory.appendingPathComponent("d.csv")
        let budget = profile.macs[1]
        let r = try Emulator(builder: cache.builder).run(
            board: board, arguments: ["bench", try m.path("multiexit.sparrow"), "--input", try m.path("x.npy"), "--labels", try m.path("y.npy"),
                                      "--sweep-budgets", "--mac-budget", String(budget), "--full-depth", "--warmup", "0",
                                      "--iterations", "96", "--power", "none", "--quiet", "--json", json.path, "--csv", csv.path],
            binary: build.binaryPath)
        #expect(r.exitCode == 0, "stderr: \(String(decoding: r.stderr, as: UTF8.self))")
        let record = try readRecord(json)
        #expect(validate(record, against: try benchSchema()) == [])
        #expect(record["tool"] as? String == "sparrow-device")
        try Self.checkBudgetSweep(record, fullDepth: true)
        let exits = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst().map { Int($0.split(separator: ",")[3])! }
        #expect(exits == (0..<96).map { Self.expectedExit($0, budget: budget, fullDepth: true, profile: profile, taken: taken) })
        #expect(exits.allSatisfy { $0 == 1 })
    }
}
