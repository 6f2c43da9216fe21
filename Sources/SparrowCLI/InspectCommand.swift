import Foundation
import SparrowFormat
import SparrowRuntime

enum InspectCommand {
    static let usage = """
    usage: sparrow inspect MODEL.sparrow [--input X.npy --labels Y.npy]
           sparrow inspect MODEL.tflite

    Verifies a model file and prints its graph, tensors, quantization and memory plan.
    For a model with early exits it prints a per-exit table (criterion, threshold, MACs); with
    labelled samples also each exit's accuracy, where the cascade leaves, and the anytime profile.
    For a .tflite file, prints what Sparrow reads from it: operators with their options,
    tensors with type, shape and quantization, signatures, and unsupported operators.
    """

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--input", "--labels"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...1, usage: "missing the model file MODEL.sparrow (see --help)")
        if a.positional[0].lowercased().hasSuffix(".tflite") { return try inspectTFLite(path: a.positional[0]) }
        let loaded = try loadModel(path: a.positional[0])
        defer { withExtendedLifetime(loaded) {} }  // `m` points into its buffer
        let m = loaded.model
        print("model: \(a.positional[0]) (format \(m.file.versionMajor).\(m.file.versionMinor), \(formatBytes(m.file.count)), verified)")
        print("operators: \(m.operatorCount), tensors: \(m.tensorCount), MACs: \(formatCount(m.totalMacs)), arena: \(formatBytes(m.arenaSize))")
        print("\ninputs:")
        for i in 0..<m.inputCount { print("  " + describeTensor(m, m.graphInput(i))) }
        print("outputs:")
        for i in 0..<m.outputCount { print("  " + describeTensor(m, m.graphOutput(i))) }
        if m.exitCount > 0 {
            try printExits(m, modelPath: a.positional[0], input: a.value("--input"), labels: a.value("--labels"))
        }
        print("\ngraph:")
        for k in 0..<m.operatorCount {
            let o = m.op(k)
            let ins = (0..<Int(o.inputCount)).map { m.input(o, $0) }.map { $0 < 0 ? "-" : "t\($0)" }.joined(separator: ", ")
            let outs = (0..<Int(o.outputCount)).map { "t\(m.output(o, $0))" }.joined(separator: ", ")
            let params = describeParams(m.opcode(k), m.paramWords(o), inputCount: Int(o.inputCount))
            print("  [\(k)] \(m.opcode(k).name) '\(m.opNameString(k))' (\(ins)) -> \(outs)  MACs: \(o.macs)")
            print("        \(params)")
        }
        print("\ntensors:")
        for t in 0..<m.tensorCount { print("  " + describeTensor(m, t)) }
        print("\nmemory plan (arena tensors, offset: lifetime in operator indices):")
        var timeline: [(Int, String)] = []
        for t in 0..<m.tensorCount {
            let r = m.tensor(t)
            guard r.storage == .arena else { continue }
            let bar = (0..<max(m.operatorCount, 1)).map { k in (Int(r.liveFrom)...Int(r.liveTo)).contains(k) ? "#" : "." }.joined()
            timeline.append((Int(r.location), String(format: "  %8d +%-7d |%@| t%d", Int(r.location), Int(r.byteSize), bar, t)))
        }
        for line in timeline.sorted(by: { $0.0 < $1.0 }) { print(line.1) }
        return 0
    }

    static func describeTensor(_ m: VerifiedModel, _ t: Int) -> String {
        let r = m.tensor(t)
        var s = "t\(t) '\(m.tensorNameString(t))' \(r.dtype.map { "\($0.name)" } ?? "?") \(m.shapeString(r))"
        switch r.quant {
        case .perTensor?: s += String(format: " scale %.6g zp %d", r.scale, r.zeroPoint)
        case .perChannel?: s += " per-channel (axis \(r.quantAxis))"
        default: break
        }
        switch r.storage {
        case .arena?: s += " arena@\(r.location) live \(r.liveFrom)...\(r.liveTo)"
        case .constant?: s += " const \(formatBytes(Int(r.byteSize)))"
        case .alias?: s += " alias of t\(r.location)"
        case nil: break
        }
        return s
    }
}
