// ONNXModel → IRGraph. Walks the nodes in file order (ONNX's topological order) and dispatches
// each to its entry in `ONNXImporter.registry`. Everything computable from constants (shape
// subgraphs, weight transposes, ...) is folded here, in ONNX layout; the rest becomes IR nodes in
// NHWC layout. See IR/Graph.swift for the IR conventions.
import SparrowONNX

public struct ImportOptions: Sendable {
    /// The size given to a symbolic or unknown leading (batch) dimension of graph inputs.
    public var batchSize: Int
    /// Graph inputs to treat as constants (e.g. weights fed as inputs in the ONNX backend tests).
    public var constantInputs: [String: ONNXTensor]
    /// Fixed shapes for graph inputs by name (`sparrow convert --input-shape NAME=1,3,320,320`),
    /// replacing their symbolic dimensions. The key "" means "the model's only input".
    public var inputShapes: [String: [Int]]

    public init(batchSize: Int = 1, constantInputs: [String: ONNXTensor] = [:], inputShapes: [String: [Int]] = [:]) {
        self.batchSize = batchSize
        self.constantInputs = constantInputs
        self.inputShapes = inputShapes
    }
}

public enum ONNXImporter {
    /// Imports `model`. Throws `ImportError` naming the node, op type and attribute at fault.
    public static func importModel(_ model: ONNXModel, options: ImportOptions = ImportOptions()) throws(ImportError) -> IRGraph {
        var state = ImportState(opset: model.defaultOpsetVersion ?? 21)
        try state.run(model.graph, options: options)
        return state.graph
    }

    /// Loads and imports an .onnx file.
    public static func importModel(path: String, options: ImportOptions = ImportOptions()) throws(ImportError) -> IRGraph {
        let model: ONNXModel
        do throws(ONNXError) {
            model = try ONNXModel.load(path: path)
        } catch {
            var fileError = ImportError(node: nil, opType: nil, error.description)
            fileError.isFileError = true
            throw fileError
        }
        return try importModel(model, options: options)
    }

    /// ONNX op types the importer accepts, sorted.
    public static var supportedOpTypes: [String] { registry.keys.sorted() }
}

/// A constant known at import time, in ONNX layout. Integers (shapes, indices) and floats share
/// Double storage, which holds both exactly for the ranges that occur.
struct ConstTensor: Equatable {
    var shape: [Int]
    var values: [Double]
    var isInteger: Bool
    /// Set by DequantizeLinear of a constant (QDQ weights).
    var quantization: IRQuantization? = nil
    /// The ONNX element type it was read as (nil when computed); QDQ needs int8 vs uint8.
    var sourceType: ONNXDataType? = nil

    var count: Int { values.count }
    // `ints` (saturating) is in ImportLimits.swift.
    var floats: [Float] { values.map { Float($0) } }
}

/// An activation: an IR value plus its ONNX shape (its IR shape follows from the rank).
struct ActivationRef {
    var id: Int
    var onnxShape: [Int]
    var rank: Int { onnxShape.count }
}

enum Symbol {
    case constant(ConstTensor)
    case activation(ActivationRef)
}

struct ImportState {
    var graph = IRGraph()
    var opset: Int
    var symbols: [String: Symbol] = [:]
    var uniqueCounter = 0
    /// ArgMax/ArgMin results: int64 indices in the ONNX element order, usable only as graph outputs.
    var indexValues: Set<Int> = []

    init(opset: Int) { self.opset = opset }

