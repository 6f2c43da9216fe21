// One float TFLite operator → IR nodes (TFLiteFloatImport.swift has the values and constants).
import Foundation
import SparrowTFLite

extension TFLiteFloatImporter {
    mutating func importOperator(_ op: TFLiteOperator) throws(ConversionError) {
        let code = model.opcode(of: op).builtin
        // Inputs are checked present once here (−1 only for a bias), so shapes may be read below.
        let optional = code == .transposeConv ? 3 : code == .conv2D || code == .depthwiseConv2D || code == .fullyConnected ? 2 : -1
        guard !op.inputs.isEmpty else { throw fail("the operator has no inputs") }
        for (k, t) in op.inputs.enumerated() where t < 0 && k != optional { throw fail("input \(k) is missing") }
        let y = op.outputs[0], yShape = shape(op.outputs[0])
        if code == .argMax { return try importArgMax(op) }   // integer indices, not float32
        guard tensors[y].type == .float32 else {
            throw fail("output '\(tensors[y].name)' is \(tensors[y].type.name); the float path computes float32 tensors")
        }
        switch code {
        case .dequantize:
            // float16 or int8 weights stored compactly: the float32 constant they stand for.
            guard let data = try constant(op.inputs[0]) else {
                throw fail("DEQUANTIZE of an activation: the model is quantized; convert it without --calibration")
            }
            guard data.count == yShape.reduce(1, *) else { throw fail("DEQUANTIZE of \(data.count) values into shape \(yShape)") }
            valueOf[y] = graph.addValue(IRValue(name: tensors[y].name, shape: yShape, constant: data))
        case .conv2D, .depthwiseConv2D: try importConvolution(op)
        case .transposeConv: try importTransposeConv(op)
        case .fullyConnected: try importFullyConnected(op)
        case .add, .sub, .mul, .div, .maximum, .minimum:
            let a = try input(op, 0), b = try input(op, 1)
            let f = try fused(op.options.activation)
            try expect(yShape, TensorLayout.broadcastShape(graph.values[a].shape, graph.values[b].shape), "output shape")
            let ir: IROp
            switch code {
            case .add: ir = .add(f)
            case .sub: ir = .sub(f)
            case .mul: ir = .mul(f)
            case .div: ir = .div(f)
            case .maximum: ir = .maximum
            default: ir = .minimum
            }
            emit(ir, [a, b], shape: yShape, tensor: y)
        case .maxPool2D, .averagePool2D:
            guard case .pool2D(let o) = op.options else { throw fail("missing pooling options") }
            let x = try input(op, 0)
            let xs = shape(op.inputs[0])
            guard xs.count == 4 else { throw fail("pooling needs a 4-D input") }
            try expect(yShape, [xs[0], Self.windowOutput(xs[1], o.filterH, o.strideH, 1, o.padding),
                                Self.windowOutput(xs[2], o.filterW, o.strideW, 1, o.padding), xs[3]], "output shape")
            let p = PoolAttributes(kernel: [o.filterH, o.filterW], strides: [o.strideH, o.strideW],
                                   pads: pads(o.padding, shape(op.inputs[0]), yShape, filter: (o.filterH, o.filterW),
                                              stride: (o.strideH, o.strideW), dilation: (1, 1)),
                                   countIncludePad: false, activation: try fused(o.activation))
            try checkWindow(p.kernel + p.strides + p.pads)
            emit(code == .maxPool2D ? .maxPool(p) : .averagePool(p), [x], shape: yShape, tensor: y)
        case .mean: try importMean(op)
        case .softmax:
            var x = try input(op, 0)
            if case .softmax(let beta) = op.options, beta != 1 {
                let b = graph.addValue(IRValue(name: nodeName + "_beta", shape: [], constant: [beta]))
                x = emit(.mul(.none), [x, b], shape: graph.values[x].shape, suffix: "_beta")
            }
            try expect(yShape, graph.values[x].shape, "output shape")
            guard case .softmax(let beta) = op.options, beta.isFinite else { throw fail("softmax needs a finite beta") }
            emit(.softmax, [x], shape: yShape, tensor: y)
        case .logistic, .tanh, .hardSwish, .relu, .relu6, .reluN1To1, .leakyRelu:
            let f: UnaryFunction
            switch code {
            case .logistic: f = .sigmoid
            case .tanh: f = .tanh
            case .hardSwish: f = .hardSwish
            case .relu: f = .relu
            case .relu6: f = .relu6
            case .reluN1To1: f = .clip(-1, 1)
            default:
                guard case .leakyRelu(let alpha) = op.options else { throw fail("missing LEAKY_RELU options") }
                guard alpha.isFinite else { throw fail("alpha \(alpha) is not finite") }
                f = .leakyRelu(alpha: alpha)
            }
            let x = try input(op, 0)
            try expect(yShape, graph.values[x].shape, "output shape")
            emit(.unary(f), [x], shape: yShape, tensor: y)
        case .prelu:
            let x = try input(op, 0)
            guard op.inputs.count > 1, op.inputs[1] >= 0, let alpha = try constant(op.inputs[1]) else {
                throw fail("alpha must be a constant")
            }
            let channels = shape(op.inputs[0]).last ?? 1
            // The IR's slope broadcasts along the last axis: one value or one per channel.
            guard alpha.count == 1 || (alpha.count == channels && shape(op.inputs[1]).dropLast().allSatisfy { $0 == 1 }) else {
                throw fail("alpha of shape \(shape(op.inputs[1])) is not one value or one per channel")
            }
            try expect(yShape, shape(op.inputs[0]), "output shape")
            let slope = graph.addValue(IRValue(name: tensors[op.inputs[1]].name, shape: [alpha.count], constant: alpha))
            emit(.prelu, [x, slope], shape: yShape, tensor: y)
        case .reshape, .squeeze:
            guard shape(op.inputs[0]).reduce(1, *) == yShape.reduce(1, *) else {
                throw fail("reshape of \(shape(op.inputs[0])) into \(yShape) changes the element count")
            }
            _ = reshaped(try input(op, 0), to: yShape, tensor: y, suffix: "")
        case .concatenation:
            guard case .concatenation(let axis, let act) = op.options else { throw fail("missing CONCATENATION options") }
            let rank = yShape.count, a = axis < 0 ? axis + rank : axis
            guard a >= 0, a < rank else { throw fail("axis \(axis) out of range for rank \(rank)") }
            var inputs: [Int] = [], joined = 0
            for k in op.inputs.indices {
                let v = try input(op, k)
                let vs = graph.values[v].shape
                guard vs.count == rank, (0..<rank).allSatisfy({ $0 == a || vs[$0] == yShape[$0] }) else {
                    throw fail("input \(k) of shape \(vs) does not join \(yShape) along axis \(a)")
                }
                joined += vs[a]
                inputs.append(v)
            }
            guard joined == yShape[a] else { throw fail("the inputs give \(joined) along axis \(a), the output has \(yShape[a])") }
            let f = try fused(act)
            if f == .none {
                emit(.concat(axis: a), inputs, shape: yShape, tensor: y)
            } else {
                let joined = emit(.concat(axis: a), inputs, shape: yShape, suffix: "_concat")
                emit(.unary(f == .relu ? .relu : f == .relu6 ? .relu6 : .clip(-1, 1)), [joined], shape: yShape, tensor: y)
            }
        case .pad, .padV2:
            let x = try input(op, 0)
            let rank = shape(op.inputs[0]).count
            let p = try int32s(op, 1, "the paddings")
            guard p.count == 2 * rank, p.allSatisfy({ $0 >= 0 }) else { throw fail("paddings must be \(rank)×2 non-negative values") }
            var value: Float = 0
            if code == .padV2, op.inputs.count > 2, op.inputs[2] >= 0 {
                guard let v = try constant(op.inputs[2]), v.count == 1 else { throw fail("the PADV2 value must be one constant") }
                value = v[0]
            }
            guard value.isFinite else { throw fail("pad value \(value) is not finite") }
            try expect(yShape, (0..<rank).map { shape(op.inputs[0])[$0] + p[2 * $0] + p[2 * $0 + 1] }, "output shape")
            emit(.pad(before: (0..<rank).map { p[2 * $0] }, after: (0..<rank).map { p[2 * $0 + 1] }, value: value), [x],
                 shape: yShape, tensor: y)
        case .custom:   // the custom codes importGraph lets through
            switch model.opcode(of: op).customCode {
            case "MaxPoolingWithArgmax2D": try importMaxPoolingWithArgmax(op)
            case "MaxUnpooling2D": try importMaxUnpooling(op)
            default: try importConvolution2DTransposeBias(op)
            }
        case .stridedSlice: try importStridedSlice(op)
        case .resizeBilinear, .resizeNearestNeighbor: try importResize(op, bilinear: code == .resizeBilinear)
        default: throw fail("no float import")   // unreachable: importGraph listed it
        }
    }

