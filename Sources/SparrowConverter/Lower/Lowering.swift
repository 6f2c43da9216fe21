// IR graph + activation quantization → Sparrow model bytes, verified.
//
// Shape of the output file:
//  - each graph input is a float32 arena tensor in the ONNX layout, converted by a Quantize op
//    (+ an int8 Transpose to NHWC for 4-D) at the start; each graph output is a float32 tensor in
//    the ONNX layout written by a Dequantize op at the end, unless `ModelBoundary` asks for int8
//    and/or NHWC ports, which drop those operators (ModelBoundary.swift);
//  - each IR node becomes one operator (Div by a constant becomes Mul by its reciprocal;
//    Reshape/Identity become zero-copy aliases of their input's bytes);
//  - lifetimes come from the operator order, aliases extend their base's lifetime, and the
//    greedy planner (Plan/MemoryPlanner.swift) places every arena tensor;
//  - the file is run through `VerifiedModel.verify` before it is returned.
import Foundation
import SparrowFormat
import SparrowKernels
import SparrowRuntime

/// A lowered, verified model and what the summary needs.
public struct LoweredModel: Sendable {
    public var bytes: [UInt8]
    /// Operators per Sparrow opcode name (Quantize/Dequantize included).
    public var opCounts: [String: Int]
    public var operatorCount: Int
    public var tensorCount: Int
    /// Elements of the weights, biases and other constants taken from the IR.
    public var parameterCount: Int
    public var totalMacs: UInt64
    /// The arena buffers as planned (one per non-alias arena tensor) and the plan.
    public var planBuffers: [PlannerBuffer]
    public var plan: MemoryPlan
    /// Dense-or-sparse decision of every FullyConnected / 1×1 Conv layer (Sparse/).
    public var sparseLayers: [SparseLayerReport] = []
}

public enum Lowering {
    /// `exits` non-empty turns on early-exit scheduling and writes the exit table (ExitLowering.swift).
    public static func lower(_ graph: IRGraph, quantization: [Int: ActivationQuant],
                             exits: ExitOptions = ExitOptions(),
                             sparsity: SparsityOptions = SparsityOptions(),
                             packedWeights: PackedGemmLayout? = nil,
                             boundary: ModelBoundary = ModelBoundary()) throws(ConversionError) -> LoweredModel {
        var builder = ModelBuilder(graph: graph, quant: quantization)
        builder.boundary = boundary
        builder.exits = exits
        builder.sparsity = sparsity
        builder.packedWeights = packedWeights
        try builder.build()
        return try builder.finish()
    }
}

/// Accumulates tensors and operators, then plans and serializes.
struct ModelBuilder {
    let graph: IRGraph
    let quant: [Int: ActivationQuant]
    var writer = ModelWriter()
    /// Tensor index of each IR activation value (int8, or int64 for `indexTensors`).
    var tensorOfValue: [Int: Int32] = [:]
    /// ArgMax results: integer tensors already in the ONNX layout, graph outputs as they are.
    var indexTensors: Set<Int32> = []
    var opCounts: [String: Int] = [:]
    var parameterCount = 0
    var countedConstants: Set<Int> = []
    /// Pruning/sparse-storage options and the per-layer decisions (Sparse/Lowering+Sparse.swift).
    var sparsity = SparsityOptions()
    var sparseLayers: [SparseLayerReport] = []
    /// Pack dense FC and 1×1 conv weights for this layout (Lower/Ops/PackedGemm.swift); nil: don't.
    var packedWeights: PackedGemmLayout?
    /// Early exits to schedule and record (none by default).
    var exits = ExitOptions()
    /// Types and layouts of the graph inputs and outputs (float32, ONNX layout by default).
    var boundary = ModelBoundary()

    init(graph: IRGraph, quant: [Int: ActivationQuant]) {
        self.graph = graph
        self.quant = quant
    }

    // MARK: Tensors

