// A fully-int8 TFLite model → Sparrow model bytes, keeping the model's own quantization: its
// scales and zero points, int8 weights and int32 biases are copied, never re-derived, and every
// fixed-point parameter is computed with LiteRT's prepare-time rules (TFLiteArithmetic.swift),
// so the file reproduces LiteRT's reference kernels (BUILTIN_REF) byte for byte.
//
// This path bypasses the float IR, calibration and passes: each TFLite operator becomes Sparrow
// operators directly (TFLiteLowering+Ops.swift), through ModelBuilder's tensor, plan, serialize
// and verify machinery (Lower/Lowering.swift). TFLite is NHWC with Sparrow's weight layouts, so
// there are no transposes. The file's graph inputs and outputs are the model's own tensors:
// int8 stays int8 (no Quantize/Dequantize at the edges), a float32 output written by DEQUANTIZE
// stays float32.
import Foundation
import SparrowFormat
import SparrowTFLite

public enum TFLiteConversion {
    /// The builtin operators `convert` lowers today (a subset of `TFLiteModel.supportedOperators`,
    /// which the reader decodes).
    public static let convertibleOperators: Set<TFLiteBuiltinOperator> = [
        .conv2D, .depthwiseConv2D, .fullyConnected, .add, .sub, .mul, .maxPool2D, .averagePool2D, .mean, .softmax,
        .logistic, .tanh, .hardSwish, .relu, .relu6, .reluN1To1, .leakyRelu, .prelu, .reshape, .squeeze, .concatenation,
        .pad, .padV2, .quantize, .dequantize, .maximum, .minimum, .stridedSlice, .resizeBilinear, .resizeNearestNeighbor,
        .argMax, .transposeConv,
    ]

    /// Every operator of the main graph `convert` cannot lower, grouped by opcode name in order
    /// of first use, with the operator indices.
    public static func unconvertibleOperators(_ model: TFLiteModel) -> [(name: String, operators: [Int])] {
        var groups: [(name: String, operators: [Int])] = []
        for (index, op) in model.graph.operators.enumerated() {
            let code = model.opcode(of: op)
            guard !convertibleOperators.contains(code.builtin) else { continue }
            if let g = groups.firstIndex(where: { $0.name == code.displayName }) {
                groups[g].operators.append(index)
            } else {
                groups.append((code.displayName, [index]))
            }
        }
        return groups
    }

    /// Converts subgraph 0 of a fully-int8 model. Throws one error listing every operator that
    /// cannot be converted, or the first operator whose tensors do not fit the int8 scheme.
    /// `boundary` (`sparrow convert --input-type/--output-type/--input-layout/--output-layout`):
    /// int8 drops a float32 or uint8 edge's QUANTIZE/DEQUANTIZE (TFLiteLowering+Boundary.swift).
    public static func convert(_ model: TFLiteModel, boundary: ModelBoundary = ModelBoundary()) throws(ConversionError)
        -> LoweredModel {
        let groups = unconvertibleOperators(model)
        if !groups.isEmpty { throw ConversionError(.unsupported, unsupportedMessage(groups, of: model, float: false)) }
        let (rewritten, originalIndex) = TFLiteDequantizeSinking.rewrite(model)
        var lowering = TFLiteLowering(model: rewritten)
        lowering.originalIndex = originalIndex
        try lowering.applyBoundary(boundary)
        try lowering.build()
        let explain = lowering.explainShapeRejection
        return try lowering.builder.finish(explain: explain)
    }

    /// MediaPipe's custom operators (mediapipe/util/tflite/operations), by custom code, with what
    /// they compute: named in errors, so a user knows the model is a MediaPipe one and what is
    /// missing, rather than only "CUSTOM".
    public static let mediaPipeCustomOperators: [String: String] = [
        "Convolution2DTransposeBias": "transposed convolution with bias, options in a raw struct",
        "MaxPoolingWithArgmax2D": "max pooling that also outputs the argmax positions",
        "MaxUnpooling2D": "scatter of values to the positions MaxPoolingWithArgmax2D recorded",
        "TransformTensorBilinear": "bilinear sampling of a tensor through a 4×4 transform matrix",
        "TransformLandmarks": "landmarks mapped through a 4×4 transform matrix",
        "Landmarks2TransformMatrix": "a 4×4 transform matrix fitted to landmarks",
    ]

