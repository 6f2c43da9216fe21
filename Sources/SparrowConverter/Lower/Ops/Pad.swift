// Lowering of constant zero padding (runtime: SparrowRuntime/Ops/Pad.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerPad(_ node: IRNode, before: [Int], value: Float) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let x = try activation(node.inputs[0], node)
        let rank = graph.values[out].shape.count
        guard before.count == rank else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "pads for \(before.count) axes, rank \(rank)")
        }
        guard outQ.quantize(value) == outQ.zeroPoint else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name,
                                  "constant pad value \(value) is not the zero point's value 0 (only zero padding is supported)")
        }
        let y8 = try outputTensor(out, node)   // rejects rank > 4
        let b = [Int32](repeating: 0, count: 4 - rank) + before.map { Int32($0) }
        emit(.pad, inputs: [x], outputs: [y8], params: PadParamRecord(beforeN: b[0], beforeH: b[1], beforeW: b[2], beforeC: b[3]),
             name: node.name)
    }
}
