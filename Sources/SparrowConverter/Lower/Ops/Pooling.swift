// Lowering of MaxPool, AveragePool, MaxPoolArgmax and MaxUnpool (runtime: SparrowRuntime/Ops/Pooling.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerPool(_ node: IRNode, _ p: PoolAttributes, max isMax: Bool) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let x = try activation(node.inputs[0], node)
        guard p.kernel.count == 2, p.strides.count == 2, p.pads.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 2-D pooling is supported")
        }
        let record = PoolParamRecord(
            strideH: Int32(p.strides[0]), strideW: Int32(p.strides[1]), filterH: Int32(p.kernel[0]),
            filterW: Int32(p.kernel[1]), padTop: Int32(p.pads[0]), padLeft: Int32(p.pads[1]), padBottom: Int32(p.pads[2]),
            padRight: Int32(p.pads[3]), activation: outQ.activationClamp(p.activation),
            countIncludePad: p.countIncludePad)
        let y8 = try outputTensor(out, node)
        let macs = isMax ? 0 : UInt64(graph.values[out].elementCount * p.kernel[0] * p.kernel[1])
        emit(isMax ? .maxPool : .averagePool, inputs: [x], outputs: [y8], params: record, macs: macs, name: node.name)
    }

    /// The positions as a uint8 tensor (no quantization), read only by MaxUnpool.
    mutating func lowerMaxPoolArgmax(_ node: IRNode, _ p: PoolAttributes) throws(ConversionError) {
        let out = node.outputs[0]
        let x = try activation(node.inputs[0], node)
        guard p.kernel.count == 2, p.strides.count == 2, p.pads.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 2-D pooling is supported")
        }
        guard p.kernel[0] * p.kernel[1] <= 256 else {
            throw ConversionError(.formatLimit, node: node.name, op: node.op.name,
                                  "window \(p.kernel[0])×\(p.kernel[1]) has more than 256 cells; positions are stored in one byte")
        }
        guard !graph.outputPorts.contains(where: { $0.value == out }) else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "the argmax positions are a graph output; Sparrow computes them only for MaxUnpooling2D")
        }
        let record = PoolParamRecord(
            strideH: Int32(p.strides[0]), strideW: Int32(p.strides[1]), filterH: Int32(p.kernel[0]),
            filterW: Int32(p.kernel[1]), padTop: Int32(p.pads[0]), padLeft: Int32(p.pads[1]), padBottom: Int32(p.pads[2]),
            padRight: Int32(p.pads[3]), activation: ActivationClamp(min: -128, max: 127), countIncludePad: false)
        let v = graph.values[out]
        let y = try addTensor(name: v.name, dtype: .uint8, shape: v.shape, storage: .arena)
        tensorOfValue[out] = y
        emit(.maxPoolArgmax, inputs: [x], outputs: [y], params: record, name: node.name)
    }

    mutating func lowerMaxUnpool(_ node: IRNode, _ a: UnpoolAttributes) throws(ConversionError) {
        let out = node.outputs[0]
        let x = try activation(node.inputs[0], node)
        guard node.inputs[1] >= 0, let producer = graph.nodes.first(where: { $0.outputs.contains(node.inputs[1]) }),
              case .maxPoolArgmax = producer.op, let positions = tensorOfValue[node.inputs[1]] else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "the positions must come from a MaxPoolingWithArgmax2D (MaxPoolArgmax) of the model")
        }
        let limit = 1 << 12
        guard a.strides.count == 2, a.strides.allSatisfy({ $0 >= 1 && $0 <= limit }), a.kernelW >= 1, a.kernelW <= limit,
              a.padTop >= 0, a.padTop <= limit, a.padLeft >= 0, a.padLeft <= limit else {
            throw ConversionError(.formatLimit, node: node.name, op: node.op.name, "strides, window width or pads outside 1…\(limit)")
        }
        let y8 = try outputTensor(out, node)
        emit(.maxUnpool, inputs: [x, positions], outputs: [y8],
             params: UnpoolParamRecord(strideH: Int32(a.strides[0]), strideW: Int32(a.strides[1]), filterW: Int32(a.kernelW),
                                       padTop: Int32(a.padTop), padLeft: Int32(a.padLeft)), name: node.name)
    }
}
