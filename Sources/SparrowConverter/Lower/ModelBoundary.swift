// What the converted model's graph inputs and outputs look like to the caller (`sparrow convert
// --input-type/--input-layout/--output-type/--output-layout`, Docs/cli.md). By default each input
// is float32 in the ONNX model's own layout, converted by Quantize (+ an int8 Transpose NCHW →
// NHWC) at the start, and each output float32 in the ONNX layout. Asking for int8 and/or NHWC
// drops those operators: the caller then supplies (or receives) the quantized tensor itself, with
// the scale and zero point the file records for it (`sparrow inspect`).

public struct ModelBoundary: Sendable, Equatable {
    public enum ElementType: String, Sendable, CaseIterable {
        case float32, int8
    }

    public enum Layout: String, Sendable, CaseIterable {
        /// The ONNX model's own axis order (NCHW for images).
        case onnx
        /// Sparrow's channels-last order, which its kernels compute in (NHWC for images).
        case nhwc
    }

    /// By port name (the ONNX input/output name); the key "" applies to every port without its own
    /// entry. A layout under "" only affects ports whose layouts differ (4-D NCHW ones).
    public var inputType: [String: ElementType] = [:]
    public var inputLayout: [String: Layout] = [:]
    public var outputType: [String: ElementType] = [:]
    public var outputLayout: [String: Layout] = [:]

    public init() {}

    public var isDefault: Bool { self == ModelBoundary() }

    /// The choices for one port, after `validate`.
    func type(input port: IRGraphPort) -> ElementType { inputType[port.onnxName] ?? inputType[""] ?? .float32 }
    func type(output port: IRGraphPort) -> ElementType { outputType[port.onnxName] ?? outputType[""] ?? .float32 }
    /// Whether the port keeps the ONNX layout (a Transpose at the boundary when it is permuted).
    func keepsONNXLayout(input port: IRGraphPort) -> Bool { (inputLayout[port.onnxName] ?? inputLayout[""] ?? .onnx) == .onnx }
    func keepsONNXLayout(output port: IRGraphPort) -> Bool { (outputLayout[port.onnxName] ?? outputLayout[""] ?? .onnx) == .onnx }

    /// Every named port exists, and a layout named for one port is meaningful for it.
    func validate(inputs: [IRGraphPort], outputs: [IRGraphPort], hasExits: Bool) throws(ConversionError) {
        try Self.check(inputType.keys, inputLayout, ports: inputs, what: "input", option: "--input")
        try Self.check(outputType.keys, outputLayout, ports: outputs, what: "output", option: "--output")
        if hasExits && outputType.values.contains(.int8) {
            throw ConversionError(.unsupported, "--output-type int8 with early exits: the exit criteria read float outputs; "
                                  + "leave the outputs float32 or convert without --exit")
        }
    }

    private static func check(_ typed: Dictionary<String, ElementType>.Keys, _ layouts: [String: Layout], ports: [IRGraphPort],
                              what: String, option: String) throws(ConversionError) {
        let names = ports.map(\.onnxName)
        let list = names.map { "'\($0)'" }.joined(separator: ", ")
        for name in (Array(typed) + Array(layouts.keys)).sorted() where !name.isEmpty && !names.contains(name) {
            throw ConversionError(.unsupported, "\(option)-type/\(option)-layout \(name)=…: the model has no \(what) '\(name)' "
                                  + "(its \(what)s: \(list))")
        }
        for port in ports where layouts[port.onnxName] == .nhwc && !port.isPermuted {
            throw ConversionError(.unsupported, "\(option)-layout \(port.onnxName)=nhwc: \(what) '\(port.onnxName)' has shape "
                                  + "\(port.onnxShape), which Sparrow keeps in the ONNX order; the layout applies to 4-D NCHW \(what)s")
        }
    }
}