    mutating func run(_ onnx: ONNXGraph, options: ImportOptions) throws(ImportError) {
        guard options.batchSize >= 1 else {
            throw ImportError(node: nil, opType: nil, "batch size \(options.batchSize) must be at least 1")
        }
        for tensor in onnx.initializers {
            let subject = "initializer '\(tensor.name)'"
            let c = try Self.constant(from: tensor, node: nil, opType: nil, subject: subject)
            // Weights are checked here, with the tensor's name, rather than where the quantizer would
            // trap on them. (Constants that folding may still remove, such as a Cast's NaN test data,
            // are checked after the passes, by checkFiniteConstants, with the node's name.)
            if let (i, v) = ImportLimits.firstNonFinite(c.values) {
                throw ImportError(node: nil, opType: nil, subject: subject,
                                  "element \(i) of \(c.count) is \(v); Sparrow cannot quantize non-finite weights "
                                  + "(re-export the model, or replace the value)")
            }
            symbols[tensor.name] = .constant(c)
        }
        for (name, tensor) in options.constantInputs {
            symbols[name] = .constant(try Self.constant(from: tensor, node: nil, opType: nil, subject: "input '\(name)'"))
        }
        let runTimeInputs = onnx.inputs.filter { symbols[$0.name] == nil }
        let givenShapes = try Self.inputShapesByName(options.inputShapes, inputs: runTimeInputs)
        for input in runTimeInputs {
            let shape = try Self.fixedShape(input, batchSize: options.batchSize, given: givenShapes[input.name])
            if let type = input.elemType, type != .float {
                throw ImportError(node: nil, opType: nil, subject: "input '\(input.name)'",
                                  "element type \(type.name) is not supported; Sparrow models take float32 inputs")
            }
            let id = graph.addValue(IRValue(name: input.name, shape: TensorLayout.irShape(ofONNX: shape)))
            symbols[input.name] = .activation(ActivationRef(id: id, onnxShape: shape))
            graph.inputPorts.append(IRGraphPort(value: id, onnxName: input.name, onnxShape: shape,
                                                onnxToIR: Self.onnxToIR(rank: shape.count)))
        }
        // Every blocker of the model is collected before failing, so one run lists them all: an
        // unsupported domain or op type anywhere, and the first failure of each import path (a
        // node downstream of a failed one is skipped: its input shapes are unknown).
        var blockers: [ImportError] = []
        var failedValues: Set<String> = []
        for (index, node) in DecomposedLayerNorm.fuse(onnx).enumerated() {
            let reader = NodeReader(node: node, index: index, opset: opset)
            if let blocker = importNode(reader, skipping: failedValues) {
                blockers.append(blocker)
                failedValues.formUnion(node.outputs)
            } else if node.inputs.contains(where: failedValues.contains) {
                failedValues.formUnion(node.outputs)
            }
        }
        if let error = Self.combined(blockers) { throw error }
        for output in onnx.outputs {
            guard let symbol = symbols[output.name] else {
                throw ImportError(node: nil, opType: nil, subject: "output '\(output.name)'", "no node produces this value")
            }
            let act: ActivationRef
            switch symbol {
            case .activation(let a): act = a
            case .constant(let c):
                // A constant output (the whole graph folded away): keep it as a constant value.
                let id = graph.addValue(IRValue(name: output.name, shape: TensorLayout.irShape(ofONNX: c.shape),
                                                constant: Self.irData(c)))
                act = ActivationRef(id: id, onnxShape: c.shape)
            }
            // Index values are already in the ONNX element order.
            let onnxToIR = indexValues.contains(act.id) ? Array(0..<act.rank) : Self.onnxToIR(rank: act.rank)
            graph.outputPorts.append(IRGraphPort(value: act.id, onnxName: output.name, onnxShape: act.onnxShape,
                                                 onnxToIR: onnxToIR))
        }
    }

