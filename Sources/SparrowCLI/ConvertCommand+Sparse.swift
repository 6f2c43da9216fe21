import Foundation
import SparrowConverter
import SparrowNPY

// `sparrow convert` options for pruning and sparse storage, and their printed report.
extension ConvertCommand {
    static let sparseValued: Set<String> = ["--prune", "--block", "--prune-layers", "--prune-scope", "--sparse", "--board"]

    static let sparseUsage = """
      --prune SPARSITY         magnitude-prune FC and 1x1 Conv weights to this fraction of zeros
                               (0.9 or 90%), in whole blocks, before calibration
      --block RxC              block shape for pruning and sparse storage: 1x1 (default,
                               unstructured), 1x4, 4x1, 1x16, ... (edges 1, 2, 4, 8, 16)
      --prune-layers PATTERN   only layers whose node name matches the glob (* and ?)
      --prune-scope layer|global  each layer to the target (default) or one global threshold
      --sparse auto|always|never  store FC / 1x1 Conv weights sparse where the measured cost
                               rule of the --board's CPU predicts a speedup (auto, default),
                               always, or never. auto: sparse when the stored density is at most
                               the break-even density measured for the layer's class (FC; 1x1 Conv
                               by input channels <=64, <=128, <=256, <=512, >512) and block shape
                               (1x1, 1x4, 4x1, 1x16; others: the class's lowest); some are never,
                               e.g. unstructured FC and every >512-channel 1x1 Conv on cortex-a76.
                               Table: Docs/sparsity.md "Cost rule per CPU".
      --validation X.npy Y.npy labelled samples (float32 inputs, int64 labels): print the int8
                               top-1 accuracy with and without pruning
    """ + "\n" + boardUsage

    static func sparsityOptions(_ a: Arguments) throws -> SparsityOptions {
        var o = SparsityOptions()
        if let text = a.value("--prune") {
            let percent = text.hasSuffix("%")
            guard let v = Double(percent ? String(text.dropLast()) : text) else { throw CLIError("--prune needs a number, got '\(text)'") }
            let fraction = percent || v > 1 ? v / 100 : v
            guard fraction >= 0, fraction < 1 else { throw CLIError("--prune must be in [0, 1) (or 0–99%), got '\(text)'") }
            o.prune = fraction
        }
        if let text = a.value("--block") {
            let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, SparsityOptions.validBlockEdges.contains(parts[0]),
                  SparsityOptions.validBlockEdges.contains(parts[1]) else {
                throw CLIError("--block must be RxC with R, C in 1, 2, 4, 8, 16 (got '\(text)')")
            }
            o.blockRows = parts[0]; o.blockCols = parts[1]
        }
        o.layerPattern = a.value("--prune-layers")
        if let text = a.value("--prune-scope") {
            guard let s = SparsityOptions.Scope(rawValue: text) else { throw CLIError("--prune-scope must be layer or global") }
            o.scope = s
        }
        if let text = a.value("--sparse") {
            guard let m = SparsityOptions.Mode(rawValue: text) else { throw CLIError("--sparse must be auto, always or never") }
            o.mode = m
        }
        o.costCore = try costCore(a)
        return o
    }

    /// Per-layer density and storage, and with validation data the accuracy change of pruning.
    static func printSparsity(_ result: ConversionResult, onnxPath: String, options: ConversionOptions,
                              validation: (x: String, y: String)?) throws {
        if !result.pruning.isEmpty {
            print("pruning (\(options.sparsity.scope.rawValue), block \(options.sparsity.blockRows)x\(options.sparsity.blockCols)):")
            for p in result.pruning {
                let name = p.name.count >= 28 ? p.name : p.name + String(repeating: " ", count: 28 - p.name.count)
                print("  " + name + String(format: " density %5.1f%% -> %5.1f%%", p.densityBefore * 100, p.densityAfter * 100))
            }
        }
        if !result.sparseLayers.isEmpty {
            print("FC / 1x1 Conv layers (int8 weights):")
            for layer in result.sparseLayers { print(layer.line) }
        }
        guard let validation else { return }
        let x = try readFileBytes(validation.x, what: "validation samples")
        let labels = try readLabels(validation.y)
        let accuracy = try ModelEvaluation.top1Accuracy(model: result.bytes, inputFile: x, labels: labels)
        if options.sparsity.prune != nil {
            var baseline = options
            baseline.sparsity = SparsityOptions(mode: .never)
            let unpruned = try convertModel(path: onnxPath, options: baseline)
            let before = try ModelEvaluation.top1Accuracy(model: unpruned.bytes, inputFile: x, labels: labels)
            print(String(format: "validation top-1 (int8, %d samples): unpruned %.2f%%, pruned %.2f%% (%+.2f points); file %d -> %d bytes",
                         labels.count, before * 100, accuracy * 100, (accuracy - before) * 100, unpruned.bytes.count,
                         result.bytes.count))
        } else {
            print(String(format: "validation top-1 (int8, %d samples): %.2f%%", labels.count, accuracy * 100))
        }
    }
}
