import Foundation
import SparrowFormat
import SparrowHarness
import SparrowNPY
import SparrowRuntime
import SparrowToolchain

/// `sparrow bench`: the host side of the benchmark harness. The session (passes, statistics,
/// energy arithmetic, sensor probing, JSON record) is SparrowHarness's, the same the device
/// program runs; HostBench.swift adds the host's clock, file reads and sampling thread.
enum BenchCommand {
    static let usage = """
    usage: sparrow bench MODEL.sparrow --input [NAME=]X.npy ... [options]

    Measures latency (min/p50/p90/p99/max/mean per inference), a per-operator time profile, the
    exit histogram, accuracy (with --labels), peak resident memory and energy (Docs/harness.md),
    on this host. `sparrow-device bench` takes the same options on the board; for a board's
    figures without one, `sparrow emulate --board NAME -- bench ...`. Bad option values exit 2;
    bad files stop it before the first inference (exit 1).

    """ + "\noptions:\n" + Arguments.optionHelp(.bench)

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, grammar: .bench)
        if a.has("--help") { print(usage, terminator: ""); return 0 }
        guard let inputValues = a.options["--input"], let inputPath = a.value("--input") else { throw CLIError.usage("missing --input") }
        let modelPath = a.positional[0]
        func count(_ name: String, _ fallback: Int) throws -> Int {
            guard let text = a.value(name) else { return fallback }
            guard let v = Int(text), v >= 0 else { throw CLIError.usage("\(name) needs a non-negative integer, got '\(text)'") }
            return v
        }
        func seconds(_ name: String) throws -> Double? {
            guard let text = a.value(name) else { return nil }
            guard let v = Double(text), v >= 0, v.isFinite else { throw CLIError.usage("\(name) needs a non-negative number, got '\(text)'") }
            return v
        }
        let warmup = try count("--warmup", 5)
        let iterations = try count("--iterations", 100)
        let durationNs = UInt64((try seconds("--duration") ?? 0) * 1e9)
        let capacity = max(durationNs > 0 ? try count("--max-iterations", 100_000) : iterations, 1)
        let sampleMs = max(try count("--sample-ms", 10), 1)
        let idleNs = UInt64((try seconds("--idle-seconds") ?? 1) * 1e9)
        let quiet = a.has("--quiet"), fullDepth = a.has("--full-depth")
        let request: PowerRequest = try {
            let text = a.value("--power") ?? "auto"
            guard let r = Array(text.utf8).withUnsafeBytes({ PowerRequest($0) }) else {
                throw CLIError.usage("--power must be auto, hwmon, powercap, model or none, got '\(text)'")
            }
            return r
        }()
        let figures = try boardFigures(a)
        let boardMismatch = figures.flatMap { f in a.value("--board").flatMap { _ in hostIsNot(board: f.board) } }
        if let boardMismatch { FileHandle.standardError.write(Data("sparrow bench: WARNING: \(boardMismatch)\n".utf8)) }

        let loaded = try loadModel(path: modelPath)
        let model = loaded.model
        let inputs = try ModelInputs(inputValues, model: model)
        let plan = inputs.plan, floats = inputs.files[0].floats
        let labels: [Int64]? = try a.value("--labels").map { try readLabels($0, count: plan.sampleCount) }
        if a.has("--sweep-exits") {
            // Checked before anything runs (as on the device).
            guard model.exitCount > 1 else { throw CLIError("--sweep-exits: the model has no early exits") }
            guard labels != nil else { throw CLIError("--sweep-exits needs --labels") }
        }
        if a.has("--sweep-budgets") {
            guard model.exitCount > 1 else { throw CLIError("--sweep-budgets: the model has no early exits") }
            guard labels != nil else { throw CLIError("--sweep-budgets needs --labels") }
        }
        func whole(_ name: String, _ what: String) throws -> UInt64 {
            guard let text = a.value(name) else { return .max }
            guard let v = UInt64(text), v < (name == "--deadline-us" ? UInt64(UInt32.max) : UInt64.max) else {
                throw CLIError("\(name) needs a whole number of \(what), got '\(text)'")
            }
            return v
        }
        let macBudget = try whole("--mac-budget", "multiply-accumulates")
        let deadlineUs = try whole("--deadline-us", "microseconds")

        var bench = BenchSettings()
        bench.warmup = warmup
        bench.iterations = iterations
        bench.durationNanoseconds = durationNs
        bench.idleNanoseconds = idleNs
        bench.fullDepth = fullDepth
        bench.quiet = quiet
        bench.sweepExits = a.has("--sweep-exits")
        bench.sweepBudgets = a.has("--sweep-budgets")
        bench.budget = BenchBudget(maxMacs: macBudget, deadlineNanoseconds: deadlineUs == .max ? .max : deadlineUs * 1000)
        bench.request = request
        let run = try HostBench(loaded, plan: plan, floats: floats, otherInputs: inputs.files.dropFirst().map(\.floats), labels: labels,
                                capacity: capacity, sysfsRoot: a.value("--sysfs-root") ?? ProcessInfo.processInfo.environment["SPARROW_SYSFS_ROOT"] ?? "/sys",
                                sampleNanoseconds: UInt64(sampleMs) * 1_000_000)
        let status = try run.execute(
            HostBench.Settings(modelPath: modelPath, inputPath: inputPath, labelsPath: a.value("--labels"), bench: bench,
                               figures: figures, label: a.value("--label"), jsonPath: a.value("--json"), csvPath: a.value("--csv")))
        if boardMismatch != nil, let board = figures?.board {
            print("energy: NOT a \(board) figure: this host's latency times \(board)'s watts (see the warning on stderr)")
        }
        return status
    }

    /// When `--board` names a Raspberry Pi and this host is not one, what the estimate really is:
    /// this host's latency times the board's watts. nil on a Pi (device tree model "Raspberry Pi").
    static func hostIsNot(board: String) -> String? {
        for path in ["/proc/device-tree/model", "/sys/firmware/devicetree/base/model"] {
            if let model = FileManager.default.contents(atPath: path), String(decoding: model, as: UTF8.self).contains("Raspberry Pi") {
                return nil
            }
        }
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "this host (\(machine)) is not a \(board): the energy estimate below is THIS HOST's latency times "
            + "\(board)'s watts, not a \(board) figure. For the board: `sparrow emulate --board \(board) -- bench ...` "
            + "(qemu, exact instruction counts but emulated time) or sparrow-device bench on the board."
    }

    /// Idle/load watts for the estimate: from --board's profile, overridden by explicit values.
    static func boardFigures(_ a: Arguments) throws -> HostBench.Figures? {
        var figures: HostBench.Figures?
        if let name = a.value("--board") {
            do {
                let board = try BoardCatalog.locate().board(named: name)
                figures = HostBench.Figures(board: board.name, idleWatts: board.power.idleWatts, loadWatts: board.power.perCoreLoadWatts,
                                            source: board.powerFiguresSource)
            } catch { throw CLIError("--board \(name): \(error)") }
        }
        if let idle = a.value("--idle-watts"), let load = a.value("--load-watts") {
            guard let i = Double(idle), let l = Double(load), i >= 0, l >= 0 else {
                throw CLIError.usage("--idle-watts/--load-watts need non-negative numbers")
            }
            figures = HostBench.Figures(board: a.value("--board") ?? "", idleWatts: i, loadWatts: l,
                                        source: a.value("--power-source") ?? "given on the command line")
        } else if a.value("--idle-watts") != nil || a.value("--load-watts") != nil {
            throw CLIError.usage("--idle-watts and --load-watts go together")
        }
        return figures
    }
}