    /// Imports one node; returns what blocks it, or nil when it was imported or skipped because
    /// it reads a value a failed node should have produced.
    mutating func importNode(_ reader: NodeReader, skipping failedValues: Set<String>) -> ImportError? {
        let node = reader.node
        if !(node.domain.isEmpty || node.domain == "ai.onnx") {
            return reader.error(nil, "operator domain '\(node.domain)' is not supported; Sparrow reads standard ONNX (ai.onnx) operators")
        }
        guard let handler = ONNXImporter.registry[node.opType] else { return reader.error(nil, "unsupported op type") }
        // Every ONNX operator's first output is required; the handlers name it (an empty name is an
        // omitted optional output, which the first one cannot be).
        guard let first = node.outputs.first, !first.isEmpty else {
            return reader.error(nil, "has no output; its first output is required (the file is malformed)")
        }
        if node.inputs.contains(where: failedValues.contains) { return nil }
        for (k, input) in node.inputs.enumerated() {
            if case .activation(let a)? = symbols[input], indexValues.contains(a.id) {
                return reader.inputError(k, "is the int64 result of an ArgMax/ArgMin; Sparrow computes those only as "
                                         + "graph outputs (read the indices from the model's output instead)")
            }
        }
        let valuesBefore = graph.values.count
        do {
            try handler(&self, reader)
            try checkOutputs(of: reader, valuesBefore: valuesBefore)
            return nil
        } catch let error as ImportError {
            return error
        } catch {
            return reader.error(nil, "\(error)")
        }
    }

    /// One error for all blockers: a lone one as it is (with the supported-op list when it is an
    /// unsupported op type), several as one message with a line per node.
    static func combined(_ blockers: [ImportError]) -> ImportError? {
        guard let first = blockers.first else { return nil }
        let supported = "Sparrow supports: " + ONNXImporter.supportedOpTypes.joined(separator: ", ")
        let unsupportedOp = blockers.contains { $0.message == "unsupported op type" }
        if blockers.count == 1 {
            var e = first
            if unsupportedOp { e.message += "; " + supported }
            return e
        }
        var message = "\(blockers.count) nodes cannot be imported (all listed):\n"
            + blockers.map { "  " + $0.description }.joined(separator: "\n")
        if unsupportedOp { message += "\n" + supported }
        return ImportError(node: nil, opType: nil, message)
    }

    /// The shapes a node produced (its symbols and every IR value it added) must fit the format's
    /// 32-bit sizes; checked here, once for every op, so no op's shape rule needs to.
    func checkOutputs(of r: NodeReader, valuesBefore: Int) throws(ImportError) {
        for output in r.node.outputs where !output.isEmpty {
            guard let symbol = symbols[output] else { continue }
            let shape: [Int]
            switch symbol {
            case .constant(let c): shape = c.shape
            case .activation(let a): shape = a.onnxShape
            }
            if let problem = ImportLimits.shapeProblem(shape) { throw r.error("output '\(output)'", problem) }
        }
        for value in graph.values[valuesBefore...] {
            if let problem = ImportLimits.shapeProblem(value.shape) { throw r.error("value '\(value.name)'", problem) }
        }
    }

    static func onnxToIR(rank: Int) -> [Int] {
        rank == 4 ? TensorLayout.nchwToNHWC : Array(0..<rank)
    }