    /// The one error listing every operator (grouped by opcode, with indices) that a path cannot
    /// take, with MediaPipe custom operators recognised and every other custom operator named.
    static func unsupportedMessage(_ groups: [(name: String, operators: [Int])], of model: TFLiteModel, float: Bool) -> String {
        let count = groups.reduce(0) { $0 + $1.operators.count }
        let list = groups.map { g in
            "\(g.name) (operator\(g.operators.count == 1 ? "" : "s") \(g.operators.map(String.init).joined(separator: ", ")))"
        }.joined(separator: "; ")
        var customNames: [String] = []
        for op in model.graph.operators {
            let code = model.opcode(of: op)
            if code.builtin == .custom, let name = code.customCode, !customNames.contains(name) { customNames.append(name) }
        }
        let mediaPipe = customNames.filter { mediaPipeCustomOperators[$0] != nil }
        var text = "\(count) of \(model.graph.operators.count) operators cannot be converted: \(list). "
        if !mediaPipe.isEmpty {
            text += "MediaPipe custom operators, not supported by Sparrow\(float ? " yet" : " in int8 models (MediaPipe's kernels are float-only; Convolution2DTransposeBias, MaxPoolingWithArgmax2D and MaxUnpooling2D convert in float models)"): "
                + mediaPipe.map { "\($0) (\(mediaPipeCustomOperators[$0]!))" }.joined(separator: "; ") + ". "
        }
        if customNames.contains(where: { mediaPipeCustomOperators[$0] == nil }) {
            text += "Custom operators are code linked into the runtime that made the model; Sparrow has none of them. "
        }
        let supported = (float ? TFLiteFloatImport.importableOperators : convertibleOperators).map(\.name).sorted()
        return text + (float ? "The float path imports: " : "Sparrow converts int8 models made of: ") + supported.joined(separator: ", ")
    }

    /// Reads and converts a `.tflite` file (`TFLiteError` from the reader, `ConversionError` here).
    public static func convert(path: String, boundary: ModelBoundary = ModelBoundary()) throws -> LoweredModel {
        try convert(try TFLiteModel.load(path: path), boundary: boundary)
    }

    /// Reads and converts `.tflite` bytes.
    public static func convert(bytes: [UInt8]) throws -> LoweredModel {
        try convert(try TFLiteModel(bytes: bytes))
    }

    /// The CLI's summary of a converted model.
    public static func summary(_ lowered: LoweredModel) -> ConversionSummary {
        ConversionSummary(opCounts: lowered.opCounts, operatorCount: lowered.operatorCount, tensorCount: lowered.tensorCount,
                          parameterCount: lowered.parameterCount, fileSize: lowered.bytes.count,
                          arenaBytes: lowered.plan.arenaSize, arenaLowerBound: lowered.plan.lowerBound,
                          totalMacs: lowered.totalMacs, quantizationSource: .tflite, calibrationRuns: 0,
                          activationRange: .minMax)
    }
}

/// Lowers one model; `builder` accumulates the Sparrow tensors and operators.
struct TFLiteLowering {
    let model: TFLiteModel
    var builder = ModelBuilder(graph: IRGraph(), quant: [:])
    /// Sparrow tensor of each TFLite activation tensor, once written (or a graph input).
    var tensorOf: [Int: Int32] = [:]
    /// The operator being lowered (index in `model`, which may be rewritten).
    var current = -1
    /// For each operator, its index in the file (errors name that one).
    var originalIndex: [Int] = []
    /// Edge operators `--input-type int8` / `--output-type int8` removed: QUANTIZE of a graph
    /// input (its output becomes the input), DEQUANTIZE or QUANTIZE to uint8 of a graph output
    /// (its input becomes the output). Operator index → the tensor that stands for its output.
    var droppedEdges: [Int: Int] = [:]
    /// Graph inputs replaced by the int8 tensor their QUANTIZE wrote; graph outputs replaced by
    /// the int8 tensor before their DEQUANTIZE.
    var inputTensor: [Int: Int] = [:], outputTensor: [Int: Int] = [:]
    /// For each Sparrow operator emitted, the operator (index in `model`) it lowers.
    var emittedBy: [Int] = []

    init(model: TFLiteModel) { self.model = model }

    var graph: TFLiteSubgraph { model.graph }

