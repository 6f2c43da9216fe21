// One TFLite operator → Sparrow operators, with LiteRT's parameter rules (TFLiteArithmetic.swift).
// Runtime counterparts: SparrowRuntime/Ops/<Family>.swift.
import Foundation
import SparrowFormat
import SparrowKernels
import SparrowTFLite

extension TFLiteLowering {
    mutating func lower(_ op: TFLiteOperator) throws(ConversionError) {
        // Checked once here so the lowerings below may index shapes and divide by dimensions.
        guard !op.outputs.isEmpty else { throw fail("the operator has no outputs") }
        try checkNoFloatArithmetic(op)
        for t in op.inputs + op.outputs where t >= 0 {
            guard graph.tensors[t].shape.allSatisfy({ $0 >= 1 }) else {
                throw fail("tensor \(t) '\(graph.tensors[t].name)' has shape \(graph.tensors[t].shape); every dimension must be at least 1")
            }
        }
        switch model.opcode(of: op).builtin {
        case .conv2D, .depthwiseConv2D: try lowerConvolution(op)
        case .fullyConnected: try lowerFullyConnected(op)
        case .add: try lowerAdd(op, subtract: false)
        case .sub: try lowerAdd(op, subtract: true)
        case .mul: try lowerMul(op)
        case .maximum: try lowerMinMax(op, maximum: true)
        case .minimum: try lowerMinMax(op, maximum: false)
        case .maxPool2D: try lowerPool(op, max: true)
        case .averagePool2D: try lowerPool(op, max: false)
        case .mean: try lowerMean(op)
        case .softmax: try lowerSoftmax(op)
        case .logistic, .tanh, .hardSwish, .relu, .relu6, .reluN1To1, .leakyRelu: try lowerTable(op)
        case .prelu: try lowerPRelu(op)
        case .reshape, .squeeze: try lowerReshape(op)
        case .concatenation: try lowerConcat(op)
        case .pad, .padV2: try lowerPad(op)
        case .quantize: try lowerQuantize(op)
        case .dequantize: try lowerDequantize(op)
        case .stridedSlice: try lowerStridedSlice(op)
        case .resizeBilinear: try lowerResize(op, bilinear: true)
        case .resizeNearestNeighbor: try lowerResize(op, bilinear: false)
        case .argMax: try lowerArgMax(op)
        case .transposeConv: try lowerTransposeConv(op)
        default: throw fail("no lowering")   // unreachable: convert() listed it as unconvertible
        }
    }

    /// An operator other than QUANTIZE/DEQUANTIZE that reads a float32 activation computes in
    /// float (data movement was moved onto the codes, TFLiteDequantizeSinking): there are no
    /// scales in the model to keep for it.
    func checkNoFloatArithmetic(_ op: TFLiteOperator) throws(ConversionError) {
        let code = model.opcode(of: op).builtin
        guard code != .quantize, code != .dequantize else { return }
        for t in op.inputs where t >= 0 && graph.tensors[t].type == .float32 && model.data(of: graph.tensors[t]).isEmpty {
            let producer = graph.operators.firstIndex { $0.outputs.contains(t) }
            let from = producer.map { k in
                " (written by operator \(k < originalIndex.count ? originalIndex[k] : k), \(model.opcode(of: graph.operators[k]).displayName))"
            } ?? " (a float32 graph input)"
            throw fail("computes in float32: it reads tensor \(t) '\(graph.tensors[t].name)'\(from). This part of the model "
                       + "was left in float by TF's converter, so it has no int8 scales to keep. Convert the float model "
                       + "instead (`sparrow convert MODEL_float.tflite --calibration CALIB.npy`), which quantizes every "
                       + "operator with calibration, or re-convert with a representative dataset covering this part")
        }
    }

    func clamp(_ activation: TFLiteActivation, _ q: ActivationQuant) throws(ConversionError) -> ActivationClamp {
        guard let r = TFLiteArithmetic.activationRange(activation, scale: q.scale, zeroPoint: q.zeroPoint) else {
            throw fail("fused activation \(activation.name) is not supported (only NONE, RELU, RELU6, RELU_N1_TO_1)")
        }
        return ActivationClamp(min: r.min, max: r.max)
    }

    static func rescale(_ real: Double) -> Rescale {
        let (m, s) = quantizeMultiplier(real)
        return Rescale(multiplier: m, shift: s)
    }

    // MARK: Convolution and fully connected