    /// Resolves `--input-shape` keys against the model's run-time inputs: "" stands for the only
    /// input; an unknown name is an error listing the names the model has.
    static func inputShapesByName(_ given: [String: [Int]], inputs: [ONNXValueInfo]) throws(ImportError) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        let names = inputs.map(\.name)
        let list = names.map { "'\($0)'" }.joined(separator: ", ")
        for (name, shape) in given.sorted(by: { $0.key < $1.key }) {
            if name.isEmpty {
                guard names.count == 1 else {
                    throw ImportError(node: nil, opType: nil, "an input shape without a name needs a model with one input; "
                                      + "this one has \(names.count) (\(list)): give NAME=DIMS for each")
                }
                result[names[0]] = shape
            } else {
                guard names.contains(name) else {
                    throw ImportError(node: nil, opType: nil, subject: "input '\(name)'",
                                      "not an input of the model (its inputs: \(list))")
                }
                result[name] = shape
            }
        }
        return result
    }

    /// The static shape of graph input `info`: its declared dims, with symbolic ones (dim_param,
    /// a missing or negative dim_value, or 0, which exporters also write for "unknown") taken from
    /// `given`; a symbolic leading (batch) dimension defaults to `batchSize`.
    static func fixedShape(_ info: ONNXValueInfo, batchSize: Int, given: [Int]? = nil) throws(ImportError) -> [Int] {
        let subject = "input '\(info.name)'"
        guard let dims = info.shape else {
            guard let given else {
                throw ImportError(node: nil, opType: nil, subject: subject,
                                  "has no declared shape; give one with --input-shape \(info.name)=D0,D1,...")
            }
            return try checkedGiven(given, declared: nil, subject: subject)
        }
        if let given {
            guard given.count == dims.count else {
                throw ImportError(node: nil, opType: nil, subject: subject,
                                  "declared with rank \(dims.count) \(describe(dims)); the given shape \(text(given)) has rank \(given.count)")
            }
            let shape = try checkedGiven(given, declared: dims, subject: subject)
            for (axis, dim) in dims.enumerated() {
                if case .value(let v) = dim, v > 0, v != shape[axis] {
                    throw ImportError(node: nil, opType: nil, subject: subject,
                                      "dimension \(axis) is fixed to \(v) by the model; the given shape \(text(given)) has \(shape[axis])")
                }
            }
            return shape
        }
        var shape: [Int] = []
        for (axis, dim) in dims.enumerated() {
            switch dim {
            case .value(let v) where v > 0: shape.append(v)
            default:
                guard axis == 0 else {
                    let example = dims.enumerated().map { i, d -> String in
                        if case .value(let v) = d, v > 0 { return String(v) }
                        return i == 0 ? String(batchSize) : (d.symbolName ?? "D\(i)")
                    }.joined(separator: ",")
                    throw ImportError(node: nil, opType: nil, subject: subject,
                                      "dimension \(axis) is \(dim.symbolDescription) (shape \(describe(dims))); Sparrow needs "
                                      + "static shapes: fix it with --input-shape \(info.name)=\(example) "
                                      + "(a symbolic dimension 0, the batch, defaults to \(batchSize))")
                }
                shape.append(batchSize)
            }
        }
        if let problem = ImportLimits.shapeProblem(shape) {
            throw ImportError(node: nil, opType: nil, subject: "input '\(info.name)'", problem)
        }
        return shape
    }

    /// A given shape's dims must be at least 1; 0 only where the model itself declares 0 (an
    /// empty dimension, as in some ONNX backend tests, confirmed by the caller).
    static func checkedGiven(_ given: [Int], declared: [ONNXDim]?, subject: String) throws(ImportError) -> [Int] {
        let valid = !given.isEmpty && given.indices.allSatisfy { axis in
            given[axis] >= 1 || (given[axis] == 0 && declared.map { $0[axis] == .value(0) } == true)
        }
        guard valid else {
            throw ImportError(node: nil, opType: nil, subject: subject, "the given shape \(text(given)) needs dimensions of at least 1")
        }
        return given
    }

    static func text(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: ",") }

    /// `[N,3,H,W]`-style text of declared dims (`?` where neither a value nor a name is given).
    static func describe(_ dims: [ONNXDim]) -> String {
        "[" + dims.map { d -> String in
            switch d {
            case .value(let v): return v > 0 ? String(v) : "?"
            case .param(let p): return p
            case .unknown: return "?"
            }
        }.joined(separator: ",") + "]"
    }

    /// Decodes an ONNX tensor into a ConstTensor.
    static func constant(from tensor: ONNXTensor, node: String?, opType: String?, subject: String) throws(ImportError) -> ConstTensor {
        switch tensor.dataType {
        case .float, .float16, .bfloat16, .double, .int64, .int32, .int16, .int8, .uint8, .uint16, .uint32, .uint64, .bool:
            break
        default:
            throw ImportError(node: node, opType: opType, subject: subject,
                              "element type \(tensor.dataType.name) is not supported")
        }
        if let problem = ImportLimits.shapeProblem(tensor.dims) {
            throw ImportError(node: node, opType: opType, subject: subject, problem)
        }
        let constant: ConstTensor
        do throws(ONNXError) {
            switch tensor.dataType {
            case .float, .float16, .bfloat16, .double:
                constant = ConstTensor(shape: tensor.dims, values: try tensor.doubles(), isInteger: false)
            default:
                constant = ConstTensor(shape: tensor.dims, values: try tensor.int64s().map { Double($0) }, isInteger: true,
                                       sourceType: tensor.dataType)
            }
        } catch {
            throw ImportError(node: node, opType: opType, subject: subject, error.message)
        }
        return constant
    }

    /// Constant data in IR layout (4-D transposed to NHWC).
    static func irData(_ c: ConstTensor) -> [Float] {
        c.shape.count == 4 ? TensorLayout.transpose(c.floats, shape: c.shape, perm: TensorLayout.nchwToNHWC) : c.floats
    }

    // MARK: building IR

    mutating func uniqueName(_ base: String) -> String {
        uniqueCounter += 1
        return "\(base)#\(uniqueCounter)"
    }

    /// Adds a node with one fresh output of IR shape `irShape`.
    mutating func emit(_ op: IROp, inputs: [Int], irShape: [Int], name: String, outputName: String? = nil) -> Int {
        let out = graph.addValue(IRValue(name: outputName ?? uniqueName(name), shape: irShape))
        graph.nodes.append(IRNode(name: name, op: op, inputs: inputs, outputs: [out]))
        return out
    }

    /// Adds a constant IR value.
    mutating func addConstant(_ data: [Float], irShape: [Int], name: String, quantization: IRQuantization? = nil) -> Int {
        graph.addValue(IRValue(name: uniqueName(name), shape: irShape, constant: data, quantization: quantization))
    }

    /// A constant operand for an elementwise op whose output has rank `rank`: padded with leading
    /// 1s to that rank, and transposed to NHWC when the rank is 4.
    mutating func elementwiseConstant(_ c: ConstTensor, outputRank rank: Int, name: String) -> Int {
        var shape = c.shape
        if rank == 4 && shape.count < 4 { shape = [Int](repeating: 1, count: 4 - shape.count) + shape }
        let padded = ConstTensor(shape: shape, values: c.values, isInteger: c.isInteger, quantization: c.quantization)
        return addConstant(Self.irData(padded), irShape: TensorLayout.irShape(ofONNX: shape), name: name,
                           quantization: c.quantization)
    }

    /// A value holding `a`'s elements in ONNX (NCHW) order, with IR shape = ONNX shape.
    mutating func toONNXOrder(_ a: ActivationRef, name: String) -> Int {
        guard a.rank == 4 else { return a.id }
        return layoutChange(a.id, from: TensorLayout.irShape(ofONNX: a.onnxShape), perm: TensorLayout.nhwcToNCHW, name: name)
    }

    /// The activation for a value whose elements are in ONNX order with IR shape = `onnxShape`.
    mutating func fromONNXOrder(_ id: Int, onnxShape: [Int], name: String) -> ActivationRef {
        guard onnxShape.count == 4 else { return ActivationRef(id: id, onnxShape: onnxShape) }
        return ActivationRef(id: layoutChange(id, from: onnxShape, perm: TensorLayout.nchwToNHWC, name: name), onnxShape: onnxShape)
    }

    /// Transpose `id` (IR shape `shape`) by `perm`, as a reshape when the element order is unchanged.
    mutating func layoutChange(_ id: Int, from shape: [Int], perm: [Int], name: String) -> Int {
        let outShape = TensorLayout.permute(shape, perm)
        if TensorLayout.isOrderPreserving(shape: shape, perm: perm) {
            if outShape == shape { return id }
            return emit(.reshape(shape: outShape), inputs: [id], irShape: outShape, name: name)
        }
        return emit(.transpose(perm: perm), inputs: [id], irShape: outShape, name: name)
    }

    /// ONNX Reshape semantics (row-major in ONNX layout) for an activation.
    mutating func reshape(_ a: ActivationRef, to newShape: [Int], name: String) -> ActivationRef {
        if newShape == a.onnxShape { return a }
        if a.rank != 4 && newShape.count != 4 {
            let id = emit(.reshape(shape: newShape), inputs: [a.id], irShape: newShape, name: name)
            return ActivationRef(id: id, onnxShape: newShape)
        }
        let flat = toONNXOrder(a, name: name)
        let reshaped = emit(.reshape(shape: newShape), inputs: [flat], irShape: newShape, name: name)
        return fromONNXOrder(reshaped, onnxShape: newShape, name: name)
    }

    /// Brings an activation to rank `rank` (leading 1s) for broadcasting against a higher-rank one.
    mutating func raiseRank(_ a: ActivationRef, to rank: Int, name: String) -> ActivationRef {
        guard a.rank < rank else { return a }
        return reshape(a, to: [Int](repeating: 1, count: rank - a.rank) + a.onnxShape, name: name)
    }

    /// Materializes a symbol as an activation (constants become IR constant values).
    mutating func activation(_ s: Symbol, name: String) -> ActivationRef {
        switch s {
        case .activation(let a): return a
        case .constant(let c):
            let id = addConstant(Self.irData(c), irShape: TensorLayout.irShape(ofONNX: c.shape), name: name,
                                 quantization: c.quantization)
            return ActivationRef(id: id, onnxShape: c.shape)
        }
    }
}

