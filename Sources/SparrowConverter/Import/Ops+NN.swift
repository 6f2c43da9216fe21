// Neural-network ops: Conv, Gemm/MatMul, BatchNormalization, pooling, ReduceMean, Softmax, Pad.
// Weights are converted to IR layout here (OIHW → OHWI, Gemm B → [out, in]).

extension ONNXImporter {
    /// Spatial padding [top, left, bottom, right] from `pads`/`auto_pad`, for a 2-D window.
    static func spatialPads(_ r: NodeReader, inputHW: [Int], kernel: [Int], strides: [Int],
                            dilations: [Int]) throws(ImportError) -> [Int] {
        let autoPad = try r.string("auto_pad", default: "NOTSET")
        switch autoPad {
        case "NOTSET":
            let pads = try r.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4 else { throw r.attributeError("pads", "must have 4 values for a 2-D window, not \(pads.count)") }
            guard pads.allSatisfy({ $0 >= 0 }) else { throw r.attributeError("pads", "negative padding \(pads) is not supported") }
            guard pads.allSatisfy({ $0 <= ImportLimits.maxWindow }) else {
                throw r.attributeError("pads", "values \(pads) are above \(ImportLimits.maxWindow), more than a Sparrow model holds")
            }
            return pads  // ONNX order [top, left, bottom, right] is already ours
        case "VALID":
            return [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            var begin = [0, 0], end = [0, 0]
            for i in 0..<2 {
                let out = (inputHW[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - inputHW[i])
                let small = total / 2
                begin[i] = autoPad == "SAME_UPPER" ? small : total - small
                end[i] = total - begin[i]
            }
            return [begin[0], begin[1], end[0], end[1]]
        default:
            throw r.attributeError("auto_pad", "value '\(autoPad)' is not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER)")
        }
    }

    static func pairAttribute(_ r: NodeReader, _ name: String, default value: Int) throws(ImportError) -> [Int] {
        let v = try r.ints(name) ?? [value, value]
        guard v.count == 2 else { throw r.attributeError(name, "must have 2 values for a 2-D window, not \(v.count)") }
        guard v.allSatisfy({ $0 >= 1 && $0 <= ImportLimits.maxWindow }) else {
            throw r.attributeError(name, "values \(v) must be in 1...\(ImportLimits.maxWindow)")
        }
        return v
    }

    static func requireImage(_ r: NodeReader, _ a: ActivationRef) throws(ImportError) {
        guard a.rank == 4 else {
            throw r.inputError(0, "has shape \(a.onnxShape); Sparrow supports \(r.opType) on 4-D NCHW tensors (2-D images) only")
        }
    }

    static func importConv(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        try requireImage(r, x)
        let w = try r.constant(1, in: s, what: "the filter")
        guard w.shape.count == 4 else { throw r.inputError(1, "filter shape \(w.shape) is not 4-D [O, I/group, kH, kW]") }
        let bias = try r.optionalConstant(2, in: s, what: "the bias")
        let (n, c, h, wIn) = (x.onnxShape[0], x.onnxShape[1], x.onnxShape[2], x.onnxShape[3])
        let (outC, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        if let ks = try r.ints("kernel_shape"), ks != [kh, kw] {
            throw r.attributeError("kernel_shape", "\(ks) does not match the filter shape \(w.shape)")
        }
        let strides = try pairAttribute(r, "strides", default: 1)
        let dilations = try pairAttribute(r, "dilations", default: 1)
        let pads = try spatialPads(r, inputHW: [h, wIn], kernel: [kh, kw], strides: strides, dilations: dilations)
        let group = try r.int("group", default: 1)
        var attrs = ConvAttributes(strides: strides, dilations: dilations, pads: pads)
        let filter: [Float], filterShape: [Int]
        if group == 1 {
            guard w.shape[1] == c else { throw r.inputError(1, "filter shape \(w.shape) expects \(w.shape[1]) input channels, input has \(c)") }
            filter = TensorLayout.transpose(w.floats, shape: w.shape, perm: [0, 2, 3, 1])
            filterShape = [outC, kh, kw, c]
        } else if group == c && w.shape[1] == 1 && outC % c == 0 {
            // Depthwise: output channel o = ic * multiplier + m, the same order as [1, kh, kw, C*mult].
            attrs.isDepthwise = true
            attrs.depthMultiplier = outC / c
            filter = TensorLayout.transpose(w.floats, shape: w.shape, perm: [1, 2, 3, 0])
            filterShape = [1, kh, kw, outC]
        } else {
            throw r.attributeError("group", "value \(group) is not supported (1, or the input channel count \(c) for depthwise)")
        }
        var biasID = -1
        if let bias {
            guard bias.count == outC else { throw r.inputError(2, "bias has \(bias.count) elements, not \(outC)") }
            biasID = s.addConstant(bias.floats, irShape: [outC], name: r.name + "/bias", quantization: bias.quantization)
        }
        var filterQuant = w.quantization
        if filterQuant?.axis != nil { filterQuant?.axis = attrs.isDepthwise ? 3 : 0 }
        let filterID = s.addConstant(filter, irShape: filterShape, name: r.name + "/filter", quantization: filterQuant)
        let outH = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1
        let outW = (wIn + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1
        guard outH >= 1 && outW >= 1 else { throw r.error(nil, "the output would be empty (\(outH)×\(outW))") }
        let outShape = [n, outC, outH, outW]
        let id = s.emit(.conv(attrs), inputs: [x.id, filterID, biasID], irShape: TensorLayout.irShape(ofONNX: outShape),
                        name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    /// Emits FullyConnected over the last axis of `x` (ONNX layout, rank != 4 or already in ONNX order).
    static func emitFullyConnected(_ s: inout ImportState, _ r: NodeReader, x: ActivationRef, weights: [Float],
                                   outFeatures: Int, bias: [Float]?, quantization: IRQuantization?) -> ActivationRef {
        let inFeatures = x.onnxShape.last ?? 1
        let wID = s.addConstant(weights, irShape: [outFeatures, inFeatures], name: r.name + "/weights", quantization: quantization)
        let bID = bias.map { s.addConstant($0, irShape: [outFeatures], name: r.name + "/bias") } ?? -1
        let outShape = Array(x.onnxShape.dropLast()) + [outFeatures]
        let input = s.toONNXOrder(x, name: r.name + "/to_nchw")
        let id = s.emit(.fullyConnected(.none), inputs: [input, wID, bID], irShape: outShape, name: r.name,
                        outputName: outShape.count == 4 ? nil : r.output)
        return s.fromONNXOrder(id, onnxShape: outShape, name: r.name + "/to_nhwc")
    }

    static func importGemm(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let a = try r.activationInput(0, in: s)
        guard a.rank == 2 else { throw r.inputError(0, "A has shape \(a.onnxShape); Gemm needs a 2-D A") }
        guard try r.int("transA", default: 0) == 0 else {
            throw r.attributeError("transA", "value 1 is not supported on a run-time A (transpose the input first)")
        }
        let b = try r.constant(1, in: s, what: "B (the weights)")
        guard b.shape.count == 2 else { throw r.inputError(1, "B has shape \(b.shape), not 2-D") }
        let transB = try r.int("transB", default: 0) != 0
        let alpha = try r.float("alpha", default: 1)
        let beta = try r.float("beta", default: 1)
        let k = a.onnxShape[1]
        // IR weights are [out, in]: B itself when transB, else Bᵀ.
        var weights = transB ? b.floats : TensorLayout.transpose(b.floats, shape: b.shape, perm: [1, 0])
        let outFeatures = transB ? b.shape[0] : b.shape[1]
        guard (transB ? b.shape[1] : b.shape[0]) == k else {
            throw r.inputError(1, "B has shape \(b.shape), which does not match A's \(k) columns (transB = \(transB ? 1 : 0))")
        }
        if alpha != 1 { weights = weights.map { $0 * alpha } }
        var bias: [Float]? = nil
        var extraAdd: ConstTensor? = nil
        if let c = try r.optionalConstant(2, in: s, what: "C (the bias)") {
            let scaled = c.floats.map { $0 * beta }
            if c.count == outFeatures && (c.shape.count == 1 || c.shape.first == 1) {
                bias = scaled
            } else if c.count == 1 {
                bias = [Float](repeating: scaled[0], count: outFeatures)
            } else {
                guard TensorLayout.broadcastShape(c.shape, [a.onnxShape[0], outFeatures]) == [a.onnxShape[0], outFeatures] else {
                    throw r.inputError(2, "C has shape \(c.shape), which does not broadcast to [\(a.onnxShape[0]), \(outFeatures)]")
                }
                extraAdd = ConstTensor(shape: c.shape, values: scaled.map { Double($0) }, isInteger: false)
            }
        }
        var out = emitFullyConnected(&s, r, x: a, weights: weights, outFeatures: outFeatures, bias: bias,
                                     quantization: transB ? b.quantization : nil)
        if let extraAdd {
            let cID = s.elementwiseConstant(extraAdd, outputRank: 2, name: r.name + "/C")
            out.id = s.emit(.add(.none), inputs: [out.id, cID], irShape: out.onnxShape, name: r.name + "/add_C")
        }
        s.symbols[r.output] = .activation(out)
    }

    static func importMatMul(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        // A run-time B, or a batched (rank > 2) constant one: BatchMatMul. A 2-D constant B is weights.
        switch try r.symbol(1, in: s) {
        case .activation: return try importMatMulOfActivations(&s, r)
        case .constant(let c) where c.shape.count > 2: return try importMatMulOfActivations(&s, r)
        default: break
        }
        let a = try r.activationInput(0, in: s)
        guard a.rank >= 2 else { throw r.inputError(0, "has shape \(a.onnxShape); MatMul needs rank >= 2") }
        let b = try r.constant(1, in: s, what: "the right-hand matrix (weights)")
        guard b.shape.count == 2 else { throw r.inputError(1, "has shape \(b.shape); Sparrow supports a 2-D constant B only") }
        guard b.shape[0] == a.onnxShape.last else {
            throw r.inputError(1, "B has shape \(b.shape), which does not match A's last dimension \(a.onnxShape.last ?? 0)")
        }
        var quant = b.quantization
        if let axis = quant?.axis { quant?.axis = 1 - axis }  // B [K, N] becomes weights [N, K]
        let weights = TensorLayout.transpose(b.floats, shape: b.shape, perm: [1, 0])
        s.symbols[r.output] = .activation(emitFullyConnected(&s, r, x: a, weights: weights, outFeatures: b.shape[1],
                                                             bias: nil, quantization: quant))
    }

    /// BatchNormalization (inference) becomes a per-channel Mul and Add; the passes fold them into
    /// the preceding Conv/FullyConnected when there is one.
    static func importBatchNormalization(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        guard x.rank >= 2 else { throw r.inputError(0, "has shape \(x.onnxShape); BatchNormalization needs rank >= 2") }
        if try r.int("training_mode", default: 0) != 0 {
            throw r.attributeError("training_mode", "value 1 is not supported (inference only)")
        }
        if r.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw r.error("outputs", "running mean/variance outputs are not supported (inference only)")
        }
        let channels = x.onnxShape[1]
        let eps = Double(try r.float("epsilon", default: 1e-5))
        var params: [[Double]] = []
        for (i, what) in [(1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")] {
            let c = try r.constant(i, in: s, what: what)
            guard c.count == channels else { throw r.inputError(i, "\(what) has \(c.count) elements, not \(channels)") }
            params.append(c.values)
        }
        // Computed in float32 like the runtimes the goldens come from: s = γ/√(σ²+ε), t = β − μ·s.
        var scale = [Double](), shift = [Double]()
        for ch in 0..<channels where !(Float(params[3][ch]) + Float(eps) > 0) {
            throw r.inputError(4, "input_var[\(ch)] + epsilon = \(Float(params[3][ch]) + Float(eps)) is not positive")
        }
        for ch in 0..<channels {
            let sc = Float(params[0][ch]) / (Float(params[3][ch]) + Float(eps)).squareRoot()
            scale.append(Double(sc))
            shift.append(Double(Float(params[1][ch]) - Float(params[2][ch]) * sc))
        }
        let constShape = [channels] + [Int](repeating: 1, count: x.rank - 2)
        let scaleID = s.elementwiseConstant(ConstTensor(shape: constShape, values: scale, isInteger: false), outputRank: x.rank,
                                            name: r.name + "/bn_scale")
        let shiftID = s.elementwiseConstant(ConstTensor(shape: constShape, values: shift, isInteger: false), outputRank: x.rank,
                                            name: r.name + "/bn_shift")
        let irShape = TensorLayout.irShape(ofONNX: x.onnxShape)
        let scaled = s.emit(.mul(.none), inputs: [x.id, scaleID], irShape: irShape, name: r.name + "/scale")
        let id = s.emit(.add(.none), inputs: [scaled, shiftID], irShape: irShape, name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: x.onnxShape))
    }

    static func importPool(_ s: inout ImportState, _ r: NodeReader, isMax: Bool) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        try requireImage(r, x)
        if r.node.outputs.count > 1 && !r.node.outputs[1].isEmpty {
            throw r.error("output 1 ('\(r.node.outputs[1])')", "MaxPool indices are not supported")
        }
        guard let kernel = try r.ints("kernel_shape") else { throw r.attributeError("kernel_shape", "is required") }
        guard kernel.count == 2 else { throw r.attributeError("kernel_shape", "must have 2 values for a 2-D window, not \(kernel.count)") }
        guard kernel.allSatisfy({ $0 >= 1 && $0 <= ImportLimits.maxWindow }) else {
            throw r.attributeError("kernel_shape", "values \(kernel) must be in 1...\(ImportLimits.maxWindow)")
        }
        let strides = try pairAttribute(r, "strides", default: 1)
        let dilations = try pairAttribute(r, "dilations", default: 1)
        guard dilations == [1, 1] else { throw r.attributeError("dilations", "value \(dilations) is not supported (only 1)") }
        let (n, c, h, w) = (x.onnxShape[0], x.onnxShape[1], x.onnxShape[2], x.onnxShape[3])
        var pads = try spatialPads(r, inputHW: [h, w], kernel: kernel, strides: strides, dilations: dilations)
        let countIncludePad = isMax ? false : try r.int("count_include_pad", default: 0) != 0
        let ceilMode = try r.int("ceil_mode", default: 0) != 0
        if ceilMode && countIncludePad {
            throw r.attributeError("ceil_mode", "value 1 together with count_include_pad = 1 is not supported")
        }
        var outHW = [0, 0]
        for i in 0..<2 {
            let span = [h, w][i] + pads[i] + pads[i + 2] - kernel[i]
            guard span >= 0 else { throw r.error(nil, "the window \(kernel) is larger than the padded input") }
            var out = span / strides[i] + 1
            if ceilMode {
                out = (span + strides[i] - 1) / strides[i] + 1
                // The last window must start inside the input or its leading padding.
                if (out - 1) * strides[i] >= [h, w][i] + pads[i] { out -= 1 }
                // Extra trailing padding so the IR op sees the ceil-mode output size; padded cells
                // never win a max and are not counted by an average without count_include_pad.
                pads[i + 2] += max(0, (out - 1) * strides[i] + kernel[i] - ([h, w][i] + pads[i] + pads[i + 2]))
            }
            outHW[i] = out
        }
        let attrs = PoolAttributes(kernel: kernel, strides: strides, pads: pads, countIncludePad: countIncludePad)
        let outShape = [n, c, outHW[0], outHW[1]]
        let id = s.emit(isMax ? .maxPool(attrs) : .averagePool(attrs), inputs: [x.id],
                        irShape: TensorLayout.irShape(ofONNX: outShape), name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    static func importGlobalAveragePool(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        try requireImage(r, x)
        let outShape = [x.onnxShape[0], x.onnxShape[1], 1, 1]
        let id = s.emit(.mean(keepDims: true), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: outShape),
                        name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    static func importGlobalMaxPool(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        try requireImage(r, x)
        let outShape = [x.onnxShape[0], x.onnxShape[1], 1, 1]
        let attrs = PoolAttributes(kernel: [x.onnxShape[2], x.onnxShape[3]], strides: [1, 1])
        let id = s.emit(.maxPool(attrs), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: outShape),
                        name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    static func importReduceMean(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        let axes: [Int]?
        if r.opset < 18 {
            axes = try r.ints("axes")
        } else {
            axes = try r.optionalConstant(1, in: s, what: "axes")?.ints
        }
        let keepDims = try r.int("keepdims", default: 1) != 0
        var normalized = Set<Int>()
        for a in axes ?? Array(0..<x.rank) { normalized.insert(try r.axis(a, rank: x.rank, attribute: "axes")) }
        let noopWithEmptyAxes = try r.int("noop_with_empty_axes", default: 0) != 0
        if axes?.isEmpty == true && noopWithEmptyAxes {
            s.symbols[r.output] = .activation(x)
            return
        }
        guard x.rank == 4 && normalized == [2, 3] else {
            // Any other axes (e.g. tf2onnx's ReduceMean over [1, 2] of an NHWC tensor).
            s.symbols[r.output] = .activation(try s.meanOverAxes(x, axes: normalized, keepDims: keepDims, r))
            return
        }
        let outShape = keepDims ? [x.onnxShape[0], x.onnxShape[1], 1, 1] : [x.onnxShape[0], x.onnxShape[1]]
        let id = s.emit(.mean(keepDims: keepDims), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: outShape),
                        name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    /// Softmax, or LogSoftmax with `logarithm` (the same axis rules).
    static func importSoftmax(_ s: inout ImportState, _ r: NodeReader, logarithm: Bool = false) throws(ImportError) {
        let op: IROp = logarithm ? .logSoftmax : .softmax
        let x = try r.activationInput(0, in: s)
        let rank = x.rank
        guard rank >= 1 else { throw r.inputError(0, "is a scalar") }
        let axis = try r.axis(r.int("axis", default: r.opset < 13 ? 1 : -1), rank: rank, attribute: "axis")
        let trailing = x.onnxShape[(axis + 1)...].reduce(1, *)
        if r.opset < 13 && axis != rank - 1 && trailing != 1 {
            // Opset < 13 softmax runs over the flattened dimensions [axis, rank).
            let flat = s.reshape(x, to: [x.onnxShape[..<axis].reduce(1, *), x.onnxShape[axis...].reduce(1, *)], name: r.name + "/flatten")
            let id = s.emit(op, inputs: [flat.id], irShape: flat.onnxShape, name: r.name)
            s.symbols[r.output] = .activation(s.reshape(ActivationRef(id: id, onnxShape: flat.onnxShape), to: x.onnxShape, name: r.name + "/unflatten"))
            return
        }
        let irShape = TensorLayout.irShape(ofONNX: x.onnxShape)
        let irAxis = rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC)[axis] : axis
        if irAxis == rank - 1 {
            let id = s.emit(op, inputs: [x.id], irShape: irShape, name: r.name, outputName: r.output)
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: x.onnxShape))
            return
        }
        // Move the axis last, softmax, move it back.
        var perm = Array(0..<rank)
        perm.remove(at: irAxis)
        perm.append(irAxis)
        let moved = s.layoutChange(x.id, from: irShape, perm: perm, name: r.name + "/axis_last")
        let movedShape = TensorLayout.permute(irShape, perm)
        let soft = s.emit(op, inputs: [moved], irShape: movedShape, name: r.name)
        let back = s.layoutChange(soft, from: movedShape, perm: TensorLayout.inverse(perm), name: r.name + "/axis_back")
        s.symbols[r.output] = .activation(ActivationRef(id: back, onnxShape: x.onnxShape))
    }

    /// ArgMax / ArgMin (`isMin`: ArgMax of the negated input, a lookup table) with int64 indices.
    /// The result must be a graph output (ImportState.indexValues); it is computed in the ONNX
    /// element order: directly over NHWC for the channel axis of a 4-D tensor, whose other axes
    /// keep their order, and after a transpose to NCHW for the other axes of a 4-D tensor.
    static func importArgMax(_ s: inout ImportState, _ r: NodeReader, isMin: Bool) throws(ImportError) {
        var x = try r.activationInput(0, in: s)
        let rank = x.rank
        guard rank >= 1 else { throw r.inputError(0, "is a scalar") }
        let axis = try r.axis(r.int("axis", default: 0), rank: rank, attribute: "axis")
        let keepDims = try r.require("keepdims", in: [0, 1], default: 1) == 1
        let selectLast = try r.require("select_last_index", in: [0, 1], default: 0) == 1
        var outShape = x.onnxShape
        if keepDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        if isMin {
            let id = s.emit(.unary(.neg), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: x.onnxShape), name: r.name + "/negate")
            x = ActivationRef(id: id, onnxShape: x.onnxShape)
        }
        var input = x.id, irAxis = axis
        if rank == 4 {
            if axis == 1 {
                irAxis = 3
            } else {
                input = s.toONNXOrder(x, name: r.name + "/to_onnx_order")
            }
        }
        let id = s.emit(.argMax(axis: irAxis, selectLast: selectLast), inputs: [input], irShape: outShape, name: r.name,
                        outputName: r.output)
        s.indexValues.insert(id)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    static func importPad(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        let mode = try r.string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else {
            throw r.attributeError("mode", "value '\(mode)' is not supported (constant, reflect, edge)")
        }
        var pads: [Int]
        var value: Float = 0
        if r.opset < 11 {
            pads = try r.ints("pads") ?? []
            value = try r.float("value", default: 0)
        } else {
            pads = try r.constant(1, in: s, what: "pads").ints
            if let v = try r.optionalConstant(2, in: s, what: "constant_value") {
                guard v.count == 1 else { throw r.inputError(2, "constant_value must be a scalar") }
                value = Float(v.values[0])
            }
        }
        let rank = x.rank
        var axes = Array(0..<rank)
        if r.opset >= 18, let a = try r.optionalConstant(3, in: s, what: "axes") {
            axes = []
            for v in a.ints { axes.append(try r.axis(v, rank: rank, attribute: "axes")) }
        }
        guard pads.count == 2 * axes.count else {
            throw r.inputError(1, "pads has \(pads.count) values; expected \(2 * axes.count)")
        }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw r.inputError(1, "negative pads \(pads) (cropping) are not supported") }
        var before = [Int](repeating: 0, count: rank), after = [Int](repeating: 0, count: rank)
        for (k, axis) in axes.enumerated() {
            before[axis] = pads[k]
            after[axis] = pads[k + axes.count]
        }
        let outShape = (0..<rank).map { x.onnxShape[$0] + before[$0] + after[$0] }
        if mode != "constant" {
            // Edge and reflect padding are index tables along each padded axis: a Gather each.
            var repeats: [[Int]] = []
            for a in 0..<rank {
                let n = x.onnxShape[a]
                guard before[a] > 0 || after[a] > 0 else { repeats.append([]); continue }
                if mode == "reflect" {
                    guard before[a] < n, after[a] < n else {
                        throw r.inputError(1, "reflect padding \(before[a]), \(after[a]) must be below the axis size \(n)")
                    }
                    repeats.append((0..<before[a]).map { before[a] - $0 } + Array(0..<n) + (0..<after[a]).map { n - 2 - $0 })
                } else {
                    repeats.append([Int](repeating: 0, count: before[a]) + Array(0..<n) + [Int](repeating: n - 1, count: after[a]))
                }
            }
            try emitRepeats(&s, r, x, repeats)
            return
        }
        if rank == 4 {
            before = TensorLayout.permute(before, TensorLayout.nchwToNHWC)
            after = TensorLayout.permute(after, TensorLayout.nchwToNHWC)
        }
        let id = s.emit(.pad(before: before, after: after, value: value), inputs: [x.id],
                        irShape: TensorLayout.irShape(ofONNX: outShape), name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }
}

extension ONNXImporter {
    /// Resize (opset 10+) and Upsample (opset 7/9) of a 4-D NCHW activation over H and W,
    /// nearest or (bi)linear; scales or sizes given as constants. Opset < 11 (and Upsample) use
    /// asymmetric coordinates with floor for nearest, as onnxruntime does.
    static func importResize(_ s: inout ImportState, _ r: NodeReader, isUpsample: Bool) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        guard x.rank == 4 else { throw r.inputError(0, "rank \(x.rank); only 4-D (N,C,H,W) resize is supported") }
        let modeName = try r.string("mode", default: "nearest")
        let mode: ResizeAttributes.Mode
        switch modeName {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        default: throw r.attributeError("mode", "value '\(modeName)' is not supported (nearest, linear)")
        }
        let legacy = isUpsample || r.opset < 11
        var coordinates = ResizeAttributes.CoordinateMode.asymmetric, nearest = ResizeAttributes.NearestMode.floor
        if !legacy {
            let c = try r.string("coordinate_transformation_mode", default: "half_pixel")
            guard let cm = ResizeAttributes.CoordinateMode(rawValue: c) else {
                throw r.attributeError("coordinate_transformation_mode", "value '\(c)' is not supported "
                                       + "(half_pixel, asymmetric, align_corners, pytorch_half_pixel)")
            }
            let n = try r.string("nearest_mode", default: "round_prefer_floor")
            guard let nm = ResizeAttributes.NearestMode(rawValue: n) else {
                throw r.attributeError("nearest_mode", "value '\(n)' is not supported")
            }
            coordinates = cm
            nearest = nm
            guard try r.int("antialias", default: 0) == 0 else { throw r.attributeError("antialias", "antialias = 1 is not supported") }
            let policy = try r.string("keep_aspect_ratio_policy", default: "stretch")
            guard policy == "stretch" else {
                throw r.attributeError("keep_aspect_ratio_policy", "value '\(policy)' is not supported (only 'stretch')")
            }
        }
        // Scales and sizes per ONNX axis (opset 18's `axes` names the axes they cover).
        var axes = Array(0..<4)
        if let a = try r.ints("axes") { axes = []; for v in a { axes.append(try r.axis(v, rank: 4, attribute: "axes")) } }
        var scales: [Double]? = nil, sizes: [Int]? = nil
        if isUpsample && r.opset < 9 {
            guard let attr = r.node.attributes["scales"]?.floats else { throw r.attributeError("scales", "is required (FLOATS)") }
            scales = attr.map(Double.init)
        } else {
            let scalesInput = legacy ? 1 : 2
            if let c = try r.optionalConstant(scalesInput, in: s, what: "scales"), c.count > 0 { scales = c.values }
            if !legacy, let c = try r.optionalConstant(3, in: s, what: "sizes"), c.count > 0 { sizes = c.ints }
        }
        var full = [Double](repeating: 1, count: 4), outShape = x.onnxShape
        if let sizes {
            guard sizes.count == axes.count else { throw r.inputError(3, "sizes has \(sizes.count) values for \(axes.count) axes") }
            for (k, a) in axes.enumerated() {
                outShape[a] = sizes[k]
                full[a] = Double(sizes[k]) / Double(x.onnxShape[a])
            }
        } else if let scales {
            guard scales.count == axes.count else {
                throw r.inputError(legacy ? 1 : 2, "scales has \(scales.count) values for \(axes.count) axes")
            }
            for (k, a) in axes.enumerated() {
                guard scales[k] > 0, scales[k].isFinite else { throw r.inputError(legacy ? 1 : 2, "scale \(scales[k]) must be > 0") }
                full[a] = scales[k]
                let size = (Double(x.onnxShape[a]) * scales[k]).rounded(.down)
                guard size <= Double(ImportLimits.maxValue) else {
                    throw r.inputError(legacy ? 1 : 2, "scale \(scales[k]) makes axis \(a) \(size) long, above \(ImportLimits.maxValue)")
                }
                outShape[a] = Int(size)
            }
        } else {
            throw r.inputError(legacy ? 1 : 2, "neither scales nor sizes is given")
        }
        guard outShape[0] == x.onnxShape[0], outShape[1] == x.onnxShape[1] else {
            throw r.error(nil, "resizes the batch or channel axis (output \(outShape) from \(x.onnxShape)); only H and W may change")
        }
        guard outShape[2] >= 1, outShape[3] >= 1 else { throw r.error(nil, "output shape \(outShape) is empty") }
        if legacy && mode == .nearest && (full[2] < 1 || full[3] < 1) {
            throw r.error(nil, "nearest downsampling with opset < 11 (Upsample) is not supported")
        }
        let attrs = ResizeAttributes(mode: mode, coordinates: coordinates, nearest: nearest, scales: [full[2], full[3]])
        let id = s.emit(.resize(attrs), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: outShape), name: r.name,
                        outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }
}

extension ONNXImporter {
    /// ConvTranspose on a 4-D NCHW activation, group 1 or depthwise (group = input channels), any
    /// stride, dilation, pads and output_padding. The ONNX filter [inC, outC/group, kh, kw] becomes
    /// the conv layouts (OHWI, or [1, kh, kw, C·mult]) without flipping (IROp.convTranspose).
    static func importConvTranspose(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        try requireImage(r, x)
        let w = try r.constant(1, in: s, what: "the filter")
        guard w.shape.count == 4 else { throw r.inputError(1, "filter shape \(w.shape) is not 4-D [I, O/group, kH, kW]") }
        let bias = try r.optionalConstant(2, in: s, what: "the bias")
        let (n, c, h, wIn) = (x.onnxShape[0], x.onnxShape[1], x.onnxShape[2], x.onnxShape[3])
        let (kh, kw) = (w.shape[2], w.shape[3])
        if let ks = try r.ints("kernel_shape"), ks != [kh, kw] {
            throw r.attributeError("kernel_shape", "\(ks) does not match the filter shape \(w.shape)")
        }
        guard w.shape[0] == c else { throw r.inputError(1, "filter shape \(w.shape) expects \(w.shape[0]) input channels, input has \(c)") }
        let strides = try pairAttribute(r, "strides", default: 1)
        let dilations = try pairAttribute(r, "dilations", default: 1)
        let outputPadding = try r.ints("output_padding") ?? [0, 0]
        guard outputPadding.count == 2, outputPadding.allSatisfy({ $0 >= 0 }),
              (0..<2).allSatisfy({ outputPadding[$0] < max(strides[$0], dilations[$0]) }) else {
            throw r.attributeError("output_padding", "\(outputPadding) must be 2 values, each below the stride or dilation")
        }
        guard !r.has("output_shape") else {
            throw r.attributeError("output_shape", "is not supported; give pads and output_padding instead")
        }
        let autoPad = try r.string("auto_pad", default: "NOTSET")
        guard autoPad == "NOTSET" || autoPad == "VALID" else {
            throw r.attributeError("auto_pad", "value '\(autoPad)' is not supported (NOTSET with explicit pads, or VALID)")
        }
        let pads = autoPad == "VALID" ? [0, 0, 0, 0] : (try r.ints("pads") ?? [0, 0, 0, 0])
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw r.attributeError("pads", "\(pads) must be 4 values >= 0") }
        let group = try r.int("group", default: 1)
        var attrs = ConvAttributes(strides: strides, dilations: dilations, pads: pads)
        let filter: [Float], filterShape: [Int], outC: Int
        if group == 1 {
            outC = w.shape[1]
            // [I, O, kh, kw] -> [O, kh, kw, I]
            filter = TensorLayout.transpose(w.floats, shape: w.shape, perm: [1, 2, 3, 0])
            filterShape = [outC, kh, kw, c]
        } else if group == c && c > 1 {
            // Depthwise: output channel ic·mult + m reads input channel ic; [C, mult, kh, kw] -> [kh, kw, C·mult].
            attrs.isDepthwise = true
            attrs.depthMultiplier = w.shape[1]
            outC = c * w.shape[1]
            filter = TensorLayout.transpose(w.floats, shape: w.shape, perm: [2, 3, 0, 1])
            filterShape = [1, kh, kw, outC]
        } else {
            throw r.attributeError("group", "value \(group) is not supported (1, or the input channel count \(c) for depthwise)")
        }
        var biasID = -1
        if let bias {
            guard bias.count == outC else { throw r.inputError(2, "bias has \(bias.count) elements, not \(outC)") }
            biasID = s.addConstant(bias.floats, irShape: [outC], name: r.name + "/bias", quantization: bias.quantization)
        }
        // A QDQ model's filter scales are not carried over (their axis is ONNX's output axis 1):
        // the lowering quantizes the filter per output channel itself.
        let filterID = s.addConstant(filter, irShape: filterShape, name: r.name + "/filter")
        let outH = (h - 1) * strides[0] + dilations[0] * (kh - 1) + 1 - pads[0] - pads[2] + outputPadding[0]
        let outW = (wIn - 1) * strides[1] + dilations[1] * (kw - 1) + 1 - pads[1] - pads[3] + outputPadding[1]
        guard outH >= 1 && outW >= 1 else { throw r.error(nil, "the output would be empty (\(outH)×\(outW))") }
        let outShape = [n, outC, outH, outW]
        let id = s.emit(.convTranspose(attrs), inputs: [x.id, filterID, biasID], irShape: TensorLayout.irShape(ofONNX: outShape),
                        name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }
}

extension ONNXImporter {
    /// Conv, ConvTranspose and pooling on a 3-D [N, C, L] activation (1-D signals) run as their
    /// 2-D form with H = 1: the input gains a unit axis 2, a 3-D filter gains a unit kernel row, the
    /// 1-D attributes gain a leading (H) entry (kernel 1, stride 1, dilation 1, no padding), and the
    /// [N, C', 1, L'] result is reshaped back. Any other rank goes to `handler` unchanged.
    static func importLifting1D(_ s: inout ImportState, _ r: NodeReader,
                                _ handler: (inout ImportState, NodeReader) throws -> Void) throws {
        guard case .activation(let x) = try r.symbol(0, in: s), x.rank == 3 else {
            try handler(&s, r)
            return
        }
        var node = r.node
        let x4 = s.reshape(x, to: [x.onnxShape[0], x.onnxShape[1], 1, x.onnxShape[2]], name: r.name + "/as_2d")
        node.inputs[0] = r.name + "/as_2d"
        s.symbols[node.inputs[0]] = .activation(x4)
        if r.hasInput(1), case .constant(var w) = try r.symbol(1, in: s) {
            guard w.shape.count == 3 else { throw r.inputError(1, "filter shape \(w.shape) is not 3-D for a 1-D input") }
            w.shape.insert(1, at: 2)
            node.inputs[1] = r.name + "/filter_2d"
            s.symbols[node.inputs[1]] = .constant(w)
        }
        for (name, lead) in [("kernel_shape", [Int64(1)]), ("strides", [1]), ("dilations", [1]), ("output_padding", [0])] {
            if case .ints(let v)? = node.attributes[name] { node.attributes[name] = .ints(lead + v) }
        }
        if case .ints(let v)? = node.attributes["pads"] {
            guard v.count == 2 else { throw r.attributeError("pads", "\(v) must have 2 values for a 1-D window") }
            node.attributes["pads"] = .ints([0, v[0], 0, v[1]])
        }
        let output = r.output
        guard !node.outputs.isEmpty else { throw r.error(nil, "has no output") }
        node.outputs[0] = r.name + "/out_2d"
        try handler(&s, NodeReader(node: node, index: r.index, opset: r.opset))
        guard case .activation(let y4)? = s.symbols[node.outputs[0]], y4.rank == 4 else {
            throw r.error(nil, "the 2-D form of this 1-D operator produced no 4-D activation")
        }
        s.symbols[output] = .activation(s.reshape(y4, to: [y4.onnxShape[0], y4.onnxShape[1], y4.onnxShape[3]],
                                                  name: r.name + "/as_1d"))
    }
}
