// Calibration: runs the float executor over sample inputs and records, for every activation
// value, the statistics its int8 range is chosen from (RangeHistogram).
import SparrowNPY

public struct CalibrationStatistics: Sendable {
    /// Per value id (graph inputs and node outputs).
    public var histograms: [Int: RangeHistogram]
    /// Executor runs (one per batch of samples).
    public var runs: Int

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
        return try calibrate(graph: graph, runs: (0..<runs).map { r in perInput.map { $0[r] } })
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
        return CalibrationStatistics(histograms: histograms, runs: runs.count)
    }
}