extension ONNXDim {
    /// The dim_param name, if any.
    var symbolName: String? {
        if case .param(let p) = self, !p.isEmpty { return p }
        return nil
    }

    /// How a non-static dimension reads in an error.
    var symbolDescription: String {
        switch self {
        case .param(let p): return "symbolic ('\(p)')"
        case .value(let v): return "\(v) (unknown)"
        case .unknown: return "unknown"
        }
    }
}

/// One ONNX node being imported: typed access to attributes and inputs, and error construction.
struct NodeReader {
    let node: ONNXNode
    let index: Int
    let opset: Int

    var name: String { node.name.isEmpty ? "#\(index) (output '\(node.outputs.first ?? "")')" : node.name }
    var opType: String { node.opType }

    func error(_ subject: String?, _ message: String) -> ImportError {
        ImportError(node: name, opType: opType, subject: subject, message)
    }

    func attributeError(_ attribute: String, _ message: String) -> ImportError {
        error("attribute '\(attribute)'", message)
    }

    func inputError(_ index: Int, _ message: String) -> ImportError {
        let inputName = index < node.inputs.count ? node.inputs[index] : ""
        return error("input \(index) ('\(inputName)')", message)
    }

    // MARK: attributes

    func has(_ attribute: String) -> Bool { node.attributes[attribute] != nil }

