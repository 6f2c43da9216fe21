import Foundation
import SparrowRuntime

/// Early-exit benchmark (issue 7): the same labelled set at full depth (final exit only) and with
/// the model's calibrated exits, in one run on the host — accuracy, average MACs and wall time
/// per sample side by side, and the target (≥ 40 % fewer MACs, ≤ 1 point of top-1 lost).
enum BenchExitsCommand {
    static let usage = """
    usage: sparrow bench-exits MODEL.sparrow --input X.npy --labels Y.npy [--repeats N]

    Runs the labelled samples through an early-exit model twice — forced to full depth (final exit
    only) and with its calibrated exits — and prints top-1 accuracy, average MACs and host wall time
    per sample for both, with the MACs saved and the accuracy change. Times are the median of N
    repeats of the whole set (default 5); MACs and accuracy are exact. Docs/early-exit.md.
      --input X.npy        float32 samples in the ONNX model's layout, samples first (required)
      --labels Y.npy       int64 class labels, one per sample (required)
      --repeats N          timed passes over the whole set per mode (default 5)
    """

    struct Mode {
        var accuracy: Double
        var averageMacs: Double
        var secondsPerSample: Double
        var exitCounts: [Int]
    }

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--input", "--labels", "--repeats"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...1, usage: "missing the model file MODEL.sparrow (see --help)")
        guard let inputPath = a.value("--input") else { throw CLIError.usage("missing --input X.npy (see --help)") }
        guard let labelsPath = a.value("--labels") else { throw CLIError.usage("missing --labels Y.npy (see --help)") }
        guard let repeats = Int(a.value("--repeats") ?? "5"), repeats >= 1 else {
            throw CLIError.usage("--repeats needs a positive integer")
        }
        let loaded = try loadModel(path: a.positional[0])
        guard loaded.model.exitCount > 1 else {
            throw CLIError("\(a.positional[0]) has no early exits: convert with --exit NAME … and --calibrate-exits (Docs/early-exit.md)")
        }
        let input = try InputBatch(path: inputPath, model: loaded.model)
        let labels = try readLabels(labelsPath, count: input.plan.sampleCount)

        func measure(fullDepth: Bool) throws -> Mode {
            var times: [Double] = []
            var last: HostBatchResult?
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                last = try loaded.runBatch(inputFile: input.bytes, fullDepth: fullDepth)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let batch = last!
            let n = input.plan.sampleCount, width = input.plan.outputElements
            let correct = (0..<n).filter { argmax(batch.outputs, row: $0, width: width) == labels[$0] }.count
            var counts = [Int](repeating: 0, count: loaded.model.exitCount)
            for e in batch.exitIndices { counts[e] += 1 }
            times.sort()
            return Mode(accuracy: 100 * Double(correct) / Double(n), averageMacs: Double(batch.macs) / Double(n),
                        secondsPerSample: times[times.count / 2] / Double(n), exitCounts: counts)
        }

        let full = try measure(fullDepth: true)
        let exits = try measure(fullDepth: false)
        let n = input.plan.sampleCount
        print("samples: \(n), repeats: \(repeats) (host wall time: median of the repeats)")
        print("mode          top-1 %   avg MACs   ms/sample   exits taken")
        for (name, m) in [("final only", full), ("with exits", exits)] {
            let taken = m.exitCounts.enumerated().map { "e\($0.offset):\($0.element)" }.joined(separator: " ")
            print(String(format: "%@ %8.2f %10.0f %11.4f   %@", name.padding(toLength: 12, withPad: " ", startingAt: 0),
                         m.accuracy, m.averageMacs, m.secondsPerSample * 1000, taken))
        }
        let saved = 100 * (1 - exits.averageMacs / full.averageMacs)
        let change = exits.accuracy - full.accuracy
        let loss = -change
        print(String(format: "MACs saved: %.1f %%, top-1 change: %+.2f points, wall time: %.2fx faster", saved, change,
                     full.secondsPerSample / exits.secondsPerSample))
        print("target (>= 40 % fewer MACs, <= 1 point lost): \(saved >= 40 && loss <= 1 ? "met" : "missed")")
        return 0
    }
}
