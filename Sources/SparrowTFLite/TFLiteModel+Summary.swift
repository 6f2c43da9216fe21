// A readable dump of a TFLite model: what `sparrow inspect MODEL.tflite` prints. Shows what
// the importer will see: operators with their options, tensors with type, shape, storage and
// quantization, signatures, and which operators Sparrow does not import.

extension TFLiteModel {
    /// A multi-line description of the main graph.
    public func summary() -> String {
        var lines: [String] = []
        let external = buffers.filter(\.isExternal).count
        lines.append("schema v\(version), \(bytes.count) bytes, \(subgraphCount) subgraph\(subgraphCount == 1 ? "" : "s")"
                     + (description.isEmpty ? "" : ", description \"\(description)\"")
                     + (external > 0 ? ", \(external) buffers stored after the flatbuffer" : ""))
        for s in signatures {
            let ins = s.inputs.map { "\($0.name) -> t\($0.tensor)" }.joined(separator: ", ")
            let outs = s.outputs.map { "\($0.name) -> t\($0.tensor)" }.joined(separator: ", ")
            lines.append("signature '\(s.key)' (subgraph \(s.subgraphIndex)): inputs \(ins); outputs \(outs)")
        }
        lines.append("inputs:")
        for t in graph.inputs { lines.append("  " + describe(tensor: t)) }
        lines.append("outputs:")
        for t in graph.outputs { lines.append("  " + describe(tensor: t)) }
        lines.append("")
        lines.append("operators (\(graph.operators.count)):")
        for (k, op) in graph.operators.enumerated() {
            let code = opcode(of: op)
            let ins = op.inputs.map { $0 < 0 ? "-" : "t\($0)" }.joined(separator: ", ")
            let outs = op.outputs.map { "t\($0)" }.joined(separator: ", ")
            let options = op.options.summary
            lines.append("  [\(k)] \(code.displayName) v\(code.version) (\(ins)) -> \(outs)" + (options.isEmpty ? "" : "  \(options)"))
        }
        lines.append("")
        lines.append("tensors (\(graph.tensors.count)):")
        for t in graph.tensors.indices { lines.append("  " + describe(tensor: t)) }
        lines.append("")
        let unsupported = unsupportedOperators()
        lines.append("unsupported operators: " + (unsupported.isEmpty ? "none"
            : unsupported.map { "\($0.name) (\($0.operators.map(String.init).joined(separator: ", ")))" }.joined(separator: "; ")))
        return lines.joined(separator: "\n")
    }

    /// One tensor: `t3 'name' INT8 [1,4,4,3] const 48 B scale 0.5 zp -3`.
    public func describe(tensor index: Int) -> String {
        let t = graph.tensors[index]
        var s = "t\(index) '\(t.name)' \(t.type.name) [\(t.shape.map(String.init).joined(separator: ","))]"
        if let signature = t.shapeSignature, signature != t.shape {
            s += " (signature [\(signature.map(String.init).joined(separator: ","))])"
        }
        let data = buffers[t.buffer]
        if !data.range.isEmpty { s += " const \(data.range.count) B" + (data.isExternal ? " (external)" : "") }
        if t.isVariable { s += " variable" }
        if let q = t.quantization {
            if q.isPerAxis {
                let zeros = Set(q.zeroPoints)
                s += " per-axis(dim \(q.quantizedDimension)) \(q.scales.count) scales"
                    + " [\(String(q.scales.min()!)) … \(String(q.scales.max()!))]"
                    + " zp \(zeros.count == 1 ? String(zeros.first!) : "mixed")"
            } else {
                s += " scale \(String(q.scales[0])) zp \(q.zeroPoints[0])"
            }
        }
        return s
    }
}

extension TFLiteOptions {
    /// The options in a short form, e.g. "padding SAME stride 2x2 dilation 1x1 RELU6".
    public var summary: String {
        func act(_ a: TFLiteActivation) -> String { a == .none ? "" : " " + a.name }
        func pad(_ p: TFLitePadding) -> String { p == .same ? "SAME" : "VALID" }
        switch self {
        case .none, .empty: return ""
        case .conv2D(let o):
            return "padding \(pad(o.padding)) stride \(o.strideH)x\(o.strideW) dilation \(o.dilationH)x\(o.dilationW)\(act(o.activation))"
                + (o.quantizedBiasType.map { " bias \($0.name)" } ?? "")
        case .depthwiseConv2D(let o):
            return "padding \(pad(o.padding)) stride \(o.strideH)x\(o.strideW) dilation \(o.dilationH)x\(o.dilationW) multiplier \(o.depthMultiplier)\(act(o.activation))"
        case .pool2D(let o):
            return "padding \(pad(o.padding)) filter \(o.filterH)x\(o.filterW) stride \(o.strideH)x\(o.strideW)\(act(o.activation))"
        case .fullyConnected(let o):
            return (o.keepNumDims ? "keep_num_dims" : "") + act(o.activation) + (o.weightsFormat != 0 ? " weights_format \(o.weightsFormat)" : "")
        case .transposeConv(let o):
            return "padding \(pad(o.padding)) stride \(o.strideH)x\(o.strideW)\(act(o.activation))"
        case .add(let a, _), .sub(let a, _), .mul(let a), .div(let a): return act(a).trimmingLeadingSpace
        case .concatenation(let axis, let a): return "axis \(axis)\(act(a))"
        case .softmax(let beta): return "beta \(beta)"
        case .reducer(let keepDims): return keepDims ? "keep_dims" : ""
        case .reshape(let shape): return shape.map { "new_shape \($0)" } ?? ""
        case .squeeze(let dims): return "squeeze_dims \(dims)"
        case .stridedSlice(let o):
            return "masks begin \(o.beginMask) end \(o.endMask) ellipsis \(o.ellipsisMask) new_axis \(o.newAxisMask) shrink \(o.shrinkAxisMask)"
                + (o.offset ? " offset" : "")
        case .resizeBilinear(let o), .resizeNearestNeighbor(let o):
            return (o.alignCorners ? "align_corners " : "") + (o.halfPixelCenters ? "half_pixel_centers" : "")
        case .argMax(let type): return type.map { "output \($0.name)" } ?? ""
        case .leakyRelu(let alpha): return "alpha \(alpha)"
        case .other(let type): return "(options type \(type) not decoded)"
        }
    }
}

private extension String {
    var trimmingLeadingSpace: String { hasPrefix(" ") ? String(dropFirst()) : self }
}
