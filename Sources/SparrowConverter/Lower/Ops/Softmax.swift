// Lowering of Softmax and LogSoftmax along the last axis (runtime: SparrowRuntime/Ops/Softmax.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerSoftmax(_ node: IRNode, logarithm: Bool) throws(ConversionError) {
        let x = try activation(node.inputs[0], node)
        let inQ = try activationQuant(node.inputs[0], node)
        let p = logarithm ? SoftmaxParams.prepareLogSoftmax(inputScale: inQ.scaleDouble, beta: 1)
            : SoftmaxParams.prepare(inputScale: inQ.scaleDouble, beta: 1)
        let y8 = try outputTensor(node.outputs[0], node)
        emit(logarithm ? .logSoftmax : .softmax, inputs: [x], outputs: [y8],
             params: SoftmaxParamRecord(input: Rescale(multiplier: p.inputMultiplier, shift: p.inputShift), diffMin: p.diffMin),
             name: node.name)
    }
}
