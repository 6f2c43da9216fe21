// Lowering of LayerNorm over the innermost axis: the ε term of the integer variance, and per
// channel γ/so as a rescale and β/so as a bias in 1/256 steps (runtime: SparrowRuntime/Ops/LayerNorm.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerLayerNorm(_ node: IRNode, epsilon: Float) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let depth = graph.values[xValue].shape.last ?? 1
        guard depth <= maxLayerNormDepth else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "normalizes \(depth) values; the int8 kernel takes at most \(maxLayerNormDepth)")
        }
        guard let gamma = graph.constant(node.inputs[1]), let beta = graph.constant(node.inputs[2]),
              gamma.count == depth, beta.count == depth else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "scale and bias must be constants of \(depth) values")
        }
        countParameters(node.inputs[1]); countParameters(node.inputs[2])
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        let p = LayerNormParams.prepare(inputScale: inQ.scaleDouble, epsilon: Double(epsilon), depth: depth,
                                        gamma: gamma.map(Double.init), beta: beta.map(Double.init),
                                        outputScale: outQ.scaleDouble)
        let name = graph.values[out].name
        let multipliers = try addConstantTensor(name: name + "_gamma_multipliers", dtype: .int32, shape: [depth],
                                                data: Self.bytes(p.multipliers))
        let shifts = try addConstantTensor(name: name + "_gamma_shifts", dtype: .int32, shape: [depth], data: Self.bytes(p.shifts))
        let bias = try addConstantTensor(name: name + "_beta", dtype: .int32, shape: [depth], data: Self.bytes(p.bias))
        let y8 = try outputTensor(out, node)
        emit(.layerNorm, inputs: [x, multipliers, shifts, bias], outputs: [y8],
             params: LayerNormParamRecord(epsilonTerm: p.epsilonTerm),
             macs: UInt64(3 * graph.values[out].elementCount), name: node.name)
    }
}
