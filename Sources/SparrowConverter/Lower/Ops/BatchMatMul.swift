// Lowering of MatMul of two activations (or a batched constant B): one rescale (sa·sb/so) and the Shape4 axes of each
// operand's ONNX axes (IR/Graph.swift MatMulLayout), so no operand is copied into another
// order (runtime: SparrowRuntime/Ops/BatchMatMul.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerBatchMatMul(_ node: IRNode, _ layout: MatMulAxesIR) throws(ConversionError) {
        let aValue = node.inputs[0], bValue = node.inputs[1], out = node.outputs[0]
        let aShape = graph.values[aValue].shape
        let depth = MatMulLayout.logicalShape(aShape, axes: layout.left)[3]
        guard depth <= maxMatMulDepth else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "sums \(depth) products; the int8 kernel takes at most \(maxMatMulDepth)")
        }
        let a = try activation(aValue, node), qa = try activationQuant(aValue, node)
        // B: an activation, or a constant quantized per tensor (a batched constant B).
        let (b, qb) = try operand(bValue, node)
        let qy = try activationQuant(out, node)
        let (m, s) = quantizeMultiplier(qa.scaleDouble * qb.scaleDouble / qy.scaleDouble)
        func axes(_ l: [Int]) -> MatMulAxes {
            MatMulAxes(batch0: Int32(l[0]), batch1: Int32(l[1]), first: Int32(l[2]), second: Int32(l[3]))
        }
        let record = BatchMatMulParamRecord(output: Rescale(multiplier: m, shift: s),
                                            activation: ActivationClamp(min: -128, max: 127),
                                            leftAxes: axes(layout.left), rightAxes: axes(layout.right), outputAxes: axes(layout.output))
        let y8 = try outputTensor(out, node)
        emit(.batchMatMul, inputs: [a, b], outputs: [y8], params: record,
             macs: UInt64(graph.values[out].elementCount * depth), name: node.name)
    }
}
