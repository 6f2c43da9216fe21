import Foundation
import SparrowConverter

enum ConvertCommand {
    static let usage = """
    usage: sparrow convert MODEL.onnx -o OUT.sparrow [--calibration CALIB.npy]
                           [--range minmax|percentile[:P]|mse]

    Converts an ONNX model to an int8 Sparrow model: folds constants and BatchNormalization,
    fuses activations, converts NCHW to NHWC, quantizes (per-channel int8 weights, int8
    activations) and plans the arena. Prints ops, parameters, file size, arena vs lower bound, MACs.
      --calibration CALIB.npy  float32 samples in the model's own input layout, samples first.
                               Required unless the model is already QDQ-quantized.
      --range METHOD           activation ranges from calibration: minmax (default),
                               percentile:99.99, or mse
    """

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["-o", "--output", "--calibration", "--range"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        guard a.positional.count == 1, let outPath = a.value("-o") ?? a.value("--output") else { throw CLIError(usage) }
        let range = try parseRange(a.value("--range") ?? "minmax")
        if let calibration = a.value("--calibration"), !FileManager.default.fileExists(atPath: calibration) {
            throw CLIError("calibration file '\(calibration)' not found: pass float32 samples in the model's input layout (.npy)")
        }
        let options = ConversionOptions(calibrationPath: a.value("--calibration"), activationRange: range)
        let result = try convert(onnxPath: a.positional[0], options: options)
        try writeFileBytes(result.bytes, to: outPath, what: "model")
        print("wrote \(outPath)")
        print(result.summary.description)
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
