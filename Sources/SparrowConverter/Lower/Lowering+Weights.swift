// The constant operands of a conv or fully connected node: per-channel int8 weights (dense, or
// block-sparse in the sparse section), int32 bias, and per-channel requantization multipliers
// and shifts. Shared by Lower/Ops/Convolution.swift and Lower/Ops/FullyConnected.swift.
import SparrowFormat

extension ModelBuilder {
    /// The int8 weight codes, bias and requantization constants of a conv or FC node, not yet
    /// written to the file (dense tensors: `weightOperands`; packed: `packedTensor`).
    struct QuantizedLayer {
        var weightValue: Int
        var weights: ChannelQuantizedWeights
        var bias: (value: Int, codes: [Int32])?
        var multipliers: [Int32]
        var shifts: [Int32]
        var channels: Int
    }

    /// Weights (per-channel int8 from the constant, or from its QDQ hint's scales), bias,
    /// multipliers and shifts of a conv or fully connected node.
    mutating func quantizeLayer(_ node: IRNode, channelAxis: Int, inQ: ActivationQuant, outQ: ActivationQuant)
        throws(ConversionError) -> QuantizedLayer {
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
        var bias: (value: Int, codes: [Int32])?
        if node.inputs.count >= 3, node.inputs[2] >= 0 {
            let bValue = graph.values[node.inputs[2]]
            guard let b = bValue.constant, b.count == channels else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                      "bias must be a constant of \(channels) values")
            }
            countParameters(node.inputs[2])
            bias = (node.inputs[2], QuantMath.quantizeBias(b, inputScale: inQ.scale, weightScales: quantized.scales).values)
        }
        let m = QuantMath.channelMultipliers(inputScale: inQ.scale, weightScales: quantized.scales, outputScale: outQ.scale)
        return QuantizedLayer(weightValue: node.inputs[1], weights: quantized, bias: bias, multipliers: m.multipliers,
                              shifts: m.shifts, channels: channels)
    }

    /// The layer's weights, bias, multipliers and shifts as constant tensors (weights: none when
    /// stored block-sparse). With `packing` (a dense layer a microkernel runs) and weights the
    /// packer takes, one packed constant instead (`packed`, the other tensors -1):
    /// Lower/Ops/PackedGemm.swift.
    mutating func weightOperands(_ node: IRNode, channelAxis: Int, inQ: ActivationQuant, outQ: ActivationQuant,
                                 packing: WeightPacking? = nil)
        throws(ConversionError) -> (weights: Int32, bias: Int32, multipliers: Int32, shifts: Int32, depthPerChannel: Int,
                                    sparse: SparseStorage?, packed: Int32?) {
        let q = try quantizeLayer(node, channelAxis: channelAxis, inQ: inQ, outQ: outQ)
        let wValue = graph.values[q.weightValue], channels = q.channels
        // Sparse layers keep their weights only in the sparse section (no dense tensor).
        let sparse = sparseStorage(node, codes: q.weights.values, shape: wValue.shape)
        if sparse == nil, let packing, let packed = try packedTensor(q, inputZeroPoint: inQ.zeroPoint, packing: packing) {
            return (-1, -1, -1, -1, q.weights.values.count / max(channels, 1), nil, packed)
        }
        let wTensor: Int32 = sparse != nil ? -1 : try addConstantTensor(
            name: wValue.name, dtype: .int8, shape: wValue.shape, data: Self.bytes(q.weights.values),
            channelScales: q.weights.scales, quantAxis: channelAxis)
        var biasTensor: Int32 = -1
        if let b = q.bias {
            biasTensor = try addConstantTensor(name: graph.values[b.value].name, dtype: .int32, shape: [channels],
                                               data: Self.bytes(b.codes))
        }
        let mt = try addConstantTensor(name: node.name + "_multipliers", dtype: .int32, shape: [channels], data: Self.bytes(q.multipliers))
        let st = try addConstantTensor(name: node.name + "_shifts", dtype: .int32, shape: [channels], data: Self.bytes(q.shifts))
        return (wTensor, biasTensor, mt, st, q.weights.values.count / max(channels, 1), sparse, nil)
    }

    static func weightScales(_ hint: IRQuantization, channels: Int, axis: Int) -> [Float]? {
        if hint.scales.count == channels && (hint.axis == nil || hint.axis == axis) { return hint.scales }
        if hint.scales.count == 1 { return [Float](repeating: hint.scales[0], count: channels) }
        return nil
    }
}
