// Transformer ops: LayerNormalization (opset 17, and the decomposed form exporters write before
// it, fused back into one node before import) and MatMul of two run-time tensors (attention).
import SparrowONNX

extension ONNXImporter {
    /// LayerNormalization: normalizes over the axes [axis, rank), which are folded into one last
    /// axis when there are several; a last ONNX axis that is not the IR's innermost (4-D values are
    /// NHWC) is moved there and back. Scale and B must be constants.
    static func importLayerNormalization(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let x = try r.activationInput(0, in: s)
        let rank = x.rank
        guard rank >= 1 else { throw r.inputError(0, "is a scalar") }
        let axis = try r.axis(try r.int("axis", default: -1), rank: rank, attribute: "axis")
        let epsilon = try r.float("epsilon", default: 1e-5)
        guard epsilon >= 0 else { throw r.attributeError("epsilon", "value \(epsilon) must not be negative") }
        if r.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw r.error("outputs", "the Mean and InvStdDev outputs are not supported (inference only)")
        }
        let depth = x.onnxShape[axis...].reduce(1, *)
        // Scale is required by ONNX; the decomposed-pattern fusion leaves it empty when the
        // exporter wrote no γ (elementwise_affine=False), meaning ones.
        let gamma = try r.optionalConstant(1, in: s, what: "Scale")?.values ?? [1]
        let beta = try r.optionalConstant(2, in: s, what: "B")?.values ?? [0]
        func perChannel(_ v: [Double], _ input: Int, _ what: String) throws(ImportError) -> [Float] {
            if v.count == depth { return v.map { Float($0) } }
            guard v.count == 1 else {
                throw r.inputError(input, "\(what) has \(v.count) values; \(depth) (one per normalized element) or 1 expected")
            }
            return [Float](repeating: Float(v[0]), count: depth)
        }
        let gammaID = s.addConstant(try perChannel(gamma, 1, "Scale"), irShape: [depth], name: r.name + "/gamma")
        let betaID = s.addConstant(try perChannel(beta, 2, "B"), irShape: [depth], name: r.name + "/beta")
        // The normalized axes as one last ONNX axis.
        let folded = axis == rank - 1 ? x : s.reshape(x, to: Array(x.onnxShape[..<axis]) + [depth], name: r.name + "/fold")
        let irShape = TensorLayout.irShape(ofONNX: folded.onnxShape)
        let irAxis = folded.rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC)[3] : folded.rank - 1
        var result: ActivationRef
        if irAxis == irShape.count - 1 {
            let id = s.emit(.layerNorm(epsilon: epsilon), inputs: [folded.id, gammaID, betaID], irShape: irShape, name: r.name,
                            outputName: axis == rank - 1 ? r.output : nil)
            result = ActivationRef(id: id, onnxShape: folded.onnxShape)
        } else {
            var perm = Array(0..<irShape.count)
            perm.remove(at: irAxis)
            perm.append(irAxis)
            let moved = s.layoutChange(folded.id, from: irShape, perm: perm, name: r.name + "/axis_last")
            let movedShape = TensorLayout.permute(irShape, perm)
            let normed = s.emit(.layerNorm(epsilon: epsilon), inputs: [moved, gammaID, betaID], irShape: movedShape, name: r.name)
            let back = s.layoutChange(normed, from: movedShape, perm: TensorLayout.inverse(perm), name: r.name + "/axis_back")
            result = ActivationRef(id: back, onnxShape: folded.onnxShape)
        }
        if axis != rank - 1 { result = s.reshape(result, to: x.onnxShape, name: r.name + "/unfold") }
        s.symbols[r.output] = .activation(result)
    }

    /// MatMul of a run-time A and a run-time or batched constant B, of rank 2…4 (ONNX
    /// broadcasting of the leading axes).
    static func importMatMulOfActivations(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let a = try r.activationInput(0, in: s), b = s.activation(try r.symbol(1, in: s), name: r.node.inputs[1])
        for (i, v) in [(0, a), (1, b)] where v.rank < 2 || v.rank > 4 {
            throw r.inputError(i, "has shape \(v.onnxShape); a batched MatMul needs rank 2, 3 or 4")
        }
        guard a.onnxShape[a.rank - 1] == b.onnxShape[b.rank - 2] else {
            throw r.error(nil, "A \(a.onnxShape) and B \(b.onnxShape) do not multiply (inner dimensions differ)")
        }
        let aBatch = Array(a.onnxShape.dropLast(2)), bBatch = Array(b.onnxShape.dropLast(2))
        guard let batch = TensorLayout.broadcastShape(aBatch, bBatch) else {
            throw r.error(nil, "the batch dimensions of A \(a.onnxShape) and B \(b.onnxShape) do not broadcast")
        }
        let outShape = batch + [a.onnxShape[a.rank - 2], b.onnxShape[b.rank - 1]]
        let axes = MatMulAxesIR(leftRank: a.rank, rightRank: b.rank, outputRank: outShape.count)
        let id = s.emit(.matMul(axes), inputs: [a.id, b.id], irShape: TensorLayout.irShape(ofONNX: outShape), name: r.name,
                        outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }
}

