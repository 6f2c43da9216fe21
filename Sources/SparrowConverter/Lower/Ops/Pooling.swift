// Lowering of MaxPool and AveragePool (runtime: SparrowRuntime/Ops/Pooling.swift).
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
}
