// Lowering of Add, Sub, Mul and Div by a constant (Mul by its reciprocal) to the int8 binary
// operators (runtime: SparrowRuntime/Ops/Elementwise.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerAdd(_ node: IRNode, _ act: Activation, subtract: Bool) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let x = try operand(node.inputs[0], node), y = try operand(node.inputs[1], node)
        let clamp = outQ.clamp(act)
        let p = AddParams.prepare(input1Scale: x.quant.scaleDouble, input1ZeroPoint: x.quant.zeroPoint,
                                  input2Scale: y.quant.scaleDouble, input2ZeroPoint: y.quant.zeroPoint,
                                  outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint,
                                  activationMin: clamp.min, activationMax: clamp.max, subtract: subtract)
        let record = AddParamRecord(
            leftShift: p.leftShift, input1: Rescale(multiplier: p.input1Multiplier, shift: p.input1Shift),
            input2: Rescale(multiplier: p.input2Multiplier, shift: p.input2Shift),
            output: Rescale(multiplier: p.outputMultiplier, shift: p.outputShift),
            activation: ActivationClamp(min: p.activationMin, max: p.activationMax))
        try checkRequantization(node, [("input 1", record.input1), ("input 2", record.input2), ("output", record.output)],
                                inputs: [x.quant, y.quant], output: outQ)
        let y8 = try outputTensor(out, node)
        emit(subtract ? .sub : .add, inputs: [x.tensor, y.tensor], outputs: [y8], params: record, name: node.name)
    }

    mutating func lowerMul(_ node: IRNode, _ act: Activation, divide: Bool) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        if divide {
            guard graph.values[node.inputs[1]].isConstant else {
                throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                      "division by a computed value has no int8 kernel; Passes.optimize rewrites it as x · reciprocal(y)")
            }
        }
        let x = try operand(node.inputs[0], node)
        let y = try operand(node.inputs[1], node, transform: divide ? { 1 / $0 } : { $0 })
        let clamp = outQ.clamp(act)
        let p = MulParams.prepare(input1Scale: x.quant.scaleDouble, input1ZeroPoint: x.quant.zeroPoint,
                                  input2Scale: y.quant.scaleDouble, input2ZeroPoint: y.quant.zeroPoint,
                                  outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint,
                                  activationMin: clamp.min, activationMax: clamp.max)
        let record = MulParamRecord(output: Rescale(multiplier: p.outputMultiplier, shift: p.outputShift),
                                    activation: ActivationClamp(min: p.activationMin, max: p.activationMax))
        try checkRequantization(node, [("output", record.output)], inputs: [x.quant, y.quant], output: outQ)
        let y8 = try outputTensor(out, node)
        emit(.mul, inputs: [x.tensor, y.tensor], outputs: [y8], params: record,
             macs: UInt64(graph.values[out].elementCount), name: node.name)
    }
}

extension ModelBuilder {
    /// Maximum / Minimum compare raw codes, so both operands are brought to the output's scale and
    /// zero point first (requantization is monotonic: max of the rescaled = rescale of the max);
    /// a constant is quantized with the output's parameters directly.
    mutating func lowerMaxMin(_ node: IRNode, maximum: Bool) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        var operands: [Int32] = []
        for (k, value) in node.inputs.enumerated() {
            let v = graph.values[value]
            if let data = v.constant {
                countParameters(value)
                let codes = data.map { Int8(outQ.quantize($0)) }
                operands.append(try addConstantTensor(name: v.name, dtype: .int8, shape: v.shape, data: Self.bytes(codes),
                                                      quant: outQ))
                continue
            }
            let x = try activation(value, node), xQ = try activationQuant(value, node)
            if xQ == outQ {
                operands.append(x)
                continue
            }
            let p = RequantizeParams.prepare(inputScale: xQ.scaleDouble, inputZeroPoint: xQ.zeroPoint,
                                             outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint)
            let rescale = Rescale(multiplier: p.multiplier, shift: p.shift)
            try checkRequantization(node, [("input \(k + 1)", rescale)], inputs: [xQ], output: outQ)
            let t = try addTensor(name: "\(node.name)_input\(k + 1)_rescaled", dtype: .int8, shape: v.shape, storage: .arena,
                                  quant: outQ)
            emit(.requantize, inputs: [x], outputs: [t], params: RescaleParamRecord(rescale), name: "\(node.name)_rescale\(k + 1)")
            operands.append(t)
        }
        let y8 = try outputTensor(out, node)
        emit(maximum ? .maximum : .minimum, inputs: operands, outputs: [y8], params: [], name: node.name)
    }
}
