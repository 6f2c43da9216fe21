// Lowering of PRelu: the slope quantized to int8 codes on one symmetric scale (max |slope| / 127),
// folded into the negative side's rescale (runtime: SparrowRuntime/Ops/PRelu.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerPRelu(_ node: IRNode) throws(ConversionError) {
        let xValue = node.inputs[0], out = node.outputs[0]
        let x = try activation(xValue, node)
        let inQ = try activationQuant(xValue, node), outQ = try activationQuant(out, node)
        let channels = graph.values[out].shape.last ?? 1
        guard let slope = graph.constant(node.inputs[1]), slope.count == 1 || slope.count == channels else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "slope must be a constant of 1 or \(channels) values (one per channel)")
        }
        countParameters(node.inputs[1])
        let largest = slope.map { abs($0) }.max() ?? 0
        let alphaScale = largest > 0 ? Double(largest) / 127 : 1
        let codes = slope.map { Int8((Double($0) / alphaScale).rounded(.toNearestOrEven)) }
        let alpha = try addConstantTensor(name: graph.values[node.inputs[1]].name, dtype: .int8, shape: [slope.count],
                                          data: Self.bytes(codes),
                                          quant: ActivationQuant(scale: Float(alphaScale), zeroPoint: 0))
        let p = PReluParams.prepare(inputScale: inQ.scaleDouble, inputZeroPoint: inQ.zeroPoint, alphaScale: alphaScale,
                                    outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint)
        let record = PReluParamRecord(identity: Rescale(multiplier: p.identityMultiplier, shift: p.identityShift),
                                      alpha: Rescale(multiplier: p.alphaMultiplier, shift: p.alphaShift))
        try checkRequantization(node, [("identity", record.identity), ("slope", record.alpha)], inputs: [inQ], output: outQ)
        let y8 = try outputTensor(out, node)
        emit(.prelu, inputs: [x, alpha], outputs: [y8], params: record, macs: UInt64(graph.values[out].elementCount),
             name: node.name)
    }
}
