// Lowering of any unary function (sigmoid, hard-swish, clip, …) to a 256-entry int8 table
// (runtime: SparrowRuntime/Ops/Lookup.swift).
import SparrowFormat
import SparrowKernels

extension ModelBuilder {
    mutating func lowerUnary(_ node: IRNode, _ f: UnaryFunction) throws(ConversionError) {
        let out = node.outputs[0], outQ = try activationQuant(out, node)
        let x = try activation(node.inputs[0], node)
        let inQ = try activationQuant(node.inputs[0], node)
        var table = [Int8](repeating: 0, count: 256)
        table.withUnsafeMutableBufferPointer { buf in
            fillLookupTable(buf.baseAddress!, inputScale: inQ.scaleDouble, inputZeroPoint: inQ.zeroPoint,
                            outputScale: outQ.scaleDouble, outputZeroPoint: outQ.zeroPoint) { Double(f.apply(Float($0))) }
        }
        let t = try addConstantTensor(name: node.name + "_table", dtype: .int8, shape: [256], data: Self.bytes(table))
        let y8 = try outputTensor(out, node)
        emit(.lookup, inputs: [x, t], outputs: [y8], params: [], name: node.name)
    }
}
