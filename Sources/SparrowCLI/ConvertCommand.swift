import Foundation
import SparrowConverter
import SparrowTFLite

enum ConvertCommand {
    static let usage = """
    usage: sparrow convert MODEL.onnx -o OUT.sparrow [--calibration [NAME=]CALIB.npy ...]
                           [--input-shape [NAME=]D0,D1,... ...] [--range minmax|percentile[:P]|mse]
                           [--input-type [NAME=]float32|int8] [--input-layout [NAME=]onnx|nhwc]
                           [--output-type [NAME=]float32|int8] [--output-layout [NAME=]onnx|nhwc]
           sparrow convert MODEL.tflite -o OUT.sparrow
           sparrow convert MODEL_FLOAT.tflite -o OUT.sparrow --calibration CALIB.npy [--range ...]

    Converts an ONNX model to an int8 Sparrow model: folds constants and BatchNormalization,
    fuses activations, converts NCHW to NHWC, quantizes (per-channel int8 weights, int8
    activations) and plans the arena. Prints ops, parameters, file size, arena vs lower bound, MACs.
    A .sparrow, .npy, zip or other non-ONNX file is recognised and named.
    An int8 .tflite keeps its own quantization (byte-exact with LiteRT's reference kernels); a
    float .tflite (float32, or float16/int8 weights behind DEQUANTIZE) is quantized like an ONNX
    model, with --calibration samples in its own (NHWC) input layout; --exit takes tensor names.
      -o, --output OUT.sparrow where to write the converted model (required)
      --calibration CALIB.npy  float32 samples in the model's own input layout, samples first.
                               Required unless the model is already QDQ-quantized. A model
                               with several inputs takes one NAME=FILE per input (its ONNX
                               input names; `sparrow convert` lists them when one is missing).
      --input-shape NAME=DIMS  fixed shape for an input with symbolic dimensions, e.g.
                               images=1,3,320,320 (repeat per input; NAME may be left out when
                               the model has one input). Shapes are propagated through the
                               graph from these. Without it a symbolic batch dimension is 1 and
                               any other symbolic dimension is an error naming it.
      --range METHOD           activation ranges from calibration: minmax (default),
                               percentile:99.99, or mse
    """ + "\n" + boundaryUsage + "\n" + sparseUsage + "\n" + packedUsage + "\n" + exitUsage

    static func main(_ arguments: [String]) throws -> Int32 {
        var args = arguments
        let validation = try Arguments.extractPair("--validation", from: &args)
        let exitValidation = try Arguments.extractPair("--calibrate-exits", from: &args)
        let exitTest = try Arguments.extractPair("--exit-test", from: &args)
        let a = try Arguments(args, valued: Set(["-o", "--output", "--calibration", "--range", "--input-shape"]).union(boundaryOptions).union(sparseValued).union(exitValued),
                              switches: ["--packed-weights", "--no-packed-weights"])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(1...1, usage: "missing the model MODEL.onnx or MODEL.tflite (see --help)")
        guard let outPath = a.value("-o") ?? a.value("--output") else {
            throw CLIError.usage("missing -o OUT.sparrow, where to write the converted model (see --help)")
        }
        if a.positional[0].lowercased().hasSuffix(".tflite"), try !isFloatTFLite(a) { return try convertTFLite(a, outPath: outPath) }
        let range = try parseRange(a.value("--range") ?? "minmax")
        var options = ConversionOptions(calibration: try calibrationSource(a), activationRange: range)
        options.inputShapes = try inputShapes(a)
        options.sparsity = try sparsityOptions(a)
        options.exits = try exitOptions(a)
        options.packedWeights = try packedWeightsLayout(a)
        options.boundary = a.positional[0].lowercased().hasSuffix(".tflite")
            ? try tfliteBoundary(a, model: try TFLiteModel.load(path: a.positional[0])) : try modelBoundary(a)
        if let exitValidation {
            guard !options.exits.outputs.isEmpty else { throw CLIError("--calibrate-exits needs --exit outputs") }
            options.exitCalibration = try exitCalibrationOptions(a, validation: exitValidation)
        }
        let result = try convertModel(path: a.positional[0], options: options)
        if let calibration = result.exitCalibration {
            try printExitCalibration(calibration, model: result.bytes, options: options, test: exitTest)
        }
        try writeFileBytes(result.bytes, to: outPath, what: "model")
        print("wrote \(outPath)")
        print(result.summary.description)
        try printSparsity(result, onnxPath: a.positional[0], options: options, validation: validation)
        return 0
    }

    /// ONNX, or a float `.tflite` (TFLiteFloatImport): the same passes, calibration and lowering.
    static func convertModel(path: String, options: ConversionOptions) throws -> ConversionResult {
        path.lowercased().hasSuffix(".tflite") ? try TFLiteConversion.convertFloat(path: path, options: options)
            : try convert(onnxPath: path, options: options)
    }

    /// `--calibration FILE` or `--calibration NAME=FILE` (repeatable), each file checked to exist.
    static func calibrationSource(_ a: Arguments) throws -> ConversionOptions.CalibrationSource {
        let values = a.options["--calibration"] ?? []
        guard !values.isEmpty else { return .none }
        var byName: [String: String] = [:]
        for value in values {
            let (name, path) = splitNamed(value)
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError("calibration file '\(path)' not found: pass float32 samples in the model's input layout (.npy)")
            }
            guard byName.updateValue(path, forKey: name) == nil else {
                throw CLIError("--calibration given twice for \(name.isEmpty ? "the model's input" : "input '\(name)'")")
            }
        }
        return .npyFilesByInput(byName)
    }

    /// `--input-shape [NAME=]D0,D1,...` (repeatable).
    static func inputShapes(_ a: Arguments) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for value in a.options["--input-shape"] ?? [] {
            let cut = value.lastIndex(of: "=")
            let name = cut.map { String(value[..<$0]) } ?? ""
            let text = cut.map { String(value[value.index(after: $0)...]) } ?? value
            let dims = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw CLIError("--input-shape '\(value)': give NAME=D0,D1,... with every dimension a whole number >= 1")
            }
            guard shapes.updateValue(dims.map { $0! }, forKey: name) == nil else {
                throw CLIError("--input-shape given twice for \(name.isEmpty ? "the model's input" : "input '\(name)'")")
            }
        }
        return shapes
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
