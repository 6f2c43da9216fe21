// A float TFLite model (float32 weights, or float16 / int8 weights behind DEQUANTIZE, as most
// published models are) → the converter's float IR, so it is quantized like an ONNX model:
// `Passes.optimize`, calibration, pruning, early exits, the int8 lowering. TFLite is NHWC with
// the IR's weight layouts (conv OHWI, depthwise [1, kh, kw, C·m], FC [out, in]), so every tensor
// keeps its shape and graph ports are identity-permuted.
//
// Unlike the int8 path (TFLiteLowering), nothing here aims at LiteRT's integer bytes: the model
// has no integer arithmetic to reproduce; the float semantics are LiteRT's (padding, resize
// coordinates, strided-slice bounds), and accuracy is measured against LiteRT's float outputs.
import Foundation
import SparrowTFLite

public enum TFLiteFloatImport {
    /// The builtin operators the float import maps onto the IR.
    public static let importableOperators: Set<TFLiteBuiltinOperator> = [
        .conv2D, .depthwiseConv2D, .fullyConnected, .transposeConv, .add, .sub, .mul, .div, .maximum, .minimum, .argMax,
        .maxPool2D, .averagePool2D,
        .mean, .softmax, .logistic, .tanh, .hardSwish, .relu, .relu6, .reluN1To1, .leakyRelu, .prelu, .reshape, .squeeze,
        .concatenation, .pad, .padV2, .stridedSlice, .resizeBilinear, .resizeNearestNeighbor, .dequantize,
    ]

    /// MediaPipe custom operators the float import maps onto the IR, by custom code.
    public static let importableCustomOperators: Set<String> = ["Convolution2DTransposeBias", "MaxPoolingWithArgmax2D",
                                                                 "MaxUnpooling2D"]

    static func isImportable(_ code: TFLiteOperatorCode) -> Bool {
        importableOperators.contains(code.builtin)
            || (code.builtin == .custom && code.customCode.map(importableCustomOperators.contains) == true)
    }

    /// True when the model computes in float: a float32 graph input read by something other
    /// than QUANTIZE (an int8 model with float I/O quantizes its inputs first).
    public static func isFloatModel(_ model: TFLiteModel) -> Bool {
        model.graph.inputs.contains { t in
            model.graph.tensors[t].type == .float32
                && model.graph.operators.contains { $0.inputs.contains(t) && model.opcode(of: $0).builtin != .quantize }
        }
    }

    /// Imports subgraph 0. `extraOutputs` names tensors to expose as graph outputs as well (early
    /// exits are graph outputs; a TFLite model rarely has its exit logits as outputs).
    public static func importGraph(_ model: TFLiteModel, extraOutputs: [String] = []) throws(ConversionError) -> IRGraph {
        var unsupported: [(name: String, operators: [Int])] = []
        for (k, op) in model.graph.operators.enumerated() where !isImportable(model.opcode(of: op)) {
            let name = model.opcode(of: op).displayName
            if let g = unsupported.firstIndex(where: { $0.name == name }) { unsupported[g].operators.append(k) }
            else { unsupported.append((name, [k])) }
        }
        if !unsupported.isEmpty {
            throw ConversionError(.unsupported, TFLiteConversion.unsupportedMessage(unsupported, of: model, float: true))
        }
        var importer = TFLiteFloatImporter(model: model)
        try importer.run(extraOutputs: extraOutputs)
        return importer.graph
    }
}

struct TFLiteFloatImporter {
    let model: TFLiteModel
    var graph = IRGraph()
    /// IR value of each TFLite tensor, once known.
    var valueOf: [Int: Int] = [:]
    var current = -1

    init(model: TFLiteModel) { self.model = model }

    var tensors: [TFLiteTensor] { model.graph.tensors }

    func fail(_ message: String) -> ConversionError {
        guard current >= 0 else { return ConversionError(.unsupported, message) }
        return ConversionError(.unsupported, node: "operator \(current)",
                               op: model.opcode(of: model.graph.operators[current]).displayName, message)
    }