    func int(_ attribute: String, default value: Int? = nil) throws(ImportError) -> Int {
        guard let attr = node.attributes[attribute] else {
            if let value { return value }
            throw attributeError(attribute, "is required")
        }
        guard let v = attr.int else { throw attributeError(attribute, "must be INT, not \(attr.typeName)") }
        return try bounded(attribute, v)
    }

    /// Integer attributes are sizes, axes, counts and flags: beyond ±Int32.max they are absurd,
    /// and bounding them here keeps the shape arithmetic of every op inside Int (ImportLimits).
    private func bounded(_ attribute: String, _ v: Int64) throws(ImportError) -> Int {
        guard v >= -Int64(ImportLimits.maxValue), v <= Int64(ImportLimits.maxValue) else {
            throw attributeError(attribute, "value \(v) is out of range (at most ±\(ImportLimits.maxValue))")
        }
        return Int(v)
    }

    /// An INTS attribute of indices where ONNX uses ±INT64_MAX for "to the end" (Slice starts/ends):
    /// saturated to ±Int32.max, which every shape rule treats the same way.
    func saturatedInts(_ attribute: String) throws(ImportError) -> [Int]? {
        guard let attr = node.attributes[attribute] else { return nil }
        guard let v = attr.ints else { throw attributeError(attribute, "must be INTS, not \(attr.typeName)") }
        return v.map { Int(Swift.min(Swift.max($0, -Int64(ImportLimits.maxValue)), Int64(ImportLimits.maxValue))) }
    }