    /// ARG_MAX (input, constant axis): the IR's ArgMax, first maximum, int64 indices in the
    /// model's own element order (the IR keeps NHWC as the model's order). Like ONNX's, its result
    /// can only be a graph output: Sparrow computes no operator on indices.
    mutating func importArgMax(_ op: TFLiteOperator) throws(ConversionError) {
        let y = op.outputs[0]
        guard tensors[y].type == .int32 || tensors[y].type == .int64 else {
            throw fail("output '\(tensors[y].name)' is \(tensors[y].type.name); ARG_MAX writes int32 or int64 indices")
        }
        let readers = model.graph.operators.indices.filter { model.graph.operators[$0].inputs.contains(y) }
        guard model.graph.outputs.contains(y), readers.isEmpty else {
            throw fail("the indices '\(tensors[y].name)' are read by operator\(readers.count == 1 ? "" : "s") "
                       + "\(readers.map(String.init).joined(separator: ", ")); Sparrow computes ArgMax only as a graph output")
        }
        let x = try input(op, 0)
        let xShape = graph.values[x].shape, rank = xShape.count
        let axes = try int32s(op, 1, "the axis")
        guard rank >= 1, rank <= 4, axes.count == 1 else { throw fail("ARG_MAX needs one axis of an input of rank 1…4") }
        let axis = axes[0] < 0 ? axes[0] + rank : axes[0]
        guard axis >= 0, axis < rank else { throw fail("axis \(axes[0]) out of range for rank \(rank)") }
        var expected = xShape
        expected.remove(at: axis)
        try expect(shape(y), expected, "output shape")
        emit(.argMax(axis: axis, selectLast: false), [x], shape: shape(y), tensor: y)
    }

