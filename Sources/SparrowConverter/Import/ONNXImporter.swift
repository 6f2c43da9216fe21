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

    public init(batchSize: Int = 1, constantInputs: [String: ONNXTensor] = [:]) {
        self.batchSize = batchSize
        self.constantInputs = constantInputs
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
    var ints: [Int] { values.map { Int($0) } }
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

    init(opset: Int) { self.opset = opset }

    mutating func run(_ onnx: ONNXGraph, options: ImportOptions) throws(ImportError) {
        guard options.batchSize >= 1 else {
            throw ImportError(node: nil, opType: nil, "batch size \(options.batchSize) must be at least 1")
        }
        for tensor in onnx.initializers {
            symbols[tensor.name] = .constant(try Self.constant(from: tensor, node: nil, opType: nil, subject: "initializer '\(tensor.name)'"))
        }
        for (name, tensor) in options.constantInputs {
            symbols[name] = .constant(try Self.constant(from: tensor, node: nil, opType: nil, subject: "input '\(name)'"))
        }
        for input in onnx.inputs where symbols[input.name] == nil {
            let shape = try Self.fixedShape(input, batchSize: options.batchSize)
            if let type = input.elemType, type != .float {
                throw ImportError(node: nil, opType: nil, subject: "input '\(input.name)'",
                                  "element type \(type.name) is not supported; Sparrow models take float32 inputs")
            }
            let id = graph.addValue(IRValue(name: input.name, shape: TensorLayout.irShape(ofONNX: shape)))
            symbols[input.name] = .activation(ActivationRef(id: id, onnxShape: shape))
            graph.inputPorts.append(IRGraphPort(value: id, onnxName: input.name, onnxShape: shape,
                                                onnxToIR: Self.onnxToIR(rank: shape.count)))
        }
        for (index, node) in onnx.nodes.enumerated() {
            let reader = NodeReader(node: node, index: index, opset: opset)
            if !(node.domain.isEmpty || node.domain == "ai.onnx") {
                throw reader.error(nil, "operator domain '\(node.domain)' is not supported; Sparrow reads standard ONNX (ai.onnx) operators")
            }
            guard let handler = ONNXImporter.registry[node.opType] else {
                throw reader.error(nil, "unsupported op type; Sparrow supports: "
                                   + ONNXImporter.supportedOpTypes.joined(separator: ", "))
            }
            do {
                try handler(&self, reader)
            } catch let error as ImportError {
                throw error
            } catch {
                throw reader.error(nil, "\(error)")
            }
        }
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
            graph.outputPorts.append(IRGraphPort(value: act.id, onnxName: output.name, onnxShape: act.onnxShape,
                                                 onnxToIR: Self.onnxToIR(rank: act.rank)))
        }
    }

    static func onnxToIR(rank: Int) -> [Int] {
        rank == 4 ? TensorLayout.nchwToNHWC : Array(0..<rank)
    }

    static func fixedShape(_ info: ONNXValueInfo, batchSize: Int) throws(ImportError) -> [Int] {
        guard let dims = info.shape else {
            throw ImportError(node: nil, opType: nil, subject: "input '\(info.name)'",
                              "has no declared shape; Sparrow needs static input shapes")
        }
        var shape: [Int] = []
        for (axis, dim) in dims.enumerated() {
            switch dim {
            case .value(let v): shape.append(v)
            case .param, .unknown:
                guard axis == 0 else {
                    throw ImportError(node: nil, opType: nil, subject: "input '\(info.name)'",
                                      "dimension \(axis) is \(dim) (not fixed); only the leading batch dimension may be symbolic")
                }
                shape.append(batchSize)
            }
        }
        return shape
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
        do throws(ONNXError) {
            switch tensor.dataType {
            case .float, .float16, .bfloat16, .double:
                return ConstTensor(shape: tensor.dims, values: try tensor.doubles(), isInteger: false)
            case .int64, .int32, .int16, .int8, .uint8, .uint16, .uint32, .uint64, .bool:
                return ConstTensor(shape: tensor.dims, values: try tensor.int64s().map { Double($0) }, isInteger: true,
                                   sourceType: tensor.dataType)
            default:
                return ConstTensor(shape: tensor.dims, values: try tensor.int64s().map { Double($0) }, isInteger: true,
                                   sourceType: tensor.dataType)
            }
        } catch {
            throw ImportError(node: node, opType: opType, subject: subject, error.message)
        }
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
        return Int(v)
    }

    func float(_ attribute: String, default value: Float? = nil) throws(ImportError) -> Float {
        guard let attr = node.attributes[attribute] else {
            if let value { return value }
            throw attributeError(attribute, "is required")
        }
        if let v = attr.float { return v }
        if let v = attr.int { return Float(v) }
        throw attributeError(attribute, "must be FLOAT, not \(attr.typeName)")
    }

    func ints(_ attribute: String) throws(ImportError) -> [Int]? {
        guard let attr = node.attributes[attribute] else { return nil }
        guard let v = attr.ints else { throw attributeError(attribute, "must be INTS, not \(attr.typeName)") }
        return v.map { Int($0) }
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
