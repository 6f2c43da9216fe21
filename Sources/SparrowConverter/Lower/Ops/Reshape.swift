// Lowering of Reshape and Identity: a zero-copy alias of the input's bytes
// (runtime: SparrowRuntime/Ops/Reshape.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerReshape(_ node: IRNode) throws(ConversionError) {
        let x = try activation(node.inputs[0], node)
        let record = writer.tensors[Int(x)]
        let base = record.storage == .alias ? record.location : UInt32(x)
        let y8 = try outputTensor(node.outputs[0], node, storage: .alias, location: base)
        emit(.reshape, inputs: [x], outputs: [y8], params: [], name: node.name)
    }
}