    /// The declared shape must be the one the operator computes (the float executor trusts it).
    func expect(_ declared: [Int], _ computed: [Int]?, _ what: String) throws(ConversionError) {
        guard let computed, declared == computed else {
            throw fail("\(what): the model declares \(declared), the inputs give \(computed.map { "\($0)" } ?? "no broadcast shape")")
        }
    }

    /// Strides, dilations and paddings within what the lowering stores (ImportLimits.maxWindow).
    func checkWindow(_ values: [Int]) throws(ConversionError) {
        guard let v = values.first(where: { $0 < 0 || $0 > ImportLimits.maxWindow }) else { return }
        throw fail("stride, dilation or padding \(v) is outside 0...\(ImportLimits.maxWindow)")
    }

    func checkBias(_ b: Int, _ channels: Int) throws(ConversionError) {
        guard b >= 0 else { return }
        guard graph.values[b].elementCount == channels else {
            throw fail("the bias has \(graph.values[b].elementCount) values for \(channels) output channels")
        }
    }

    func padding(_ op: TFLiteOperator) -> TFLitePadding {
        switch op.options {
        case .conv2D(let o): return o.padding
        case .depthwiseConv2D(let o): return o.padding
        default: return .valid
        }
    }

    /// LiteRT's ComputeOutSize: SAME ⌈in / stride⌉, VALID ⌊(in + stride − effective) / stride⌋.
    static func windowOutput(_ input: Int, _ filter: Int, _ stride: Int, _ dilation: Int, _ padding: TFLitePadding) -> Int {
        let effective = (filter - 1) * dilation + 1
        return padding == .same ? (input + stride - 1) / stride : (input + stride - effective) / stride
    }

