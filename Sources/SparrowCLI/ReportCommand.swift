import Foundation

/// `sparrow report RUN.json [RUN2.json ...] -o DIR`: a Markdown table comparing bench runs and
/// SVG plots (latency histogram and operator breakdown per run; accuracy vs energy and vs
/// latency across the runs' exit sweeps).
enum ReportCommand {
    static let usage = """
    usage: sparrow report RUN.json [RUN2.json ...] -o DIR

    Reads `sparrow bench` / `sparrow-device bench` JSON records (Docs/harness.md) and writes
    DIR/report.md and SVG plots next to it: latency histogram (log-scale time axis) and operator
    breakdown per run, accuracy vs energy and vs latency across exit sweeps. Runs under qemu
    are marked "emulated".
      -o, --output DIR     directory for report.md and the SVG files (created if missing; required)
    """

    struct Run {
        var name: String
        var json: [String: Any]
        var file: String
    }

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["-o", "--output"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...Int.max, usage: "missing the bench records RUN.json (see --help)")
        guard let outDir = a.value("-o") ?? a.value("--output") else {
            throw CLIError.usage("missing -o DIR, the directory for report.md and the plots (see --help)")
        }
        var runs: [Run] = []
        var usedNames: Set<String> = []
        for path in a.positional {
            let bytes = try readFileBytes(path, what: "bench record")
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let json = object as? [String: Any] else {
                throw CLIError("\(path): not a JSON object")
            }
            guard json["schema"] as? String == "sparrow-bench/1" else {
                throw CLIError("\(path): not a sparrow-bench/1 record (schema \(json["schema"] ?? "missing"))")
            }
            var name = (json["platform"] as? [String: Any])?["label"] as? String
                ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            while usedNames.contains(name) { name += "'" }
            usedNames.insert(name)
            runs.append(Run(name: name, json: json, file: path))
        }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var md = "# Sparrow bench report\n\n"
        md += "| run | platform | model | inferences | p50 ms | p90 ms | p99 ms | mean ms | top-1 | avg MACs | peak RSS KiB | energy source | J / inference | avg W | J above idle / inf. |\n"
        md += "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|\n"
        for r in runs {
            let lat = r.json["latency"] as? [String: Any] ?? [:]
            let energy = r.json["energy"] as? [String: Any] ?? [:]
            let model = r.json["model"] as? [String: Any] ?? [:]
            let acc = (r.json["accuracy"] as? [String: Any])?["top1"] as? Double
            let source = (energy["source"] as? String ?? "none") + ((energy["estimated"] as? Bool ?? false) ? " (estimated)" : "")
            let cells: [String] = [
                r.name, platform(r.json), URL(fileURLWithPath: model["path"] as? String ?? "").lastPathComponent,
                "\(lat["count"] as? Int ?? 0)", num(lat["p50"], 4), num(lat["p90"], 4), num(lat["p99"], 4), num(lat["mean"], 4),
                acc.map { String(format: "%.2f %%", $0 * 100) } ?? "–", "\(r.json["averageMacs"] as? Int ?? 0)",
                ((r.json["memory"] as? [String: Any])?["peakResidentKiB"] as? Int).map(String.init) ?? "–",
                source, sci(energy["joulesPerInference"]), num(energy["averageWatts"], 3), sci(energy["aboveIdleJoulesPerInference"]),
            ]
            md += "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        md += "\nLatency is per inference on a monotonic clock (input copy + invoke). Energy sources: `hwmon` and `powercap` are "
        md += "measured; `model` is an estimate from board figures (idle W over the run + load W over busy time) and says so. "
        md += "Runs marked emulated (`sparrow emulate`, qemu-user) do not give board latency or energy: "
        md += "their time is the emulator's on this host.\n"

        for (i, r) in runs.enumerated() {
            let slug = slugify(r.name, index: i)
            md += "\n## \(r.name)\n\n"
            if let emulator = (r.json["platform"] as? [String: Any])?["emulator"] as? String {
                md += "- **emulated** under `\(emulator)`: instruction-accurate results, but latency and energy are not the board's\n\n"
            }
            if let notes = (r.json["energy"] as? [String: Any])?["notes"] as? [String], !notes.isEmpty {
                md += notes.map { "- energy note: \($0)\n" }.joined() + "\n"
            }
            if let profile = (r.json["energy"] as? [String: Any])?["profile"] as? [String: Any], let source = profile["source"] as? String {
                md += "- power figures: idle \(num(profile["idleWatts"], 3)) W, load \(num(profile["loadWatts"], 3)) W — \(source)\n\n"
            }
            if let lat = r.json["latency"] as? [String: Any], let h = lat["logHistogram"] as? [String: Any],
               let counts = h["counts"] as? [Any] {
                let svg = Plots.latencyHistogramLog(run: r.name, lowerMs: dbl(h["lowerMs"]), upperMs: dbl(h["upperMs"]),
                                                    counts: counts.map(dbl), p50: dbl(lat["p50"]), p99: dbl(lat["p99"]))
                try write(svg, dir: outDir, name: "\(slug)-latency.svg")
                md += "![latency histogram, log time axis](\(slug)-latency.svg)\n\n"
            } else if let lat = r.json["latency"] as? [String: Any], let h = lat["histogram"] as? [String: Any],
               let counts = h["counts"] as? [Any] {  // records written before logHistogram existed
                let svg = Plots.latencyHistogram(run: r.name, lowerMs: dbl(h["lowerMs"]), binWidthMs: dbl(h["binWidthMs"]),
                                                 counts: counts.map(dbl), p50: dbl(lat["p50"]), p99: dbl(lat["p99"]))
                try write(svg, dir: outDir, name: "\(slug)-latency.svg")
                md += "![latency histogram](\(slug)-latency.svg)\n\n"
            }
            if let ops = r.json["operators"] as? [[String: Any]], !ops.isEmpty {
                let bars = ops.map { op in
                    (label: "[\(op["index"] as? Int ?? 0)] \(op["opcode"] as? String ?? "?") \(op["name"] as? String ?? "")",
                     ms: dbl(op["totalMs"]), share: dbl(op["share"]))
                }
                try write(Plots.operatorBreakdown(run: r.name, operators: bars), dir: outDir, name: "\(slug)-operators.svg")
                md += "![per-operator time](\(slug)-operators.svg)\n\n"
            }
            if let sweep = r.json["sweep"] as? [[String: Any]], !sweep.isEmpty {
                md += "| exit level | top-1 | avg MACs | mean latency ms | J / inference | exits |\n|--:|--:|--:|--:|--:|---|\n"
                for p in sweep {
                    md += "| \(num(p["level"], 2)) | \(String(format: "%.2f %%", dbl(p["accuracy"]) * 100)) | \(p["averageMacs"] as? Int ?? 0) | "
                    md += "\(num(p["meanLatencyMs"], 4)) | \(sci(p["joulesPerInference"])) | \((p["exits"] as? [Int] ?? []).map(String.init).joined(separator: " / ")) |\n"
                }
                md += "\n"
            }
        }
        let sweeps = runs.compactMap { r -> (String, [[String: Any]])? in
            guard let s = r.json["sweep"] as? [[String: Any]], !s.isEmpty else { return nil }
            return (r.name, s)
        }
        if !sweeps.isEmpty {
            md += "\n## Exit-threshold sweeps\n\n"
            let latency = sweeps.map { (name, s) in
                (name: name, points: s.map { (x: dbl($0["meanLatencyMs"]), accuracy: dbl($0["accuracy"]), level: dbl($0["level"])) })
            }
            try write(Plots.sweepCurve(title: "Accuracy vs latency (exit threshold sweep)", xLabel: "mean latency per inference (ms)", series: latency),
                      dir: outDir, name: "sweep-accuracy-latency.svg")
            md += "![accuracy vs latency](sweep-accuracy-latency.svg)\n\n"
            let energy = sweeps.compactMap { (name, s) -> (name: String, points: [(x: Double, accuracy: Double, level: Double)])? in
                let pts = s.compactMap { p -> (x: Double, accuracy: Double, level: Double)? in
                    guard let j = p["joulesPerInference"] as? Double else { return nil }
                    return (x: j * 1000, accuracy: dbl(p["accuracy"]), level: dbl(p["level"]))
                }
                return pts.isEmpty ? nil : (name: name + " (\(s.first?["energySource"] as? String ?? "?"))", points: pts)
            }
            if !energy.isEmpty {
                try write(Plots.sweepCurve(title: "Accuracy vs energy (exit threshold sweep)", xLabel: "energy per inference (mJ)", series: energy),
                          dir: outDir, name: "sweep-accuracy-energy.svg")
                md += "![accuracy vs energy](sweep-accuracy-energy.svg)\n\n"
            } else {
                md += "No energy figures in the sweeps (no sensor and no board figures): accuracy-vs-energy plot skipped.\n"
            }
        }
        let budgets = runs.compactMap { r -> (String, [[String: Any]])? in
            guard let s = r.json["budgetSweep"] as? [[String: Any]], !s.isEmpty else { return nil }
            return (r.name, s)
        }
        if !budgets.isEmpty {
            md += "\n## Anytime profile (budget sweeps)\n\n"
            md += "Each level is one exit's MAC cost: the answer comes from the deepest exit within it (or the cascade's, "
            md += "earlier, without `--full-depth`); samples with no answer count as wrong.\n\n"
            for (name, s) in budgets {
                md += "| \(name): MAC budget | top-1 | answered | avg MACs | mean latency ms | exits |\n|--:|--:|--:|--:|--:|---|\n"
                for p in s {
                    md += "| \(p["maxMacs"] as? Int ?? 0) | \(String(format: "%.2f %%", dbl(p["accuracy"]) * 100)) | "
                    md += "\(p["answered"] as? Int ?? 0) / \(p["samples"] as? Int ?? 0) | \(p["averageMacs"] as? Int ?? 0) | "
                    md += "\(num(p["meanLatencyMs"], 4)) | \((p["exits"] as? [Int] ?? []).map(String.init).joined(separator: " / ")) |\n"
                }
                md += "\n"
            }
            let series = budgets.map { (name, s) in (name: name, points: s.map { (macs: dbl($0["maxMacs"]), accuracy: dbl($0["accuracy"])) }) }
            try write(Plots.anytimeProfile(series: series), dir: outDir, name: "budget-accuracy-macs.svg")
            md += "![accuracy vs MAC budget](budget-accuracy-macs.svg)\n\n"
        }
        try write(md, dir: outDir, name: "report.md")
        print("wrote \(outDir)/report.md")
        return 0
    }

