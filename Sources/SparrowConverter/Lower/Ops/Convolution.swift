// Lowering of Conv (dense, depthwise, a 1×1 conv stored block-sparse, or packed for the
// microkernels) (runtime: SparrowRuntime/Ops/Convolution.swift, SparseConv1x1.swift,
// PackedGemm.swift, PackedConvolution.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerConvolution(_ node: IRNode, _ a: ConvAttributes) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        guard a.strides.count == 2, a.dilations.count == 2, a.pads.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 2-D convolution is supported")
        }
        // When packing (Lower/Ops/PackedGemm.swift): a 1×1 stride-1 unpadded conv is a GEMM over
        // the NHWC pixels (PackedGemm); a depthwise 3×3 with multiplier 1, stride 1 or 2 and
        // paddings ≤ 2 runs the depthwise microkernel; any other dense conv runs im2col + GEMM.
        let wShape = node.inputs.count >= 2 && node.inputs[1] >= 0 ? graph.values[node.inputs[1]].shape : []
        let isGemm = !a.isDepthwise && wShape.count == 4 && wShape[1] == 1 && wShape[2] == 1
            && a.strides.allSatisfy { $0 == 1 } && a.pads.allSatisfy { $0 == 0 }
        let isDepthwise3x3 = a.isDepthwise && a.depthMultiplier == 1 && wShape.count == 4 && wShape[1] == 3 && wShape[2] == 3
            && a.dilations.allSatisfy { $0 == 1 } && a.strides[0] == a.strides[1] && (1...2).contains(a.strides[0])
            && a.pads.allSatisfy { (0...2).contains($0) }
        let isIm2col = !a.isDepthwise && !isGemm && wShape.count == 4
        var packing: WeightPacking?
        if let layout = packedWeights {
            if isGemm || isIm2col { packing = .gemm(layout) } else if isDepthwise3x3 { packing = .depthwise3x3 }
        }
        let ops = try weightOperands(node, channelAxis: a.isDepthwise ? 3 : 0, inQ: inQ, outQ: outQ, packing: packing)
        let clamp = outQ.activationClamp(a.activation)
        let y8 = try outputTensor(out, node)
        let outElements = graph.values[out].elementCount
        let macs = UInt64(outElements * ops.depthPerChannel)
        if let packed = ops.packed, let layout = packedWeights {
            if isGemm {
                emit(.packedGemm, inputs: [x, packed], outputs: [y8],
                     params: PackedGemmParamRecord(activation: clamp, layout: layout, outputDepth: Int32(wShape[0]),
                                                   depth: Int32(ops.depthPerChannel)),
                     macs: macs, name: node.name)
            } else if isDepthwise3x3 {
                emit(.packedDepthwise3x3, inputs: [x, packed], outputs: [y8],
                     params: PackedDepthwise3x3ParamRecord(stride: Int32(a.strides[0]), padTop: Int32(a.pads[0]),
                                                           padLeft: Int32(a.pads[1]), padBottom: Int32(a.pads[2]),
                                                           padRight: Int32(a.pads[3]), activation: clamp),
                     macs: macs, name: node.name)
            } else {
                // The im2col rows: MR × K (rounded up to KR) bytes, planned in the arena with a
                // lifetime of this one operator; MR is the most any build's kernel for the layout takes.
                let k = ops.depthPerChannel
                let rows = Qs8GemmConfig.maxRows(packedNR: Int(layout.nr), kr: Int(layout.kr))
                let scratch = try addTensor(name: node.name + "_im2col", dtype: .int8,
                                            shape: [rows * layout.tile.paddedK(k)], storage: .arena)
                let conv = ConvParamRecord(
                    strideH: Int32(a.strides[0]), strideW: Int32(a.strides[1]), dilationH: Int32(a.dilations[0]),
                    dilationW: Int32(a.dilations[1]), padTop: Int32(a.pads[0]), padLeft: Int32(a.pads[1]),
                    padBottom: Int32(a.pads[2]), padRight: Int32(a.pads[3]), activation: clamp)
                emit(.packedConvIm2col, inputs: [x, packed], outputs: [y8, scratch],
                     params: PackedConvIm2colParamRecord(conv: conv, layout: layout, kernelH: Int32(wShape[1]),
                                                         kernelW: Int32(wShape[2])),
                     macs: macs, name: node.name)
            }
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
             outputs: [y8], params: record, macs: macs, name: node.name)
    }
}

extension ActivationQuant {
    /// The parameter record's clamp of a fused activation (see `clamp(_:)`).
    func activationClamp(_ activation: Activation) -> ActivationClamp {
        let c = clamp(activation)
        return ActivationClamp(min: c.min, max: c.max)
    }
}