    func float(_ attribute: String, default value: Float? = nil, allowInfinite: Bool = false) throws(ImportError) -> Float {
        guard let attr = node.attributes[attribute] else {
            if let value { return value }
            throw attributeError(attribute, "is required")
        }
        let v: Float
        if let f = attr.float { v = f } else if let i = attr.int { v = Float(i) } else {
            throw attributeError(attribute, "must be FLOAT, not \(attr.typeName)")
        }
        // A NaN or infinite alpha, epsilon or bound would reach the folded weights and the quantizer.
        guard v.isFinite || (allowInfinite && !v.isNaN) else {
            throw attributeError(attribute, "value \(v) is not a finite number")
        }
        return v
    }

    func ints(_ attribute: String) throws(ImportError) -> [Int]? {
        guard let attr = node.attributes[attribute] else { return nil }
        guard let v = attr.ints else { throw attributeError(attribute, "must be INTS, not \(attr.typeName)") }
        var out: [Int] = []
        for x in v { out.append(try bounded(attribute, x)) }
        return out
    }

    func string(_ attribute: String, default value: String) throws(ImportError) -> String {
        guard let attr = node.attributes[attribute] else { return value }
        guard let v = attr.string else { throw attributeError(attribute, "must be a UTF-8 STRING, not \(attr.typeName)") }
        return v
    }

    /// Rejects an attribute value other than the one(s) Sparrow implements.
    func require(_ attribute: String, in allowed: Set<Int>, default value: Int) throws(ImportError) -> Int {
        let v = try int(attribute, default: value)
        guard allowed.contains(v) else {
            throw attributeError(attribute, "value \(v) is not supported (supported: \(allowed.sorted().map(String.init).joined(separator: ", ")))")
        }
        return v
    }

    // MARK: inputs

    var inputCount: Int { node.inputs.count }

    func hasInput(_ i: Int) -> Bool { i < node.inputs.count && !node.inputs[i].isEmpty }

    func symbol(_ i: Int, in state: ImportState) throws(ImportError) -> Symbol {
        guard hasInput(i) else { throw inputError(i, "is required") }
        guard let s = state.symbols[node.inputs[i]] else {
            throw inputError(i, "is not produced by any earlier node, initializer or graph input")
        }
        return s
    }

    func optionalSymbol(_ i: Int, in state: ImportState) throws(ImportError) -> Symbol? {
        hasInput(i) ? try symbol(i, in: state) : nil
    }

    /// An input that must be known at import time (weights, shapes, pads, ...).
    func constant(_ i: Int, in state: ImportState, what: String) throws(ImportError) -> ConstTensor {
        guard case .constant(let c) = try symbol(i, in: state) else {
            throw inputError(i, "\(what) must be a constant (an initializer or computable from constants); "
                             + "Sparrow does not support it being computed at run time")
        }
        return c
    }

    func optionalConstant(_ i: Int, in state: ImportState, what: String) throws(ImportError) -> ConstTensor? {
        hasInput(i) ? try constant(i, in: state, what: what) : nil
    }

    func activationInput(_ i: Int, in state: ImportState) throws(ImportError) -> ActivationRef {
        guard case .activation(let a) = try symbol(i, in: state) else {
            throw inputError(i, "is a constant here; Sparrow expects a run-time tensor")
        }
        return a
    }

    /// The output name, for IR value naming; errors when a second output is consumed.
    var output: String { node.outputs.first ?? "" }

    /// Normalizes a possibly negative axis for a tensor of `rank`.
    func axis(_ value: Int, rank: Int, attribute: String) throws(ImportError) -> Int {
        let a = value < 0 ? value + rank : value
        guard a >= 0 && a < rank else { throw attributeError(attribute, "axis \(value) is out of range for rank \(rank)") }
        return a
    }
}
