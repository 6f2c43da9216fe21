import SparrowFormat
import SparrowKernels

// Operator dispatch: reads an operator's verified operands and parameter words and calls its
// kernel. No checks here — the verifier has made them all.

extension Interpreter {
    @inline(__always)
    func s8(_ t: TensorRecord) -> UnsafePointer<Int8> { address(t).assumingMemoryBound(to: Int8.self) }
    @inline(__always)
    func s32(_ t: TensorRecord) -> UnsafePointer<Int32> { address(t).assumingMemoryBound(to: Int32.self) }
    @inline(__always)
    func outS8(_ t: TensorRecord) -> UnsafeMutablePointer<Int8> { arenaAddress(t).assumingMemoryBound(to: Int8.self) }

    func run(_ o: OperatorRecord, _ opcode: OpCode) {
        let m = model
        let x = m.tensor(m.input(o, 0))
        let y = m.tensor(m.output(o, 0))
        switch opcode {
        case .conv2D, .depthwiseConv2D:
            let w = m.tensor(m.input(o, 1))
            let biasIndex = m.input(o, 2)
            let bias: UnsafePointer<Int32>? = biasIndex >= 0 ? s32(m.tensor(biasIndex)) : nil
            let p = ConvParams(
                strideH: Int(m.param(o, ConvParam.strideH)), strideW: Int(m.param(o, ConvParam.strideW)),
                dilationH: Int(m.param(o, ConvParam.dilationH)), dilationW: Int(m.param(o, ConvParam.dilationW)),
                padTop: Int(m.param(o, ConvParam.padTop)), padLeft: Int(m.param(o, ConvParam.padLeft)),
                depthMultiplier: opcode == .depthwiseConv2D ? Int(m.param(o, ConvParam.depthMultiplier)) : 1,
                inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                activationMin: m.param(o, ConvParam.activationMin), activationMax: m.param(o, ConvParam.activationMax))
            let mult = s32(m.tensor(m.input(o, 3))), shift = s32(m.tensor(m.input(o, 4)))
            if opcode == .conv2D {
                conv2DS8(p, input: s8(x), inputShape: shape4Of(x), filter: s8(w), filterShape: shape4Of(w), bias: bias,
                         multipliers: mult, shifts: shift, output: outS8(y), outputShape: shape4Of(y))
            } else {
                depthwiseConv2DS8(p, input: s8(x), inputShape: shape4Of(x), filter: s8(w), filterShape: shape4Of(w),
                                  bias: bias, multipliers: mult, shifts: shift, output: outS8(y), outputShape: shape4Of(y))
            }
        case .fullyConnected:
            let w = m.tensor(m.input(o, 1))
            let biasIndex = m.input(o, 2)
            let bias: UnsafePointer<Int32>? = biasIndex >= 0 ? s32(m.tensor(biasIndex)) : nil
            let depth = Int(w.dims.1), outDepth = Int(w.dims.0)
            let p = FullyConnectedParams(inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                                         activationMin: m.param(o, FullyConnectedParam.activationMin),
                                         activationMax: m.param(o, FullyConnectedParam.activationMax))
            fullyConnectedS8(p, input: s8(x), batches: Int(x.byteSize) / depth, inputDepth: depth, weights: s8(w),
                             bias: bias, outputDepth: outDepth, multipliers: s32(m.tensor(m.input(o, 3))),
                             shifts: s32(m.tensor(m.input(o, 4))), output: outS8(y))
        case .add, .sub:
            let b = m.tensor(m.input(o, 1))
            let p = AddParams(
                input1ZeroPoint: x.zeroPoint, input2ZeroPoint: b.zeroPoint, outputZeroPoint: y.zeroPoint,
                leftShift: m.param(o, AddParam.leftShift),
                input1Multiplier: m.param(o, AddParam.input1Multiplier), input1Shift: m.param(o, AddParam.input1Shift),
                input2Multiplier: m.param(o, AddParam.input2Multiplier), input2Shift: m.param(o, AddParam.input2Shift),
                outputMultiplier: m.param(o, AddParam.outputMultiplier), outputShift: m.param(o, AddParam.outputShift),
                activationMin: m.param(o, AddParam.activationMin), activationMax: m.param(o, AddParam.activationMax),
                subtract: opcode == .sub)
            addS8(p, input1: s8(x), shape1: shape4Of(x), input2: s8(b), shape2: shape4Of(b), output: outS8(y),
                  outputShape: shape4Of(y))
        case .mul:
            let b = m.tensor(m.input(o, 1))
            let p = MulParams(input1ZeroPoint: x.zeroPoint, input2ZeroPoint: b.zeroPoint, outputZeroPoint: y.zeroPoint,
                              outputMultiplier: m.param(o, MulParam.outputMultiplier),
                              outputShift: m.param(o, MulParam.outputShift),
                              activationMin: m.param(o, MulParam.activationMin),
                              activationMax: m.param(o, MulParam.activationMax))
            mulS8(p, input1: s8(x), shape1: shape4Of(x), input2: s8(b), shape2: shape4Of(b), output: outS8(y),
                  outputShape: shape4Of(y))
        case .maxPool, .averagePool:
            let p = PoolParams(
                strideH: Int(m.param(o, PoolParam.strideH)), strideW: Int(m.param(o, PoolParam.strideW)),
                filterH: Int(m.param(o, PoolParam.filterH)), filterW: Int(m.param(o, PoolParam.filterW)),
                padTop: Int(m.param(o, PoolParam.padTop)), padLeft: Int(m.param(o, PoolParam.padLeft)),
                countIncludePad: m.param(o, PoolParam.countIncludePad) != 0,
                activationMin: m.param(o, PoolParam.activationMin), activationMax: m.param(o, PoolParam.activationMax),
                zeroPoint: x.zeroPoint)
            if opcode == .maxPool {
                maxPoolS8(p, input: s8(x), inputShape: shape4Of(x), output: outS8(y), outputShape: shape4Of(y))
            } else {
                averagePoolS8(p, input: s8(x), inputShape: shape4Of(x), output: outS8(y), outputShape: shape4Of(y))
            }
        case .mean:
            meanHWS8(input: s8(x), inputShape: shape4Of(x), inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                     multiplier: m.param(o, MeanParam.multiplier), shift: m.param(o, MeanParam.shift), output: outS8(y))
        case .softmax:
            let depth = x.rank == 0 ? 1 : Int(x.dim(Int(x.rank) - 1))
            let p = SoftmaxParams(inputMultiplier: m.param(o, SoftmaxParam.inputMultiplier),
                                  inputShift: m.param(o, SoftmaxParam.inputShift),
                                  diffMin: m.param(o, SoftmaxParam.diffMin))
            softmaxS8(p, input: s8(x), outer: Int(x.byteSize) / depth, depth: depth, output: outS8(y))
        case .concat:
            let axis = Int(m.param(o, ConcatParam.axis))
            var offset = 0
            let ys = shape4Of(y)
            for i in 0..<Int(o.inputCount) {
                let xi = m.tensor(m.input(o, i))
                let w = ConcatParam.firstInput + ConcatParam.wordsPerInput * i
                let multiplier = m.param(o, w)
                let p = RequantizeParams(inputZeroPoint: xi.zeroPoint, outputZeroPoint: y.zeroPoint,
                                         multiplier: multiplier, shift: m.param(o, w + 1),
                                         isIdentity: multiplier == 0)
                let xs = shape4Of(xi)
                concatSliceS8(p, input: s8(xi), inputShape: xs, axis: axis, offsetAlongAxis: offset,
                              output: outS8(y), outputShape: ys)
                offset += xs.dim(axis)
            }
        case .pad:
            let before = Shape4(Int(m.param(o, PadParam.beforeN)), Int(m.param(o, PadParam.beforeH)),
                                Int(m.param(o, PadParam.beforeW)), Int(m.param(o, PadParam.beforeC)))
            padS8(input: s8(x), inputShape: shape4Of(x), before: before, padValue: Int8(truncatingIfNeeded: y.zeroPoint),
                  output: outS8(y), outputShape: shape4Of(y))
        case .reshape:
            break  // The output aliases the input's bytes.
        case .quantize:
            quantizeF32ToS8(input: address(x).assumingMemoryBound(to: Float.self), count: Int(y.byteSize),
                            scale: y.scale, zeroPoint: y.zeroPoint, output: outS8(y))
        case .dequantize:
            dequantizeS8ToF32(input: s8(x), count: Int(x.byteSize), scale: x.scale, zeroPoint: x.zeroPoint,
                              output: arenaAddress(y).assumingMemoryBound(to: Float.self))
        case .lookup:
            lookupS8(table: s8(m.tensor(m.input(o, 1))), input: s8(x), count: Int(x.byteSize), output: outS8(y))
        case .transpose:
            let perm = (Int(m.param(o, TransposeParam.perm0)), Int(m.param(o, TransposeParam.perm0 + 1)),
                        Int(m.param(o, TransposeParam.perm0 + 2)), Int(m.param(o, TransposeParam.perm0 + 3)))
            transposeS8(input: s8(x), inputShape: shape4Of(x), permutation: perm, output: outS8(y))
        case .requantize:
            let multiplier = m.param(o, RequantizeParam.multiplier)
            let p = RequantizeParams(inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint, multiplier: multiplier,
                                     shift: m.param(o, RequantizeParam.shift), isIdentity: multiplier == 0)
            requantizeS8(p, input: s8(x), count: Int(x.byteSize), output: outS8(y))
        case .sparseFullyConnected, .sparseConv1x1:
            runSparse(o, opcode, x, y)
        }
    }

    /// Whether exit `e`'s confidence test passes on its logits against `threshold`
    /// (ExitCriteria.swift; the verifier has checked the table and class count).
    func exitCriterionHolds(_ e: ExitRecord, threshold: Int32) -> Bool {
        let criterion = ExitCriterion(rawValue: e.criterionRaw)!
        if criterion == .final { return true }
        let t = model.tensor(Int(e.tensor))
        let value = ExitCriteria.value(criterion, logits: s8(t), count: Int(t.byteSize),
                                       table: s32(model.tensor(Int(e.table))))
        return ExitCriteria.passes(criterion, value: value, threshold: threshold)
    }
}
