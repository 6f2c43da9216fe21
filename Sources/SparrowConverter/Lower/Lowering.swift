// IR graph + activation quantization → Sparrow model bytes, verified.
//
// Shape of the output file:
//  - each graph input is a float32 arena tensor in IR layout (NHWC for 4-D), converted by a
//    Quantize op at the start; each graph output is a float32 tensor written by a Dequantize op
//    at the end;
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
                             sparsity: SparsityOptions = SparsityOptions()) throws(ConversionError) -> LoweredModel {
        var builder = ModelBuilder(graph: graph, quant: quantization)
        builder.exits = exits
        builder.sparsity = sparsity
        try builder.build()
        return try builder.finish()
    }
}

/// Accumulates tensors and operators, then plans and serializes.
struct ModelBuilder {
    let graph: IRGraph
    let quant: [Int: ActivationQuant]
    var writer = ModelWriter()
    /// Tensor index of each IR activation value (int8).
    var tensorOfValue: [Int: Int32] = [:]
    var opCounts: [String: Int] = [:]
    var parameterCount = 0
    var countedConstants: Set<Int> = []
    /// Pruning/sparse-storage options and the per-layer decisions (Sparse/Lowering+Sparse.swift).
    var sparsity = SparsityOptions()
    var sparseLayers: [SparseLayerReport] = []
    /// Early exits to schedule and record (none by default).
    var exits = ExitOptions()

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

    /// A rank-r permutation as Transpose parameter words over the NHWC-padded Shape4 axes
    /// (ranks below 4 gain leading unit axes that stay in place).
    static func shape4Permutation(_ perm: [Int]) -> [Int32] {
        let pad = 4 - perm.count
        return (0..<pad).map { Int32($0) } + perm.map { Int32($0 + pad) }
    }

    mutating func emit(_ opcode: OpCode, inputs: [Int32], outputs: [Int32], params: [Int32], macs: UInt64 = 0, name: String) {
        writer.addOperator(opcode, inputs: inputs, outputs: outputs, params: params, macs: macs, name: name)
        opCounts["\(opcode.name)", default: 0] += 1
        writer.totalMacs &+= macs
    }

    mutating func build() throws(ConversionError) {
        guard !graph.inputPorts.isEmpty else { throw ConversionError(.unsupported, "the graph has no inputs") }
        guard !graph.outputPorts.isEmpty else { throw ConversionError(.unsupported, "the graph has no outputs") }
        var floatInputs: [Int32] = []
        for port in graph.inputPorts {
            let v = graph.values[port.value]
            let q = try activationQuant(port.value, nil)
            // The file's inputs are in the ONNX model's own layout, so the host and the device
            // feed the user's data unchanged; a permuted port (NCHW → NHWC) is transposed in int8.
            let floatTensor = try addTensor(name: port.onnxName, dtype: .float32, shape: port.onnxShape, storage: .arena)
            let name = v.name == port.onnxName ? v.name + "_int8" : v.name
            let int8Tensor = try addTensor(name: name, dtype: .int8, shape: v.shape, storage: .arena, quant: q)
            tensorOfValue[port.value] = int8Tensor
            floatInputs.append(floatTensor)
            if port.isPermuted {
                let onnxInt8 = try addTensor(name: name + "_onnx_layout", dtype: .int8, shape: port.onnxShape,
                                             storage: .arena, quant: q)
                emit(.quantize, inputs: [floatTensor], outputs: [onnxInt8], params: [], name: "quantize_\(port.onnxName)")
                emit(.transpose, inputs: [onnxInt8], outputs: [int8Tensor],
                     params: Self.shape4Permutation(port.onnxToIR), name: "to_nhwc_\(port.onnxName)")
            } else {
                emit(.quantize, inputs: [floatTensor], outputs: [int8Tensor], params: [], name: "quantize_\(port.onnxName)")
            }
        }
        writer.inputs = floatInputs
        if !exits.outputs.isEmpty {
            try buildWithExits()   // ExitLowering.swift: exit-scheduled order and the exit table
            return
        }
        for node in graph.nodes { try lower(node) }
        writer.outputs = try graph.outputPorts.map { port throws(ConversionError) in try emitGraphOutput(port) }
    }