    mutating func build() throws(ConversionError) {
        guard !graph.inputs.isEmpty else { throw ConversionError(.unsupported, "the model has no inputs") }
        guard !graph.outputs.isEmpty else { throw ConversionError(.unsupported, "the model has no outputs") }
        for t in graph.inputs {
            if let q = inputTensor[t] {
                // --input-type int8: the caller gives the codes the dropped QUANTIZE would write.
                tensorOf[q] = try builder.addTensor(name: graph.tensors[t].name, dtype: .int8, shape: graph.tensors[q].shape,
                                                    storage: .arena, quant: try quant(q))
                continue
            }
            let tensor = graph.tensors[t]
            switch tensor.type {
            case .int8, .uint8:
                tensorOf[t] = try builder.addTensor(name: tensor.name, dtype: tensor.type == .int8 ? .int8 : .uint8,
                                                    shape: tensor.shape, storage: .arena, quant: try quant(t))
            case .float32 where graph.operators.allSatisfy({ $0.inputs.contains(t) == false
                    || model.opcode(of: $0).builtin == .quantize }):
                // Float inputs of an int8 model, quantized by QUANTIZE operators as LiteRT does.
                tensorOf[t] = try builder.addTensor(name: tensor.name, dtype: .float32, shape: tensor.shape, storage: .arena)
            default:
                throw ConversionError(.unsupported, node: tensor.name,
                                      "graph input of type \(tensor.type.name): Sparrow converts fully-int8 models "
                                      + "(int8 or uint8 inputs, or float32 inputs read only by QUANTIZE); a float model is quantized "
                                      + "with calibration instead (`sparrow convert MODEL.tflite --calibration CALIB.npy`)")
            }
        }
        for (k, q) in droppedEdges where tensorOf[q] != nil { tensorOf[graph.operators[k].outputs[0]] = tensorOf[q] }
        builder.writer.inputs = graph.inputs.map { tensorOf[inputTensor[$0] ?? $0]! }
        for (k, op) in graph.operators.enumerated() where droppedEdges[k] == nil {
            current = k
            try lower(op)
            emittedBy += Array(repeating: k, count: builder.writer.operators.count - emittedBy.count)
        }
        current = -1
        builder.writer.outputs = try graph.outputs.map { t throws(ConversionError) -> Int32 in
            guard let s = tensorOf[outputTensor[t] ?? t] else {
                throw ConversionError(.unsupported, node: graph.tensors[t].name, "graph output is not computed by any operator")
            }
            if outputTensor[t] != nil { builder.rename(s, to: graph.tensors[t].name) }   // keep the model's output name
            return s
        }
    }

    // MARK: Errors and tensors

    /// The current operator's index in the .tflite file.
    var fileIndex: Int { current < originalIndex.count ? originalIndex[current] : current }

    var opName: String { current >= 0 ? model.opcode(of: graph.operators[current]).displayName : "graph" }

    func fail(_ message: String) -> ConversionError {
        ConversionError(.unsupported, node: current >= 0 ? "operator \(fileIndex)" : nil, op: opName, message)
    }

    /// An option or derived size as an Int32 parameter word (a hostile file can hold any Int).
    func int32(_ v: Int, _ what: String) throws(ConversionError) -> Int32 {
        guard let r = Int32(exactly: v), r < (1 << 24) else { throw fail("\(what) \(v) is out of range") }
        return r
    }

    /// A tensor's per-tensor quantization (scale, zero point in int8's range, or uint8's for a
    /// uint8 tensor).
    func quant(_ t: Int) throws(ConversionError) -> ActivationQuant {
        let tensor = graph.tensors[t]
        guard let q = tensor.quantization, q.scales.count == 1, q.zeroPoints.count == 1, q.scales[0] > 0,
              q.scales[0].isFinite else {
            throw fail("tensor \(t) '\(tensor.name)' has no per-tensor scale and zero point; Sparrow converts fully-int8 models")
        }
        let range: ClosedRange<Int64> = tensor.type == .uint8 ? 0...255 : -128...127
        guard range.contains(q.zeroPoints[0]) else {
            throw fail("tensor \(t) '\(tensor.name)' has zero point \(q.zeroPoints[0]), outside \(tensor.type.name)")
        }
        return ActivationQuant(scale: q.scales[0], zeroPoint: Int32(q.zeroPoints[0]))
    }

