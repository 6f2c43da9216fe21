import Foundation
import SparrowConverter

enum ConvertCommand {
    static let usage = """
    usage: sparrow convert MODEL.onnx -o OUT.sparrow [--calibration CALIB.npy]
                           [--range minmax|percentile[:P]|mse]

    Converts an ONNX model to an int8 Sparrow model: folds constants and BatchNormalization,
    fuses activations, converts NCHW to NHWC, quantizes (per-channel int8 weights, int8
    activations) and plans the arena. Prints ops, parameters, file size, arena vs lower bound, MACs.
    A .sparrow, .npy, zip or other non-ONNX file is recognised and named.
      -o, --output OUT.sparrow where to write the converted model (required)
      --calibration CALIB.npy  float32 samples in the model's own input layout, samples first.
                               Required unless the model is already QDQ-quantized.
      --range METHOD           activation ranges from calibration: minmax (default),
                               percentile:99.99, or mse
    """ + "\n" + sparseUsage + "\n" + exitUsage

    static func main(_ arguments: [String]) throws -> Int32 {
        var args = arguments
        let validation = try Arguments.extractPair("--validation", from: &args)
        let exitValidation = try Arguments.extractPair("--calibrate-exits", from: &args)
        let exitTest = try Arguments.extractPair("--exit-test", from: &args)
        let a = try Arguments(args, valued: Set(["-o", "--output", "--calibration", "--range"]).union(sparseValued).union(exitValued),
                              switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...1, usage: "missing the ONNX model MODEL.onnx (see --help)")
        guard let outPath = a.value("-o") ?? a.value("--output") else {
            throw CLIError.usage("missing -o OUT.sparrow, where to write the converted model (see --help)")
        }
        let range = try parseRange(a.value("--range") ?? "minmax")
        if let calibration = a.value("--calibration"), !FileManager.default.fileExists(atPath: calibration) {
            throw CLIError("calibration file '\(calibration)' not found: pass float32 samples in the model's input layout (.npy)")
        }
        var options = ConversionOptions(calibrationPath: a.value("--calibration"), activationRange: range)
        options.sparsity = try sparsityOptions(a)
        options.exits = try exitOptions(a)
        var result = try convert(onnxPath: a.positional[0], options: options)
        if let exitValidation {
            guard !options.exits.outputs.isEmpty else { throw CLIError("--calibrate-exits needs --exit outputs") }
            let budget = Double(a.value("--accuracy-budget") ?? "1") ?? -1
            guard budget >= 0 else { throw CLIError("--accuracy-budget must be a number of points >= 0") }
            try calibrateExits(&result.bytes, options: options.exits, validation: exitValidation, test: exitTest,
                               budget: budget, guard: try exitGuard(a))
        }
        try writeFileBytes(result.bytes, to: outPath, what: "model")
        print("wrote \(outPath)")
        print(result.summary.description)
        try printSparsity(result, onnxPath: a.positional[0], options: options, validation: validation)
        return 0
    }

    static func parseRange(_ text: String) throws -> ActivationRangeMethod {
        if text == "minmax" { return .minMax }
        if text == "mse" { return .mse }
        if text.hasPrefix("percentile") {
            let parts = text.split(separator: ":")
            let p = parts.count == 2 ? Double(parts[1]) : 99.99
            guard let p, p > 50, p <= 100 else { throw CLIError("--range percentile:P needs 50 < P <= 100") }
            return .percentile(p)
        }
        throw CLIError("--range must be minmax, percentile[:P] or mse (got '\(text)')")
    }
}
