// Exit-threshold calibration as a stage of conversion: the model is lowered and planned once, a
// draft serialized from the builder's records is profiled with the int8 interpreter, the
// thresholds are chosen (ExitCalibration.swift), written into the builder's exit records, and only
// then is the file serialized and verified. No finished file is patched and no checksum re-sealed.
import Foundation
import SparrowFormat
import SparrowNPY

/// Labelled samples: float32 inputs in the model's input layout (samples first) and int64 labels.
public struct LabelledSamples: Sendable {
    public var x: NPYArray
    public var labels: [Int64]

    public init(x: NPYArray, labels: [Int64]) {
        self.x = x
        self.labels = labels
    }
}

/// How `convert` chooses early-exit thresholds (instead of `ExitOptions.thresholds`).
public struct ExitCalibrationOptions: Sendable {
    /// The labelled validation split the thresholds are chosen on.
    public var validation: LabelledSamples
    /// Allowed top-1 loss against the final exit, in percentage points.
    public var budgetPoints: Double
    public var guardMethod: ExitGuard
    /// Unlabelled samples from the deployment distribution (the agreement guard's main evidence).
    public var unlabeled: [NPYArray]
    /// Samples from the training distribution (e.g. the quantization calibration file): the
    /// agreement guard gives them weight 0 and only reports their (over-confident) disagreement.
    public var trainingSource: NPYArray?

    public init(validation: LabelledSamples, budgetPoints: Double = 1, guardMethod: ExitGuard = .clopperPearson(alpha: 0.05),
                unlabeled: [NPYArray] = [], trainingSource: NPYArray? = nil) {
        self.validation = validation
        self.budgetPoints = budgetPoints
        self.guardMethod = guardMethod
        self.unlabeled = unlabeled
        self.trainingSource = trainingSource
    }
}

extension Lowering {
    /// Lowers a multi-exit graph whose exit thresholds `choose` picks from a runnable draft of the
    /// model (the same operators, packed ones included, tensors and plan; thresholds from `exits`). `choose` returns one
    /// Q16 threshold per exit (the final's ignored).
    static func lower(_ graph: IRGraph, quantization: [Int: ActivationQuant], exits: ExitOptions, sparsity: SparsityOptions,
                      packedWeights: PackedGemmLayout? = nil,
                      choosingThresholds choose: (_ draft: [UInt8]) throws -> [Int32]) throws -> LoweredModel {
        var builder = ModelBuilder(graph: graph, quant: quantization)
        builder.exits = exits
        builder.sparsity = sparsity
        builder.packedWeights = packedWeights   // the draft is profiled with the operators the file will run
        try builder.build()
        var lowered = try builder.finish()
        let thresholds = try choose(lowered.bytes)
        guard thresholds.count == builder.writer.exits.count else {
            throw ConversionError(.unsupported, "\(thresholds.count) exit thresholds for \(builder.writer.exits.count) exits")
        }
        for k in builder.writer.exits.indices where builder.writer.exits[k].criterion != .final {
            builder.writer.exits[k].threshold = thresholds[k]
        }
        lowered.bytes = builder.writer.serialize()
        try ModelBuilder.verify(lowered.bytes)
        return lowered
    }
}
