// Constant and shape ops: folded when their inputs are constants (the shape subgraphs exporters
// emit), and turned into IR reshapes/transposes/concats when they act on run-time tensors.
import SparrowONNX

extension ONNXImporter {
    static func importConstant(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let a = r.node.attributes
        let c: ConstTensor
        if let t = a["value"]?.tensor {
            c = try ImportState.constant(from: t, node: r.name, opType: r.opType, subject: "attribute 'value'")
        } else if let v = a["value_float"]?.float {
            c = ConstTensor(shape: [], values: [Double(v)], isInteger: false)
        } else if let v = a["value_floats"]?.floats {
            c = ConstTensor(shape: [v.count], values: v.map { Double($0) }, isInteger: false)
        } else if let v = a["value_int"]?.int {
            c = ConstTensor(shape: [], values: [Double(v)], isInteger: true)
        } else if let v = a["value_ints"]?.ints {
            c = ConstTensor(shape: [v.count], values: v.map { Double($0) }, isInteger: true)
        } else {
            let name = a.keys.sorted().first ?? "value"
            throw r.attributeError(name, "is not supported (Sparrow reads value, value_float(s), value_int(s))")
        }
        s.symbols[r.output] = .constant(c)
    }

    static func importConstantOfShape(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let shape = try r.constant(0, in: s, what: "the shape").ints
        var fill = ConstTensor(shape: [1], values: [0], isInteger: false)
        if let t = r.node.attributes["value"]?.tensor {
            fill = try ImportState.constant(from: t, node: r.name, opType: r.opType, subject: "attribute 'value'")
        }
        guard fill.count == 1 else { throw r.attributeError("value", "must hold one element, not \(fill.count)") }
        if let problem = ImportLimits.shapeProblem(shape, limit: ImportLimits.maxFoldedElements) { throw r.inputError(0, problem) }
        let count = ImportLimits.elementCount(shape) ?? 0
        s.symbols[r.output] = .constant(ConstTensor(shape: shape, values: [Double](repeating: fill.values[0], count: count),
                                                    isInteger: fill.isInteger))
    }

    static func onnxShape(_ symbol: Symbol) -> [Int] {
        switch symbol {
        case .constant(let c): return c.shape
        case .activation(let a): return a.onnxShape
        }
    }

