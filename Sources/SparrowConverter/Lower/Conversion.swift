// The converter's front door: ONNX file → IR → passes → calibration (or QDQ scales) → int8
// lowering → memory plan → verified Sparrow bytes, with a summary for the CLI.
import Foundation
import SparrowNPY
import SparrowFormat

public struct ConversionOptions: Sendable {
    /// Where activation ranges come from.
    public enum CalibrationSource: Sendable {
        /// No data: the model must be a QDQ model carrying its own scales.
        case none
        /// One .npy file per graph input (float32, ONNX layout, leading dimension = samples).
        case npyFiles([String])
        /// One .npy file per graph input by input name (`--calibration NAME=FILE`); the name ""
        /// stands for the only input of a single-input model.
        case npyFilesByInput([String: String])
        /// The same, already loaded.
        case samples([NPYArray])
    }

    public var calibration: CalibrationSource
    public var activationRange: ActivationRangeMethod
    /// The batch the model is converted for (the leading dimension of its inputs).
    public var batch: Int
    /// Magnitude pruning and dense/sparse storage of FC and 1×1 Conv layers (Sparse/).
    public var sparsity = SparsityOptions()
    /// Graph outputs to test as early exits (Lower/ExitLowering.swift); none by default.
    public var exits = ExitOptions()
    /// Fixed shapes for inputs with symbolic dimensions (`ImportOptions.inputShapes`).
    public var inputShapes: [String: [Int]] = [:]
    /// Choose the exits' thresholds on data while converting (Exits/ExitStage.swift) instead of
    /// taking them from `exits`.
    public var exitCalibration: ExitCalibrationOptions?
    /// Pack weights for a board's microkernels (format 1.3): FC and 1×1 convs → PackedGemm,
    /// depthwise 3×3 → PackedDepthwise3x3, other dense convs → PackedConvIm2col, in this GEMM
    /// layout. nil: the reference operators (the library's default; the CLI packs by default).
    public var packedWeights: PackedGemmLayout?

    public init(calibration: CalibrationSource = .none, activationRange: ActivationRangeMethod = .minMax, batch: Int = 1) {
        self.calibration = calibration
        self.activationRange = activationRange
        self.batch = batch
    }

    /// Convenience for the CLI: a single calibration file, or none.
    public init(calibrationPath: String?, activationRange: ActivationRangeMethod = .minMax, batch: Int = 1) {
        self.init(calibration: calibrationPath.map { .npyFiles([$0]) } ?? .none, activationRange: activationRange, batch: batch)
    }
}

/// Where the activation scales of a conversion came from.
public enum QuantizationSource: String, Sendable {
    case calibration
    /// The model's own QuantizeLinear/DequantizeLinear scales.
    case qdq
    /// QDQ scales where the model had them, calibration elsewhere.
    case qdqAndCalibration = "qdq+calibration"
    /// An int8 TFLite model's own scales, zero points, weights and biases (TFLite/).
    case tflite = "tflite (the model's own int8 parameters)"
}

public struct ConversionSummary: Sendable, CustomStringConvertible {
    /// Sparrow operators per opcode name.
    public var opCounts: [String: Int]
    public var operatorCount: Int
    public var tensorCount: Int
    /// Weights, biases and other constants of the model (elements).
    public var parameterCount: Int
    public var fileSize: Int
    public var arenaBytes: Int
    /// The most bytes alive at any one step: no plan can use a smaller arena.
    public var arenaLowerBound: Int
    public var totalMacs: UInt64
    public var quantizationSource: QuantizationSource
    /// Executor runs used for calibration (0 for pure QDQ).
    public var calibrationRuns: Int
    /// Calibration runs left out because their sample held NaN or infinity.
    public var skippedCalibrationRuns: Int = 0
    public var activationRange: ActivationRangeMethod

    public var description: String {
        let ops = opCounts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        let overhead = arenaLowerBound > 0 ? Double(arenaBytes) / Double(arenaLowerBound) : 1
        return """
        operators:  \(operatorCount) (\(ops))
        tensors:    \(tensorCount)
        parameters: \(parameterCount)
        file size:  \(fileSize) bytes
        arena:      \(arenaBytes) bytes (lower bound \(arenaLowerBound), \(String(format: "%.2f", overhead))x)
        MACs:       \(totalMacs)
        quantization: \(quantizationSource.rawValue)\
        \(calibrationRuns > 0 ? ", \(calibrationRuns) calibration runs, ranges by \(activationRange)" : "")\
        \(skippedCalibrationRuns > 0 ? "\nskipped \(skippedCalibrationRuns) calibration runs whose samples hold NaN or infinity" : "")
        """
    }
}

public struct ConversionResult: Sendable {
    /// The verified Sparrow model file.
    public var bytes: [UInt8]
    public var summary: ConversionSummary
    /// The optimized float graph the model was lowered from (ports give the layouts).
    public var graph: IRGraph
    /// int8 parameters of every activation value of `graph`.
    public var quantization: [Int: ActivationQuant]
    /// The memory plan's buffers and offsets (`MemoryPlanner.timeline` draws them).
    public var planBuffers: [PlannerBuffer]
    public var plan: MemoryPlan
    /// Per FC / 1×1 Conv layer: density, and dense or sparse storage with the reason.
    public var sparseLayers: [SparseLayerReport] = []
    /// Density before and after `--prune`, per pruned layer (empty without pruning).
    public var pruning: [PruneLayerReport] = []
    /// The thresholds chosen by the exit calibration stage and their validation figures.
    public var exitCalibration: ExitCalibration?
}

