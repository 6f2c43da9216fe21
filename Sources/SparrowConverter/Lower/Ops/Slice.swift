// Lowering of Slice and Gather on run-time tensors over the NHWC-padded Shape4 axes (runtime:
// SparrowRuntime/Ops/Slice.swift). Both keep the input's quantization (ActivationQuantizer).
import SparrowFormat

extension ModelBuilder {
    mutating func lowerSlice(_ node: IRNode, begin: [Int], step: [Int]) throws(ConversionError) {
        let rank = begin.count
        guard rank <= 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "slice of rank \(rank) (at most 4)")
        }
        let x = try activation(node.inputs[0], node)
        let lead = 4 - rank
        func b(_ d: Int) -> Int32 { d < lead ? 0 : Int32(begin[d - lead]) }
        func s(_ d: Int) -> Int32 { d < lead ? 1 : Int32(step[d - lead]) }
        let record = SliceParamRecord(begin: (b(0), b(1), b(2), b(3)), step: (s(0), s(1), s(2), s(3)))
        let y8 = try outputTensor(node.outputs[0], node)
        emit(.slice, inputs: [x], outputs: [y8], params: record, name: node.name)
    }

    mutating func lowerGather(_ node: IRNode, axis: Int, indices: [Int]) throws(ConversionError) {
        let rank = graph.values[node.inputs[0]].shape.count
        guard rank <= 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "gather of rank \(rank) (at most 4)")
        }
        let x = try activation(node.inputs[0], node)
        let table = try addConstantTensor(name: node.name + "_indices", dtype: .int32, shape: [indices.count],
                                          data: Self.bytes(indices.map { Int32($0) }))
        let y8 = try outputTensor(node.outputs[0], node)
        emit(.gather, inputs: [x, table], outputs: [y8], params: GatherParamRecord(axis: Int32(axis + 4 - rank)),
             name: node.name)
    }
}