    static func importShape(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let shape = onnxShape(try r.symbol(0, in: s))
        let rank = shape.count
        func clampAxis(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
        let start = clampAxis(try r.int("start", default: 0))
        let end = clampAxis(try r.int("end", default: rank))
        let dims = start < end ? Array(shape[start..<end]) : []
        s.symbols[r.output] = .constant(ConstTensor(shape: [dims.count], values: dims.map { Double($0) }, isInteger: true))
    }

    static func importSize(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let shape = onnxShape(try r.symbol(0, in: s))
        s.symbols[r.output] = .constant(ConstTensor(shape: [], values: [Double(shape.reduce(1, *))], isInteger: true))
    }

    static func importGather(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        if case .activation(let x) = try r.symbol(0, in: s) {
            try importRuntimeGather(&s, r, x)
            return
        }
        let data = try r.constant(0, in: s, what: "Gather data")
        let indices = try r.constant(1, in: s, what: "Gather indices")
        let rank = data.shape.count
        guard rank >= 1 else { throw r.inputError(0, "must have rank >= 1") }
        let axis = try r.axis(r.int("axis", default: 0), rank: rank, attribute: "axis")
        let outer = data.shape[..<axis].reduce(1, *)
        let inner = data.shape[(axis + 1)...].reduce(1, *)
        let n = data.shape[axis]
        var values: [Double] = []
        for o in 0..<outer {
            for rawIndex in indices.ints {
                let i = rawIndex < 0 ? rawIndex + n : rawIndex
                guard i >= 0 && i < n else { throw r.inputError(1, "index \(rawIndex) is out of range for axis size \(n)") }
                let base = (o * n + i) * inner
                values.append(contentsOf: data.values[base..<(base + inner)])
            }
        }
        let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
        s.symbols[r.output] = .constant(ConstTensor(shape: shape, values: values, isInteger: data.isInteger))
    }

    /// ONNX Slice's starts/ends/axes/steps (attributes before opset 10, inputs after) as a first
    /// index, a step and a count per axis of a tensor of `shape`.
    static func sliceWindow(_ s: ImportState, _ r: NodeReader, shape: [Int]) throws(ImportError)
        -> (begin: [Int], step: [Int], outShape: [Int]) {
        let rank = shape.count
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if r.opset < 10 {
            starts = try r.saturatedInts("starts") ?? []
            ends = try r.saturatedInts("ends") ?? []
            axes = try r.ints("axes")
            steps = nil
        } else {
            starts = try r.constant(1, in: s, what: "starts").ints
            ends = try r.constant(2, in: s, what: "ends").ints
            axes = try r.optionalConstant(3, in: s, what: "axes")?.ints
            steps = try r.optionalConstant(4, in: s, what: "steps")?.ints
        }
        let axisList = axes ?? Array(0..<starts.count)
        let stepList = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count else {
            throw r.error(nil, "starts, ends, axes and steps must have the same length")
        }
        var begin = [Int](repeating: 0, count: rank)
        var step = [Int](repeating: 1, count: rank)
        var outShape = shape
        for k in 0..<starts.count {
            let axis = try r.axis(axisList[k], rank: rank, attribute: "axes")
            let dim = shape[axis]
            let st = stepList[k]
            guard st != 0 else { throw r.error("steps", "a step of 0 is not allowed") }
            var b = starts[k] < 0 ? starts[k] + dim : starts[k]
            var e = ends[k] < 0 ? ends[k] + dim : ends[k]
            if st > 0 {
                b = min(max(b, 0), dim); e = min(max(e, 0), dim)
                outShape[axis] = max(0, (e - b + st - 1) / st)
            } else {
                b = min(max(b, 0), dim - 1); e = min(max(e, -1), dim - 1)
                outShape[axis] = max(0, (b - e + (-st) - 1) / (-st))
            }
            begin[axis] = b
            step[axis] = st
        }
        return (begin, step, outShape)
    }

    /// A strided slice of an activation (ONNX layout `begin`/`step`/`outShape`), in the IR layout.
    static func emitSlice(_ s: inout ImportState, _ r: NodeReader, _ x: ActivationRef, begin: [Int], step: [Int],
                          outShape: [Int], outputName: String) throws(ImportError) {
        guard outShape.allSatisfy({ $0 >= 1 }) else { throw r.error(nil, "the slice of \(x.onnxShape) is empty (\(outShape))") }
        let four = x.rank == 4
        let irBegin = four ? TensorLayout.permute(begin, TensorLayout.nchwToNHWC) : begin
        let irStep = four ? TensorLayout.permute(step, TensorLayout.nchwToNHWC) : step
        let id = s.emit(.slice(begin: irBegin, step: irStep), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: outShape),
                        name: r.name + (outputName == r.output ? "" : "/" + outputName), outputName: outputName)
        s.symbols[outputName] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    /// Slice: folded when the data is a constant, else a strided-slice operator on the activation.
    static func importSlice(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        if case .activation(let x) = try r.symbol(0, in: s) {
            let (begin, step, outShape) = try sliceWindow(s, r, shape: x.onnxShape)
            try emitSlice(&s, r, x, begin: begin, step: step, outShape: outShape, outputName: r.output)
            return
        }
        let data = try r.constant(0, in: s, what: "Slice data")
        let rank = data.shape.count
        let (begin, step, outShape) = try sliceWindow(s, r, shape: data.shape)
        let inStrides = TensorLayout.strides(data.shape)
        let count = outShape.reduce(1, *)
        var values: [Double] = []
        values.reserveCapacity(count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<count {
            var offset = 0
            for a in 0..<rank { offset += (begin[a] + index[a] * step[a]) * inStrides[a] }
            values.append(data.values[offset])
            var a = rank - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < outShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        s.symbols[r.output] = .constant(ConstTensor(shape: outShape, values: values, isInteger: data.isInteger))
    }

    static func importCast(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let to = try r.int("to")
        guard let type = ONNXDataType(rawValue: Int32(truncatingIfNeeded: to)) else {
            throw r.attributeError("to", "value \(to) is not an ONNX data type")
        }
        let isFloat = [.float, .double, .float16, .bfloat16].contains(type)
        let isInt = [.int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .bool].contains(type)
        switch try r.symbol(0, in: s) {
        case .constant(var c):
            if isFloat {
                c.values = c.values.map { Double(Float($0)) }
                c.isInteger = false
            } else if isInt {
                c.values = c.values.map { type == .bool ? ($0 != 0 ? 1 : 0) : $0.rounded(.towardZero) }
                c.isInteger = true
            } else {
                throw r.attributeError("to", "value \(type.name) is not supported")
            }
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            // Activations are float32; a cast to another float type changes nothing Sparrow models.
            guard isFloat else {
                throw r.attributeError("to", "value \(type.name) is not supported on a run-time tensor (only float casts)")
            }
            s.symbols[r.output] = .activation(a)
        }
    }

    /// Axes for Squeeze/Unsqueeze: an attribute before opset 13, an input from 13.
    static func squeezeAxes(_ s: ImportState, _ r: NodeReader) throws(ImportError) -> [Int]? {
        if r.opset < 13 { return try r.ints("axes") }
        return try r.optionalConstant(1, in: s, what: "axes")?.ints
    }

    static func reshapeSymbol(_ s: inout ImportState, _ r: NodeReader, _ symbol: Symbol, to shape: [Int]) {
        switch symbol {
        case .constant(var c):
            c.shape = shape
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            s.symbols[r.output] = .activation(s.reshape(a, to: shape, name: r.name))
        }
    }

    static func importUnsqueeze(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let input = try r.symbol(0, in: s)
        guard let axes = try squeezeAxes(s, r) else { throw r.attributeError("axes", "is required") }
        let inShape = onnxShape(input)
        let outRank = inShape.count + axes.count
        var normalized: [Int] = []
        for a in axes { normalized.append(try r.axis(a, rank: outRank, attribute: "axes")) }
        var out: [Int] = []
        var source = inShape.makeIterator()
        for i in 0..<outRank { out.append(normalized.contains(i) ? 1 : (source.next() ?? 1)) }
        reshapeSymbol(&s, r, input, to: out)
    }

    static func importSqueeze(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let input = try r.symbol(0, in: s)
        let inShape = onnxShape(input)
        var out: [Int] = []
        if let axes = try squeezeAxes(s, r), !axes.isEmpty {
            var normalized: [Int] = []
            for a in axes {
                let axis = try r.axis(a, rank: inShape.count, attribute: "axes")
                guard inShape[axis] == 1 else { throw r.attributeError("axes", "axis \(a) has size \(inShape[axis]), not 1") }
                normalized.append(axis)
            }
            for (i, d) in inShape.enumerated() where !normalized.contains(i) { out.append(d) }
        } else {
            out = inShape.filter { $0 != 1 }
        }
        reshapeSymbol(&s, r, input, to: out)
    }

    static func importConcat(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        var inputs: [Symbol] = []
        for i in 0..<r.inputCount where r.hasInput(i) { inputs.append(try r.symbol(i, in: s)) }
        guard let first = inputs.first else { throw r.error(nil, "has no inputs") }
        let rank = onnxShape(first).count
        let axis = try r.axis(r.int("axis"), rank: rank, attribute: "axis")
        var outShape = onnxShape(first)
        outShape[axis] = 0
        for input in inputs {
            let shape = onnxShape(input)
            guard shape.count == rank else { throw r.error(nil, "inputs have different ranks") }
            for d in 0..<rank where d != axis && shape[d] != outShape[d] {
                throw r.error(nil, "input shapes \(inputs.map(onnxShape)) differ outside axis \(axis)")
            }
            outShape[axis] += shape[axis]
        }
        let constants = inputs.compactMap { if case .constant(let c) = $0 { return c } else { return nil } }
        if constants.count == inputs.count {
            // Fold: interleave the per-outer-index blocks of each input.
            let outer = outShape[..<axis].reduce(1, *)
            var values: [Double] = []
            for o in 0..<outer {
                for c in constants {
                    let block = c.shape[axis...].reduce(1, *)
                    values.append(contentsOf: c.values[(o * block)..<((o + 1) * block)])
                }
            }
            s.symbols[r.output] = .constant(ConstTensor(shape: outShape, values: values,
                                                        isInteger: constants.allSatisfy(\.isInteger)))
            return
        }
        var ids: [Int] = []
        for input in inputs {
            if case .constant(let c) = input, c.count == 0 { continue }  // empty pieces contribute nothing
            ids.append(s.activation(input, name: r.name + "/const").id)
        }
        let irAxis = rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC)[axis] : axis
        let id = s.emit(.concat(axis: irAxis), inputs: ids, irShape: TensorLayout.irShape(ofONNX: outShape), name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    /// ONNX Reshape's shape spec: 0 copies the input dimension (unless allowzero), -1 is inferred.
    static func resolveReshape(_ r: NodeReader, input: [Int], spec: [Int], allowZero: Bool) throws(ImportError) -> [Int] {
        var out = spec
        var inferred: Int? = nil
        for (i, d) in spec.enumerated() {
            if d == 0 && !allowZero {
                guard i < input.count else { throw r.inputError(1, "shape \(spec) copies dimension \(i), which the input \(input) lacks") }
                out[i] = input[i]
            } else if d == -1 {
                guard inferred == nil else { throw r.inputError(1, "shape \(spec) has more than one -1") }
                inferred = i
            } else if d < 0 {
                throw r.inputError(1, "shape \(spec) has an invalid dimension \(d)")
            }
        }
        let total = input.reduce(1, *)  // the input's shape passed ImportLimits
        for (i, d) in out.enumerated() where i != inferred && d > ImportLimits.maxValue {
            throw r.inputError(1, "shape \(spec) has dimension \(d), more than a Sparrow model can hold")
        }
        if let i = inferred {
            let knownDims = out.enumerated().filter { $0.offset != i }.map(\.element)
            guard let known = ImportLimits.elementCount(knownDims), known > 0, total % known == 0 else {
                throw r.inputError(1, "shape \(spec) is not compatible with input shape \(input)")
            }
            out[i] = total / known
        }
        guard ImportLimits.elementCount(out) == total else {
            throw r.inputError(1, "shape \(spec) (\(out)) does not hold the \(total) elements of input shape \(input)")
        }
        return out
    }

    static func importReshape(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let input = try r.symbol(0, in: s)
        let spec: [Int]
        if r.opset < 5 {
            spec = try r.ints("shape") ?? []
        } else {
            spec = try r.constant(1, in: s, what: "the target shape").ints
        }
        let allowZero = try r.int("allowzero", default: 0) != 0
        let shape = try resolveReshape(r, input: onnxShape(input), spec: spec, allowZero: allowZero)
        reshapeSymbol(&s, r, input, to: shape)
    }

    static func importFlatten(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let input = try r.symbol(0, in: s)
        let shape = onnxShape(input)
        var axis = try r.int("axis", default: 1)
        if axis < 0 { axis += shape.count }
        guard axis >= 0 && axis <= shape.count else {
            throw r.attributeError("axis", "value \(axis) is out of range for rank \(shape.count)")
        }
        reshapeSymbol(&s, r, input, to: [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)])
    }

    static func importTranspose(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let input = try r.symbol(0, in: s)
        let shape = onnxShape(input)
        let rank = shape.count
        let perm = try r.ints("perm") ?? Array((0..<rank).reversed())
        guard perm.sorted() == Array(0..<rank) else {
            throw r.attributeError("perm", "\(perm) is not a permutation of 0..<\(rank)")
        }
        let outShape = TensorLayout.permute(shape, perm)
        switch input {
        case .constant(var c):
            c.values = TensorLayout.transpose(c.values, shape: c.shape, perm: perm)
            c.shape = outShape
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            var irPerm = perm
            if rank == 4 {
                // IR out axis i = ONNX out axis P[i] = ONNX in axis perm[P[i]] = IR in axis Pinv[perm[P[i]]].
                let p = TensorLayout.nchwToNHWC, pinv = TensorLayout.inverse(p)
                irPerm = (0..<4).map { pinv[perm[p[$0]]] }
            }
            let id = s.layoutChange(a.id, from: TensorLayout.irShape(ofONNX: shape), perm: irPerm, name: r.name)
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
        }
    }

    static func importRange(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let start = try r.constant(0, in: s, what: "start")
        let limit = try r.constant(1, in: s, what: "limit")
        let delta = try r.constant(2, in: s, what: "delta")
        guard start.count == 1, limit.count == 1, delta.count == 1, delta.values[0] != 0 else {
            throw r.error(nil, "start, limit and delta must be scalars and delta non-zero")
        }
        let steps = ((limit.values[0] - start.values[0]) / delta.values[0]).rounded(.up)
        guard steps.isFinite, steps <= Double(ImportLimits.maxFoldedElements) else {
            throw r.error(nil, "start \(start.values[0]), limit \(limit.values[0]) and delta \(delta.values[0]) give "
                          + "\(steps) elements, more than a Sparrow model can hold")
        }
        let n = max(0, Int(steps))
        let values = (0..<n).map { start.values[0] + Double($0) * delta.values[0] }
        s.symbols[r.output] = .constant(ConstTensor(shape: [n], values: values, isInteger: start.isInteger))
    }

    static func importExpand(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        if case .activation(let x) = try r.symbol(0, in: s) {
            let shape = try r.constant(1, in: s, what: "the shape").ints
            let raised = s.raiseRank(x, to: shape.count, name: r.name + "/rank")
            guard let out = TensorLayout.broadcastShape(raised.onnxShape, shape) else {
                throw r.inputError(1, "shape \(shape) does not broadcast with input shape \(x.onnxShape)")
            }
            // Each broadcast axis (size 1 → n) gathers index 0 n times.
            let repeats = (0..<out.count).map { a in out[a] == raised.onnxShape[a] ? [Int]() : [Int](repeating: 0, count: out[a]) }
            try emitRepeats(&s, r, raised, repeats)
            return
        }
        let data = try r.constant(0, in: s, what: "Expand input")
        let shape = try r.constant(1, in: s, what: "the shape").ints
        if let problem = ImportLimits.shapeProblem(shape, limit: ImportLimits.maxFoldedElements) { throw r.inputError(1, problem) }
        let count = ImportLimits.elementCount(shape) ?? 0
        guard let out = TensorLayout.broadcast(data.values, data.shape, [Double](repeating: 0, count: count), shape, { a, _ in a }) else {
            throw r.inputError(1, "shape \(shape) does not broadcast with input shape \(data.shape)")
        }
        s.symbols[r.output] = .constant(ConstTensor(shape: out.shape, values: out.data, isInteger: data.isInteger))
    }
}

extension ONNXImporter {
    /// Gather of an activation with constant indices: one Gather operator along the IR axis, then
    /// a reshape when the indices are not a 1-D list (a scalar index drops the axis).
    static func importRuntimeGather(_ s: inout ImportState, _ r: NodeReader, _ x: ActivationRef) throws(ImportError) {
        let indices = try r.constant(1, in: s, what: "Gather indices (on a run-time tensor)")
        let axis = try r.axis(r.int("axis", default: 0), rank: x.rank, attribute: "axis")
        let n = x.onnxShape[axis]
        var list: [Int] = []
        for raw in indices.ints {
            let i = raw < 0 ? raw + n : raw
            guard i >= 0 && i < n else { throw r.inputError(1, "index \(raw) is out of range for axis size \(n)") }
            list.append(i)
        }
        guard !list.isEmpty else { throw r.inputError(1, "no indices") }
        var kept = x.onnxShape
        kept[axis] = list.count
        let irAxis = x.rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC)[axis] : axis
        let finalShape = Array(x.onnxShape[..<axis]) + indices.shape + Array(x.onnxShape[(axis + 1)...])
        let id = s.emit(.gather(axis: irAxis, indices: list), inputs: [x.id], irShape: TensorLayout.irShape(ofONNX: kept),
                        name: r.name, outputName: finalShape == kept ? r.output : nil)
        s.symbols[r.output] = .activation(s.reshape(ActivationRef(id: id, onnxShape: kept), to: finalShape, name: r.name + "/reshape"))
    }

    /// Split of an activation into slices along one axis (sizes from the `split` input or
    /// attribute, else equal parts; opset 18's num_outputs allows a smaller last part).
    static func importSplit(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        let axis = try r.axis(r.int("axis", default: 0), rank: x.rank, attribute: "axis")
        let dim = x.onnxShape[axis], outputs = r.node.outputs
        var sizes: [Int]
        if r.opset >= 13, let c = try r.optionalConstant(1, in: s, what: "split") {
            sizes = c.ints
        } else if let attr = try r.ints("split") {
            sizes = attr
        } else {
            let parts = outputs.count
            let chunk = (dim + parts - 1) / parts
            sizes = (0..<parts).map { k in max(0, min(chunk, dim - k * chunk)) }
            if r.opset < 18 || !r.has("num_outputs") {
                guard dim % parts == 0 else { throw r.error("axis", "size \(dim) does not split into \(parts) equal parts") }
            }
        }
        guard sizes.count == outputs.count, sizes.reduce(0, +) == dim, sizes.allSatisfy({ $0 >= 1 }) else {
            throw r.error("split", "sizes \(sizes) do not split axis size \(dim) into \(outputs.count) non-empty outputs")
        }
        var start = 0
        for (k, size) in sizes.enumerated() {
            var begin = [Int](repeating: 0, count: x.rank), outShape = x.onnxShape
            begin[axis] = start
            outShape[axis] = size
            try emitSlice(&s, r, x, begin: begin, step: [Int](repeating: 1, count: x.rank), outShape: outShape,
                          outputName: outputs[k])
            start += size
        }
    }
}

extension ONNXImporter {
    /// DepthToSpace (DCR or CRD) and SpaceToDepth of a 4-D NCHW activation, as Reshape and rank ≤ 4
    /// Transpose of the NHWC value: no kernel of their own.
    ///   DepthToSpace DCR: NHWC channels are (i, j, c'): [N·H, W, b, b·C'] → swap axes 1, 2 → N, H, i, W, j, C'.
    ///   CRD: channels are (c', i, j): first [N·H·W, C', b·b] → [N·H·W, b·b, C'] (the DCR order).
    ///   SpaceToDepth: [N·H', b, W', b·C] → swap axes 1, 2 → N, H', W', i, j, C (channels (i, j, c)).
    static func importDepthSpace(_ s: inout ImportState, _ r: NodeReader, toSpace: Bool) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        try requireImage(r, x)
        let b = try r.int("blocksize")
        guard b >= 1 else { throw r.attributeError("blocksize", "value \(b) must be at least 1") }
        let (n, c, h, w) = (x.onnxShape[0], x.onnxShape[1], x.onnxShape[2], x.onnxShape[3])
        let outShape: [Int]
        var id = x.id
        if toSpace {
            guard c % (b * b) == 0 else { throw r.attributeError("blocksize", "\(b)² does not divide the \(c) channels") }
            let cOut = c / (b * b)
            outShape = [n, cOut, h * b, w * b]
            if try r.string("mode", default: "DCR") == "CRD" {
                id = s.emit(.reshape(shape: [n * h * w, cOut, b * b]), inputs: [id], irShape: [n * h * w, cOut, b * b], name: r.name + "/crd")
                id = s.emit(.transpose(perm: [0, 2, 1]), inputs: [id], irShape: [n * h * w, b * b, cOut], name: r.name + "/to_dcr")
            } else {
                let mode = try r.string("mode", default: "DCR")
                guard mode == "DCR" else { throw r.attributeError("mode", "value '\(mode)' is not supported (DCR, CRD)") }
            }
            id = s.emit(.reshape(shape: [n * h, w, b, b * cOut]), inputs: [id], irShape: [n * h, w, b, b * cOut], name: r.name + "/split")
            id = s.emit(.transpose(perm: [0, 2, 1, 3]), inputs: [id], irShape: [n * h, b, w, b * cOut], name: r.name + "/interleave")
        } else {
            guard h % b == 0, w % b == 0 else { throw r.attributeError("blocksize", "\(b) does not divide \(h)×\(w)") }
            let (hOut, wOut) = (h / b, w / b)
            outShape = [n, c * b * b, hOut, wOut]
            id = s.emit(.reshape(shape: [n * hOut, b, wOut, b * c]), inputs: [id], irShape: [n * hOut, b, wOut, b * c], name: r.name + "/split")
            id = s.emit(.transpose(perm: [0, 2, 1, 3]), inputs: [id], irShape: [n * hOut, wOut, b, b * c], name: r.name + "/gather")
        }
        let irOut = TensorLayout.irShape(ofONNX: outShape)
        id = s.emit(.reshape(shape: irOut), inputs: [id], irShape: irOut, name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }
}

extension ONNXImporter {
    /// Tile of an activation by constant repeats: along each repeated axis, a Gather of the
    /// indices 0..<n repeated r times.
    static func importTile(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        let reps = try r.constant(1, in: s, what: "repeats").ints
        guard reps.count == x.rank, reps.allSatisfy({ $0 >= 1 }) else {
            throw r.inputError(1, "repeats \(reps) must be \(x.rank) values >= 1")
        }
        // The output's size before the index lists are built: they hold one entry per output row.
        var outShape = x.onnxShape
        for a in 0..<x.rank {
            let (size, overflow) = x.onnxShape[a].multipliedReportingOverflow(by: reps[a])
            outShape[a] = overflow ? Int.max : size
        }
        if let problem = ImportLimits.shapeProblem(outShape) { throw r.error("output '\(r.output)'", problem) }
        let repeats = (0..<x.rank).map { a in reps[a] == 1 ? [Int]() : (0..<reps[a]).flatMap { _ in 0..<x.onnxShape[a] } }
        try emitRepeats(&s, r, x, repeats)
    }

    /// One Gather per ONNX axis with a non-empty index list (in IR axes), the last one named as
    /// the node's output; no list at all is an identity.
    static func emitRepeats(_ s: inout ImportState, _ r: NodeReader, _ x: ActivationRef, _ repeats: [[Int]]) throws(ImportError) {
        var current = x
        let axes = repeats.indices.filter { !repeats[$0].isEmpty }
        guard let lastAxis = axes.last else {
            s.symbols[r.output] = .activation(x)
            return
        }
        for axis in axes {
            var shape = current.onnxShape
            shape[axis] = repeats[axis].count
            let irAxis = x.rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC)[axis] : axis
            let id = s.emit(.gather(axis: irAxis, indices: repeats[axis]), inputs: [current.id],
                            irShape: TensorLayout.irShape(ofONNX: shape), name: r.name + (axis == lastAxis ? "" : "/axis\(axis)"),
                            outputName: axis == lastAxis ? r.output : nil)
            current = ActivationRef(id: id, onnxShape: shape)
        }
        s.symbols[r.output] = .activation(current)
    }
}