/// LayerNorm as exporters decompose it (torch before opset 17, many converters), over the last axis:
///   μ = ReduceMean(x, [-1]); d = x − μ; v = ReduceMean(Pow(d, 2) or d·d, [-1]);
///   n = d / Sqrt(v + ε); optionally n·γ, then + β (γ, β constants)
/// Rewritten into one LayerNormalization node before import, so it runs as one int8 operator with
/// wide statistics instead of a chain of int8 ops that each round (Docs/quantization.md).
/// Only exact matches are rewritten: every intermediate read by nothing else, ε, 2, γ and β
/// constants (initializers or Constant nodes); anything else imports node by node as before.
enum DecomposedLayerNorm {
    static func fuse(_ graph: ONNXGraph) -> [ONNXNode] {
        var nodes = graph.nodes
        var producer: [String: Int] = [:], readers: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty { producer[o] = i }
            for v in n.inputs where !v.isEmpty { readers[v, default: []].append(i) }
        }
        let graphOutputs = Set(graph.outputs.map(\.name))
        var initializers: [String: ONNXTensor] = [:]
        for t in graph.initializers { initializers[t.name] = t }

        func constant(_ name: String) -> [Double]? {
            if let t = initializers[name] { return values(t) }
            guard let p = producer[name], nodes[p].opType == "Constant" else { return nil }
            if let t = nodes[p].attributes["value"]?.tensor { return values(t) }
            if let f = nodes[p].attributes["value_float"]?.float { return [Double(f)] }
            return nil
        }
        func values(_ t: ONNXTensor) -> [Double]? {
            try? ImportState.constant(from: t, node: nil, opType: nil, subject: t.name).values
        }
        func isConstant(_ name: String) -> Bool { constant(name) != nil }
        /// The only reader of `value` (not a graph output), if it has op type `op`.
        func soleReader(_ value: String, _ op: String) -> Int? {
            guard !graphOutputs.contains(value), let r = readers[value], r.count == 1, nodes[r[0]].opType == op else { return nil }
            return r[0]
        }
        /// The other input of a two-input node, given one.
        func other(_ node: ONNXNode, than value: String) -> String? {
            guard node.inputs.count == 2 else { return nil }
            if node.inputs[0] == value { return node.inputs[1] }
            return node.inputs[1] == value ? node.inputs[0] : nil
        }
        /// A ReduceMean over the last axis only, keeping dims.
        func isLastAxisMean(_ n: ONNXNode) -> Bool {
            guard n.opType == "ReduceMean", (n.attributes["keepdims"]?.int ?? 1) == 1 else { return false }
            if let axes = n.attributes["axes"]?.ints { return axes == [-1] }
            guard n.inputs.count >= 2, let axes = constant(n.inputs[1]) else { return false }
            return axes == [-1]
        }

        var removed: Set<Int> = []
        for (meanIndex, mean) in graph.nodes.enumerated() where isLastAxisMean(mean) && !removed.contains(meanIndex) {
            guard let x = mean.inputs.first, let mu = mean.outputs.first, let subIndex = soleReader(mu, "Sub") else { continue }
            let sub = nodes[subIndex]
            guard sub.inputs == [x, mu], let d = sub.outputs.first, !graphOutputs.contains(d),
                  let dReaders = readers[d], dReaders.count == 2 || dReaders.count == 3 else { continue }
            // d² as Pow(d, 2) or Mul(d, d) (a Mul reads d twice).
            guard let squareIndex = dReaders.first(where: { ["Pow", "Mul"].contains(nodes[$0].opType) }) else { continue }
            let square = nodes[squareIndex]
            if square.opType == "Pow" {
                guard square.inputs.first == d, square.inputs.count == 2, constant(square.inputs[1]) == [2] else { continue }
            } else {
                guard square.inputs == [d, d] else { continue }
            }
            guard let divIndex = dReaders.first(where: { nodes[$0].opType == "Div" }),
                  Set(dReaders) == [squareIndex, divIndex] else { continue }
            guard let d2 = square.outputs.first, let varIndex = soleReader(d2, "ReduceMean"),
                  isLastAxisMean(nodes[varIndex]), let variance = nodes[varIndex].outputs.first,
                  let addIndex = soleReader(variance, "Add"), let epsName = other(nodes[addIndex], than: variance),
                  let eps = constant(epsName), eps.count == 1, eps[0] >= 0,
                  let ve = nodes[addIndex].outputs.first, let sqrtIndex = soleReader(ve, "Sqrt"),
                  let sd = nodes[sqrtIndex].outputs.first, let div = soleReader(sd, "Div"), div == divIndex,
                  nodes[divIndex].inputs == [d, sd], var result = nodes[divIndex].outputs.first else { continue }
            var chain = [meanIndex, subIndex, squareIndex, varIndex, addIndex, sqrtIndex, divIndex]
            var gamma = "", beta = ""
            if let mulIndex = soleReader(result, "Mul"), let g = other(nodes[mulIndex], than: result), isConstant(g),
               let scaled = nodes[mulIndex].outputs.first {
                gamma = g
                result = scaled
                chain.append(mulIndex)
            }
            if let addIndex = soleReader(result, "Add"), let b = other(nodes[addIndex], than: result), isConstant(b),
               let shifted = nodes[addIndex].outputs.first {
                beta = b
                result = shifted
                chain.append(addIndex)
            }
            let last = chain.max()!
            nodes[last] = ONNXNode(name: nodes[last].name, opType: "LayerNormalization", inputs: [x, gamma, beta],
                                   outputs: [result], attributes: ["axis": .int(-1), "epsilon": .float(Float(eps[0]))])
            removed.formUnion(chain.filter { $0 != last })
        }
        return nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }
}