    mutating func importConvolution(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try input(op, 0)
        let xShape = shape(op.inputs[0]), yShape = shape(op.outputs[0])
        guard op.inputs.count >= 2, op.inputs[1] >= 0, shape(op.inputs[1]).count == 4, xShape.count == 4, yShape.count == 4 else {
            throw fail("conv needs 4-D input, filter and output")
        }
        let fShape = shape(op.inputs[1])
        var a = ConvAttributes()
        switch op.options {
        case .conv2D(let o):
            a.strides = [o.strideH, o.strideW]; a.dilations = [o.dilationH, o.dilationW]
            a.pads = pads(o.padding, xShape, yShape, filter: (fShape[1], fShape[2]), stride: (o.strideH, o.strideW),
                          dilation: (o.dilationH, o.dilationW))
            a.activation = try fused(o.activation)
        case .depthwiseConv2D(let o):
            guard yShape[3] % xShape[3] == 0 else { throw fail("output channels are not a multiple of input channels") }
            a.strides = [o.strideH, o.strideW]; a.dilations = [o.dilationH, o.dilationW]
            a.pads = pads(o.padding, xShape, yShape, filter: (fShape[1], fShape[2]), stride: (o.strideH, o.strideW),
                          dilation: (o.dilationH, o.dilationW))
            a.activation = try fused(o.activation)
            a.isDepthwise = true
            a.depthMultiplier = yShape[3] / xShape[3]
        default: throw fail("missing convolution options")
        }
        let outChannels = a.isDepthwise ? fShape[3] : fShape[0]
        guard a.isDepthwise ? fShape[0] == 1 && fShape[3] == xShape[3] * a.depthMultiplier : fShape[3] == xShape[3] else {
            throw fail("filter \(fShape) does not fit input \(xShape)\(a.isDepthwise ? " (depthwise)" : "")")
        }
        try expect(yShape, [xShape[0], Self.windowOutput(xShape[1], fShape[1], a.strides[0], a.dilations[0], padding(op)),
                            Self.windowOutput(xShape[2], fShape[2], a.strides[1], a.dilations[1], padding(op)), outChannels],
                   "output shape")
        let w = try input(op, 1), b = try optionalInput(op, 2)
        try checkBias(b, outChannels)
        try checkWindow(a.strides + a.dilations + a.pads)
        emit(.conv(a), [x, w, b], shape: yShape, tensor: op.outputs[0])
    }

    /// TRANSPOSE_CONV (inputs: output shape, filter [Co, KH, KW, Ci], input, bias): the IR's
    /// convTranspose with LiteRT's padding (as for the convolution from the output back to the
    /// input; the scatter's overhang past the output is dropped, i.e. bottom/right padding).
    mutating func importTransposeConv(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .transposeConv(let o) = op.options else { throw fail("missing TRANSPOSE_CONV options") }
        guard op.inputs.count >= 3 else { throw fail("TRANSPOSE_CONV needs output shape, filter and input") }
        let x = try input(op, 2)
        let xShape = shape(op.inputs[2]), yShape = shape(op.outputs[0]), fShape = shape(op.inputs[1])
        guard xShape.count == 4, yShape.count == 4, fShape.count == 4, fShape[3] == xShape[3], fShape[0] == yShape[3] else {
            throw fail("TRANSPOSE_CONV needs 4-D input, filter [Co, KH, KW, Ci] and output")
        }
        var edges: [(Int, Int)] = []
        for (axis, stride) in [(1, o.strideH), (2, o.strideW)] {
            let p = TFLiteArithmetic.padding(o.padding, input: yShape[axis], filter: fShape[axis], stride: stride, dilation: 1,
                                             output: xShape[axis])
            let full = (xShape[axis] - 1) * stride + fShape[axis] - p.before
            guard full >= yShape[axis] else { throw fail("output size \(yShape[axis]) does not follow from the input, filter and stride") }
            edges.append((p.before, full - yShape[axis]))
        }
        let a = ConvAttributes(strides: [o.strideH, o.strideW], pads: [edges[0].0, edges[1].0, edges[0].1, edges[1].1],
                               activation: try fused(o.activation))
        guard yShape[0] == xShape[0] else { throw fail("batch \(yShape[0]) differs from the input's \(xShape[0])") }
        let w = try input(op, 1), b = try optionalInput(op, 3)
        try checkBias(b, fShape[0])
        try checkWindow(a.strides + a.pads)
        emit(.convTranspose(a), [x, w, b], shape: yShape, tensor: op.outputs[0])
    }