    /// Converts graph output `port` back to float in the ONNX layout (Transpose if permuted, then
    /// Dequantize); returns its float tensor.
    mutating func emitGraphOutput(_ port: IRGraphPort) throws(ConversionError) -> Int32 {
        guard let source = tensorOfValue[port.value] else {
            throw ConversionError(.unsupported, "graph output '\(port.onnxName)' is a constant; nothing to compute")
        }
        let floatTensor = try addTensor(name: port.onnxName, dtype: .float32, shape: port.onnxShape, storage: .arena)
        var int8Source = source
        if port.isPermuted {
            // Back to the ONNX layout: ONNX axis j is IR axis k where onnxToIR[k] == j.
            var irToONNX = [Int](repeating: 0, count: port.onnxToIR.count)
            for (k, j) in port.onnxToIR.enumerated() { irToONNX[j] = k }
            int8Source = try addTensor(name: port.onnxName + "_int8_onnx_layout", dtype: .int8, shape: port.onnxShape,
                                       storage: .arena, quant: try activationQuant(port.value, nil))
            emit(.transpose, inputs: [source], outputs: [int8Source], params: Self.shape4Permutation(irToONNX),
                 name: "to_onnx_layout_\(port.onnxName)")
        }
        emit(.dequantize, inputs: [int8Source], outputs: [floatTensor], params: [], name: "dequantize_\(port.onnxName)")
        return floatTensor
    }