    /// Weights (the model's int8 codes), bias (its int32 values) and per-channel multipliers of a
    /// conv or fully connected operator. `realMultiplier` gives LiteRT's real multiplier of a
    /// channel from its weight scale.
    mutating func weightOperands(_ op: TFLiteOperator, channels: Int, channelAxis: Int, weightInput: Int = 1,
                                 biasInput: Int = 2, realMultiplier: (Float) -> Double)
        throws(ConversionError) -> (weights: Int32, bias: Int32, multipliers: Int32, shifts: Int32) {
        guard op.inputs.count > weightInput, let wBytes = constantBytes(op, weightInput) else { throw fail("the weights must be a constant") }
        let wt = graph.tensors[op.inputs[weightInput]]
        guard wt.type == .int8, let wq = wt.quantization, wq.scales.count == 1 || wq.scales.count == channels,
              wq.scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw fail("the weights must be int8 with one positive scale or one per output channel (\(channels))")
        }
        if wq.scales.count > 1 && wq.quantizedDimension != channelAxis {
            throw fail("the weights are quantized along axis \(wq.quantizedDimension); Sparrow expects axis \(channelAxis)")
        }
        guard wq.zeroPoints.allSatisfy({ $0 == 0 }) else { throw fail("the weights have a nonzero zero point") }
        if let i = wBytes.firstIndex(of: 0x80) {
            throw fail("weight \(i) is −128; Sparrow's kernels take symmetric weights in [−127, 127]")
        }
        let scales = wq.scales.count == 1 ? [Float](repeating: wq.scales[0], count: channels) : wq.scales
        let w = try builder.addConstantTensor(name: wt.name, dtype: .int8, shape: wt.shape, data: wBytes,
                                              channelScales: scales, quantAxis: channelAxis)
        builder.parameterCount += wBytes.count
        var bias: Int32 = -1
        if let bBytes = constantBytes(op, biasInput) {
            let bt = graph.tensors[op.inputs[biasInput]]
            guard bt.type == .int32, bBytes.count == channels * 4 else {
                throw fail("the bias must be \(channels) int32 values (got \(bt.type.name), \(bBytes.count) bytes)")
            }
            bias = try builder.addConstantTensor(name: bt.name, dtype: .int32, shape: [channels], data: bBytes)
            builder.parameterCount += channels
        } else if op.inputs.count > biasInput, op.inputs[biasInput] >= 0 {
            throw fail("the bias must be a constant")
        }
        var multipliers: [Int32] = [], shifts: [Int32] = [], reals: [Double] = []
        for s in wq.scales {
            reals.append(realMultiplier(s))
            let (m, sh) = quantizeMultiplier(reals[reals.count - 1])
            multipliers.append(m)
            shifts.append(sh)
        }
        try checkRescales(op, reals.indices.map { k in
            (wq.scales.count == 1 ? "output" : "output channel \(k)", Rescale(multiplier: multipliers[k], shift: shifts[k]), reals[k])
        }, channel: { $0 })
        if wq.scales.count == 1 {
            multipliers = [Int32](repeating: multipliers[0], count: channels)
            shifts = [Int32](repeating: shifts[0], count: channels)
        }
        let base = name(op)
        let mt = try builder.addConstantTensor(name: base + "_multipliers", dtype: .int32, shape: [channels],
                                               data: ModelBuilder.bytes(multipliers))
        let st = try builder.addConstantTensor(name: base + "_shifts", dtype: .int32, shape: [channels],
                                               data: ModelBuilder.bytes(shifts))
        return (w, bias, mt, st)
    }

    mutating func lowerConvolution(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        let xShape = shape(op.inputs[0]), yShape = shape(op.outputs[0])
        guard op.inputs.count >= 2, op.inputs[1] >= 0 else { throw fail("the filter is missing") }
        let fShape = shape(op.inputs[1])
        guard xShape.count == 4, yShape.count == 4, fShape.count == 4 else { throw fail("conv needs 4-D input, filter and output") }
        let padding: TFLitePadding, strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, act: TFLiteActivation
        var depthMultiplier: Int32? = nil
        switch op.options {
        case .conv2D(let o):
            (padding, strideH, strideW, dilationH, dilationW, act) = (o.padding, o.strideH, o.strideW, o.dilationH, o.dilationW, o.activation)
        case .depthwiseConv2D(let o):
            (padding, strideH, strideW, dilationH, dilationW, act) = (o.padding, o.strideH, o.strideW, o.dilationH, o.dilationW, o.activation)
            guard yShape[3] % max(xShape[3], 1) == 0 else { throw fail("output channels are not a multiple of input channels") }
            depthMultiplier = Int32(yShape[3] / xShape[3])
        default: throw fail("missing convolution options")
        }
        let isDepthwise = depthMultiplier != nil
        let channels = isDepthwise ? fShape[3] : fShape[0]
        let yQ = try quant(op.outputs[0])
        let si = Double(x.quant.scale), so = Double(yQ.scale)
        let ops = try weightOperands(op, channels: channels, channelAxis: isDepthwise ? 3 : 0) { sw in
            si * Double(sw) / so   // PopulateConvolutionQuantizationParams
        }
        let ph = TFLiteArithmetic.padding(padding, input: xShape[1], filter: fShape[1], stride: strideH, dilation: dilationH,
                                          output: yShape[1])
        let pw = TFLiteArithmetic.padding(padding, input: xShape[2], filter: fShape[2], stride: strideW, dilation: dilationW,
                                          output: yShape[2])
        let record = ConvParamRecord(
            strideH: try int32(strideH, "stride"), strideW: try int32(strideW, "stride"),
            dilationH: try int32(dilationH, "dilation"), dilationW: try int32(dilationW, "dilation"),
            padTop: try int32(ph.before, "padding"), padLeft: try int32(pw.before, "padding"),
            padBottom: try int32(ph.after, "padding"), padRight: try int32(pw.after, "padding"),
            activation: try clamp(act, yQ), depthMultiplier: depthMultiplier)
        let y = try output(op)
        // Wrapping is harmless here (a statistic); the verifier bounds the real sizes.
        let macs = yShape.reduce(1, &*) &* fShape[1] &* fShape[2] &* (isDepthwise ? 1 : fShape[3])
        builder.emit(isDepthwise ? .depthwiseConv2D : .conv2D, inputs: [x.tensor, ops.weights, ops.bias, ops.multipliers, ops.shifts],
                     outputs: [y.tensor], params: record, macs: UInt64(truncatingIfNeeded: macs), name: name(op))
    }

    mutating func lowerFullyConnected(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .fullyConnected(let o) = op.options else { throw fail("missing FULLY_CONNECTED options") }
        guard o.weightsFormat == 0 else { throw fail("shuffled weights format \(o.weightsFormat) is not supported") }
        var x = try activation(op, 0)
        guard op.inputs.count >= 2, op.inputs[1] >= 0, shape(op.inputs[1]).count == 2 else { throw fail("weights must be 2-D") }
        let wShape = shape(op.inputs[1])
        let outDepth = wShape[0], depth = wShape[1]
        let xShape = shape(op.inputs[0])
        let elements = xShape.reduce(1, *)
        guard depth > 0, elements % depth == 0 else { throw fail("input of \(elements) values is not a multiple of depth \(depth)") }
        if xShape.last != depth {
            // LiteRT flattens the input to [elements / depth, depth]: a zero-copy view here.
            let r = builder.writer.tensors[Int(x.tensor)]
            let view = try builder.addTensor(name: graph.tensors[op.inputs[0]].name + "_rows", dtype: .int8,
                                             shape: [elements / depth, depth], storage: .alias,
                                             location: r.storage == .alias ? r.location : UInt32(x.tensor), quant: x.quant)
            builder.emit(.reshape, inputs: [x.tensor], outputs: [view], params: [], name: name(op) + "_rows")
            x.tensor = view
        }
        let yQ = try quant(op.outputs[0])
        let si = x.quant.scale, so = Double(yQ.scale)
        let perTensor = graph.tensors[op.inputs[1]].quantization?.scales.count == 1
        let ops = try weightOperands(op, channels: outDepth, channelAxis: 0) { sw in
            // Per-tensor: GetQuantizedConvolutionMultipler takes si·sw in float32 first.
            perTensor ? Double(si * sw) / so : Double(si) * Double(sw) / so
        }
        let record = FullyConnectedParamRecord(activation: try clamp(o.activation, yQ), singleRounding: true)
        let y = try output(op)
        builder.emit(.fullyConnected, inputs: [x.tensor, ops.weights, ops.bias, ops.multipliers, ops.shifts], outputs: [y.tensor],
                     params: record, macs: UInt64(truncatingIfNeeded: (elements / depth) &* outDepth &* depth), name: name(op))
    }

    // MARK: Elementwise

    mutating func lowerAdd(_ op: TFLiteOperator, subtract: Bool) throws(ConversionError) {
        let act: TFLiteActivation
        switch op.options {
        case .add(let a, _), .sub(let a, _): act = a
        default: act = .none
        }
        let a = try operand(op, 0), b = try operand(op, 1)
        let yQ = try quant(op.outputs[0])
        let c = try clamp(act, yQ)
        let p = AddParams.prepare(input1Scale: a.quant.scaleDouble, input1ZeroPoint: a.quant.zeroPoint,
                                  input2Scale: b.quant.scaleDouble, input2ZeroPoint: b.quant.zeroPoint,
                                  outputScale: yQ.scaleDouble, outputZeroPoint: yQ.zeroPoint,
                                  activationMin: c.min, activationMax: c.max, subtract: subtract)
        let record = AddParamRecord(
            leftShift: p.leftShift, input1: Rescale(multiplier: p.input1Multiplier, shift: p.input1Shift),
            input2: Rescale(multiplier: p.input2Multiplier, shift: p.input2Shift),
            output: Rescale(multiplier: p.outputMultiplier, shift: p.outputShift),
            activation: ActivationClamp(min: p.activationMin, max: p.activationMax))
        // The input rescales are at most 1/2 (each input scale over twice the larger); the output's
        // is twice the larger input scale over 2^leftShift times the output scale (PrepareGeneralSubOp).
        let twiceMax = 2 * max(a.quant.scaleDouble, b.quant.scaleDouble)
        try checkRescales(op, [("output", record.output, twiceMax / (Double(1 << p.leftShift) * yQ.scaleDouble))])
        let y = try output(op)
        builder.emit(subtract ? .sub : .add, inputs: [a.tensor, b.tensor], outputs: [y.tensor], params: record, name: name(op))
    }

    mutating func lowerMul(_ op: TFLiteOperator) throws(ConversionError) {
        var act = TFLiteActivation.none
        if case .mul(let a) = op.options { act = a }
        let a = try operand(op, 0), b = try operand(op, 1)
        let yQ = try quant(op.outputs[0])
        let c = try clamp(act, yQ)
        let real = a.quant.scaleDouble * b.quant.scaleDouble / yQ.scaleDouble
        let record = MulParamRecord(output: Self.rescale(real), activation: c)
        try checkRescales(op, [("output", record.output, real)])
        let y = try output(op)
        builder.emit(.mul, inputs: [a.tensor, b.tensor], outputs: [y.tensor], params: record,
                     macs: UInt64(shape(op.outputs[0]).reduce(1, *)), name: name(op))
    }

    /// LiteRT compares the raw int8 codes (the converter gives inputs and output one scale).
    mutating func lowerMinMax(_ op: TFLiteOperator, maximum: Bool) throws(ConversionError) {
        let a = try operand(op, 0), b = try operand(op, 1)
        let y = try output(op)
        builder.emit(maximum ? .maximum : .minimum, inputs: [a.tensor, b.tensor], outputs: [y.tensor], params: [],
                     name: name(op))
    }

    // MARK: Pooling, mean, softmax

    mutating func lowerPool(_ op: TFLiteOperator, max isMax: Bool) throws(ConversionError) {
        guard case .pool2D(let o) = op.options else { throw fail("missing pooling options") }
        let x = try activation(op, 0)
        let xShape = shape(op.inputs[0]), yShape = shape(op.outputs[0])
        guard xShape.count == 4, yShape.count == 4 else { throw fail("pooling needs 4-D input and output") }
        let yQ = try quant(op.outputs[0])
        guard yQ == x.quant else { throw fail("input and output quantization differ (\(x.quant) vs \(yQ)); LiteRT requires them equal") }
        let ph = TFLiteArithmetic.padding(o.padding, input: xShape[1], filter: o.filterH, stride: o.strideH, dilation: 1,
                                          output: yShape[1])
        let pw = TFLiteArithmetic.padding(o.padding, input: xShape[2], filter: o.filterW, stride: o.strideW, dilation: 1,
                                          output: yShape[2])
        let record = PoolParamRecord(
            strideH: try int32(o.strideH, "stride"), strideW: try int32(o.strideW, "stride"),
            filterH: try int32(o.filterH, "filter size"), filterW: try int32(o.filterW, "filter size"),
            padTop: try int32(ph.before, "padding"), padLeft: try int32(pw.before, "padding"),
            padBottom: try int32(ph.after, "padding"), padRight: try int32(pw.after, "padding"),
            activation: try clamp(o.activation, yQ), countIncludePad: false)
        let y = try output(op)
        let macs = isMax ? 0 : yShape.reduce(1, &*) &* o.filterH &* o.filterW
        builder.emit(isMax ? .maxPool : .averagePool, inputs: [x.tensor], outputs: [y.tensor], params: record,
                     macs: UInt64(truncatingIfNeeded: macs), name: name(op))
    }

    /// MEAN over a contiguous run of axes (H and W, H alone, W and C, ...): the input viewed as
    /// [before, reduced, 1, after] (zero-copy, row-major order unchanged) is what Sparrow's Mean
    /// averages over H and W, and its [before, after] result is the model's output in order.
    /// LiteRT's reference kernel sums Σ(x − zx) over the reduced axes and folds 1/count into the
    /// multiplier the same way for any axes (TFLiteArithmetic.meanMultiplier).
    mutating func lowerMean(_ op: TFLiteOperator) throws(ConversionError) {
        var x = try activation(op, 0)
        let xShape = shape(op.inputs[0])
        let rank = xShape.count
        let axes = Set(try constantInt32(op, 1, "the axes").map { Int($0) < 0 ? Int($0) + rank : Int($0) })
        guard let first = axes.min(), let last = axes.max(), first >= 0, last < rank, axes.count == last - first + 1 else {
            throw fail("MEAN over axes \(axes.sorted()) of a \(rank)-D tensor; Sparrow averages one contiguous run of axes")
        }
        let before = xShape[..<first].reduce(1, *), reduced = xShape[first...last].reduce(1, *)
        let after = xShape[(last + 1)...].reduce(1, *)
        guard shape(op.outputs[0]).reduce(1, *) == before * after else {
            throw fail("output shape \(shape(op.outputs[0])) does not hold the mean over axes \(axes.sorted()) of \(xShape)")
        }
        let view = [before, reduced, 1, after]
        if !(rank == 4 && axes == [1, 2]) {   // H and W of NHWC: the input as it is
            let r = builder.writer.tensors[Int(x.tensor)]
            let v = try builder.addTensor(name: graph.tensors[op.inputs[0]].name + "_reduced_axes", dtype: .int8, shape: view,
                                          storage: .alias, location: r.storage == .alias ? r.location : UInt32(x.tensor),
                                          quant: x.quant)
            builder.emit(.reshape, inputs: [x.tensor], outputs: [v], params: [], name: name(op) + "_view")
            x.tensor = v
        }
        let yQ = try quant(op.outputs[0])
        let m = TFLiteArithmetic.meanMultiplier(inputScale: x.quant.scale, outputScale: yQ.scale, count: reduced)
        try checkRescales(op, [("output", Rescale(multiplier: m.multiplier, shift: m.shift),
                                x.quant.scaleDouble / yQ.scaleDouble / Double(reduced))])
        let y = try output(op)
        builder.emit(.mean, inputs: [x.tensor], outputs: [y.tensor],
                     params: RescaleParamRecord(Rescale(multiplier: m.multiplier, shift: m.shift)),
                     macs: UInt64(xShape.reduce(1, *)), name: name(op))
    }

    mutating func lowerSoftmax(_ op: TFLiteOperator) throws(ConversionError) {
        var beta: Float = 1
        if case .softmax(let b) = op.options { beta = b }
        let x = try activation(op, 0)
        let yQ = try quant(op.outputs[0])
        guard yQ == .softmaxOutput else { throw fail("softmax output must have scale 1/256 and zero point −128 (has \(yQ))") }
        let p = SoftmaxParams.prepare(inputScale: x.quant.scaleDouble, beta: Double(beta))
        let y = try output(op)
        builder.emit(.softmax, inputs: [x.tensor], outputs: [y.tensor],
                     params: SoftmaxParamRecord(input: Rescale(multiplier: p.inputMultiplier, shift: p.inputShift), diffMin: p.diffMin),
                     name: name(op))
    }

    // MARK: Unary functions as 256-entry tables

    mutating func lowerTable(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        let yQ = try quant(op.outputs[0])
        let si = x.quant.scale, zi = x.quant.zeroPoint, so = yQ.scale, zo = yQ.zeroPoint
        let table: [Int8]
        let identity = (quantizeMultiplier(Double(si) / Double(so)))
        switch model.opcode(of: op).builtin {
        case .logistic:
            table = TFLiteArithmetic.lookupTable(inputScale: si, inputZeroPoint: zi, outputScale: so, outputZeroPoint: zo) {
                1 / (1 + Foundation.exp(-$0))
            }
        case .tanh:
            table = TFLiteArithmetic.lookupTable(inputScale: si, inputZeroPoint: zi, outputScale: so, outputZeroPoint: zo) {
                Foundation.tanh($0)
            }
        case .hardSwish:
            guard let t = TFLiteArithmetic.hardSwishTable(inputScale: si, inputZeroPoint: zi, outputScale: so,
                                                          outputZeroPoint: zo) else {
                throw fail("input scale \(si) / output scale \(so) is outside the range LiteRT's HARD_SWISH handles")
            }
            table = t
        case .leakyRelu:
            guard case .leakyRelu(let alpha) = op.options else { throw fail("missing LEAKY_RELU options") }
            let negative = quantizeMultiplier(Double(alpha) * Double(si) / Double(so))
            table = TFLiteArithmetic.rescaleTable(inputZeroPoint: zi, outputZeroPoint: zo, positive: identity,
                                                  negative: negative, min: -128, max: 127)
        default:
            let activation: TFLiteActivation = switch model.opcode(of: op).builtin {
            case .relu6: .relu6
            case .reluN1To1: .reluN1To1
            default: .relu
            }
            let c = try clamp(activation, yQ)
            table = TFLiteArithmetic.rescaleTable(inputZeroPoint: zi, outputZeroPoint: zo, positive: identity,
                                                  negative: identity, min: c.min, max: c.max)
        }
        let t = try builder.addConstantTensor(name: name(op) + "_table", dtype: .int8, shape: [256], data: ModelBuilder.bytes(table))
        let y = try output(op)
        builder.emit(.lookup, inputs: [x.tensor, t], outputs: [y.tensor], params: [], name: name(op))
    }

    mutating func lowerPRelu(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        guard let alphaBytes = constantBytes(op, 1) else { throw fail("alpha must be a constant") }
        let at = graph.tensors[op.inputs[1]]
        let aQ = try quant(op.inputs[1])
        let channels = shape(op.inputs[0]).last ?? 1
        guard at.type == .int8, alphaBytes.count == 1 || alphaBytes.count == channels else {
            throw fail("alpha must be int8 with 1 or \(channels) values (one per channel)")
        }
        // Sparrow's alpha codes have zero point 0: store α − zα (LiteRT multiplies by α − zα).
        var codes: [Int8] = []
        for b in alphaBytes {
            let v = Int32(Int8(bitPattern: b)) - aQ.zeroPoint
            guard v >= -128, v <= 127 else { throw fail("alpha code \(Int8(bitPattern: b)) − zero point \(aQ.zeroPoint) leaves int8") }
            codes.append(Int8(v))
        }
        let alpha = try builder.addConstantTensor(name: at.name, dtype: .int8, shape: [codes.count], data: ModelBuilder.bytes(codes),
                                                  quant: ActivationQuant(scale: aQ.scale, zeroPoint: 0))
        let yQ = try quant(op.outputs[0])
        let identity = x.quant.scaleDouble / yQ.scaleDouble, slope = x.quant.scaleDouble * aQ.scaleDouble / yQ.scaleDouble
        let record = PReluParamRecord(identity: Self.rescale(identity), alpha: Self.rescale(slope))
        try checkRescales(op, [("identity (x ≥ 0)", record.identity, identity), ("alpha (x < 0)", record.alpha, slope)])
        let y = try output(op)
        builder.emit(.prelu, inputs: [x.tensor, alpha], outputs: [y.tensor], params: record,
                     macs: UInt64(shape(op.outputs[0]).reduce(1, *)), name: name(op))
    }

    // MARK: Shape and data movement

    mutating func lowerReshape(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        guard try quant(op.outputs[0]) == x.quant else { throw fail("input and output quantization differ") }
        let y = try output(op, aliasOf: x.tensor)
        builder.emit(.reshape, inputs: [x.tensor], outputs: [y.tensor], params: [], name: name(op))
    }

    mutating func lowerConcat(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .concatenation(let axis, let act) = op.options else { throw fail("missing CONCATENATION options") }
        guard act == .none else { throw fail("fused activation \(act.name) on CONCATENATION is not supported") }
        let rank = shape(op.outputs[0]).count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank, rank <= 4 else { throw fail("axis \(axis) out of range for rank \(rank)") }
        let yQ = try quant(op.outputs[0])
        var inputs: [Int32] = [], rescales: [Rescale] = []
        for k in op.inputs.indices {
            let x = try operand(op, k)
            guard x.quant == yQ else {
                // LiteRT's int8 kernel refuses such a model at Prepare (every input's scale and zero
                // point must equal the output's; only its uint8 kernel rescales), and TF's converter
                // never writes one: there are no LiteRT bytes to reproduce (concat_rescaled fixture).
                throw fail("input \(k) has \(x.quant), the output \(yQ); LiteRT's int8 CONCATENATION refuses this too "
                           + "(it requires every input's scale and zero point to equal the output's, and TF's converter "
                           + "writes them so): re-convert the model with TF's converter, or convert the float model "
                           + "with --calibration, where Sparrow rescales concatenated inputs")
            }
            inputs.append(x.tensor)
            rescales.append(Rescale(multiplier: 0, shift: 0))   // identity copy
        }
        let y = try output(op)
        builder.emit(.concat, inputs: inputs, outputs: [y.tensor],
                     params: ConcatParamRecord.words(axis: Int32(a + 4 - rank), inputRescales: rescales), name: name(op))
    }

    mutating func lowerPad(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        let rank = shape(op.inputs[0]).count
        let pads = try constantInt32(op, 1, "the paddings")
        guard rank <= 4, pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 }) else {
            throw fail("paddings must be \(rank)×2 non-negative values")
        }
        let yQ = try quant(op.outputs[0])
        guard yQ == x.quant else { throw fail("input and output quantization differ") }
        // PADV2's constant (an int8 scalar with the input's quantization) as the fill code.
        var fill: Int8? = nil
        if model.opcode(of: op).builtin == .padV2, let v = constantBytes(op, 2) {
            guard v.count == 1, graph.tensors[op.inputs[2]].type == .int8 else { throw fail("the PADV2 value must be one int8 code") }
            if Int32(Int8(bitPattern: v[0])) != yQ.zeroPoint { fill = Int8(bitPattern: v[0]) }
        }
        let before = [Int32](repeating: 0, count: 4 - rank) + (0..<rank).map { pads[2 * $0] }
        let y = try output(op)
        builder.emit(.pad, inputs: [x.tensor], outputs: [y.tensor],
                     params: PadParamRecord(beforeN: before[0], beforeH: before[1], beforeW: before[2], beforeC: before[3], fill: fill),
                     name: name(op))
    }

    // MARK: Quantize and dequantize

    /// float32 → int8: Quantize, rounding ties away from zero as LiteRT. int8/uint8 → int8/uint8:
    /// Requantize with quantizeMultiplier(si/so) (uint8 at the edges of uint8-I/O models).
    mutating func lowerQuantize(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0, types: [.int8, .uint8, .float32])
        let yQ = try quant(op.outputs[0])
        if graph.tensors[op.inputs[0]].type == .float32 {
            let y = try output(op)
            builder.emit(.quantize, inputs: [x.tensor], outputs: [y.tensor], params: QuantizeParamRecord(roundHalfAway: true),
                         name: name(op))
            return
        }
        let sameType = graph.tensors[op.inputs[0]].type == graph.tensors[op.outputs[0]].type
        let rescale = yQ == x.quant && sameType ? Rescale(multiplier: 0, shift: 0)
            : try requantizeRescale(op, x.quant.scaleDouble / yQ.scaleDouble)
        let y = try output(op, allowUInt8: true)
        builder.emit(.requantize, inputs: [x.tensor], outputs: [y.tensor], params: RescaleParamRecord(rescale), name: name(op))
    }

    mutating func lowerDequantize(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        let t = op.outputs[0]
        guard graph.tensors[t].type == .float32 else { throw fail("DEQUANTIZE to \(graph.tensors[t].type.name) is not supported") }
        let y = try builder.addTensor(name: graph.tensors[t].name, dtype: .float32, shape: shape(t), storage: .arena)
        tensorOf[t] = y
        builder.emit(.dequantize, inputs: [x.tensor], outputs: [y], params: [], name: name(op))
    }
}