    /// An input of the operator that must be an int8 (or a `types`) activation already computed.
    func activation(_ op: TFLiteOperator, _ k: Int, types: Set<TFLiteTensorType> = [.int8]) throws(ConversionError)
        -> (tensor: Int32, quant: ActivationQuant) {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { throw fail("input \(k) is missing") }
        let t = op.inputs[k]
        guard let s = tensorOf[t] else {
            let what = model.data(of: graph.tensors[t]).isEmpty ? "not computed before this operator" : "a constant"
            throw fail("input \(k) (tensor \(t) '\(graph.tensors[t].name)') is \(what); an int8 activation is required here")
        }
        guard types.contains(graph.tensors[t].type) else {
            throw fail("input \(k) (tensor \(t)) is \(graph.tensors[t].type.name); int8 is required here")
        }
        if graph.tensors[t].type == .float32 { return (s, ActivationQuant(scale: 1, zeroPoint: 0)) }
        return (s, try quant(t))
    }

    /// An input of an elementwise operator: an int8 activation, or an int8 constant copied with
    /// its own scale and zero point (e.g. the bias of an ADD the converter did not fold).
    mutating func operand(_ op: TFLiteOperator, _ k: Int) throws(ConversionError) -> (tensor: Int32, quant: ActivationQuant) {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { throw fail("input \(k) is missing") }
        let t = op.inputs[k]
        if tensorOf[t] == nil, let bytes = constantBytes(op, k) {
            let tensor = graph.tensors[t]
            guard tensor.type == .int8, bytes.count == tensor.elementCount else {
                throw fail("constant input \(k) (tensor \(t)) is \(tensor.type.name); int8 is required here")
            }
            let q = try quant(t)
            let s = try builder.addConstantTensor(name: tensor.name, dtype: .int8, shape: tensor.shape, data: bytes, quant: q)
            builder.parameterCount += bytes.count
            tensorOf[t] = s
            return (s, q)
        }
        return try activation(op, k)
    }

    /// The int8 arena tensor of the operator's output `k` (or an alias of `aliasOf`).
    mutating func output(_ op: TFLiteOperator, _ k: Int = 0, aliasOf: Int32? = nil, allowUInt8: Bool = false)
        throws(ConversionError) -> (tensor: Int32, quant: ActivationQuant) {
        guard k < op.outputs.count else { throw fail("output \(k) is missing") }
        let t = op.outputs[k]
        let tensor = graph.tensors[t]
        guard tensor.type == .int8 || (allowUInt8 && tensor.type == .uint8) else {
            throw fail("output tensor \(t) is \(tensor.type.name); int8 is required here")
        }
        let q = try quant(t)
        var storage = Storage.arena, location: UInt32 = 0
        if let aliasOf {
            let r = builder.writer.tensors[Int(aliasOf)]
            storage = .alias
            location = r.storage == .alias ? r.location : UInt32(aliasOf)
        }
        let s = try builder.addTensor(name: tensor.name, dtype: tensor.type == .uint8 ? .uint8 : .int8,
                                      shape: tensor.shape, storage: storage,
                                      location: location, quant: q)
        tensorOf[t] = s
        return (s, q)
    }

    /// A constant input's bytes (nil when the input is absent or not constant).
    func constantBytes(_ op: TFLiteOperator, _ k: Int) -> [UInt8]? {
        guard k < op.inputs.count, op.inputs[k] >= 0 else { return nil }
        let data = model.data(of: graph.tensors[op.inputs[k]])
        return data.isEmpty ? nil : Array(data)
    }

    /// A constant int32 input (shape operands: axes, paddings, new shapes).
    func constantInt32(_ op: TFLiteOperator, _ k: Int, _ what: String) throws(ConversionError) -> [Int32] {
        guard let bytes = constantBytes(op, k), graph.tensors[op.inputs[k]].type == .int32, bytes.count % 4 == 0 else {
            throw fail("\(what) (input \(k)) must be a constant int32 tensor")
        }
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            Int32(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    func shape(_ t: Int) -> [Int] { graph.tensors[t].shape }

    func name(_ op: TFLiteOperator) -> String {
        "\(model.opcode(of: op).builtin.name.lowercased())_\(current)"
    }
}
