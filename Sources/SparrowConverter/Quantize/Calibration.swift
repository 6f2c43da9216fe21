// Calibration: runs the float executor over sample inputs and records, for every activation
// value, the statistics its int8 range is chosen from (RangeHistogram).
import SparrowNPY

public struct CalibrationStatistics: Sendable {
    /// Per value id (graph inputs and node outputs).
    public var histograms: [Int: RangeHistogram]
    /// Executor runs (one per batch of samples).
    public var runs: Int
    /// Runs left out because a sample held NaN or infinity: (run index, input name, element).
    public var skipped: [(run: Int, input: String, element: Int)] = []

    /// The float range of each observed value under `method`.
    public func ranges(_ method: ActivationRangeMethod) -> [Int: ValueRange] {
        var result: [Int: ValueRange] = [:]
        for (value, h) in histograms { if let r = h.range(method) { result[value] = r } }
        return result
    }
}

public enum Calibrator {
    /// `samples[i]` holds graph input i's samples: float32 in the ONNX model's layout, leading
    /// dimension = samples (the ONNX batch dimension of the port groups them into runs).
    public static func calibrate(graph: IRGraph, samples: [NPYArray]) throws(ConversionError) -> CalibrationStatistics {
        guard samples.count == graph.inputPorts.count else {
            throw ConversionError(.calibration, "the model has \(graph.inputPorts.count) inputs; calibration data for "
                + "\(samples.count) was given")
        }
        var perInput: [[[Float]]] = []
        for (port, array) in zip(graph.inputPorts, samples) { perInput.append(try port.irLayoutRuns(from: array)) }
        let runs = perInput.map(\.count).min() ?? 0
        guard runs > 0 else { throw ConversionError(.calibration, "calibration data holds no complete sample") }
        // A sample with a NaN or infinity says nothing about the ranges: skip it and report it.
        var kept: [[[Float]]] = []
        var skipped: [(run: Int, input: String, element: Int)] = []
        for r in 0..<runs {
            let inputs = perInput.map { $0[r] }
            if let (i, bad) = inputs.enumerated().lazy.compactMap({ i, data in data.firstIndex { !$0.isFinite }.map { (i, $0) } }).first {
                skipped.append((r, graph.inputPorts[i].onnxName, bad))
            } else {
                kept.append(inputs)
            }
        }
        guard !kept.isEmpty else {
            let first = skipped[0]
            throw ConversionError(.calibration, "every calibration sample holds NaN or infinity (the first: run \(first.run), "
                + "input '\(first.input)', element \(first.element)); give finite float32 samples")
        }
        var stats = try calibrate(graph: graph, runs: kept)
        stats.skipped = skipped
        return stats
    }

    /// Runs already in IR layout: `runs[r][i]` is graph input i of run r.
    public static func calibrate(graph: IRGraph, runs: [[[Float]]]) throws(ConversionError) -> CalibrationStatistics {
        let executor = FloatExecutor(graph: graph)
        var histograms: [Int: RangeHistogram] = [:]
        for (r, inputs) in runs.enumerated() {
            do {
                _ = try executor.runCollecting(inputs: inputs) { value, data in
                    histograms[value, default: RangeHistogram()].add(data)
                }
            } catch {
                throw ConversionError(.calibration, "calibration run \(r): \(error)")
            }
        }
        // Finite inputs whose activations overflow float32 mean the weights are absurd: the int8
        // model could not represent them, so say where rather than quantize a saturated range.
        // (The lowest value id is the earliest in the graph: report where the overflow starts.)
        if let (value, h) = histograms.filter({ $0.value.nonFinite > 0 }).min(by: { $0.key < $1.key }) {
            let producer = graph.nodes.first { $0.outputs.contains(value) }
            throw ConversionError(.calibration, node: producer?.name, op: producer?.op.name,
                                  "value '\(graph.values[value].name)' became NaN or infinite \(h.nonFinite) times during "
                                  + "calibration: the model's weights or attributes overflow float32")
        }
        return CalibrationStatistics(histograms: histograms, runs: runs.count)
    }
}