    mutating func lower(_ node: IRNode) throws(ConversionError) {
        guard node.outputs.count == 1 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "\(node.outputs.count) outputs; one expected")
        }
        let out = node.outputs[0]
        let outShape = graph.values[out].shape
        let outQ = try activationQuant(out, node)
        switch node.op {
        case .conv(let a):
            try convolution(node, a)
        case .fullyConnected(let act):
            try fullyConnected(node, act)
        case .add(let act), .sub(let act):
            let isSub: Bool
            if case .sub = node.op { isSub = true } else { isSub = false }
            let x = try operand(node.inputs[0], node), y = try operand(node.inputs[1], node)
            let clamp = outQ.clamp(act)
            let p = AddParams.prepare(input1Scale: x.quant.scaleDouble, input1ZeroPoint: x.quant.zeroPoint,
                                      input2Scale: y.quant.scaleDouble, input2ZeroPoint: y.quant.zeroPoint,
                                      outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint,
                                      activationMin: clamp.min, activationMax: clamp.max, subtract: isSub)
            var words = [Int32](repeating: 0, count: AddParam.count)
            words[AddParam.leftShift] = p.leftShift
            words[AddParam.input1Multiplier] = p.input1Multiplier; words[AddParam.input1Shift] = p.input1Shift
            words[AddParam.input2Multiplier] = p.input2Multiplier; words[AddParam.input2Shift] = p.input2Shift
            words[AddParam.outputMultiplier] = p.outputMultiplier; words[AddParam.outputShift] = p.outputShift
            words[AddParam.activationMin] = p.activationMin; words[AddParam.activationMax] = p.activationMax
            let y8 = try outputTensor(out, node)
            emit(isSub ? .sub : .add, inputs: [x.tensor, y.tensor], outputs: [y8], params: words, name: node.name)
        case .mul(let act), .div(let act):
            var isDiv = false
            if case .div = node.op {
                isDiv = true
                guard graph.values[node.inputs[1]].isConstant else {
                    throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                          "division by a computed value has no int8 kernel; only division by a constant")
                }
            }
            let x = try operand(node.inputs[0], node)
            let y = try operand(node.inputs[1], node, transform: isDiv ? { 1 / $0 } : { $0 })
            let clamp = outQ.clamp(act)
            let p = MulParams.prepare(input1Scale: x.quant.scaleDouble, input1ZeroPoint: x.quant.zeroPoint,
                                      input2Scale: y.quant.scaleDouble, input2ZeroPoint: y.quant.zeroPoint,
                                      outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint,
                                      activationMin: clamp.min, activationMax: clamp.max)
            var words = [Int32](repeating: 0, count: MulParam.count)
            words[MulParam.outputMultiplier] = p.outputMultiplier; words[MulParam.outputShift] = p.outputShift
            words[MulParam.activationMin] = p.activationMin; words[MulParam.activationMax] = p.activationMax
            let y8 = try outputTensor(out, node)
            emit(.mul, inputs: [x.tensor, y.tensor], outputs: [y8], params: words,
                 macs: UInt64(outShape.reduce(1, *)), name: node.name)
        case .maxPool(let p), .averagePool(let p):
            let isMax: Bool
            if case .maxPool = node.op { isMax = true } else { isMax = false }
            let x = try activation(node.inputs[0], node)
            guard p.kernel.count == 2, p.strides.count == 2, p.pads.count == 4 else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 2-D pooling is supported")
            }
            let clamp = outQ.clamp(p.activation)
            var words = [Int32](repeating: 0, count: PoolParam.count)
            words[PoolParam.strideH] = Int32(p.strides[0]); words[PoolParam.strideW] = Int32(p.strides[1])
            words[PoolParam.filterH] = Int32(p.kernel[0]); words[PoolParam.filterW] = Int32(p.kernel[1])
            words[PoolParam.padTop] = Int32(p.pads[0]); words[PoolParam.padLeft] = Int32(p.pads[1])
            words[PoolParam.padBottom] = Int32(p.pads[2]); words[PoolParam.padRight] = Int32(p.pads[3])
            words[PoolParam.activationMin] = clamp.min; words[PoolParam.activationMax] = clamp.max
            words[PoolParam.countIncludePad] = p.countIncludePad ? 1 : 0
            let y8 = try outputTensor(out, node)
            let macs = isMax ? 0 : UInt64(outShape.reduce(1, *) * p.kernel[0] * p.kernel[1])
            emit(isMax ? .maxPool : .averagePool, inputs: [x], outputs: [y8], params: words, macs: macs, name: node.name)
        case .mean:
            let xValue = node.inputs[0]
            let x = try activation(xValue, node)
            let xShape = graph.values[xValue].shape
            guard xShape.count == 4 else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name, "mean over H, W needs a 4-D input, got \(xShape)")
            }
            let inQ = try activationQuant(xValue, node)
            let m = MeanHW.prepare(inputScale: inQ.scaleDouble, outputScale: outQ.scaleDouble, count: xShape[1] * xShape[2])
            let y8 = try outputTensor(out, node)
            emit(.mean, inputs: [x], outputs: [y8], params: [m.multiplier, m.shift],
                 macs: UInt64(xShape.reduce(1, *)), name: node.name)
        case .softmax:
            let x = try activation(node.inputs[0], node)
            let inQ = try activationQuant(node.inputs[0], node)
            let p = SoftmaxParams.prepare(inputScale: inQ.scaleDouble, beta: 1)
            let y8 = try outputTensor(out, node)
            emit(.softmax, inputs: [x], outputs: [y8], params: [p.inputMultiplier, p.inputShift, p.diffMin], name: node.name)
        case .concat(let axis):
            let rank = outShape.count
            guard axis >= 0, axis < rank else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name, "axis \(axis) out of range for rank \(rank)")
            }
            var inputs: [Int32] = []
            var words: [Int32] = [Int32(axis + 4 - rank)]
            for value in node.inputs {
                let x = try operand(value, node)
                inputs.append(x.tensor)
                if x.quant == outQ {
                    words += [0, 0]   // identity copy
                } else {
                    let p = RequantizeParams.prepare(inputScale: x.quant.scaleDouble, inputZeroPoint: x.quant.zeroPoint,
                                                     outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint)
                    words += [p.multiplier, p.shift]
                }
            }
            let y8 = try outputTensor(out, node)
            emit(.concat, inputs: inputs, outputs: [y8], params: words, name: node.name)
        case .pad(let before, _, let value):
            let x = try activation(node.inputs[0], node)
            let rank = outShape.count
            guard before.count == rank else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name, "pads for \(before.count) axes, rank \(rank)")
            }
            guard outQ.quantize(value) == outQ.zeroPoint else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                      "constant pad value \(value) is not the zero point's value 0 (only zero padding is supported)")
            }
            let words = [Int32](repeating: 0, count: 4 - rank) + before.map { Int32($0) }
            let y8 = try outputTensor(out, node)
            emit(.pad, inputs: [x], outputs: [y8], params: words, name: node.name)
        case .reshape, .identity:
            let x = try activation(node.inputs[0], node)
            let record = writer.tensors[Int(x)]
            let base = record.storage == .alias ? record.location : UInt32(x)
            let y8 = try outputTensor(out, node, storage: .alias, location: base)
            emit(.reshape, inputs: [x], outputs: [y8], params: [], name: node.name)
        case .transpose(let perm):
            let x = try activation(node.inputs[0], node)
            let rank = perm.count
            guard rank <= 4, rank == outShape.count else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name, "transpose of rank \(rank)")
            }
            let lead = 4 - rank
            let words = (0..<lead).map { Int32($0) } + perm.map { Int32($0 + lead) }
            let y8 = try outputTensor(out, node)
            emit(.transpose, inputs: [x], outputs: [y8], params: words, name: node.name)
        case .unary(let f):
            let x = try activation(node.inputs[0], node)
            let inQ = try activationQuant(node.inputs[0], node)
            var table = [Int8](repeating: 0, count: 256)
            table.withUnsafeMutableBufferPointer { buf in
                fillLookupTable(buf.baseAddress!, inputScale: inQ.scaleDouble, inputZeroPoint: inQ.zeroPoint,
                                outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint) { Double(f.apply(Float($0))) }
            }
            let t = try addConstantTensor(name: node.name + "_table", dtype: .int8, shape: [256], data: Self.bytes(table))
            let y8 = try outputTensor(out, node)
            emit(.lookup, inputs: [x, t], outputs: [y8], params: [], name: node.name)
        }
    }

    /// Weights (per-channel int8 from the constant, or from its QDQ hint's scales), bias,
    /// multipliers and shifts of a conv or fully connected node.
    mutating func weightOperands(_ node: IRNode, channelAxis: Int, inQ: ActivationQuant, outQ: ActivationQuant)
        throws(ConversionError) -> (weights: Int32, bias: Int32, multipliers: Int32, shifts: Int32, depthPerChannel: Int,
                                    sparse: SparseStorage?) {
        guard node.inputs.count >= 2, node.inputs[1] >= 0, let w = graph.values[node.inputs[1]].constant else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "weights must be a constant")
        }
        let wValue = graph.values[node.inputs[1]]
        countParameters(node.inputs[1])
        let channels = wValue.shape[channelAxis]
        var quantized: ChannelQuantizedWeights
        if channelAxis == 0 {
            quantized = QuantMath.quantizeWeightsOutputMajor(w, outChannels: channels)
        } else {
            quantized = QuantMath.quantizeWeightsChannelLast(w, channels: channels)
        }
        if let hint = wValue.quantization, let scales = Self.weightScales(hint, channels: channels, axis: channelAxis) {
            // A QDQ model's weight scales: requantizing the dequantized weights with them
            // recovers the model's own int8 codes.
            let perChannel = w.count / channels
            let codes = w.enumerated().map { i, x -> Int8 in
                let c = channelAxis == 0 ? i / perChannel : i % channels
                return Int8(min(max((x / scales[c]).rounded(.toNearestOrEven), -127), 127))
            }
            quantized = ChannelQuantizedWeights(values: codes, scales: scales)
        }
        // Sparse layers keep their weights only in the sparse section (no dense tensor).
        let sparse = sparseStorage(node, codes: quantized.values, shape: wValue.shape)
        let wTensor: Int32 = sparse != nil ? -1 : try addConstantTensor(
            name: wValue.name, dtype: .int8, shape: wValue.shape, data: Self.bytes(quantized.values),
            channelScales: quantized.scales, quantAxis: channelAxis)
        var biasTensor: Int32 = -1
        if node.inputs.count >= 3, node.inputs[2] >= 0 {
            let bValue = graph.values[node.inputs[2]]
            guard let b = bValue.constant, b.count == channels else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                      "bias must be a constant of \(channels) values")
            }
            countParameters(node.inputs[2])
            let q = QuantMath.quantizeBias(b, inputScale: inQ.scale, weightScales: quantized.scales)
            biasTensor = try addConstantTensor(name: bValue.name, dtype: .int32, shape: [channels], data: Self.bytes(q.values))
        }
        let m = QuantMath.channelMultipliers(inputScale: inQ.scale, weightScales: quantized.scales, outputScale: outQ.scale)
        let mt = try addConstantTensor(name: node.name + "_multipliers", dtype: .int32, shape: [channels], data: Self.bytes(m.multipliers))
        let st = try addConstantTensor(name: node.name + "_shifts", dtype: .int32, shape: [channels], data: Self.bytes(m.shifts))
        return (wTensor, biasTensor, mt, st, w.count / max(channels, 1), sparse)
    }

    static func weightScales(_ hint: IRQuantization, channels: Int, axis: Int) -> [Float]? {
        if hint.scales.count == channels && (hint.axis == nil || hint.axis == axis) { return hint.scales }
        if hint.scales.count == 1 { return [Float](repeating: hint.scales[0], count: channels) }
        return nil
    }

    mutating func convolution(_ node: IRNode, _ a: ConvAttributes) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        guard a.strides.count == 2, a.dilations.count == 2, a.pads.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 2-D convolution is supported")
        }
        let ops = try weightOperands(node, channelAxis: a.isDepthwise ? 3 : 0, inQ: inQ, outQ: outQ)
        let clamp = outQ.clamp(a.activation)
        var words: [Int32] = [Int32(a.strides[0]), Int32(a.strides[1]), Int32(a.dilations[0]), Int32(a.dilations[1]),
                              Int32(a.pads[0]), Int32(a.pads[1]), Int32(a.pads[2]), Int32(a.pads[3]), clamp.min, clamp.max]
        if a.isDepthwise { words.append(Int32(a.depthMultiplier)) }
        let y8 = try outputTensor(out, node)
        let outElements = graph.values[out].elementCount
        if let s = ops.sparse {
            // MACs actually performed: stored weights per output pixel.
            let pixels = outElements / max(graph.values[out].shape.last ?? 1, 1)
            emit(.sparseConv1x1, inputs: [x, ops.bias, ops.multipliers, ops.shifts], outputs: [y8],
                 params: [Int32(a.strides[0]), Int32(a.strides[1]), clamp.min, clamp.max, Int32(s.offset), Int32(s.size)],
                 macs: UInt64(pixels * s.storedWeights), name: node.name)
            return
        }
        emit(a.isDepthwise ? .depthwiseConv2D : .conv2D, inputs: [x, ops.weights, ops.bias, ops.multipliers, ops.shifts],
             outputs: [y8], params: words, macs: UInt64(outElements * ops.depthPerChannel), name: node.name)
    }

    mutating func fullyConnected(_ node: IRNode, _ act: Activation) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        let ops = try weightOperands(node, channelAxis: 0, inQ: inQ, outQ: outQ)
        let clamp = outQ.clamp(act)
        let y8 = try outputTensor(out, node)
        if let s = ops.sparse {
            let batches = graph.values[out].elementCount / max(graph.values[out].shape.last ?? 1, 1)
            emit(.sparseFullyConnected, inputs: [x, ops.bias, ops.multipliers, ops.shifts], outputs: [y8],
                 params: [clamp.min, clamp.max, Int32(s.offset), Int32(s.size)],
                 macs: UInt64(batches * s.storedWeights), name: node.name)
            return
        }
        emit(.fullyConnected, inputs: [x, ops.weights, ops.bias, ops.multipliers, ops.shifts], outputs: [y8],
             params: [clamp.min, clamp.max], macs: UInt64(graph.values[out].elementCount * ops.depthPerChannel), name: node.name)
    }

    // MARK: Plan, serialize, verify

    mutating func finish() throws(ConversionError) -> LoweredModel {
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
        try Self.verify(bytes)
        return LoweredModel(bytes: bytes, opCounts: opCounts, operatorCount: opCount, tensorCount: writer.tensors.count,
                            parameterCount: parameterCount, totalMacs: writer.totalMacs, planBuffers: buffers, plan: plan,
                            sparseLayers: sparseLayers)
    }

    static func verify(_ bytes: [UInt8]) throws(ConversionError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: ModelFormat.sectionAlignment)
        defer { buffer.deallocate() }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        do {
            _ = try VerifiedModel.verify(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]))
        } catch {
            throw ConversionError(.verifierRejected, "\(error)")
        }
    }
}
