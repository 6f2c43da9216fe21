// `sparrow convert --input-type/--input-layout/--output-type/--output-layout`: int8 and/or NHWC
// graph inputs and outputs (SparrowConverter's ModelBoundary), each [NAME=]VALUE and repeatable.
import SparrowConverter

extension ConvertCommand {
    static let boundaryOptions = ["--input-type", "--input-layout", "--output-type", "--output-layout"]

    static let boundaryUsage = """
      --input-type [NAME=]T    float32 (default) or int8: an int8 input takes the quantized tensor
                               itself, without the Quantize operator; its scale and zero point are
                               printed by `sparrow inspect` (x = scale·(q − zero point)). NAME picks
                               one input (repeat per input); without NAME it applies to all.
      --input-layout [NAME=]L  onnx (default: the model's own layout, e.g. NCHW) or nhwc (no
                               Transpose: the input is channels-last, as the kernels compute).
                               Only 4-D NCHW inputs have another layout; a NAME= on any other
                               input is an error, an unnamed nhwc leaves them as they are.
      --output-type [NAME=]T   float32 (default) or int8 (no Dequantize; scale and zero point in
                               `sparrow inspect`). Not with --exit (the exit criteria read floats).
      --output-layout [NAME=]L onnx (default) or nhwc (no Transpose back) for 4-D outputs.
                               `sparrow run` / `sparrow-device run` still take float32 .npy
                               samples for int8 inputs (quantized on the host, ties to even, as the
                               Quantize operator) and write float32 outputs (dequantized);
                               `sparrow run` also takes int8 .npy codes as they are.
    """

    static func modelBoundary(_ a: Arguments) throws -> ModelBoundary {
        var boundary = ModelBoundary()
        boundary.inputType = try choices(a, "--input-type")
        boundary.inputLayout = try choices(a, "--input-layout")
        boundary.outputType = try choices(a, "--output-type")
        boundary.outputLayout = try choices(a, "--output-layout")
        return boundary
    }

    /// `[NAME=]VALUE` occurrences of `option`, each VALUE one of `T`'s cases, each NAME once.
    static func choices<T: RawRepresentable & CaseIterable>(_ a: Arguments, _ option: String) throws -> [String: T]
        where T.RawValue == String {
        var result: [String: T] = [:]
        for value in a.options[option] ?? [] {
            let cut = value.lastIndex(of: "=")
            let name = cut.map { String(value[..<$0]) } ?? ""
            let text = cut.map { String(value[value.index(after: $0)...]) } ?? value
            guard let choice = T(rawValue: text.lowercased()) else {
                let allowed = T.allCases.map(\.rawValue).joined(separator: " or ")
                throw CLIError.usage("\(option) '\(value)': give [NAME=]VALUE with VALUE \(allowed)")
            }
            guard result.updateValue(choice, forKey: name) == nil else {
                throw CLIError.usage("\(option) given twice for \(name.isEmpty ? "all \(option.contains("input") ? "inputs" : "outputs")" : "'\(name)'")")
            }
        }
        return result
    }
}
