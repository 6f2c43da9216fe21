import Foundation
import SparrowRuntime

/// `sparrow soak`: runs one model many times on the host and reports resident memory at the start
/// and the end and any run whose output differed from the first. The interpreter works only in
/// the arena it was given, so memory must stay flat and the outputs identical (Docs/robustness.md).
enum SoakCommand {
    static let usage = """
    usage: sparrow soak MODEL.sparrow [--iterations N] [--report-every N]
           sparrow soak MODEL.sparrow --board NAME [--iterations N]

    Runs MODEL N times (default 1000000) on the host interpreter with one fixed input (a byte
    pattern in every input tensor) and compares every run's outputs with the first run's.
    Prints resident memory (VmRSS) after a warm-up (1 % of the runs, at most 10000) and after the
    last run, the runs whose outputs differed, and the time. Exits 1 when an output differed or RSS grew by more than 1 %.

    With --board, the scaled soak on that board's device build under qemu (default 10000 runs):
    one `sparrow-device run` of N copies of one sample; every output must equal the host's,
    and the emulator's RSS must not grow beyond the output buffer it fills and 1 %.
    """

    static func main(_ arguments: [String]) throws -> Int32 {
        let a = try Arguments(arguments, valued: ["--iterations", "--report-every", "--board"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...1, usage: usage)
        let board = a.value("--board")
        guard let iterations = Int(a.value("--iterations") ?? (board == nil ? "1000000" : "10000")), iterations >= 1 else {
            throw CLIError("--iterations must be a whole number >= 1")
        }
        if let board { return try DeviceSoak.main(modelPath: a.positional[0], boardName: board, iterations: iterations) }
        let reportEvery = Int(a.value("--report-every") ?? "0") ?? 0
        let loaded = try loadModel(path: a.positional[0])
        defer { withExtendedLifetime(loaded) {} }  // `interpreter` works in its buffers
        let interpreter = loaded.interpreter
        // The planner may reuse an input's arena bytes once it is consumed: refill before each run.
        let inputs = (0..<loaded.model.inputCount).map { i in
            (0..<interpreter.inputBuffer(i).count).map { k in UInt8(truncatingIfNeeded: k &* 37 &+ i) }
        }
        func fillInputs() {
            for (i, bytes) in inputs.enumerated() { bytes.withUnsafeBytes { interpreter.inputBuffer(i).copyMemory(from: $0) } }
        }
        let outputs = 0..<loaded.model.outputCount
        fillInputs()
        _ = interpreter.invoke()
        let reference = outputs.map { Array(interpreter.outputBuffer($0)) }
        let rssFirst = residentBytes()
        // "Start" is after a warm-up (1 % of the runs, at most 10,000): the first runs fault in
        // pages of the stack, the runtime's caches and stdio; growth after that would be a leak.
        let warmUp = min(iterations / 100, 10_000)
        var rssStart = rssFirst
        var differing = 0
        var firstDiffering: Int? = nil
        let start = Date()
        for run in 1..<iterations {
            if run == warmUp { rssStart = residentBytes() }
            fillInputs()
            _ = interpreter.invoke()
            // Compared in place: copying the outputs each run would itself allocate.
            var same = true
            for o in outputs where !reference[o].withUnsafeBytes({ $0.elementsEqual(interpreter.outputBuffer(o)) }) { same = false }
            if !same {
                differing += 1
                if firstDiffering == nil { firstDiffering = run }
            }
            if reportEvery > 0 && run % reportEvery == 0 {
                print("run \(run): RSS \(residentBytes().map(String.init) ?? "?") bytes, \(differing) differing")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let rssEnd = residentBytes()
        print("runs:       \(iterations) in \(String(format: "%.1f", seconds)) s")
        print("RSS:        \(rssStart.map(String.init) ?? "unknown") bytes at start (after \(warmUp) warm-up runs; "
              + "\(rssFirst.map(String.init) ?? "unknown") after the first), \(rssEnd.map(String.init) ?? "unknown") at end")
        print("outputs:    \(differing == 0 ? "identical in every run" : "\(differing) runs differed from the first (first: run \(firstDiffering!))")")
        var ok = differing == 0
        if let s = rssStart, let e = rssEnd, Double(e) > Double(s) * 1.01 {
            print("RSS grew by \(e - s) bytes (more than 1 %)")
            ok = false
        }
        return ok ? 0 : 1
    }

    /// VmRSS of this process from /proc/self/status, in bytes (nil where there is no procfs).
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let kb = Int(fields[1]) else { return nil }
        return kb * 1024
    }
}
