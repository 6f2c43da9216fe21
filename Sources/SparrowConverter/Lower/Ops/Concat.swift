// Lowering of Concat: each input rescaled into the output's quantization, or copied when they
// match (runtime: SparrowRuntime/Ops/Concat.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerConcat(_ node: IRNode, axis: Int) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let rank = graph.values[out].shape.count
        guard axis >= 0, axis < rank else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "axis \(axis) out of range for rank \(rank)")
        }
        var inputs: [Int32] = []
        var rescales: [Rescale] = []
        var inputQuants: [ActivationQuant] = []
        for value in node.inputs {
            let x = try operand(value, node)
            inputs.append(x.tensor)
            inputQuants.append(x.quant)
            if x.quant == outQ {
                rescales.append(Rescale(multiplier: 0, shift: 0))   // identity copy
            } else {
                let p = RequantizeParams.prepare(inputScale: x.quant.scaleDouble, inputZeroPoint: x.quant.zeroPoint,
                                                 outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint)
                rescales.append(Rescale(multiplier: p.multiplier, shift: p.shift))
            }
        }
        try checkRequantization(node, rescales.enumerated().map { ("input \($0.offset + 1)", $0.element) },
                                inputs: inputQuants, output: outQ)
        let y8 = try outputTensor(out, node)
        emit(.concat, inputs: inputs, outputs: [y8],
             params: ConcatParamRecord.words(axis: Int32(axis + 4 - rank), inputRescales: rescales), name: node.name)
    }
}
