// `sparrow convert MODEL.tflite`: a fully-int8 TFLite model, converted with its own scales, zero
// points, weights and biases (SparrowConverter/TFLite). Calibration, pruning and early exits do
// not apply to this path yet.
import Foundation
import SparrowConverter

extension ConvertCommand {
    static func convertTFLite(_ a: Arguments, outPath: String) throws -> Int32 {
        if let option = boundaryOptions.first(where: { a.value($0) != nil }) {
            throw CLIError("\(option): a .tflite model keeps its own input and output types and layout (see `sparrow inspect`)")
        }
        let ignored = ["--calibration", "--range", "--prune", "--exit", "--sparse"].filter { a.value($0) != nil || a.has($0) }
        guard ignored.isEmpty else {
            throw CLIError("\(ignored.joined(separator: ", ")): not available for .tflite models yet; an int8 TFLite model "
                           + "is converted with its own quantization (no calibration), without pruning or early exits")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let lowered = try TFLiteConversion.convert(path: a.positional[0])
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try writeFileBytes(lowered.bytes, to: outPath, what: "model")
        print("wrote \(outPath)")
        print(TFLiteConversion.summary(lowered).description)
        print(String(format: "conversion: %.3f s", seconds))
        return 0
    }
}