    mutating func run(extraOutputs: [String]) throws(ConversionError) {
        let g = model.graph
        guard !g.inputs.isEmpty, !g.outputs.isEmpty else { throw fail("the model has no inputs or no outputs") }
        for t in g.inputs {
            guard tensors[t].type == .float32 else {
                throw fail("graph input '\(tensors[t].name)' is \(tensors[t].type.name): the float path takes float32 inputs "
                           + "(an int8 model converts without --calibration, with its own quantization)")
            }
            let v = graph.addValue(IRValue(name: tensors[t].name, shape: tensors[t].shape))
            valueOf[t] = v
            graph.inputPorts.append(IRGraphPort(value: v, onnxName: tensors[t].name, onnxShape: tensors[t].shape,
                                                onnxToIR: Array(tensors[t].shape.indices)))
        }
        for (k, op) in g.operators.enumerated() {
            current = k
            guard !op.outputs.isEmpty else { throw fail("the operator has no outputs") }
            for t in op.inputs + op.outputs where t >= 0 {
                guard tensors[t].shape.allSatisfy({ $0 >= 1 }) else {
                    throw fail("tensor \(t) '\(tensors[t].name)' has shape \(tensors[t].shape); every dimension must be at least 1")
                }
                if let problem = ImportLimits.shapeProblem(tensors[t].shape) { throw fail("tensor \(t) '\(tensors[t].name)': \(problem)") }
            }
            try importOperator(op)
        }
        current = -1
        var outputs = g.outputs
        for name in extraOutputs where !outputs.contains(where: { tensors[$0].name == name }) {
            guard let t = tensors.indices.first(where: { tensors[$0].name == name && valueOf[$0] != nil
                                                         && model.data(of: tensors[$0]).isEmpty }) else {
                throw fail("--exit \(name): no activation tensor of the model has that name")
            }
            outputs.append(t)
        }
        for t in outputs {
            guard let v = valueOf[t], graph.values[v].constant == nil else {
                throw fail("graph output '\(tensors[t].name)' is not computed by any operator")
            }
            graph.outputPorts.append(IRGraphPort(value: v, onnxName: tensors[t].name, onnxShape: tensors[t].shape,
                                                 onnxToIR: Array(tensors[t].shape.indices)))
        }
    }

    // MARK: Values

    /// The IR value of input `k`: an activation, or a constant read from the file (float32,
    /// float16, or int8/int32 with scales, dequantized).
    mutating func input(_ op: TFLiteOperator, _ k: Int) throws(ConversionError) -> Int {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { throw fail("input \(k) is missing") }
        let t = op.inputs[k]
        if let v = valueOf[t] { return v }
        guard let data = try constant(t) else {
            throw fail("input \(k) (tensor \(t) '\(tensors[t].name)') is not computed before this operator")
        }
        if let (i, value) = ImportLimits.firstNonFinite(data) {
            throw fail("constant '\(tensors[t].name)' element \(i) is \(value)")
        }
        let v = graph.addValue(IRValue(name: tensors[t].name, shape: tensors[t].shape, constant: data))
        valueOf[t] = v
        return v
    }

    /// Input `k` if it is given, else -1 (an absent bias).
    mutating func optionalInput(_ op: TFLiteOperator, _ k: Int) throws(ConversionError) -> Int {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { return -1 }
        return try input(op, k)
    }

    /// A constant tensor's values as float32; nil when the tensor has no data.
    func constant(_ t: Int) throws(ConversionError) -> [Float]? {
        let tensor = tensors[t]
        let bytes = model.data(of: tensor)
        guard !bytes.isEmpty else { return nil }
        let n = tensor.elementCount
        func word(_ i: Int, _ size: Int) -> UInt64 {
            var v: UInt64 = 0
            for b in 0..<size { v |= UInt64(bytes[bytes.startIndex + i * size + b]) << (8 * UInt64(b)) }
            return v
        }
        switch tensor.type {
        case .float32: return (0..<n).map { Float(bitPattern: UInt32(word($0, 4))) }
        case .float16: return (0..<n).map { Self.halfToFloat(UInt16(word($0, 2))) }
        case .int8, .int32:
            guard let q = tensor.quantization else {
                throw fail("constant '\(tensor.name)' is \(tensor.type.name) without scales: not a float value")
            }
            let size = tensor.type == .int8 ? 1 : 4
            // Per-axis scales: the index along quantized_dimension picks the scale.
            let inner = tensor.shape.dropFirst(q.quantizedDimension + 1).reduce(1, *)
            let axis = q.isPerAxis ? tensor.shape[q.quantizedDimension] : 1
            return (0..<n).map { i in
                let raw = word(i, size)
                let code = size == 1 ? Int64(Int8(truncatingIfNeeded: raw)) : Int64(Int32(truncatingIfNeeded: raw))
                let c = q.isPerAxis ? (i / inner) % axis : 0
                return q.scales[c] * Float(code - q.zeroPoints[c])
            }
        default:
            throw fail("constant '\(tensor.name)' is \(tensor.type.name); the float path reads float32, float16 and quantized int8 constants")
        }
    }

