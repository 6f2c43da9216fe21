// Lowering of FullyConnected (dense, or stored block-sparse) (runtime:
// SparrowRuntime/Ops/FullyConnected.swift, SparrowRuntime/Ops/SparseFullyConnected.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerFullyConnected(_ node: IRNode, _ act: Activation) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        let ops = try weightOperands(node, channelAxis: 0, inQ: inQ, outQ: outQ, packing: packedWeights.map { .gemm($0) })
        let clamp = outQ.activationClamp(act)
        let y8 = try outputTensor(out, node)
        if let packed = ops.packed {
            let depth = ops.depthPerChannel, n = graph.values[out].shape.last ?? 1
            emit(.packedGemm, inputs: [x, packed], outputs: [y8],
                 params: PackedGemmParamRecord(activation: clamp, layout: packedWeights!, outputDepth: Int32(n), depth: Int32(depth)),
                 macs: UInt64(graph.values[out].elementCount * depth), name: node.name)
            return
        }
        if let s = ops.sparse {
            let batches = graph.values[out].elementCount / max(graph.values[out].shape.last ?? 1, 1)
            let record = SparseFullyConnectedParamRecord(
                activation: clamp, matrix: SparseMatrixLocation(offset: Int32(s.offset), size: Int32(s.size)))
            emit(.sparseFullyConnected, inputs: [x, ops.bias, ops.multipliers, ops.shifts], outputs: [y8], params: record,
                 macs: UInt64(batches * s.storedWeights), name: node.name)
            return
        }
        emit(.fullyConnected, inputs: [x, ops.weights, ops.bias, ops.multipliers, ops.shifts], outputs: [y8],
             params: FullyConnectedParamRecord(activation: clamp),
             macs: UInt64(graph.values[out].elementCount * ops.depthPerChannel), name: node.name)
    }
}