    /// `host (sparrow)`, `device (sparrow-device)` or `device, EMULATED: qemu-aarch64 -cpu cortex-a72`.
    static func platform(_ json: [String: Any]) -> String {
        let p = json["platform"] as? [String: Any] ?? [:]
        let kind = p["kind"] as? String ?? "?"
        if let emulator = p["emulator"] as? String { return "\(kind), EMULATED: \(emulator)" }
        return "\(kind) (\(json["tool"] as? String ?? "?"))"
    }

    static func write(_ text: String, dir: String, name: String) throws {
        try writeFileBytes(Array(text.utf8), to: (dir as NSString).appendingPathComponent(name), what: name)
    }

    static func dbl(_ v: Any?) -> Double {
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let n = v as? NSNumber { return n.doubleValue }
        return 0
    }

    static func num(_ v: Any?, _ digits: Int) -> String {
        guard v != nil, !(v is NSNull) else { return "–" }
        return String(format: "%.\(digits)f", dbl(v))
    }

    static func sci(_ v: Any?) -> String {
        guard v != nil, !(v is NSNull) else { return "–" }
        return String(format: "%.3e", dbl(v))
    }

    static func slugify(_ s: String, index: Int) -> String {
        let allowed = s.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let slug = String(allowed).split(separator: "-").joined(separator: "-")
        return "run\(index + 1)" + (slug.isEmpty ? "" : "-" + String(slug.prefix(40)))
    }
}
