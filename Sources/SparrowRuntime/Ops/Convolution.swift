import SparrowFormat
import SparrowKernels

// Conv2D and DepthwiseConv2D: NHWC input, per-channel int8 filter, int32 bias, per-channel
// requantization (kernels: Conv2D.swift, DepthwiseConv2D.swift; params: ConvParamRecord).

extension OperandCheck {
    mutating func convolution(depthwise: Bool) throws(ModelError) {
        let c = try convolutionOperands(depthwise: depthwise)
        let p = c.params, xs = c.input, ws = c.filter, ys = c.output
        let padT = Int(p.padTop), padL = Int(p.padLeft), padB = Int(p.padBottom), padR = Int(p.padRight)
        let effH = Int(p.dilationH) * (ws.h - 1) + 1, effW = Int(p.dilationW) * (ws.w - 1) + 1
        guard xs.h + padT + padB >= effH, xs.w + padL + padR >= effW else { throw fail(.shapeMismatch, xs.h, limit: effH, "input smaller than filter") }
        try same(ys.h, (xs.h + padT + padB - effH) / Int(p.strideH) + 1, "output height")
        try same(ys.w, (xs.w + padL + padR - effW) / Int(p.strideW) + 1, "output width")
        try weightsAndRequant(weights: c.weights, outChannels: c.outChannels, depth: c.depth)
    }

    /// What Conv2D and the transposed convolutions share: operand counts, dtypes, ranks and
    /// quantization, the parameter record, and the filter's agreement with the input and output
    /// channels. The output's spatial size is each operator's own rule.
    mutating func convolutionOperands(depthwise: Bool) throws(ModelError)
        -> (params: ConvParamRecord, weights: TensorRecord, input: Shape4, filter: Shape4, output: Shape4,
            outChannels: Int, depth: Int) {
        try counts(inputs: 5, outputs: 1, params: ConvParamRecord.wordCount(depthwise: depthwise))
        let x = try activation(0, .int8, "input"), w = try constant(1, .int8, "filter"), y = try output(0, .int8)
        try rank(x, 4, "input"); try rank(w, 4, "filter"); try rank(y, 4, "output")
        try quantizedS8(x, "input"); try quantizedS8(y, "output")
        let p = try params { w throws(ParamError) in try ConvParamRecord(decoding: w, depthwise: depthwise) }
        let xs = shape4Of(x), ws = shape4Of(w), ys = shape4Of(y)
        let outChannels: Int, depth: Int
        if let multiplier = p.depthMultiplier {
            try same(ws.n, 1, "filter dim 0")
            try same(ws.c, xs.c * Int(multiplier), "filter channels")
            outChannels = ws.c
            depth = ws.h * ws.w
        } else {
            try same(ws.c, xs.c, "filter input channels")
            outChannels = ws.n
            depth = ws.h * ws.w * ws.c
        }
        try same(ys.n, xs.n, "output batch")
        try same(ys.c, outChannels, "output channels")
        return (p, w, xs, ws, ys, outChannels, depth)
    }
}

extension Interpreter {
    func runConvolution(_ o: OperatorRecord, depthwise: Bool) {
        let m = model
        let x = operand(o, 0), w = operand(o, 1), y = result(o)
        let r = ConvParamRecord(unchecked: m.paramWords(o), depthwise: depthwise)
        let biasIndex = m.input(o, 2)
        let bias: UnsafePointer<Int32>? = biasIndex >= 0 ? s32(m.tensor(biasIndex)) : nil
        let p = ConvParams(
            strideH: Int(r.strideH), strideW: Int(r.strideW), dilationH: Int(r.dilationH), dilationW: Int(r.dilationW),
            padTop: Int(r.padTop), padLeft: Int(r.padLeft), depthMultiplier: Int(r.depthMultiplier ?? 1),
            inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
            activationMin: r.activation.min, activationMax: r.activation.max)
        let mult = s32(operand(o, 3)), shift = s32(operand(o, 4))
        if depthwise {
            depthwiseConv2DS8(p, input: s8(x), inputShape: shape4Of(x), filter: s8(w), filterShape: shape4Of(w),
                              bias: bias, multipliers: mult, shifts: shift, output: outS8(y), outputShape: shape4Of(y))
        } else {
            conv2DS8(p, input: s8(x), inputShape: shape4Of(x), filter: s8(w), filterShape: shape4Of(w), bias: bias,
                     multipliers: mult, shifts: shift, output: outS8(y), outputShape: shape4Of(y))
        }
    }
}
