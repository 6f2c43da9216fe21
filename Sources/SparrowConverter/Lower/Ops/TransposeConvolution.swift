// Lowering of ConvTranspose (group 1 or depthwise): weights, bias and per-channel requantization
// exactly as Conv (runtime: SparrowRuntime/Ops/TransposeConvolution.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerTransposeConvolution(_ node: IRNode, _ a: ConvAttributes) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        let ops = try weightOperands(node, channelAxis: a.isDepthwise ? 3 : 0, inQ: inQ, outQ: outQ)
        guard ops.sparse == nil else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "sparse storage of a transposed convolution")
        }
        let record = ConvParamRecord(
            strideH: Int32(a.strides[0]), strideW: Int32(a.strides[1]), dilationH: Int32(a.dilations[0]),
            dilationW: Int32(a.dilations[1]), padTop: Int32(a.pads[0]), padLeft: Int32(a.pads[1]),
            padBottom: Int32(a.pads[2]), padRight: Int32(a.pads[3]), activation: outQ.activationClamp(a.activation),
            depthMultiplier: a.isDepthwise ? Int32(a.depthMultiplier) : nil)
        let y8 = try outputTensor(out, node)
        // MACs actually performed: each input value reaches kh·kw outputs per output channel it feeds.
        let macs = graph.values[xValue].elementCount * ops.depthPerChannel / max(graph.values[xValue].shape.last ?? 1, 1)
            * (graph.values[out].shape.last ?? 1)
        emit(a.isDepthwise ? .depthwiseTransposeConv2D : .transposeConv2D,
             inputs: [x, ops.weights, ops.bias, ops.multipliers, ops.shifts], outputs: [y8], params: record,
             macs: UInt64(macs), name: node.name)
    }
}
