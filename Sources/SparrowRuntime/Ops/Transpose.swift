import SparrowFormat
import SparrowKernels

// Transpose of the Shape4 axes (kernel: Transpose.swift; params: TransposeParamRecord).

extension OperandCheck {
    mutating func transpose() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: TransposeParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try same(Int(x.zeroPoint), Int(y.zeroPoint), "zero point")
        let p = try params(TransposeParamRecord.init(decoding:))
        let xs = shape4Of(x), ys = shape4Of(y)
        var seen = 0
        for d in 0..<4 {
            let axis = Int(p.axis(d))
            seen |= 1 << axis
            try same(ys.dim(d), xs.dim(axis), "permuted dim")
        }
        try same(seen, 0b1111, "perm is not a permutation")
    }
}

extension Interpreter {
    func runTranspose(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        if isFusedInputConversion(quantize: Int(y.liveFrom) - 1) {
            // The Quantize before wrote its output in NHWC order already (QuantizeDequantize.swift).
            arenaAddress(y).copyMemory(from: address(x), byteCount: Int(y.byteSize))   // memcpy
            return
        }
        let r = TransposeParamRecord(unchecked: model.paramWords(o))
        let perm = (Int(r.perm.0), Int(r.perm.1), Int(r.perm.2), Int(r.perm.3))
        transposeS8(input: s8(x), inputShape: shape4Of(x), permutation: perm, output: outS8(y))
    }
}