/// ONNX file → Sparrow bytes. Errors: `ImportError` (the model), `NPYFileError` (calibration
/// files), `ConversionError` (quantization and lowering).
public func convert(onnxPath: String, options: ConversionOptions = ConversionOptions()) throws -> ConversionResult {
    let imported = try ONNXImporter.importModel(path: onnxPath, options: ImportOptions(batchSize: options.batch,
                                                                                        inputShapes: options.inputShapes))
    return try convert(graph: Passes.optimize(imported), options: options)
}

/// Folding (BatchNormalization into weights, Gemm's alpha, constant arithmetic) can turn finite
/// constants into infinities or NaN; the quantizer needs finite values, so name the node whose
/// constant it is. (Constants read from the file were checked by the importer.)
func checkFiniteConstants(_ graph: IRGraph) throws(ConversionError) {
    for (id, value) in graph.values.enumerated() {
        guard let data = value.constant, let (i, v) = ImportLimits.firstNonFinite(data) else { continue }
        let user = graph.nodes.first { $0.inputs.contains(id) }
        throw ConversionError(.unsupported, node: user?.name, op: user?.op.name,
                              "constant '\(value.name)' element \(i) is \(v) after folding: the model's weights or "
                              + "attributes overflow float32")
    }
}

/// An already imported and optimized graph → Sparrow bytes.
public func convert(graph unpruned: IRGraph, options: ConversionOptions) throws -> ConversionResult {
    // Pruning comes before calibration, so activation ranges are those of the pruned model.
    let (graph, pruning) = Pruner.prune(unpruned, options.sparsity)
    var samples: [NPYArray] = []
    switch options.calibration {
    case .none: break
    case .npyFiles(let paths): samples = try paths.map { path throws(NPYFileError) in try NPYArray.read(path: path) }
    case .npyFilesByInput(let byName):
        samples = try calibrationFiles(byName, ports: graph.inputPorts).map { path throws(NPYFileError) in try NPYArray.read(path: path) }
    case .samples(let arrays): samples = arrays
    }
    try checkFiniteConstants(graph)
    let hasHints = graph.values.contains { !$0.isConstant && $0.quantization != nil }
    var ranges: [Int: ValueRange] = [:]
    var runs = 0
    var skipped = 0
    if !samples.isEmpty {
        let stats = try Calibrator.calibrate(graph: graph, samples: samples)
        ranges = stats.ranges(options.activationRange)
        runs = stats.runs
        skipped = stats.skipped.count
    } else if !hasHints {
        throw ConversionError(.calibration, "the model carries no quantization scales (not a QDQ model): "
            + "give calibration samples (.npy, float32, ONNX layout)")
    }
    let quant = try ActivationQuantizer.assign(graph: graph, ranges: ranges)
    var calibration: ExitCalibration?
    let lowered: LoweredModel
    if let stage = options.exitCalibration {
        guard !options.exits.outputs.isEmpty else {
            throw ConversionError(.unsupported, "exit calibration needs early exits (ExitOptions.outputs)")
        }
        lowered = try Lowering.lower(graph, quantization: quant, exits: options.exits, sparsity: options.sparsity,
                                     packedWeights: options.packedWeights) { draft in
            let chosen = try ExitCalibrator.calibrate(modelBytes: draft, options: stage)
            calibration = chosen
            return chosen.thresholds
        }
    } else {
        lowered = try Lowering.lower(graph, quantization: quant, exits: options.exits, sparsity: options.sparsity,
                                     packedWeights: options.packedWeights)
    }
    let source: QuantizationSource = !hasHints ? .calibration : (runs > 0 ? .qdqAndCalibration : .qdq)
    let summary = ConversionSummary(
        opCounts: lowered.opCounts, operatorCount: lowered.operatorCount, tensorCount: lowered.tensorCount,
        parameterCount: lowered.parameterCount, fileSize: lowered.bytes.count, arenaBytes: lowered.plan.arenaSize,
        arenaLowerBound: lowered.plan.lowerBound, totalMacs: lowered.totalMacs, quantizationSource: source,
        calibrationRuns: runs, skippedCalibrationRuns: skipped, activationRange: options.activationRange)
    return ConversionResult(bytes: lowered.bytes, summary: summary, graph: graph, quantization: quant,
                            planBuffers: lowered.planBuffers, plan: lowered.plan, sparseLayers: lowered.sparseLayers,
                            pruning: pruning, exitCalibration: calibration)
}

/// The calibration file of each graph input, in input order, from files given by input name.
/// Every input needs one; a name the model lacks is an error listing the names it has.
func calibrationFiles(_ byName: [String: String], ports: [IRGraphPort]) throws(ConversionError) -> [String] {
    let names = ports.map(\.onnxName)
    let list = names.map { "'\($0)'" }.joined(separator: ", ")
    var files = byName
    if let single = files.removeValue(forKey: "") {
        guard names.count == 1 else {
            throw ConversionError(.calibration, "the model has \(names.count) inputs (\(list)): give --calibration NAME=FILE for each")
        }
        guard files.isEmpty || files.keys.first == names[0] else {
            throw ConversionError(.calibration, "calibration data given twice for input '\(names[0])'")
        }
        files[names[0]] = single
    }
    for name in files.keys.sorted() where !names.contains(name) {
        throw ConversionError(.calibration, "calibration data for '\(name)', which is not an input of the model (its inputs: \(list))")
    }
    let missing = names.filter { files[$0] == nil }
    guard missing.isEmpty else {
        throw ConversionError(.calibration, "no calibration data for input " + missing.map { "'\($0)'" }.joined(separator: ", ")
                              + " (the model's inputs: \(list)); give --calibration NAME=FILE for each")
    }
    return names.map { files[$0]! }
}
