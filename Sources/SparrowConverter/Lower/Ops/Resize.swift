// Lowering of Resize: the source taps of every output row and column are computed here from the
// ONNX coordinate convention and stored as a constant table with 10-bit weights (runtime:
// SparrowRuntime/Ops/Resize.swift). Output quantization is the input's (ActivationQuantizer).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerResize(_ node: IRNode, _ a: ResizeAttributes) throws(ConversionError) {
        let xShape = graph.values[node.inputs[0]].shape, yShape = graph.values[node.outputs[0]].shape
        guard xShape.count == 4, yShape.count == 4 else {
            throw ConversionError(.unsupported, node: node.name, op: node.op.name, "only 4-D (N,C,H,W) resize is supported")
        }
        let x = try activation(node.inputs[0], node)
        var taps: [Int32] = []
        for (axis, (inSize, outSize)) in [(xShape[1], yShape[1]), (xShape[2], yShape[2])].enumerated() {
            for o in 0..<outSize {
                let t = a.taps(o, axis: axis, inputSize: inSize, outputSize: outSize)
                let weight = Int32((t.weight * Double(resizeWeightOne)).rounded())
                taps += [Int32(t.lower), Int32(t.upper), weight]
            }
        }
        let table = try addConstantTensor(name: node.name + "_taps", dtype: .int32, shape: [taps.count / 3, 3],
                                          data: Self.bytes(taps))
        let y8 = try outputTensor(node.outputs[0], node)
        let bilinear = a.mode == .linear
        emit(.resize, inputs: [x, table], outputs: [y8], params: ResizeParamRecord(bilinear: bilinear),
             macs: bilinear ? UInt64(4 * graph.values[node.outputs[0]].elementCount) : 0, name: node.name)
    }
}