    static func dims(_ shape: [Int], name: String) throws(ConversionError) -> (Int32, Int32, Int32, Int32) {
        guard shape.count <= 4 else {
            throw ConversionError(.formatLimit, "tensor '\(name)' has rank \(shape.count); the format holds rank ≤ 4")
        }
        var d: [Int32] = [1, 1, 1, 1]
        for (i, n) in shape.enumerated() {
            guard n >= 1, n <= Int(Int32.max) else { throw ConversionError(.formatLimit, "tensor '\(name)' has dimension \(n)") }
            d[i] = Int32(n)
        }
        return (d[0], d[1], d[2], d[3])
    }

    mutating func addTensor(name: String, dtype: DType, shape: [Int], storage: Storage, location: UInt32 = 0,
                            quant q: ActivationQuant? = nil, channelScales: [Float]? = nil, quantAxis: Int = 0)
        throws(ConversionError) -> Int32 {
        let elements = shape.reduce(1, *)
        let bytes = elements * dtype.byteWidth
        guard bytes <= Int(Int32.max) else { throw ConversionError(.formatLimit, "tensor '\(name)' is \(bytes) bytes") }
        let n = writer.addString(name)
        var record = TensorRecord(dtype: dtype, dims: try Self.dims(shape, name: name), rank: shape.count, storage: storage,
                                  location: location, byteSize: UInt32(bytes), nameOffset: n.offset,
                                  nameLength: UInt16(min(n.length, Int(UInt16.max))))
        if let q {
            record.quantCode = QuantKind.perTensor.rawValue
            record.scale = q.scale
            record.zeroPoint = q.zeroPoint
        } else if let channelScales {
            record.quantCode = QuantKind.perChannel.rawValue
            record.quantAxis = UInt8(quantAxis)
            record.channelScalesOffset = writer.addConstant(Self.bytes(channelScales))
        }
        writer.tensors.append(record)
        return Int32(writer.tensors.count - 1)
    }

    /// Gives tensor `t` another name (a graph output that stands for a dropped edge operator's).
    mutating func rename(_ t: Int32, to name: String) {
        let n = writer.addString(name)
        writer.tensors[Int(t)].nameOffset = n.offset
        writer.tensors[Int(t)].nameLength = UInt16(min(n.length, Int(UInt16.max)))
    }

    mutating func addConstantTensor(name: String, dtype: DType, shape: [Int], data: [UInt8], quant q: ActivationQuant? = nil,
                                    channelScales: [Float]? = nil, quantAxis: Int = 0) throws(ConversionError) -> Int32 {
        let offset = writer.addConstant(data)
        return try addTensor(name: name, dtype: dtype, shape: shape, storage: .constant, location: offset, quant: q,
                             channelScales: channelScales, quantAxis: quantAxis)
    }

