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
    usage: sparrow bench MODEL.sparrow --input [NAME=]X.npy ... [--labels Y.npy] [--warmup N] [--iterations N | --duration S]
                         [--json OUT.json] [--csv OUT.csv] [--power auto|hwmon|powercap|model|none]
                         [--board NAME] [--idle-watts W --load-watts W --power-source TEXT]
                         [--sysfs-root DIR] [--sample-ms N] [--idle-seconds S] [--max-iterations N]
                         [--full-depth] [--sweep-exits] [--label TEXT] [--quiet]
                         [--mac-budget N] [--deadline-us T] [--sweep-budgets]

    Measures latency (min/p50/p90/p99/max/mean per inference), a per-operator time profile, the
    exit histogram, accuracy (with --labels), peak resident memory and energy (Docs/harness.md).
      --input X.npy        float32 samples in the ONNX model's layout; a model with several
                           inputs takes --input NAME=FILE for each
      --warmup N           unmeasured inferences first (default 5)
      --iterations N       timed inferences (default 100), cycling through the samples
      --duration S         time the run instead: as many inferences as fit in S seconds
      --power SOURCE       auto (default): hwmon INA2xx sensor, else powercap/RAPL, else the
                           board figures (estimate, labelled "estimated": true), else none
      --board NAME         board profile (Boards/NAME.json) for the estimate's idle/load watts
      --idle-watts W, --load-watts W, --power-source TEXT   the same figures given directly
      --sysfs-root DIR     read sensors under DIR instead of /sys (also SPARROW_SYSFS_ROOT)
      --idle-seconds S     idle-power window before the run when a sensor is read (default 1)
      --sweep-exits        early-exit models: accuracy/MACs/latency/energy at a range of thresholds
      --mac-budget N       anytime inference: answer from the deepest exit costing at most N MACs
      --deadline-us T      anytime inference: answer from the deepest exit finished within T µs
                           of each inference's start (no answer counts as wrong)
      --sweep-budgets      early-exit models: accuracy/answers/MACs/latency at each exit's MAC cost
    """

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--input", "--labels", "--warmup", "--iterations", "--duration", "--json", "--csv",
                                             "--power", "--board", "--idle-watts", "--load-watts", "--power-source",
                                             "--sysfs-root", "--sample-ms", "--idle-seconds", "--max-iterations", "--label",
                                             "--mac-budget", "--deadline-us"],
                              switches: ["--full-depth", "--quiet", "--sweep-exits", "--sweep-budgets"])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...1, usage: usage)
        guard let inputValues = a.options["--input"], let inputPath = a.value("--input") else { throw CLIError.usage(usage) }
        let modelPath = a.positional[0]
        func count(_ name: String, _ fallback: Int) throws -> Int {
            guard let text = a.value(name) else { return fallback }
            guard let v = Int(text), v >= 0 else { throw CLIError("\(name) needs a non-negative integer, got '\(text)'") }
            return v
        }
        func seconds(_ name: String) throws -> Double? {
            guard let text = a.value(name) else { return nil }
            guard let v = Double(text), v >= 0, v.isFinite else { throw CLIError("\(name) needs a non-negative number, got '\(text)'") }
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
                throw CLIError("--power must be auto, hwmon, powercap, model or none, got '\(text)'")
            }
            return r
        }()
        let figures = try boardFigures(a)

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
        return try run.execute(
            HostBench.Settings(modelPath: modelPath, inputPath: inputPath, labelsPath: a.value("--labels"), bench: bench,
                               figures: figures, label: a.value("--label"), jsonPath: a.value("--json"), csvPath: a.value("--csv")))
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
                throw CLIError("--idle-watts/--load-watts need non-negative numbers")
            }
            figures = HostBench.Figures(board: a.value("--board") ?? "", idleWatts: i, loadWatts: l,
                                        source: a.value("--power-source") ?? "given on the command line")
        } else if a.value("--idle-watts") != nil || a.value("--load-watts") != nil {
            throw CLIError("--idle-watts and --load-watts go together")
        }
        return figures
    }
}
