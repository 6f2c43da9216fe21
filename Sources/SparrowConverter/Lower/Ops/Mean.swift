// Lowering of the mean over H and W (runtime: SparrowRuntime/Ops/Mean.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerMean(_ node: IRNode) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let xValue = node.inputs[0]
        let x = try activation(xValue, node)
        let xShape = graph.values[xValue].shape
        guard xShape.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "mean over H, W needs a 4-D input, got \(xShape)")
        }
        let inQ = try activationQuant(xValue, node)
        let m = MeanHW.prepare(inputScale: inQ.scaleDouble, outputScale: outQ.scaleDouble, count: xShape[1] * xShape[2])
        try checkRequantization(node, [("output", Rescale(multiplier: m.multiplier, shift: m.shift))], inputs: [inQ], output: outQ)
        let y8 = try outputTensor(out, node)
        emit(.mean, inputs: [x], outputs: [y8], params: RescaleParamRecord(Rescale(multiplier: m.multiplier, shift: m.shift)),
             macs: UInt64(xShape.reduce(1, *)), name: node.name)
    }
}