    /// IEEE binary16 → Float.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: UInt32 = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F), fraction = UInt32(h & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13)) }
        if exponent == 0 {
            let magnitude = Float(fraction) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (fraction << 13))
    }

    /// A constant int32 input (axes, paddings, shapes, begin/end/strides).
    func int32s(_ op: TFLiteOperator, _ k: Int, _ what: String) throws(ConversionError) -> [Int] {
        guard k < op.inputs.count, op.inputs[k] >= 0, tensors[op.inputs[k]].type == .int32 else {
            throw fail("\(what) (input \(k)) must be a constant int32 tensor")
        }
        let bytes = model.data(of: tensors[op.inputs[k]])
        guard !bytes.isEmpty, bytes.count % 4 == 0 else { throw fail("\(what) (input \(k)) must be a constant int32 tensor") }
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: 4).map { i in
            Int(Int32(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24))
        }
    }

    func shape(_ t: Int) -> [Int] { tensors[t].shape }

    var nodeName: String { "\(model.opcode(of: model.graph.operators[current]).builtin.name.lowercased())_\(current)" }

    /// Appends a node writing a new value; `tensor` names the value after a model tensor (whose
    /// IR value it becomes).
    @discardableResult
    mutating func emit(_ op: IROp, _ inputs: [Int], shape: [Int], tensor: Int? = nil, suffix: String = "") -> Int {
        let name = tensor.map { tensors[$0].name } ?? (nodeName + suffix)
        let v = graph.addValue(IRValue(name: name, shape: shape))
        graph.nodes.append(IRNode(name: nodeName + suffix, op: op, inputs: inputs, outputs: [v]))
        if let tensor { valueOf[tensor] = v }
        return v
    }

    /// `x` reshaped when its shape differs (a no-op otherwise).
    mutating func reshaped(_ x: Int, to s: [Int], tensor: Int? = nil, suffix: String) -> Int {
        if graph.values[x].shape == s {
            if let tensor { valueOf[tensor] = x }
            return x
        }
        return emit(.reshape(shape: s), [x], shape: s, tensor: tensor, suffix: suffix)
    }

    static func activation(_ a: TFLiteActivation?) -> Activation? {
        switch a ?? TFLiteActivation.none {
        case .none: return Activation.none
        case .relu: return .relu
        case .relu6: return .relu6
        case .reluN1To1: return .clip(-1, 1)
        case .tanh, .signBit: return nil
        }
    }

    func fused(_ a: TFLiteActivation?) throws(ConversionError) -> Activation {
        guard let act = Self.activation(a) else { throw fail("fused activation \(a!.name) is not supported") }
        return act
    }

    func pads(_ padding: TFLitePadding, _ x: [Int], _ y: [Int], filter: (Int, Int), stride: (Int, Int), dilation: (Int, Int)) -> [Int] {
        let h = TFLiteArithmetic.padding(padding, input: x[1], filter: filter.0, stride: stride.0, dilation: dilation.0, output: y[1])
        let w = TFLiteArithmetic.padding(padding, input: x[2], filter: filter.1, stride: stride.1, dilation: dilation.1, output: y[2])
        return [h.before, w.before, h.after, w.after]
    }
}

extension TFLiteConversion {
    /// A float `.tflite` model → Sparrow bytes through the float IR, quantized with
    /// `options.calibration` exactly as an ONNX model is (`--prune`, `--exit` by tensor name,
    /// `--range` apply). Errors: `TFLiteError` (the file), `ConversionError`, `NPYFileError`.
    public static func convertFloat(_ model: TFLiteModel, options: ConversionOptions) throws -> ConversionResult {
        let graph = try TFLiteFloatImport.importGraph(model, extraOutputs: options.exits.outputs)
        return try SparrowConverter.convert(graph: Passes.optimize(graph), options: options)
    }

    public static func convertFloat(path: String, options: ConversionOptions) throws -> ConversionResult {
        try convertFloat(try TFLiteModel.load(path: path), options: options)
    }
}
