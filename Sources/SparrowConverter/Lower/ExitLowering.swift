// Lowering of a multi-exit graph: operators in ExitScheduling's order, each exit's output
// dequantized right after its segment, and one exit record per exit with its criterion, Q16
// threshold and fixed-point tables (Docs/early-exit.md, Sources/SparrowRuntime/ExitCriteria.swift).
import Foundation
import SparrowFormat
import SparrowRuntime

/// The confidence test of the early exits.
public enum ExitCriterionChoice: String, Sendable, CaseIterable {
    case maxProbability = "maxprob"
    case margin
    case entropy

    public var formatCriterion: ExitCriterion {
        switch self {
        case .maxProbability: return .maxProbability
        case .margin: return .margin
        case .entropy: return .entropy
        }
    }

    /// Threshold used when the command line gives none and no calibration runs.
    public var defaultThreshold: Double {
        switch self {
        case .maxProbability: return 0.9
        case .margin: return 0.8
        case .entropy: return 0.3
        }
    }

    /// Real-valued threshold (probability, probability margin, or entropy in nats) → Q16.
    public func fixedPoint(_ threshold: Double) -> Int32 {
        let q = (threshold * 65536).rounded()
        switch self {
        case .maxProbability, .margin: return Int32(min(max(q, 0), 65537))
        case .entropy: return Int32(min(max(q, -1), Double(Int32.max)))
        }
    }

    /// The threshold that never lets a sample leave (the verifier accepts it).
    public var neverThreshold: Int32 { self == .entropy ? -1 : ExitCriteria.one + 1 }
}

public struct ExitOptions: Sendable {
    /// Graph output names in exit order; the last is the final exit. Empty: no early exit.
    public var outputs: [String]
    /// Real-valued threshold per exit (nil: the criterion's default); the final's is ignored.
    public var thresholds: [Double?]
    /// The criterion of every early exit without an entry in `criteria`.
    public var criterion: ExitCriterionChoice
    /// Per-exit criteria, indexed like `outputs` (the final's ignored); shorter lists fall back
    /// to `criterion`.
    public var criteria: [ExitCriterionChoice]

    public init(outputs: [String] = [], thresholds: [Double?] = [], criterion: ExitCriterionChoice = .maxProbability,
                criteria: [ExitCriterionChoice] = []) {
        self.outputs = outputs
        self.thresholds = thresholds
        self.criterion = criterion
        self.criteria = criteria
    }

    /// The criterion of exit `k`.
    public func criterion(ofExit k: Int) -> ExitCriterionChoice { k < criteria.count ? criteria[k] : criterion }
}

public enum ExitTables {
    /// The [2, 256] int32 tables for logits of scale `scale`: E[d] = round(2^16 e^(−s·d)) and
    /// G[d] = round(2^16 e^(−s·d) s·d).
    public static func make(scale: Double) -> [Int32] {
        var table = [Int32](repeating: 0, count: ExitCriteria.tableElements)
        for d in 0..<ExitCriteria.tableLength {
            let x = scale * Double(d)
            table[d] = Int32((65536 * exp(-x)).rounded())
            table[ExitCriteria.tableLength + d] = Int32((65536 * exp(-x) * x).rounded())
        }
        return table
    }
}

extension ModelBuilder {
    mutating func buildWithExits() throws(ConversionError) {
        var exitPorts: [Int] = []
        for name in exits.outputs {
            guard let p = graph.outputPorts.firstIndex(where: { $0.onnxName == name }) else {
                let known = graph.outputPorts.map(\.onnxName).joined(separator: ", ")
                throw ConversionError(.unsupported, "--exit \(name): the model has no output of that name (outputs: \(known))")
            }
            guard !exitPorts.contains(p) else { throw ConversionError(.unsupported, "--exit \(name) is given twice") }
            exitPorts.append(p)
        }
        let schedule = ExitScheduling.schedule(graph, exitValues: exitPorts.map { graph.outputPorts[$0].value })
        var floatOutputs = [Int32](repeating: -1, count: graph.outputPorts.count)
        var records: [ExitRecord] = []
        for (k, segment) in schedule.segments.enumerated() {
            for n in segment { try lower(graph.nodes[n]) }
            let isFinal = k == exitPorts.count - 1
            if isFinal {
                // Other outputs are written before the final exit's, whose op must be the last.
                for p in graph.outputPorts.indices where !exitPorts.contains(p) {
                    floatOutputs[p] = try emitGraphOutput(graph.outputPorts[p])
                }
            }
            let port = graph.outputPorts[exitPorts[k]]
            floatOutputs[exitPorts[k]] = try emitGraphOutput(port)
            let afterOp = writer.operators.count - 1
            let macs = writer.operators.reduce(UInt64(0)) { $0 &+ $1.macs }
            guard let logits = tensorOfValue[port.value] else {
                throw ConversionError(.unsupported, "exit '\(port.onnxName)' has no int8 tensor")
            }
            if isFinal {
                records.append(ExitRecord(tensor: UInt32(logits), afterOp: UInt32(afterOp), criterion: .final, threshold: 0,
                                          macsToHere: macs, outputIndex: UInt32(exitPorts[k])))
                continue
            }
            let classes = graph.values[port.value].elementCount
            guard port.onnxShape.first == 1 || port.onnxShape.isEmpty else {
                throw ConversionError(.unsupported, "exit '\(port.onnxName)' has shape \(port.onnxShape): early exits need batch 1")
            }
            guard classes >= 2, classes <= ExitCriteria.maxClasses else {
                throw ConversionError(.formatLimit, "exit '\(port.onnxName)' has \(classes) logits; 2...\(ExitCriteria.maxClasses) supported")
            }
            let q = try activationQuant(port.value, nil)
            let table = try addConstantTensor(name: port.onnxName + "_exit_table", dtype: .int32,
                                              shape: [2, ExitCriteria.tableLength], data: Self.bytes(ExitTables.make(scale: q.scaleDouble)))
            let criterion = exits.criterion(ofExit: k)
            let threshold = criterion.fixedPoint(k < exits.thresholds.count ? exits.thresholds[k] ?? criterion.defaultThreshold
                                                                             : criterion.defaultThreshold)
            records.append(ExitRecord(tensor: UInt32(logits), afterOp: UInt32(afterOp), criterion: criterion.formatCriterion,
                                      threshold: threshold, macsToHere: macs, outputIndex: UInt32(exitPorts[k]),
                                      table: UInt32(table)))
        }
        writer.outputs = floatOutputs
        writer.exits = records
    }
}
