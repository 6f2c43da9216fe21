// Lowering of ArgMax (runtime: SparrowRuntime/Ops/ArgMax.swift): int8 in, int64 indices out, as
// ONNX's ArgMax/ArgMin return them. The output is a graph output in the ONNX element order
// (the importer arranged that), so it is written as is, with no Dequantize.
import SparrowFormat

extension ModelBuilder {
    mutating func lowerArgMax(_ node: IRNode, axis: Int, selectLast: Bool) throws(ConversionError) {
        let x = try activation(node.inputs[0], node)
        let xShape = graph.values[node.inputs[0]].shape
        guard xShape.count <= 4 else {
            throw ConversionError(.formatLimit, node: node.name, op: node.op.name, "input rank \(xShape.count) is above 4")
        }
        let out = graph.values[node.outputs[0]]
        let y = try addTensor(name: out.name, dtype: .int64, shape: out.shape, storage: .arena)
        tensorOfValue[node.outputs[0]] = y
        indexTensors.insert(y)
        // Shape4 right-aligns lower ranks (shape4Of), so IR axis a is Shape4 axis a + 4 − rank.
        emit(.argMax, inputs: [x], outputs: [y],
             params: ArgMaxParamRecord(axis: Int32(axis + 4 - xShape.count), selectLast: selectLast), name: node.name)
    }
}
