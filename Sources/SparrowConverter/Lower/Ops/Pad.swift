// Lowering of constant padding (runtime: SparrowRuntime/Ops/Pad.swift): zero padding fills with
// the zero point (the 4-word record ONNX conversions always wrote); any other value with its
// int8 code in the record's optional fill word.
import SparrowFormat

extension ModelBuilder {
    mutating func lowerPad(_ node: IRNode, before: [Int], value: Float) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let x = try activation(node.inputs[0], node)
        let rank = graph.values[out].shape.count
        guard before.count == rank else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "pads for \(before.count) axes, rank \(rank)")
        }
        let code = outQ.quantize(value)
        let fill: Int8? = code == outQ.zeroPoint ? nil : Int8(clamping: code)
        let y8 = try outputTensor(out, node)   // rejects rank > 4
        let b = [Int32](repeating: 0, count: 4 - rank) + before.map { Int32($0) }
        emit(.pad, inputs: [x], outputs: [y8], params: PadParamRecord(beforeN: b[0], beforeH: b[1], beforeW: b[2], beforeC: b[3], fill: fill),
             name: node.name)
    }
}
