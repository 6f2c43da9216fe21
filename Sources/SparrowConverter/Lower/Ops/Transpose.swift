// Lowering of Transpose over the NHWC-padded Shape4 axes (runtime: SparrowRuntime/Ops/Transpose.swift).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerTranspose(_ node: IRNode, perm: [Int]) throws(ConversionError) {
        let x = try activation(node.inputs[0], node)
        let rank = perm.count
        guard rank <= 4, rank == graph.values[node.outputs[0]].shape.count else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "transpose of rank \(rank)")
        }
        let y8 = try outputTensor(node.outputs[0], node)
        emit(.transpose, inputs: [x], outputs: [y8], params: TransposeParamRecord(rankPermutation: perm), name: node.name)
    }
}