    /// MediaPipe's Convolution2DTransposeBias (mediapipe/util/tflite/operations/
    /// transpose_conv_bias.cc): inputs data, weights [Co, KH, KW, Ci], bias [Co]; options a raw
    /// struct of three int32: padding (1 SAME, 2 VALID), stride_w, stride_h. SAME pads
    /// max(0, K − (in − 1) mod s − 1) in total, half before; the output is s·(in − 1) + K − pad
    /// (not TF's SAME size); each input pixel is scattered to in·s − pad_before + k, as the IR's
    /// convTranspose does.
    mutating func importConvolution2DTransposeBias(_ op: TFLiteOperator) throws(ConversionError) {
        guard op.inputs.count == 3, let range = op.customOptions, range.count >= 12 else {
            throw fail("Convolution2DTransposeBias needs inputs (data, weights, bias) and 12 bytes of options")
        }
        let options = (0..<3).map { k in
            Int(Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(model.bytes[range.lowerBound + 4 * k + $1]) << (8 * UInt32($1)) }))
        }
        let (padding, strideW, strideH) = (options[0], options[1], options[2])
        guard padding == 1 || padding == 2 else { throw fail("padding \(padding) is neither SAME (1) nor VALID (2)") }
        guard (1...ImportLimits.maxWindow).contains(strideW), (1...ImportLimits.maxWindow).contains(strideH) else {
            throw fail("strides \(strideW), \(strideH) must be in 1...\(ImportLimits.maxWindow)")
        }
        let x = try input(op, 0)
        let xShape = shape(op.inputs[0]), fShape = shape(op.inputs[1]), yShape = shape(op.outputs[0])
        guard xShape.count == 4, fShape.count == 4, fShape[3] == xShape[3] else {
            throw fail("needs a 4-D input and weights [Co, KH, KW, Ci] with Ci = the input's channels")
        }
        func extent(_ axis: Int, _ stride: Int) -> (padTotal: Int, size: Int) {
            let pad = padding == 1 ? max(0, fShape[axis] - (xShape[axis] - 1) % stride - 1) : 0
            return (pad, stride * (xShape[axis] - 1) + fShape[axis] - pad)
        }
        let h = extent(1, strideH), w = extent(2, strideW)
        try expect(yShape, [xShape[0], h.size, w.size, fShape[0]], "output shape")
        let a = ConvAttributes(strides: [strideH, strideW],
                               pads: [h.padTotal / 2, w.padTotal / 2, h.padTotal - h.padTotal / 2, w.padTotal - w.padTotal / 2])
        let weights = try input(op, 1), bias = try input(op, 2)
        try checkBias(bias, fShape[0])
        emit(.convTranspose(a), [x, weights, bias], shape: yShape, tensor: op.outputs[0])
    }

    /// MediaPipe's pooling options: a raw `TfLitePoolParams` (int32 padding 1 SAME / 2 VALID,
    /// stride_w, stride_h, filter_w, filter_h, activation as TfLiteFusedActivation; the computed
    /// paddings after them are not read).
    func mediaPipePoolOptions(_ op: TFLiteOperator, _ name: String) throws(ConversionError)
        -> (padding: TFLitePadding, strideW: Int, strideH: Int, filterW: Int, filterH: Int, activation: Activation) {
        guard let range = op.customOptions, range.count >= 24 else {
            throw fail("\(name) needs 24 bytes of options (TfLitePoolParams: padding, strides, filter size, activation)")
        }
        let o = (0..<6).map { k in
            Int(Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(model.bytes[range.lowerBound + 4 * k + $1]) << (8 * UInt32($1)) }))
        }
        guard o[0] == 1 || o[0] == 2 else { throw fail("padding \(o[0]) is neither SAME (1) nor VALID (2)") }
        for (value, what) in zip(o[1...4], ["stride_w", "stride_h", "filter_w", "filter_h"]) where !(1...ImportLimits.maxWindow).contains(value) {
            throw fail("\(what) \(value) must be in 1...\(ImportLimits.maxWindow)")
        }
        let activations: [Int: Activation] = [0: .none, 1: .relu, 2: .clip(-1, 1), 3: .relu6]
        guard let act = activations[o[5]] else { throw fail("activation \(o[5]) is not NONE, RELU, RELU_N1_TO_1 or RELU6") }
        return (o[0] == 1 ? .same : .valid, o[1], o[2], o[3], o[4], act)
    }

    /// MaxPoolingWithArgmax2D (mediapipe/util/tflite/operations/max_pool_argmax.cc): outputs the
    /// max pool (activation applied) and, per cell, the window position ky·filter_w + kx of the
    /// first largest value (stored by MediaPipe as a float, + 0.1): a maxPool and a maxPoolArgmax
    /// node. Output size and padding as TFLite's MAX_POOL_2D (SAME: ⌈in/s⌉, half the total before).
    mutating func importMaxPoolingWithArgmax(_ op: TFLiteOperator) throws(ConversionError) {
        let o = try mediaPipePoolOptions(op, "MaxPoolingWithArgmax2D")
        guard op.inputs.count == 1, op.outputs.count == 2 else { throw fail("MaxPoolingWithArgmax2D has one input and two outputs") }
        let x = try input(op, 0), xs = shape(op.inputs[0])
        guard xs.count == 4 else { throw fail("MaxPoolingWithArgmax2D needs a 4-D input") }
        let yShape = [xs[0], Self.windowOutput(xs[1], o.filterH, o.strideH, 1, o.padding),
                      Self.windowOutput(xs[2], o.filterW, o.strideW, 1, o.padding), xs[3]]
        let (values, positions) = (op.outputs[0], op.outputs[1])
        try expect(shape(values), yShape, "output shape")
        try expect(shape(positions), yShape, "indices shape")
        guard tensors[positions].type == .float32 else { throw fail("the indices are \(tensors[positions].type.name), not FLOAT32") }
        let readers = model.graph.operators.indices.filter { model.graph.operators[$0].inputs.contains(positions) }
        guard !model.graph.outputs.contains(positions), readers.allSatisfy({
            model.opcode(of: model.graph.operators[$0]).customCode == "MaxUnpooling2D" && model.graph.operators[$0].inputs.firstIndex(of: positions) == 1
        }) else {
            throw fail("the indices '\(tensors[positions].name)' are a graph output or read by operators other than MaxUnpooling2D; "
                       + "Sparrow computes them only for MaxUnpooling2D")
        }
        let p = PoolAttributes(kernel: [o.filterH, o.filterW], strides: [o.strideH, o.strideW],
                               pads: pads(o.padding, xs, yShape, filter: (o.filterH, o.filterW), stride: (o.strideH, o.strideW),
                                          dilation: (1, 1)),
                               countIncludePad: false, activation: o.activation)
        try checkWindow(p.kernel + p.strides + p.pads)
        emit(.maxPool(p), [x], shape: yShape, tensor: values)
        emit(.maxPoolArgmax(p), [x], shape: yShape, tensor: positions)
    }

    /// MaxUnpooling2D (mediapipe/util/tflite/operations/max_unpooling.cc): inputs values and the
    /// positions MaxPoolingWithArgmax2D wrote; output [n, h·filter_h, w·filter_w, c], zeros, then
    /// each value at (y·stride_h − pad_h + p / filter_w, x·stride_w − pad_w + p mod filter_w) when
    /// inside, pad = max(((h − 1)·stride + filter − out) / 2, 0) (TF's ComputePadding with the
    /// output as the pooling's input). The fused activation is not applied (MediaPipe's Eval
    /// computes its range and does not use it).
    mutating func importMaxUnpooling(_ op: TFLiteOperator) throws(ConversionError) {
        let o = try mediaPipePoolOptions(op, "MaxUnpooling2D")
        guard op.inputs.count == 2, op.outputs.count == 1 else { throw fail("MaxUnpooling2D has two inputs and one output") }
        let x = try input(op, 0), positions = try input(op, 1)
        let xs = shape(op.inputs[0])
        guard xs.count == 4, shape(op.inputs[1]) == xs else { throw fail("MaxUnpooling2D needs 4-D values and indices of one shape") }
        guard let producer = graph.nodes.first(where: { $0.outputs.contains(positions) }), case .maxPoolArgmax = producer.op else {
            throw fail("the indices (input 1) must be the indices output of a MaxPoolingWithArgmax2D")
        }
        let yShape = [xs[0], xs[1] * o.filterH, xs[2] * o.filterW, xs[3]]
        try expect(shape(op.outputs[0]), yShape, "output shape")
        let padTop = max(((xs[1] - 1) * o.strideH + o.filterH - yShape[1]) / 2, 0)
        let padLeft = max(((xs[2] - 1) * o.strideW + o.filterW - yShape[2]) / 2, 0)
        emit(.maxUnpool(UnpoolAttributes(strides: [o.strideH, o.strideW], kernelW: o.filterW, padTop: padTop, padLeft: padLeft)),
             [x, positions], shape: yShape, tensor: op.outputs[0])
    }

    /// FULLY_CONNECTED flattens its input to [elements / depth, depth].
    mutating func importFullyConnected(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .fullyConnected(let o) = op.options else { throw fail("missing FULLY_CONNECTED options") }
        guard o.weightsFormat == 0 else { throw fail("shuffled weights format \(o.weightsFormat) is not supported") }
        guard op.inputs.count >= 2, op.inputs[1] >= 0, shape(op.inputs[1]).count == 2 else { throw fail("weights must be 2-D") }
        let depth = shape(op.inputs[1])[1], outDepth = shape(op.inputs[1])[0]
        let elements = shape(op.inputs[0]).reduce(1, *)
        guard depth > 0, elements % depth == 0 else { throw fail("input of \(elements) values is not a multiple of depth \(depth)") }
        var x = try input(op, 0)
        x = reshaped(x, to: [elements / depth, depth], suffix: "_rows")
        let w = try input(op, 1), b = try optionalInput(op, 2)
        try checkBias(b, outDepth)
        let yShape = shape(op.outputs[0])
        guard yShape.reduce(1, *) == elements / depth * outDepth else { throw fail("output shape \(yShape) does not match the weights") }
        let flat = [elements / depth, outDepth]
        if flat == yShape {
            emit(.fullyConnected(try fused(o.activation)), [x, w, b], shape: yShape, tensor: op.outputs[0])
        } else {
            let r = emit(.fullyConnected(try fused(o.activation)), [x, w, b], shape: flat, suffix: "_fc")
            _ = reshaped(r, to: yShape, tensor: op.outputs[0], suffix: "")
        }
    }

    /// MEAN over a contiguous run of axes: the IR's mean over H and W of the input viewed as
    /// [before, reduced, 1, after], reshaped to the model's output.
    mutating func importMean(_ op: TFLiteOperator) throws(ConversionError) {
        let xShape = shape(op.inputs[0]), rank = xShape.count
        let axes = Set(try int32s(op, 1, "the axes").map { $0 < 0 ? $0 + rank : $0 })
        guard let first = axes.min(), let last = axes.max(), first >= 0, last < rank, axes.count == last - first + 1 else {
            throw fail("MEAN over axes \(axes.sorted()) of a \(rank)-D tensor; Sparrow averages one contiguous run of axes")
        }
        let before = xShape[..<first].reduce(1, *), reduced = xShape[first...last].reduce(1, *)
        let after = xShape[(last + 1)...].reduce(1, *)
        let yShape = shape(op.outputs[0])
        guard yShape.reduce(1, *) == before * after else { throw fail("output shape \(yShape) does not match the mean") }
        let view = reshaped(try input(op, 0), to: [before, reduced, 1, after], suffix: "_view")
        let pooled = emit(.mean(keepDims: false), [view], shape: [before, after], suffix: "_mean")
        _ = reshaped(pooled, to: yShape, tensor: op.outputs[0], suffix: "_result")
    }

    mutating func importStridedSlice(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .stridedSlice(let o) = op.options else { throw fail("missing STRIDED_SLICE options") }
        guard o.ellipsisMask == 0, o.newAxisMask == 0 else { throw fail("ellipsis and new-axis masks are not supported") }
        let x = try input(op, 0)
        let xShape = shape(op.inputs[0]), rank = xShape.count
        let begin = try int32s(op, 1, "begin"), end = try int32s(op, 2, "end"), strides = try int32s(op, 3, "strides")
        guard begin.count == rank, end.count == rank, strides.count == rank else {
            throw fail("begin, end and strides must have one value per input axis (\(rank))")
        }
        var starts: [Int] = [], counts: [Int] = []
        for d in 0..<rank {
            guard let r = TFLiteArithmetic.stridedSliceAxis(
                dim: xShape[d], begin: begin[d], end: end[d], stride: strides[d], beginMasked: o.beginMask & (1 << d) != 0,
                endMasked: o.endMask & (1 << d) != 0, shrink: o.shrinkAxisMask & (1 << d) != 0, offset: o.offset) else {
                throw fail("axis \(d) of the slice is empty")
            }
            starts.append(r.start); counts.append(r.count)
        }
        let yShape = shape(op.outputs[0])
        guard counts.reduce(1, *) == yShape.reduce(1, *) else { throw fail("the slice gives \(counts), the model declares \(yShape)") }
        if counts == yShape {
            emit(.slice(begin: starts, step: strides), [x], shape: yShape, tensor: op.outputs[0])
        } else {
            let s = emit(.slice(begin: starts, step: strides), [x], shape: counts, suffix: "_unshrunk")
            _ = reshaped(s, to: yShape, tensor: op.outputs[0], suffix: "")
        }
    }

    /// RESIZE_*: TF's coordinate rules as the IR's ONNX modes — align_corners; half_pixel_centers
    /// (bilinear: half_pixel; nearest: floor((i + ½)·in/out), which is ONNX half_pixel with
    /// round_prefer_ceil); neither: asymmetric with floor.
    mutating func importResize(_ op: TFLiteOperator, bilinear: Bool) throws(ConversionError) {
        var alignCorners = false, halfPixelCenters = false   // the schema defaults
        switch op.options {
        case .resizeBilinear(let o), .resizeNearestNeighbor(let o): (alignCorners, halfPixelCenters) = (o.alignCorners, o.halfPixelCenters)
        default: break
        }
        let x = try input(op, 0)
        let xShape = shape(op.inputs[0]), yShape = shape(op.outputs[0])
        guard xShape.count == 4, yShape.count == 4, xShape[0] == yShape[0], xShape[3] == yShape[3] else {
            throw fail("resize needs 4-D NHWC input and output with equal N and C")
        }
        let size = try int32s(op, 1, "the size")
        guard size == [yShape[1], yShape[2]] else { throw fail("size \(size) does not match the output shape \(yShape)") }
        guard [xShape[1], xShape[2], yShape[1], yShape[2]].allSatisfy({ $0 < 1 << 16 }) else {
            throw fail("resize dimensions beyond 65 535")
        }
        let coordinates: ResizeAttributes.CoordinateMode = alignCorners ? .alignCorners : halfPixelCenters ? .halfPixel : .asymmetric
        let nearest: ResizeAttributes.NearestMode = alignCorners || halfPixelCenters ? .roundPreferCeil : .floor
        let a = ResizeAttributes(mode: bilinear ? .linear : .nearest, coordinates: coordinates, nearest: nearest,
                                 scales: [Double(yShape[1]) / Double(xShape[1]), Double(yShape[2]) / Double(xShape[2])])
        emit(.resize(a), [x], shape: yShape, tensor: op.outputs[0])
    }
}
