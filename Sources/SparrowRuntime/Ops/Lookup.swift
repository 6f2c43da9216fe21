import SparrowFormat
import SparrowKernels

// Lookup: any unary int8 function (sigmoid, hard-swish, clip, …) as a constant 256-entry table
// built by the converter (kernel: Lookup.swift). No params.

extension OperandCheck {
    mutating func lookup() throws(ModelError) {
        try counts(inputs: 2, outputs: 1, params: 0)
        let x = try activation(0, .int8, "input"), table = try constant(1, .int8, "table"), y = try output(0, .int8)
        try same(Int(table.byteSize), 256, "table size")
        try same(Int(y.byteSize), Int(x.byteSize), "output size")
    }
}

extension Interpreter {
    func runLookup(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        lookupS8(table: s8(operand(o, 1)), input: s8(x), count: Int(x.byteSize), output: outS8(y))
    }
}
