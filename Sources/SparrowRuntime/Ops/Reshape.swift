import SparrowFormat

// Reshape: the output is an alias of the input's bytes (zero-copy); nothing runs. No params.

extension OperandCheck {
    mutating func reshape() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: 0)
        let xi = model.input(op, 0)
        guard xi >= 0 else { throw fail(.tensorIndexOutOfRange, xi, "input") }
        let x = model.tensor(xi), y = model.tensor(model.output(op, 0))
        guard y.storage == .alias else { throw fail(.badStorage, Int(y.storageCode), "output must alias the input") }
        let xBase = x.storage == .alias ? Int(x.location) : xi
        try same(Int(y.location), xBase, "alias target")
        try same(Int(y.byteSize), Int(x.byteSize), "byte size")
    }
}
