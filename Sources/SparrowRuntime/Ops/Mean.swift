import SparrowFormat
import SparrowKernels

// Mean over H and W (global average pool): [n,h,w,c] → [n,1,1,c] (kernel: Mean.swift;
// params: RescaleParamRecord).

extension OperandCheck {
    mutating func mean() throws(ModelError) {
        try counts(inputs: 1, outputs: 1, params: RescaleParamRecord.wordCount)
        let x = try activation(0, .int8, "input"), y = try output(0, .int8)
        try rank(x, 4, "input")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let xs = shape4Of(x)
        try same(Int(y.byteSize), xs.n * xs.c, "output size")
        guard xs.h * xs.w <= maxMeanElementCount else {
            throw fail(.accumulatorBound, xs.h * xs.w, limit: maxMeanElementCount, "H*W")
        }
        _ = try params(RescaleParamRecord.init(decodingMean:))
    }
}

extension Interpreter {
    func runMean(_ o: OperatorRecord) {
        let x = operand(o, 0), y = result(o)
        let r = RescaleParamRecord(unchecked: model.paramWords(o)).rescale
        meanHWS8(input: s8(x), inputShape: shape4Of(x), inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                 multiplier: r.multiplier, shift: r.shift, output: outS8(y))
    }
}
