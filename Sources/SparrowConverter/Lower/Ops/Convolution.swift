// Lowering of Conv (dense, depthwise, or a 1×1 conv stored block-sparse) (runtime:
// SparrowRuntime/Ops/Convolution.swift, SparrowRuntime/Ops/SparseConv1x1.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerConvolution(_ node: IRNode, _ a: ConvAttributes) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        guard a.strides.count == 2, a.dilations.count == 2, a.pads.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 2-D convolution is supported")
        }
        // A 1×1 stride-1 unpadded conv is a GEMM over the NHWC pixels: PackedGemm when packing.
        let wShape = node.inputs.count >= 2 && node.inputs[1] >= 0 ? graph.values[node.inputs[1]].shape : []
        let isGemm = !a.isDepthwise && wShape.count == 4 && wShape[1] == 1 && wShape[2] == 1
            && a.strides.allSatisfy { $0 == 1 } && a.pads.allSatisfy { $0 == 0 }
        let ops = try weightOperands(node, channelAxis: a.isDepthwise ? 3 : 0, inQ: inQ, outQ: outQ,
                                     packing: isGemm ? packedWeights : nil)
        let clamp = outQ.activationClamp(a.activation)
        let y8 = try outputTensor(out, node)
        let outElements = graph.values[out].elementCount
        if let packed = ops.packed {
            emit(.packedGemm, inputs: [x, packed], outputs: [y8],
                 params: PackedGemmParamRecord(activation: clamp, layout: packedWeights!, outputDepth: Int32(wShape[0]),
                                               depth: Int32(ops.depthPerChannel)),
                 macs: UInt64(outElements * ops.depthPerChannel), name: node.name)
            return
        }
        if let s = ops.sparse {
            // MACs actually performed: stored weights per output pixel.
            let pixels = outElements / max(graph.values[out].shape.last ?? 1, 1)
            let record = SparseConv1x1ParamRecord(strideH: Int32(a.strides[0]), strideW: Int32(a.strides[1]),
                                                  activation: clamp,
                                                  matrix: SparseMatrixLocation(offset: Int32(s.offset), size: Int32(s.size)))
            emit(.sparseConv1x1, inputs: [x, ops.bias, ops.multipliers, ops.shifts], outputs: [y8], params: record,
                 macs: UInt64(pixels * s.storedWeights), name: node.name)
            return
        }
        let record = ConvParamRecord(
            strideH: Int32(a.strides[0]), strideW: Int32(a.strides[1]), dilationH: Int32(a.dilations[0]),
            dilationW: Int32(a.dilations[1]), padTop: Int32(a.pads[0]), padLeft: Int32(a.pads[1]),
            padBottom: Int32(a.pads[2]), padRight: Int32(a.pads[3]), activation: clamp,
            depthMultiplier: a.isDepthwise ? Int32(a.depthMultiplier) : nil)
        emit(a.isDepthwise ? .depthwiseConv2D : .conv2D, inputs: [x, ops.weights, ops.bias, ops.multipliers, ops.shifts],
             outputs: [y8], params: record, macs: UInt64(outElements * ops.depthPerChannel), name: node.name)
    }
}

extension ActivationQuant {
    /// The parameter record's clamp of a fused activation (see `clamp(_:)`).
    func activationClamp(_ activation: Activation) -> ActivationClamp {
        let c = clamp(activation)
        return ActivationClamp(min: c.min, max: c.max)
    }
}