    static func bytes(_ v: [Int8]) -> [UInt8] { v.map { UInt8(bitPattern: $0) } }
    static func bytes(_ v: [Int32]) -> [UInt8] { v.flatMap { w in withUnsafeBytes(of: w.littleEndian) { Array($0) } } }
    static func bytes(_ v: [Float]) -> [UInt8] { v.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } } }

    func activationQuant(_ value: Int, _ node: IRNode?) throws(ConversionError) -> ActivationQuant {
        guard let q = quant[value] else {
            throw ConversionError(.calibration, node: node?.name, op: node?.op.name,
                                  "no quantization for value '\(graph.values[value].name)'")
        }
        return q
    }

    /// The int8 arena tensor of an activation value (created on first request by its writer).
    mutating func outputTensor(_ value: Int, _ node: IRNode, storage: Storage = .arena, location: UInt32 = 0)
        throws(ConversionError) -> Int32 {
        let v = graph.values[value]
        let t = try addTensor(name: v.name, dtype: .int8, shape: v.shape, storage: storage, location: location,
                              quant: try activationQuant(value, node))
        tensorOfValue[value] = t
        return t
    }

    /// An operand that must be an activation already written.
    func activation(_ value: Int, _ node: IRNode) throws(ConversionError) -> Int32 {
        guard value >= 0, let t = tensorOfValue[value] else {
            let what = value >= 0 && graph.values[value].isConstant ? "a constant" : "missing"
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "operand '\(value >= 0 ? graph.values[value].name : "-1")' is \(what); an activation is required here")
        }
        return t
    }

    /// An operand of an elementwise op: an activation, or a constant quantized per tensor.
    mutating func operand(_ value: Int, _ node: IRNode, transform: (Float) -> Float = { $0 }) throws(ConversionError)
        -> (tensor: Int32, quant: ActivationQuant) {
        let v = graph.values[value]
        if let data = v.constant {
            countParameters(value)
            let (codes, q) = QuantMath.quantizeConstant(data.map(transform))
            let t = try addConstantTensor(name: v.name, dtype: .int8, shape: v.shape, data: Self.bytes(codes), quant: q)
            return (t, q)
        }
        return (try activation(value, node), try activationQuant(value, node))
    }

    mutating func countParameters(_ value: Int) {
        if countedConstants.insert(value).inserted { parameterCount += graph.values[value].elementCount }
    }

    // MARK: Operators

    /// Appends an operator; `params` are the words of its opcode's record (SparrowFormat/Params).
    mutating func emit(_ opcode: OpCode, inputs: [Int32], outputs: [Int32], params: [Int32], macs: UInt64 = 0, name: String) {
        writer.addOperator(opcode, inputs: inputs, outputs: outputs, params: params, macs: macs, name: name)
        opCounts["\(opcode.name)", default: 0] += 1
        writer.totalMacs &+= macs
    }

    mutating func emit(_ opcode: OpCode, inputs: [Int32], outputs: [Int32], params: some ParamRecord, macs: UInt64 = 0,
                       name: String) {
        emit(opcode, inputs: inputs, outputs: outputs, params: params.words, macs: macs, name: name)
    }

    mutating func build() throws(ConversionError) {
        guard !graph.inputPorts.isEmpty else { throw ConversionError(.unsupported, "the graph has no inputs") }
        guard !graph.outputPorts.isEmpty else { throw ConversionError(.unsupported, "the graph has no outputs") }
        try boundary.validate(inputs: graph.inputPorts, outputs: graph.outputPorts, hasExits: !exits.outputs.isEmpty)
        var graphInputs: [Int32] = []
        for port in graph.inputPorts {
            let v = graph.values[port.value]
            let q = try activationQuant(port.value, nil)
            // By default the file's inputs are float in the ONNX model's own layout, so the host and
            // the device feed the user's data unchanged; a permuted port (NCHW → NHWC) is
            // transposed in int8. `boundary` may make the input int8 and/or NHWC instead.
            let int8Input = boundary.type(input: port) == .int8
            let transposed = port.isPermuted && boundary.keepsONNXLayout(input: port)
            let name = v.name == port.onnxName ? v.name + "_int8" : v.name
            if int8Input && !transposed {
                // The kernels' own tensor is the model's input: no operator at all.
                let t = try addTensor(name: port.onnxName, dtype: .int8, shape: v.shape, storage: .arena, quant: q)
                tensorOfValue[port.value] = t
                graphInputs.append(t)
                continue
            }
            let int8Tensor = try addTensor(name: name, dtype: .int8, shape: v.shape, storage: .arena, quant: q)
            tensorOfValue[port.value] = int8Tensor
            let outerShape = transposed ? port.onnxShape : v.shape
            let outer = try addTensor(name: port.onnxName, dtype: int8Input ? .int8 : .float32, shape: outerShape,
                                      storage: .arena, quant: int8Input ? q : nil)
            graphInputs.append(outer)
            if int8Input {
                emit(.transpose, inputs: [outer], outputs: [int8Tensor],
                     params: TransposeParamRecord(rankPermutation: port.onnxToIR), name: "to_nhwc_\(port.onnxName)")
            } else if transposed {
                let onnxInt8 = try addTensor(name: name + "_onnx_layout", dtype: .int8, shape: port.onnxShape,
                                             storage: .arena, quant: q)
                emit(.quantize, inputs: [outer], outputs: [onnxInt8], params: [], name: "quantize_\(port.onnxName)")
                emit(.transpose, inputs: [onnxInt8], outputs: [int8Tensor],
                     params: TransposeParamRecord(rankPermutation: port.onnxToIR), name: "to_nhwc_\(port.onnxName)")
            } else {
                emit(.quantize, inputs: [outer], outputs: [int8Tensor], params: [], name: "quantize_\(port.onnxName)")
            }
        }
        writer.inputs = graphInputs
        if !exits.outputs.isEmpty {
            try buildWithExits()   // ExitLowering.swift: exit-scheduled order and the exit table
            return
        }
        for node in graph.nodes { try lower(node) }
        writer.outputs = try graph.outputPorts.map { port throws(ConversionError) in try emitGraphOutput(port) }
    }

    /// Converts graph output `port` back to float in the ONNX layout (Transpose if permuted, then
    /// Dequantize), or as `boundary` asks (int8 and/or NHWC: fewer operators); returns its tensor.
    mutating func emitGraphOutput(_ port: IRGraphPort) throws(ConversionError) -> Int32 {
        guard let source = tensorOfValue[port.value] else {
            throw ConversionError(.unsupported, "graph output '\(port.onnxName)' is a constant; nothing to compute")
        }
        if indexTensors.contains(source) { return source }
        let int8Output = boundary.type(output: port) == .int8
        var int8Source = source
        if port.isPermuted && boundary.keepsONNXLayout(output: port) {
            // Back to the ONNX layout: ONNX axis j is IR axis k where onnxToIR[k] == j.
            var irToONNX = [Int](repeating: 0, count: port.onnxToIR.count)
            for (k, j) in port.onnxToIR.enumerated() { irToONNX[j] = k }
            int8Source = try addTensor(name: int8Output ? port.onnxName : port.onnxName + "_int8_onnx_layout", dtype: .int8,
                                       shape: port.onnxShape, storage: .arena, quant: try activationQuant(port.value, nil))
            emit(.transpose, inputs: [source], outputs: [int8Source], params: TransposeParamRecord(rankPermutation: irToONNX),
                 name: "to_onnx_layout_\(port.onnxName)")
        }
        if int8Output { return int8Source }
        let v = graph.values[port.value]
        let floatShape = port.isPermuted && !boundary.keepsONNXLayout(output: port) ? v.shape : port.onnxShape
        let floatTensor = try addTensor(name: port.onnxName, dtype: .float32, shape: floatShape, storage: .arena)
        emit(.dequantize, inputs: [int8Source], outputs: [floatTensor], params: [], name: "dequantize_\(port.onnxName)")
        return floatTensor
    }

    /// One line per IR op; each family's lowering lives in Lower/Ops/<Family>.swift.
    mutating func lower(_ node: IRNode) throws(ConversionError) {
        guard node.outputs.count == 1 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "\(node.outputs.count) outputs; one expected")
        }
        _ = try activationQuant(node.outputs[0], node)   // every op's output is calibrated
        switch node.op {
        case .conv(let a): try lowerConvolution(node, a)
        case .fullyConnected(let act): try lowerFullyConnected(node, act)
        case .add(let act): try lowerAdd(node, act, subtract: false)
        case .sub(let act): try lowerAdd(node, act, subtract: true)
        case .mul(let act): try lowerMul(node, act, divide: false)
        case .div(let act): try lowerMul(node, act, divide: true)
        case .maximum: try lowerMaxMin(node, maximum: true)
        case .minimum: try lowerMaxMin(node, maximum: false)
        case .maxPool(let p): try lowerPool(node, p, max: true)
        case .averagePool(let p): try lowerPool(node, p, max: false)
        case .maxPoolArgmax(let p): try lowerMaxPoolArgmax(node, p)
        case .maxUnpool(let a): try lowerMaxUnpool(node, a)
        case .mean: try lowerMean(node)
        case .softmax: try lowerSoftmax(node, logarithm: false)
        case .logSoftmax: try lowerSoftmax(node, logarithm: true)
        case .argMax(let axis, let selectLast): try lowerArgMax(node, axis: axis, selectLast: selectLast)
        case .concat(let axis): try lowerConcat(node, axis: axis)
        case .pad(let before, _, let value): try lowerPad(node, before: before, value: value)
        case .reshape, .identity: try lowerReshape(node)
        case .transpose(let perm): try lowerTranspose(node, perm: perm)
        case .unary(let f): try lowerUnary(node, f)
        case .prelu: try lowerPRelu(node)
        case .resize(let a): try lowerResize(node, a)
        case .convTranspose(let a): try lowerTransposeConvolution(node, a)
        case .slice(let begin, let step): try lowerSlice(node, begin: begin, step: step)
        case .gather(let axis, let indices): try lowerGather(node, axis: axis, indices: indices)
        case .layerNorm(let epsilon): try lowerLayerNorm(node, epsilon: epsilon)
        case .matMul(let axes): try lowerBatchMatMul(node, axes)
        }
    }

    // MARK: Plan, serialize, verify

    /// Plans, serializes and verifies the model. `explain` may turn the verifier's rejection into
    /// an error about the input file (the TFLite path, which takes its shapes from the file).
    mutating func finish(explain: (ModelError) -> ConversionError? = { _ in nil }) throws(ConversionError) -> LoweredModel {
        let opCount = writer.operators.count
        var liveFrom = [Int32](repeating: -1, count: writer.tensors.count)
        var liveTo = [Int32](repeating: -1, count: writer.tensors.count)
        var written = [Bool](repeating: false, count: writer.tensors.count)
        for (k, o) in writer.operators.enumerated() {
            let start = Int(o.indicesStart)
            for j in 0..<Int(o.inputCount) {
                let t = writer.indices[start + j]
                if t >= 0 { liveTo[Int(t)] = max(liveTo[Int(t)], Int32(k)) }
            }
            for j in 0..<Int(o.outputCount) {
                let t = Int(writer.indices[start + Int(o.inputCount) + j])
                liveFrom[t] = Int32(k)
                written[t] = true
            }
        }
        for t in writer.outputs { liveTo[Int(t)] = Int32(opCount) }
        // A value nobody reads still needs its bytes while its writer runs.
        for t in writer.tensors.indices where written[t] { liveTo[t] = max(liveTo[t], liveFrom[t]) }
        // Aliases keep their base alive for as long as any of them is read.
        for (t, r) in writer.tensors.enumerated() where r.storage == .alias {
            let base = Int(r.location)
            liveTo[base] = max(liveTo[base], liveTo[t])
        }
        var buffers: [PlannerBuffer] = []
        var bufferTensor: [Int] = []
        for (t, r) in writer.tensors.enumerated() where r.storage != .constant {
            writer.tensors[t].liveFrom = liveFrom[t]
            writer.tensors[t].liveTo = liveTo[t]
            if r.storage == .arena {
                let name = String(decoding: writer.strings[Int(r.nameOffset)..<(Int(r.nameOffset) + Int(r.nameLength))], as: UTF8.self)
                buffers.append(PlannerBuffer(size: Int(r.byteSize), firstUse: Int(liveFrom[t]), lastUse: Int(liveTo[t]), name: name))
                bufferTensor.append(t)
            }
        }
        let plan = MemoryPlanner.plan(buffers)
        for (i, t) in bufferTensor.enumerated() { writer.tensors[t].location = UInt32(plan.offsets[i]) }
        writer.arenaSize = UInt32(plan.arenaSize)
        let bytes = writer.serialize()
        if let error = HostModel.verificationError(bytes) {
            throw explain(error) ?? ConversionError(.verifierRejected, "\(error)")
        }
        return LoweredModel(bytes: bytes, opCounts: opCounts, operatorCount: opCount, tensorCount: writer.tensors.count,
                            parameterCount: parameterCount, totalMacs: writer.totalMacs, planBuffers: buffers, plan: plan,
                            sparseLayers: sparseLayers)
    }

    static func verify(_ bytes: [UInt8]) throws(ConversionError) {
        if let error = HostModel.verificationError(bytes) { throw ConversionError(.verifierRejected, "\(error)") }
    }
}
