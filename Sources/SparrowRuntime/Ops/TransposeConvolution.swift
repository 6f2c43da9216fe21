import SparrowFormat
import SparrowKernels

// TransposeConv2D and DepthwiseTransposeConv2D (ONNX ConvTranspose with group 1 or group = input
// channels): operands and requantization as Conv2D (kernel: TransposeConv2D.swift; params:
// ConvParamRecord). Format 1.3.

extension OperandCheck {
    mutating func transposeConvolution(depthwise: Bool) throws(ModelError) {
        let c = try convolutionOperands(depthwise: depthwise)
        let p = c.params, xs = c.input, ws = c.filter, ys = c.output
        // The full (uncropped) output extent, less the pads; output_padding adds 0 ..< max(s, d).
        try transposedExtent(inSize: xs.h, outSize: ys.h, kernel: ws.h, stride: Int(p.strideH), dilation: Int(p.dilationH),
                             before: Int(p.padTop), after: Int(p.padBottom))
        try transposedExtent(inSize: xs.w, outSize: ys.w, kernel: ws.w, stride: Int(p.strideW), dilation: Int(p.dilationW),
                             before: Int(p.padLeft), after: Int(p.padRight))
        try weightsAndRequant(weights: c.weights, outChannels: c.outChannels, depth: c.depth)
    }
}

extension OperandCheck {
    func transposedExtent(inSize: Int, outSize: Int, kernel: Int, stride: Int, dilation: Int, before: Int,
                          after: Int) throws(ModelError) {
        let base = (inSize - 1) * stride + dilation * (kernel - 1) + 1 - before - after
        guard base >= 1, outSize >= base, outSize - base < max(stride, dilation) else {
            throw fail(.shapeMismatch, outSize, limit: base, "transposed conv output size")
        }
    }
}

extension Interpreter {
    func runTransposeConvolution(_ o: OperatorRecord, depthwise: Bool) {
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
        transposeConv2DS8(p, depthwise: depthwise, input: s8(x), inputShape: shape4Of(x), filter: s8(w),
                          filterShape: shape4Of(w), bias: bias, multipliers: s32(operand(o, 3)), shifts: s32(operand(o, 4)),
                          output: outS8(y), outputShape: shape4Of(y))
    }
}
